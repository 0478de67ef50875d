//! `css-sync plan` and `css-sync audit` arguments → validated settings: the sync's
//! [`Settings`] (validated by the same code), refusing an id list (both work on the catalog
//! search), plus the audit's bound and report path. Never performs I/O beyond the sync's own
//! validation.

use super::{invalid, ConfigError, Settings};
use crate::cli::{AuditArgs, SyncArgs};
use chrono::{DateTime, Utc};

/// The sync's settings for a command that works on the catalog search (`plan`, `audit`).
pub fn catalog_settings(
    command: &str,
    a: &SyncArgs,
    now: DateTime<Utc>,
) -> Result<Settings, ConfigError> {
    if a.selection.ids.is_some() {
        return Err(invalid(
            "CSS_IDS_FILE",
            format!(
                "is not supported by {command} (it works on the catalog search: CSS_REGIONS, \
                 CSS_TYPES, CSS_SINCE, CSS_UNTIL, CSS_FILTER)"
            ),
        ));
    }
    Settings::from_args(a, now)
}

/// Everything an audit needs, validated.
#[derive(Debug, Clone)]
pub struct AuditSettings {
    pub sync: Settings,
    /// `CSS_AUDIT_MAX_OBJECTS`: catalog objects held, findings listed per list.
    pub max_objects: usize,
    /// `--audit-report`, else `--report`.
    pub report_path: Option<std::path::PathBuf>,
}

impl AuditSettings {
    pub fn from_args(a: &AuditArgs, now: DateTime<Utc>) -> Result<AuditSettings, ConfigError> {
        let sync = catalog_settings("audit", &a.sync, now)?;
        let o = &a.audit;
        if o.audit_max_objects == 0 {
            return Err(invalid("CSS_AUDIT_MAX_OBJECTS", "must be at least 1"));
        }
        Ok(AuditSettings {
            max_objects: o.audit_max_objects,
            report_path: o.audit_report.clone().or_else(|| sync.report_path.clone()),
            sync,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrap {
        #[command(flatten)]
        audit: AuditArgs,
    }

    fn parse(extra: &[&str]) -> Result<AuditSettings, ConfigError> {
        let mut argv = vec![
            "x",
            "--client-id",
            "c",
            "--client-secret",
            "s",
            "--bucket",
            "lake",
        ];
        argv.extend_from_slice(extra);
        let w = Wrap::try_parse_from(argv).expect("parses");
        AuditSettings::from_args(&w.audit, Utc::now())
    }

    #[test]
    fn audit_settings_name_the_variable() {
        let bad = [
            (&["--audit-max-objects", "0"][..], "CSS_AUDIT_MAX_OBJECTS"),
            (&["--ids", "/nonexistent"][..], "CSS_IDS_FILE"),
        ];
        for (args, name) in bad {
            let e = parse(args).expect_err("refused").to_string();
            assert!(e.starts_with(name), "{args:?}: {e}");
        }
        let ok = parse(&["--report", "r.json"]).unwrap();
        assert_eq!(ok.max_objects, crate::defaults::AUDIT_MAX_OBJECTS);
        assert_eq!(
            ok.report_path.as_deref(),
            Some(std::path::Path::new("r.json"))
        );
        let ok = parse(&["--report", "r.json", "--audit-report", "-"]).unwrap();
        assert_eq!(ok.report_path.as_deref(), Some(std::path::Path::new("-")));
    }
}

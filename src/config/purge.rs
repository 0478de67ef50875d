//! `css-sync purge` arguments → validated [`PurgeSettings`]: the sync's [`Settings`] (same
//! selection, key template, prefix and S3 settings, validated by the same code) plus the
//! purge gates. A `--min-age` below [`MIN_PURGE_AGE`] is refused (exit code 2), never raised.

use super::{invalid, parse_duration, ConfigError, Settings};
use crate::cli::PurgeArgs;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// The floor of `--min-age`: nothing younger than a week is ever deleted at the source.
pub const MIN_PURGE_AGE: Duration = Duration::from_secs(7 * 24 * 3600);
/// The largest accepted `--max`.
pub const MAX_PURGE_MAX: usize = 100_000;

/// Everything a purge needs, validated.
#[derive(Debug, Clone)]
pub struct PurgeSettings {
    pub sync: Settings,
    /// Delete for real (`--confirm`); otherwise a dry run.
    pub confirm: bool,
    pub min_age: Duration,
    pub max: usize,
    /// Where the JSON report goes: `--purge-report`, else `--report`.
    pub report_path: Option<std::path::PathBuf>,
}

impl PurgeSettings {
    pub fn from_args(a: &PurgeArgs, now: DateTime<Utc>) -> Result<PurgeSettings, ConfigError> {
        if a.sync.selection.ids.is_some() {
            // Purge selects by catalog search only: an id list it ignored would widen the
            // deletion beyond what the operator listed.
            return Err(invalid(
                "CSS_IDS_FILE",
                "is not supported by purge (it selects by CSS_TYPES / CSS_SINCE / CSS_UNTIL / CSS_FILTER)",
            ));
        }
        let sync = Settings::from_args(&a.sync, now)?;
        let p = &a.purge;
        let min_age = parse_duration(&p.min_age).map_err(|r| invalid("CSS_PURGE_MIN_AGE", r))?;
        if min_age < MIN_PURGE_AGE {
            return Err(invalid(
                "CSS_PURGE_MIN_AGE",
                format!(
                    "{:?} is below the floor of {}: objects that young are never deleted",
                    p.min_age.trim(),
                    humantime::format_duration(MIN_PURGE_AGE)
                ),
            ));
        }
        if chrono::Duration::from_std(min_age).is_err() {
            return Err(invalid("CSS_PURGE_MIN_AGE", "is too long"));
        }
        if !(1..=MAX_PURGE_MAX).contains(&p.max) {
            return Err(invalid(
                "CSS_PURGE_MAX",
                format!("must be between 1 and {MAX_PURGE_MAX}"),
            ));
        }
        Ok(PurgeSettings {
            report_path: p.purge_report.clone().or_else(|| sync.report_path.clone()),
            sync,
            confirm: p.confirm,
            min_age,
            max: p.max,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn parse(extra: &[&str]) -> Result<PurgeSettings, ConfigError> {
        let mut argv = vec![
            "css-sync",
            "purge",
            "--client-id",
            "id",
            "--client-secret",
            "secret",
            "--bucket",
            "lake",
        ];
        argv.extend_from_slice(extra);
        let cli = Cli::try_parse_from(argv).unwrap();
        let Command::Purge(args) = cli.command else {
            panic!("not purge")
        };
        PurgeSettings::from_args(&args, Utc::now())
    }

    #[test]
    fn defaults_are_a_dry_run_of_old_objects() {
        let s = parse(&[]).unwrap();
        assert!(!s.confirm);
        assert!(s.min_age >= MIN_PURGE_AGE);
        assert_eq!(s.min_age, Duration::from_secs(30 * 86_400));
        assert_eq!(s.max, crate::defaults::PURGE_MAX);
    }

    #[test]
    fn min_age_has_a_floor_and_max_bounds() {
        let err = |extra: &[&str]| parse(extra).unwrap_err().to_string();
        assert!(err(&["--min-age", "1d"]).contains("CSS_PURGE_MIN_AGE"));
        assert!(err(&["--min-age", "6d 23h"]).contains("below the floor"));
        assert!(err(&["--min-age", "soon"]).contains("CSS_PURGE_MIN_AGE"));
        assert_eq!(parse(&["--min-age", "7d"]).unwrap().min_age, MIN_PURGE_AGE);
        assert!(err(&["--max", "0"]).contains("CSS_PURGE_MAX"));
        assert!(err(&["--max", "100001"]).contains("CSS_PURGE_MAX"));
        let s = parse(&["--confirm", "--max", "3", "--purge-report", "p.json"]).unwrap();
        assert!(s.confirm);
        assert_eq!(s.max, 3);
        assert_eq!(s.report_path.unwrap().to_str(), Some("p.json"));
        let s = parse(&["--report", "r.json"]).unwrap();
        assert_eq!(s.report_path.unwrap().to_str(), Some("r.json"));
    }

    #[test]
    fn an_id_list_is_refused_rather_than_ignored() {
        let err = parse(&["--ids", "/nonexistent"]).unwrap_err().to_string();
        assert!(err.starts_with("CSS_IDS_FILE"), "{err}");
    }
}

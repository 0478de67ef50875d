//! Issue 7 (metrics): `PUSHGATEWAY_URL`, `PUSHGATEWAY_JOB`, `CSS_RETENTION_DAYS` and
//! `CSS_RISK_WINDOW` → the push target and the retention-risk policy. A bad value is a
//! [`ConfigError`] naming the variable; the URL is never repeated (it may carry credentials).
//! It performs no I/O.

use super::{invalid, parse_duration, ConfigError};
use crate::cli::MetricsArgs;
use crate::metrics::push::PushSettings;
use crate::metrics::RiskPolicy;
use crate::secret::Secret;
use std::time::Duration;

/// Longest accepted `CSS_RETENTION_DAYS` (ten years).
pub const MAX_RETENTION_DAYS: u32 = 3650;
/// Longest accepted `CSS_RISK_WINDOW` (a year).
pub const MAX_RISK_WINDOW: Duration = Duration::from_secs(365 * 86_400);

/// The push target, `None` without `PUSHGATEWAY_URL`. `regions` (the selection; empty when
/// discovered) makes the grouping key.
pub(super) fn push_settings(
    a: &MetricsArgs,
    regions: &[String],
) -> Result<Option<PushSettings>, ConfigError> {
    let job = a.pushgateway_job.trim();
    if job.is_empty() || job.contains('/') || job.chars().any(char::is_control) {
        return Err(invalid(
            "PUSHGATEWAY_JOB",
            "must be a non-empty name without '/'",
        ));
    }
    let Some(text) = a.pushgateway_url.as_deref().map(str::trim) else {
        return Ok(None);
    };
    match url::Url::parse(text) {
        Ok(u)
            if matches!(u.scheme(), "http" | "https")
                && u.host_str().is_some()
                && u.query().is_none()
                && u.fragment().is_none() =>
        {
            Ok(Some(PushSettings {
                url: Secret::new(text.trim_end_matches('/')),
                job: job.to_string(),
                regions: regions.to_vec(),
                shard: None, // set by the caller (issue 10, shard)
            }))
        }
        _ => Err(invalid(
            "PUSHGATEWAY_URL",
            "must be an http(s) URL with a host and no query",
        )),
    }
}

/// `CSS_RETENTION_DAYS` (1..=3650) and `CSS_RISK_WINDOW` (at most a year; 0 counts only
/// objects already due).
pub(super) fn risk_policy(a: &MetricsArgs) -> Result<RiskPolicy, ConfigError> {
    if a.retention_days == 0 || a.retention_days > MAX_RETENTION_DAYS {
        return Err(invalid(
            "CSS_RETENTION_DAYS",
            format!("must be between 1 and {MAX_RETENTION_DAYS}"),
        ));
    }
    let window = match parse_duration(&a.risk_window) {
        Ok(d) if d <= MAX_RISK_WINDOW => d,
        Ok(_) => return Err(invalid("CSS_RISK_WINDOW", "must be at most 365d")),
        Err(e) => return Err(invalid("CSS_RISK_WINDOW", e)),
    };
    Ok(RiskPolicy {
        retention: Duration::from_secs(u64::from(a.retention_days) * 86_400),
        window,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(url: Option<&str>, job: &str, days: u32, window: &str) -> MetricsArgs {
        MetricsArgs {
            pushgateway_url: url.map(str::to_string),
            pushgateway_job: job.to_string(),
            retention_days: days,
            risk_window: window.to_string(),
        }
    }

    fn name(e: ConfigError) -> &'static str {
        match e {
            ConfigError::Invalid { name, .. } | ConfigError::Missing { name } => name,
            ConfigError::SecretFile { .. } => "CSS_CLIENT_SECRET_FILE",
        }
    }

    #[test]
    fn push_table() {
        let ok = |url, job| push_settings(&args(url, job, 30, "3d"), &[]).map(|p| p.is_some());
        assert!(!ok(None, "css-sync").unwrap());
        assert!(ok(Some("http://pgw:9091"), "css-sync").unwrap());
        assert!(ok(Some("https://u:p@pgw.example/"), "nightly").unwrap());
        for (url, job, var) in [
            (Some("pgw:9091"), "j", "PUSHGATEWAY_URL"),
            (Some("ftp://pgw"), "j", "PUSHGATEWAY_URL"),
            (Some("http://pgw/?token=x"), "j", "PUSHGATEWAY_URL"),
            (Some(""), "j", "PUSHGATEWAY_URL"),
            (None, "", "PUSHGATEWAY_JOB"),
            (None, "a/b", "PUSHGATEWAY_JOB"),
        ] {
            let e = push_settings(&args(url, job, 30, "3d"), &[]).unwrap_err();
            assert!(!e.to_string().contains("token=x"), "{e}");
            assert_eq!(name(e), var, "{url:?} {job:?}");
        }
    }

    #[test]
    fn risk_table() {
        let p = risk_policy(&args(None, "j", 30, "3d")).unwrap();
        assert_eq!(p.retention, Duration::from_secs(30 * 86_400));
        assert_eq!(p.window, Duration::from_secs(3 * 86_400));
        assert_eq!(p, RiskPolicy::default());
        assert!(risk_policy(&args(None, "j", 1, "0")).is_ok());
        for (days, window, var) in [
            (0, "3d", "CSS_RETENTION_DAYS"),
            (3651, "3d", "CSS_RETENTION_DAYS"),
            (30, "soon", "CSS_RISK_WINDOW"),
            (30, "400d", "CSS_RISK_WINDOW"),
            (30, "1e30", "CSS_RISK_WINDOW"),
        ] {
            assert_eq!(
                name(risk_policy(&args(None, "j", days, window)).unwrap_err()),
                var
            );
        }
    }
}

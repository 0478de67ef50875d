//! Issue 11 (bounds): reading the time limits (the S3 timeouts and the shutdown grace) and
//! the start-up checks that must exit 2 rather than fail later: an `AWS_ENDPOINT_URL*` that
//! does not parse (aws-config would only warn and ignore it) and a key template whose literal
//! segments climb out of the prefix (`../{id}`). Pure functions; the only input read is the
//! environment value handed in.

use super::read::bounded_duration;
use super::{invalid, ConfigError};
use crate::cli::TimeArgs;
use crate::s3::S3Timeouts;
use std::time::Duration;

/// Longest accepted `S3_CONNECT_TIMEOUT`.
pub const MAX_S3_CONNECT_TIMEOUT: Duration = Duration::from_secs(300);
/// Longest accepted `S3_READ_TIMEOUT`.
pub const MAX_S3_READ_TIMEOUT: Duration = Duration::from_secs(3600);
/// Longest accepted `S3_ATTEMPT_TIMEOUT` and `S3_CALL_DEADLINE` (a day).
pub const MAX_S3_CALL: Duration = Duration::from_secs(24 * 3600);
/// Longest accepted `SHUTDOWN_GRACE` (Kubernetes waits `terminationGracePeriodSeconds`).
pub const MAX_SHUTDOWN_GRACE: Duration = Duration::from_secs(600);
/// Shortest accepted `SHUTDOWN_GRACE`: aborting uploads needs a round trip or two.
pub const MIN_SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// The environment variables aws-config reads an S3 endpoint from.
pub const ENDPOINT_VARS: [&str; 2] = ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"];

/// `S3_*_TIMEOUT` and `S3_CALL_DEADLINE`, each bounded, nested connect/read ≤ attempt ≤ call.
pub(super) fn s3_timeouts(t: &TimeArgs) -> Result<S3Timeouts, ConfigError> {
    let connect = bounded_duration(
        "S3_CONNECT_TIMEOUT",
        &t.s3_connect_timeout,
        MAX_S3_CONNECT_TIMEOUT,
    )?;
    let read = bounded_duration("S3_READ_TIMEOUT", &t.s3_read_timeout, MAX_S3_READ_TIMEOUT)?;
    let attempt = bounded_duration("S3_ATTEMPT_TIMEOUT", &t.s3_attempt_timeout, MAX_S3_CALL)?;
    let call = bounded_duration("S3_CALL_DEADLINE", &t.s3_call_deadline, MAX_S3_CALL)?;
    if attempt < read || attempt < connect {
        return Err(invalid(
            "S3_ATTEMPT_TIMEOUT",
            "must be at least S3_READ_TIMEOUT and S3_CONNECT_TIMEOUT",
        ));
    }
    if call < attempt {
        return Err(invalid(
            "S3_CALL_DEADLINE",
            "must be at least S3_ATTEMPT_TIMEOUT",
        ));
    }
    Ok(S3Timeouts {
        connect,
        read,
        attempt,
        call,
    })
}

/// `SHUTDOWN_GRACE`, between [`MIN_SHUTDOWN_GRACE`] and [`MAX_SHUTDOWN_GRACE`].
pub(super) fn shutdown_grace(t: &TimeArgs) -> Result<Duration, ConfigError> {
    let d = bounded_duration("SHUTDOWN_GRACE", &t.shutdown_grace, MAX_SHUTDOWN_GRACE)?;
    if d < MIN_SHUTDOWN_GRACE {
        return Err(invalid("SHUTDOWN_GRACE", "must be at least 2s"));
    }
    Ok(d)
}

/// An endpoint URL variable's value: unset or empty is fine (aws-config's own default), else
/// an http(s) URL with a host. The error never repeats the value (it may hold credentials).
pub fn endpoint_url(name: &'static str, value: Option<&str>) -> Result<(), ConfigError> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(());
    };
    match url::Url::parse(v) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(()),
        _ => Err(invalid(name, "must be an http(s) URL with a host")),
    }
}

/// Every [`ENDPOINT_VARS`] variable as `get` returns it.
pub(super) fn endpoint_urls(get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
    for name in ENDPOINT_VARS {
        endpoint_url(name, get(name).as_deref())?;
    }
    Ok(())
}

/// Whether a key template's literal text leaves the prefix: a leading `/`, or a `.` / `..`
/// segment made of literal text only (placeholders are sanitised when rendered).
pub fn template_escapes(template: &str) -> bool {
    template.starts_with('/')
        || template
            .split('/')
            .any(|seg| matches!(seg.trim(), "." | ".."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_that_climb_out() {
        for (t, escapes) in [
            ("../{id}", true),
            ("/{id}", true),
            ("a/./{id}", true),
            ("{region}/../{id}", true),
            ("{region}/{id}", false),
            ("{region}/..{id}", false),
            ("a.b/{id}.{ext}", false),
        ] {
            assert_eq!(template_escapes(t), escapes, "{t}");
        }
    }

    #[test]
    fn endpoint_urls_parse_or_name_the_variable() {
        for (v, ok) in [
            (None, true),
            (Some(""), true),
            (Some("http://127.0.0.1:9000"), true),
            (Some("https://s3.example.com"), true),
            (Some("not a url"), false),
            (Some("ftp://x"), false),
            (Some("http://"), false),
            (Some("localhost:9000"), false),
        ] {
            let got = endpoint_url("AWS_ENDPOINT_URL", v);
            assert_eq!(got.is_ok(), ok, "{v:?}");
            if let Err(e) = got {
                assert!(e.to_string().starts_with("AWS_ENDPOINT_URL:"), "{e}");
            }
        }
        let e = endpoint_urls(|n| (n == "AWS_ENDPOINT_URL_S3").then(|| "junk".into())).unwrap_err();
        assert!(e.to_string().starts_with("AWS_ENDPOINT_URL_S3:"), "{e}");
    }
}

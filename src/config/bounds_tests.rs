//! Unit tests of issue 11's settings (bounds): the S3 time limits, the shutdown grace, and
//! the start-up checks on names, templates and output paths, each naming its variable.
use super::tests::settings;
use super::*;

#[test]
fn time_limits_default_and_nest() {
    let s = settings(&[]).unwrap();
    let t = s.s3.timeouts;
    assert_eq!(t.connect, crate::defaults::S3_CONNECT_TIMEOUT);
    assert_eq!(t.read, crate::defaults::S3_READ_TIMEOUT);
    assert!(t.connect <= t.attempt && t.read <= t.attempt && t.attempt <= t.call);
    assert_eq!(s.shutdown_grace, crate::defaults::SHUTDOWN_GRACE);
    // The chart's terminationGracePeriodSeconds (30) must stay above the default grace.
    assert!(s.shutdown_grace < Duration::from_secs(30));
    let s = settings(&["--s3-read-timeout", "5m", "--s3-attempt-timeout", "10m"]).unwrap();
    assert_eq!(s.s3.timeouts.read, Duration::from_secs(300));
}

#[test]
fn bad_bounds_and_names_name_their_variable() {
    let cases: &[(&[&str], &str)] = &[
        (&["--s3-connect-timeout", "1e30"], "S3_CONNECT_TIMEOUT"),
        (&["--s3-connect-timeout", "1h"], "S3_CONNECT_TIMEOUT"),
        (&["--s3-read-timeout", "0"], "S3_READ_TIMEOUT"),
        (&["--s3-read-timeout", "10m"], "S3_ATTEMPT_TIMEOUT"),
        (&["--s3-attempt-timeout", "2d"], "S3_ATTEMPT_TIMEOUT"),
        (&["--s3-call-deadline", "1m"], "S3_CALL_DEADLINE"),
        (&["--s3-call-deadline", "soon"], "S3_CALL_DEADLINE"),
        (&["--shutdown-grace", "1s"], "SHUTDOWN_GRACE"),
        (&["--shutdown-grace", "1h"], "SHUTDOWN_GRACE"),
        (&["--shutdown-grace", "1e30"], "SHUTDOWN_GRACE"),
        (&["--http-timeout", "1e30"], "CSS_HTTP_TIMEOUT"),
        (&["--key-template", "../{id}"], "S3_KEY_TEMPLATE"),
        (&["--key-template", "/{id}"], "S3_KEY_TEMPLATE"),
        (&["--prefix", "../up"], "S3_PREFIX"),
        (&["--storage-class", "cheap please"], "S3_STORAGE_CLASS"),
        (&["--regions", "us-east,a/b"], "CSS_REGIONS"),
        (&["--discovery-region", ""], "CSS_DISCOVERY_REGION"),
        (&["--report", "/nonexistent/dir/r.json"], "CSS_SYNC_REPORT"),
        (
            &["--metrics-file", "/nonexistent/dir/m"],
            "CSS_SYNC_METRICS_FILE",
        ),
        (&["--types", "a;b"], "CSS_TYPES"),
        (&["--filter", "(a==b"], "CSS_FILTER"),
    ];
    for (args, name) in cases {
        let err = settings(args).expect_err(name).to_string();
        assert!(err.starts_with(&format!("{name}:")), "{args:?}: {err}");
    }
}

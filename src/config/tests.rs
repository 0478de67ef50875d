//! Unit tests of argument validation: every bad value names its variable.
// Without feature `sim` there is no `demo` subcommand, so `let Command::Sync(a) = …` cannot fail.
#![cfg_attr(not(feature = "sim"), allow(irrefutable_let_patterns))]
use super::*;
use crate::cli::{Cli, Command};
use crate::s3::{LockMode, ObjectLock, RetainFor, Retention};
use clap::Parser;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-28T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

pub(super) fn settings(extra: &[&str]) -> Result<Settings, ConfigError> {
    let mut argv = vec![
        "css-sync",
        "sync",
        "--client-id",
        "id",
        "--client-secret",
        "s3cr3t",
        "--bucket",
        "lake",
    ];
    argv.extend_from_slice(extra);
    let cli = Cli::try_parse_from(argv).expect("args parse");
    match cli.command {
        Command::Sync(a) => Settings::from_args(&a, now()),
        #[allow(unreachable_patterns)]
        _ => unreachable!("sync parsed"),
    }
}

#[test]
fn durations_accept_plain_seconds_and_units() {
    assert_eq!(parse_duration("1").unwrap(), Duration::from_secs(1));
    assert_eq!(parse_duration("0.5").unwrap(), Duration::from_millis(500));
    assert_eq!(parse_duration("15s").unwrap(), Duration::from_secs(15));
    assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
    assert!(parse_duration("-1").is_err());
    assert!(parse_duration("soon").is_err());
}

#[test]
fn byte_sizes() {
    assert_eq!(parse_bytes("16MiB").unwrap(), 16 << 20);
    assert_eq!(parse_bytes("1GiB").unwrap(), 1 << 30);
    assert_eq!(parse_bytes("64KiB").unwrap(), 64 << 10);
    // Decimal units are powers of 1000: CSS_BATCH_MAX_BYTES=2GB stays within the 2 GB limit.
    assert_eq!(parse_bytes("64k").unwrap(), 64_000);
    assert_eq!(parse_bytes("64KB").unwrap(), 64_000);
    assert_eq!(parse_bytes("2GB").unwrap(), 2_000_000_000);
    assert_eq!(parse_bytes("500mb").unwrap(), 500_000_000);
    assert_eq!(parse_bytes("1.5GiB").unwrap(), 3 << 29);
    assert_eq!(parse_bytes("123").unwrap(), 123);
    assert!(parse_bytes("12 parsecs").is_err());
    assert!(parse_bytes("MiB").is_err());
    assert!(parse_bytes("99999999999999TiB").is_err());
}

#[test]
fn instants_absolute_and_relative() {
    assert_eq!(
        parse_instant("48h", now()).unwrap(),
        now() - chrono::Duration::hours(48)
    );
    assert_eq!(
        parse_instant("2026-11-01T00:00:00Z", now())
            .unwrap()
            .to_rfc3339(),
        "2026-11-01T00:00:00+00:00"
    );
    assert!(parse_instant("yesterday-ish", now()).is_err());
}

#[test]
fn defaults_validate() {
    let s = settings(&[]).unwrap();
    assert_eq!(s.run.poll_interval, Duration::from_secs(15));
    assert_eq!(s.s3.part_size, 16 << 20);
    assert_eq!(s.s3.zip_bytes_in_flight, 96 << 20); // issue 8 (overlap)
    assert!(s.run.batch_max_bytes < MAX_ZIP_BYTES);
    assert!(s.s3.sidecar);
    assert_eq!(s.css.client_secret.expose(), "s3cr3t");
    assert!(
        !format!("{s:?}").contains("s3cr3t"),
        "secret leaked in Debug"
    );
}

#[test]
fn bad_values_name_their_variable() {
    let cases: &[(&[&str], &str)] = &[
        (&["--poll-interval", "never"], "CSS_POLL_INTERVAL"),
        (&["--part-size", "1MiB"], "S3_PART_SIZE"),
        // issue 8 (overlap): below two parts, unparsable, absurd
        (
            &["--zip-bytes-in-flight", "31MiB"],
            "S3_ZIP_BYTES_IN_FLIGHT",
        ),
        (&["--zip-bytes-in-flight", "lots"], "S3_ZIP_BYTES_IN_FLIGHT"),
        (
            &["--zip-bytes-in-flight", "65GiB"],
            "S3_ZIP_BYTES_IN_FLIGHT",
        ),
        (&["--batch-max-bytes", "3GiB"], "CSS_BATCH_MAX_BYTES"),
        (&["--since", "1h", "--until", "2h"], "CSS_UNTIL"),
        (&["--sse", "rot13"], "S3_SSE"),
        (&["--key-template", "{type}/{nope}"], "S3_KEY_TEMPLATE"),
        (&["--checksum", "sometimes"], "S3_CHECKSUM"),
        (&["--api-base", "ftp://x"], "CSS_API_BASE"),
        (&["--page-size", "101"], "CSS_PAGE_SIZE"),
        (&["--jobs-per-region", "0"], "CSS_JOBS_PER_REGION"),
        // The S3 settings are validated here once; the S3 layer takes them as they are.
        (&["--part-size", "10GiB"], "S3_PART_SIZE"),
        (&["--poll-interval", "1e30"], "CSS_POLL_INTERVAL"),
        (&["--poll-interval", "2h"], "CSS_POLL_INTERVAL"),
        (&["--job-deadline", "1e30"], "CSS_JOB_DEADLINE"),
        (&["--job-deadline", "30d"], "CSS_JOB_DEADLINE"),
        (&["--part-size", "4.9MiB"], "S3_PART_SIZE"),
        (&["--part-concurrency", "0"], "S3_PART_CONCURRENCY"),
        (&["--key-template", "{type}"], "S3_KEY_TEMPLATE"),
        (&["--prefix", "a/../b"], "S3_PREFIX"),
        (&["--batch-max-bytes", "2.1GB"], "CSS_BATCH_MAX_BYTES"),
    ];
    for (args, name) in cases {
        let err = settings(args).expect_err(name).to_string();
        assert!(err.starts_with(name), "{args:?}: {err}");
    }
}

#[test]
// Without feature `sim` there is no `demo` subcommand: `sync` is the only one.
fn secret_file_is_read_and_trimmed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret");
    std::fs::write(&path, "from-file\n").unwrap();
    let cli = Cli::try_parse_from([
        "css-sync",
        "sync",
        "--client-id",
        "id",
        "--client-secret-file",
        path.to_str().unwrap(),
        "--bucket",
        "lake",
    ])
    .unwrap();
    let Command::Sync(a) = cli.command else {
        unreachable!()
    };
    let s = Settings::from_args(&a, now()).unwrap();
    assert_eq!(s.css.client_secret.expose(), "from-file");
}

#[test]
fn giant_durations_are_a_config_error_not_a_panic() {
    assert!(parse_duration("1e30").unwrap_err().contains("too long"));
    assert!(parse_duration("1e300").is_err());
    assert!(parse_duration("inf").is_err());
    assert!(parse_duration("NaN").is_err());
    let cases: &[(&str, &str, &str)] = &[
        ("--http-timeout", "1e30", "CSS_HTTP_TIMEOUT"),
        ("--http-timeout", "2h", "CSS_HTTP_TIMEOUT"),
        ("--http-timeout", "0", "CSS_HTTP_TIMEOUT"),
        ("--call-deadline", "1e30", "CSS_CALL_DEADLINE"),
        ("--call-deadline", "25h", "CSS_CALL_DEADLINE"),
        (
            "--call-deadline",
            "99999999999999999999999d",
            "CSS_CALL_DEADLINE",
        ),
        ("--call-deadline", "0s", "CSS_CALL_DEADLINE"),
        ("--call-deadline", "soon", "CSS_CALL_DEADLINE"),
        ("--poll-interval", "1e30", "CSS_POLL_INTERVAL"),
    ];
    for (flag, value, name) in cases {
        let err = settings(&[flag, value]).expect_err(name).to_string();
        assert!(err.starts_with(name), "{flag} {value}: {err}");
    }
    assert_eq!(
        settings(&["--call-deadline", "24h"])
            .unwrap()
            .css
            .retry
            .call_deadline,
        MAX_CALL_DEADLINE
    );
}

#[test]
fn css_defaults_are_the_library_defaults() {
    use crate::css::retry::{DEFAULT_CALL_DEADLINE, DEFAULT_HTTP_TIMEOUT, DEFAULT_MAX_ATTEMPTS};
    let s = settings(&[]).unwrap();
    // What users got before the defaults moved into css::retry.
    assert_eq!(s.css.http_timeout, Duration::from_secs(60));
    assert_eq!(s.css.retry.max_attempts, 6);
    assert_eq!(s.css.http_timeout, DEFAULT_HTTP_TIMEOUT);
    assert_eq!(s.css.retry.max_attempts, DEFAULT_MAX_ATTEMPTS);
    assert_eq!(s.css.retry.call_deadline, DEFAULT_CALL_DEADLINE);
    assert_eq!(s.css.retry, RetryPolicy::default());
    assert_eq!(s.css.page_size, PageSize::MAX);
    assert_eq!(s.css.api_base.as_str(), "https://api.8x8.com/");
    assert_eq!(s.run.discovery_region, crate::css::DEFAULT_DISCOVERY_REGION);
    let s = settings(&["--call-deadline", "90s", "--page-size", "7"]).unwrap();
    assert_eq!(s.css.retry.call_deadline, Duration::from_secs(90));
    assert_eq!(s.css.page_size.get(), 7);
}

#[test]
#[cfg_attr(not(feature = "sim"), allow(irrefutable_let_patterns))]
fn empty_credentials_are_refused_here_not_by_the_client() {
    let cli = Cli::try_parse_from([
        "css-sync",
        "sync",
        "--client-id",
        "id",
        "--client-secret",
        "",
        "--bucket",
        "lake",
    ])
    .unwrap();
    let Command::Sync(a) = cli.command else {
        unreachable!()
    };
    let err = Settings::from_args(&a, now()).unwrap_err().to_string();
    assert!(err.starts_with("CSS_CLIENT_SECRET"), "{err}");
    let cli = Cli::try_parse_from([
        "css-sync",
        "sync",
        "--client-id",
        " ",
        "--client-secret",
        "s",
        "--bucket",
        "lake",
    ])
    .unwrap();
    let Command::Sync(a) = cli.command else {
        unreachable!()
    };
    let err = Settings::from_args(&a, now()).unwrap_err().to_string();
    assert!(err.starts_with("CSS_CLIENT_ID"), "{err}");
}

#[test]
fn id_list_is_read_and_refused_with_a_search_filter() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ids.txt");
    std::fs::write(&path, "# backfill\nb\na\n\nb\n").unwrap();
    let p = path.to_str().unwrap();
    let s = settings(&["--ids", p]).unwrap();
    let list = s.run.ids.as_ref().expect("id list");
    assert_eq!(list.ids(), ["b", "a"]);
    assert_eq!(list.duplicates, 1);
    assert_eq!(list.source.to_string(), p);
    assert_eq!(
        s.run.lookup_concurrency,
        crate::defaults::LOOKUP_CONCURRENCY
    );
    assert!(settings(&[]).unwrap().run.ids.is_none());

    // Refused together with the type/time filters, every one named.
    let err = settings(&["--ids", p, "--since", "48h", "--types", "voicemail"])
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("CSS_IDS_FILE"), "{err}");
    assert!(err.contains("CSS_TYPES, CSS_SINCE"), "{err}");
    for extra in [["--until", "1h"], ["--filter", "duration=gt=1"]] {
        let err = settings(&[&["--ids", p][..], &extra[..]].concat())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("CSS_IDS_FILE: cannot be combined"), "{err}");
    }
    // Even a bad --since is reported as the combination, not as a bad time.
    let err = settings(&["--ids", p, "--since", "whenever"]).unwrap_err();
    assert!(err.to_string().contains("CSS_SINCE"), "{err}");
    assert!(err.to_string().starts_with("CSS_IDS_FILE"), "{err}");

    // Bad input names CSS_IDS_FILE.
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, "ok\nnot/an/id\n").unwrap();
    let missing = dir.path().join("missing.txt");
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "# nothing yet\n").unwrap();
    let binary = dir.path().join("binary.txt");
    std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x61]).unwrap();
    for (file, needle) in [
        (&bad, "line 2"),
        (&missing, "reading"),
        (&empty, "no ids"),
        (&binary, "reading"),
    ] {
        let err = settings(&["--ids", file.to_str().unwrap()])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("CSS_IDS_FILE") && err.contains(needle),
            "{err}"
        );
    }
    let err = settings(&["--ids", p, "--lookup-concurrency", "0"])
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("CSS_LOOKUP_CONCURRENCY"), "{err}");
}

#[test]
fn object_lock_values_are_validated_and_name_their_variable() {
    let mut cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--object-lock-mode=GOVERNANCE".into()],
            "S3_OBJECT_LOCK_RETAIN",
        ),
        (
            vec!["--object-lock-retain=7y".into()],
            "S3_OBJECT_LOCK_MODE",
        ),
        (
            vec!["--object-lock-mode=strict".into()],
            "S3_OBJECT_LOCK_MODE",
        ),
        (
            vec![
                "--object-lock-mode=strict".into(),
                "--object-lock-retain=7y".into(),
            ],
            "S3_OBJECT_LOCK_MODE",
        ),
        // An empty retain (e.g. an unset Helm value) is unset: the mode then lacks it.
        (
            vec![
                "--object-lock-mode=GOVERNANCE".into(),
                "--object-lock-retain=".into(),
            ],
            "S3_OBJECT_LOCK_RETAIN",
        ),
    ];
    for bad in [
        "0d", "0y", "-1d", "101y", "36526d", "1.5y", "7w", "36h", "forever", "7", "d",
    ] {
        cases.push((
            vec![
                "--object-lock-mode=COMPLIANCE".into(),
                format!("--object-lock-retain={bad}"),
            ],
            "S3_OBJECT_LOCK_RETAIN",
        ));
    }
    for (args, name) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let err = settings(&args).expect_err(name).to_string();
        assert!(err.starts_with(name), "{args:?}: {err}");
    }
    let cli = Cli::try_parse_from(["css-sync", "sync", "--object-lock-legal-hold", "maybe"]);
    assert!(cli.is_err(), "a legal hold is true or false");
}

#[test]
fn object_lock_settings() {
    let none = settings(&[]).unwrap().s3.object_lock;
    assert_eq!(none, ObjectLock::default());
    assert!(!none.is_configured());
    let s = settings(&[
        "--object-lock-mode",
        "compliance",
        "--object-lock-retain",
        "7y",
        "--object-lock-legal-hold",
    ])
    .unwrap();
    assert_eq!(
        s.s3.object_lock,
        ObjectLock {
            retention: Some(Retention {
                mode: LockMode::Compliance,
                retain_for: RetainFor::Years(7),
            }),
            legal_hold: true,
        }
    );
    let hold = settings(&["--object-lock-legal-hold", "true"]).unwrap();
    assert!(hold.s3.object_lock.legal_hold && hold.s3.object_lock.retention.is_none());
    let off = settings(&[
        "--object-lock-legal-hold",
        "false",
        "--object-lock-mode",
        "",
        "--object-lock-retain",
        " ",
    ])
    .unwrap();
    assert!(!off.s3.object_lock.is_configured());
    let days = settings(&[
        "--object-lock-mode",
        "GOVERNANCE",
        "--object-lock-retain",
        "2555d",
    ])
    .unwrap();
    assert_eq!(
        days.s3.object_lock.retention.map(|r| r.retain_for),
        Some(RetainFor::Days(2555))
    );
}

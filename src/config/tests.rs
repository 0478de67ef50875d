//! Unit tests of argument validation: every bad value names its variable.
use super::*;
use crate::cli::{Cli, Command};
use clap::Parser;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-28T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn settings(extra: &[&str]) -> Result<Settings, ConfigError> {
    let mut argv = vec![
        "css-sync",
        "sync",
        "--client-id",
        "id",
        "--client-secret",
        "s3cr3t",
        "--bucket",
        "b",
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
    assert_eq!(parse_bytes("64k").unwrap(), 64 << 10);
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
        (&["--batch-max-bytes", "3GiB"], "CSS_BATCH_MAX_BYTES"),
        (&["--since", "1h", "--until", "2h"], "CSS_UNTIL"),
        (&["--sse", "rot13"], "S3_SSE"),
        (&["--key-template", "{type}/{nope}"], "S3_KEY_TEMPLATE"),
        (&["--checksum", "sometimes"], "S3_CHECKSUM"),
        (&["--api-base", "ftp://x"], "CSS_API_BASE"),
        (&["--page-size", "101"], "CSS_PAGE_SIZE"),
        (&["--jobs-per-region", "0"], "CSS_JOBS_PER_REGION"),
    ];
    for (args, name) in cases {
        let err = settings(args).expect_err(name).to_string();
        assert!(err.starts_with(name), "{args:?}: {err}");
    }
}

#[test]
// Without feature `sim` there is no `demo` subcommand: `sync` is the only one.
#[cfg_attr(not(feature = "sim"), allow(irrefutable_let_patterns))]
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
        "b",
    ])
    .unwrap();
    let Command::Sync(a) = cli.command else {
        unreachable!()
    };
    let s = Settings::from_args(&a, now()).unwrap();
    assert_eq!(s.css.client_secret.expose(), "from-file");
}

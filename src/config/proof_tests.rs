//! Validation of the issue-11 proof settings (`S3_VERIFY`, `S3_CONDITIONAL_WRITES`,
//! `S3_ABORT_UPLOADS_OLDER_THAN`): defaults, values, and bad values naming their variable.
#![cfg_attr(not(feature = "sim"), allow(irrefutable_let_patterns))]
use super::*;
use crate::cli::{Cli, Command};
use crate::s3::{ConditionalWrites, VerifyMode};
use clap::Parser;

fn settings(extra: &[&str]) -> Result<Settings, ConfigError> {
    let mut argv = vec![
        "css-sync",
        "sync",
        "--client-id",
        "id",
        "--client-secret",
        "x",
        "--bucket",
        "lake",
    ];
    argv.extend_from_slice(extra);
    let cli = Cli::try_parse_from(argv).expect("args parse");
    match cli.command {
        Command::Sync(a) => Settings::from_args(&a, Utc::now()),
        #[allow(unreachable_patterns)]
        _ => unreachable!("sync parsed"),
    }
}

#[test]
fn proof_settings_default_and_parse() {
    let s = settings(&[]).unwrap().s3;
    assert_eq!(s.verify, VerifyMode::Auto);
    assert_eq!(s.conditional_writes, ConditionalWrites::Auto);
    assert_eq!(
        s.abort_uploads_older_than,
        Some(Duration::from_secs(86_400))
    );
    let s = settings(&[
        "--verify",
        "read-back",
        "--conditional-writes",
        "off",
        "--abort-uploads-older-than",
        "off",
    ])
    .unwrap()
    .s3;
    assert_eq!(s.verify, VerifyMode::ReadBack);
    assert_eq!(s.conditional_writes, ConditionalWrites::Off);
    assert_eq!(s.abort_uploads_older_than, None);
}

#[test]
fn bad_proof_settings_name_their_variable() {
    let cases: &[(&[&str], &str)] = &[
        (&["--verify", "md5"], "S3_VERIFY"),
        (&["--verify", "etag", "--sse", "aws:kms"], "S3_VERIFY"),
        (&["--conditional-writes", "maybe"], "S3_CONDITIONAL_WRITES"),
        (
            &["--abort-uploads-older-than", "1e30"],
            "S3_ABORT_UPLOADS_OLDER_THAN",
        ),
        (
            &["--abort-uploads-older-than", "soon"],
            "S3_ABORT_UPLOADS_OLDER_THAN",
        ),
    ];
    for (args, name) in cases {
        let err = settings(args).expect_err(name).to_string();
        assert!(err.starts_with(name), "{args:?}: {err}");
    }
    assert!(settings(&["--verify", "etag", "--sse", "AES256"]).is_ok());
    // Short ages are allowed (a single worker per prefix, tests), with a warning under 1h.
    let short = settings(&["--abort-uploads-older-than", "10m"]).unwrap();
    assert_eq!(
        short.s3.abort_uploads_older_than,
        Some(std::time::Duration::from_secs(600))
    );
}

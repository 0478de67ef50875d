//! The binary's contract with operators: documented exit codes, errors that name the variable
//! to fix, and secrets that never reach the output.

use crate::support::procs::{spawn_sim, words};
use crate::support::s3::{S3Kind, S3Server};
use std::process::Command;

fn css_sync(args: &[&str], envs: &[(&str, &str)]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_css-sync"))
        .args(args)
        .envs(envs.iter().copied())
        .env_remove("CSS_CLIENT_SECRET")
        .output()
        .expect("run css-sync");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn help_documents_exit_codes_and_environment() {
    let (code, text) = css_sync(&["sync", "--help"], &[]);
    assert_eq!(code, 0);
    for needle in [
        "Exit codes:",
        "130",
        "CSS_POLL_INTERVAL",
        "CSS_CLIENT_SECRET_FILE",
        "S3_BUCKET",
        "S3_FORCE_PATH_STYLE",
        "CSS_SINCE",
    ] {
        assert!(text.contains(needle), "--help lacks {needle}");
    }
}

#[test]
fn bad_configuration_exits_2_naming_the_variable() {
    let base = ["sync", "--client-id", "x", "--client-secret", "y"];
    let (code, text) = css_sync(&base, &[]);
    assert_eq!(
        (code, text.contains("S3_BUCKET is required")),
        (2, true),
        "{text}"
    );
    let (code, text) = css_sync(
        &[&base[..], &["--bucket", "lake", "--since", "last tuesday"]].concat(),
        &[],
    );
    assert_eq!((code, text.contains("CSS_SINCE")), (2, true), "{text}");
    let (code, _) = css_sync(&["sync", "--no-such-flag"], &[]);
    assert_eq!(code, 2, "usage errors are exit 2");
}

#[tokio::test(flavor = "multi_thread")]
async fn rejected_credentials_and_missing_bucket_exit_3_without_leaking_secrets() {
    let sim = spawn_sim(&words("--objects 3 --prep-base-ms 0"));
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket("lake").await;
    let env = [
        ("AWS_ENDPOINT_URL", s3.endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", s3.access_key.as_str()),
        ("AWS_SECRET_ACCESS_KEY", s3.secret_key.as_str()),
        ("AWS_REGION", "us-east-1"),
    ];
    let args = [
        "sync",
        "--api-base",
        &sim.url,
        "--client-id",
        "demo-client",
        "--force-path-style",
    ];
    let (code, text) = css_sync(
        &[
            &args[..],
            &["--client-secret", "wrong-SECRET-value", "--bucket", "lake"],
        ]
        .concat(),
        &env,
    );
    assert_eq!(code, 3, "{text}");
    assert!(text.contains("CSS_CLIENT_SECRET"), "{text}");
    assert!(
        !text.contains("wrong-SECRET-value"),
        "secret leaked: {text}"
    );
    let (code, text) = css_sync(
        &[
            &args[..],
            &[
                "--client-secret",
                "demo-secret",
                "--bucket",
                "no-such-bucket",
            ],
        ]
        .concat(),
        &env,
    );
    assert_eq!(code, 3, "{text}");
    assert!(text.contains("no-such-bucket"), "{text}");
    assert!(!text.contains(&s3.secret_key), "S3 secret leaked: {text}");
}

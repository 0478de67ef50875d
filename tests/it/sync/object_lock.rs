//! Object Lock against moto, which enforces it: a sync into a bucket created with Object Lock
//! enabled leaves every object and sidecar with the configured retention (mode, retain-until
//! about a day after its upload) and a legal hold, so deleting a version is refused; a bucket
//! without Object Lock stops the run at start (exit 3, nothing written). moto 5.1.18 does not
//! apply Object Lock headers sent on `CreateMultipartUpload`, so every object here is below
//! the part size (one `PutObject`); the multipart request's headers are checked in
//! `src/s3/lock_tests.rs`. It does not implement `GetObjectRetention` either (HeadObject's
//! `x-amz-object-lock-*` headers are read instead); `GetObjectLegalHold` it has.

use super::check::{assert_bucket_matches, available};
use crate::support::procs::{run_sync, sim_catalog, sim_requests, spawn_sim, words};
use crate::support::s3::{S3Kind, S3Server};
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types::{ObjectLockLegalHoldStatus, ObjectLockMode};
use chrono::{DateTime, Utc};

const LOCK: [&str; 6] = [
    "--object-lock-mode",
    "GOVERNANCE",
    "--object-lock-retain",
    "1d",
    "--object-lock-legal-hold",
    "true",
];

fn sim() -> crate::support::procs::Proc {
    spawn_sim(&words(
        "--seed 5 --objects 12 --max-object-size 300KB --prep-base-ms 0 --prep-rate 0",
    ))
}

fn instant(d: &aws_sdk_s3::primitives::DateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(d.secs(), d.subsec_nanos()).expect("a date")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_object_and_sidecar_is_locked_and_held() {
    let sim = sim();
    let s3 = S3Server::start(S3Kind::Moto);
    s3.create_locked_bucket("vault").await;
    let expected = available(&sim_catalog(&sim).await);
    assert!(expected.len() >= 8, "catalog too small: {}", expected.len());

    let before = Utc::now();
    let run = run_sync(&sim, &s3, "vault", &LOCK).await;
    let after = Utc::now();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.total("exported"), expected.len() as u64);
    let keys = assert_bucket_matches(&s3, "vault", &expected).await;

    let client = s3.client();
    let listed = client
        .list_objects_v2()
        .bucket("vault")
        .send()
        .await
        .expect("list");
    let all: Vec<String> = listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect();
    // Objects and sidecars, plus the run's metadata index files and its report: every one of
    // them is locked.
    let lake = all.iter().filter(|k| !super::check::is_own_file(k)).count();
    assert_eq!(lake, 2 * keys.len(), "objects and sidecars: {all:?}");
    assert!(all.len() > lake, "the index files are checked too: {all:?}");
    let day = chrono::Duration::days(1);
    // Computed when each upload began (rounded up to a second): within the run, shifted a day.
    let second = chrono::Duration::seconds(1);
    for key in &all {
        // moto 5.1.18 answers GetObjectRetention with the object itself: the retention is
        // read from HeadObject's x-amz-object-lock-mode and -retain-until-date instead.
        let head = client
            .head_object()
            .bucket("vault")
            .key(key)
            .send()
            .await
            .expect("head");
        assert_eq!(
            head.object_lock_mode(),
            Some(&ObjectLockMode::Governance),
            "{key}"
        );
        let until = instant(head.object_lock_retain_until_date().expect("retain-until"));
        assert!(
            until >= before + day && until <= after + day + second,
            "{key}: retain-until {until} is not a day after the upload ({before} .. {after})"
        );
        assert_eq!(
            head.object_lock_legal_hold_status(),
            Some(&ObjectLockLegalHoldStatus::On),
            "{key}"
        );
        let hold = client
            .get_object_legal_hold()
            .bucket("vault")
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{key}: GetObjectLegalHold: {e:?}"));
        assert_eq!(
            hold.legal_hold().and_then(|h| h.status()),
            Some(&ObjectLockLegalHoldStatus::On),
            "{key}"
        );
    }

    // Deleting a stored version is refused, with or without a governance bypass (the legal
    // hold stands either way).
    let key = keys.keys().next().expect("an object");
    let version = client
        .head_object()
        .bucket("vault")
        .key(key)
        .send()
        .await
        .expect("head")
        .version_id()
        .expect("a versioned bucket")
        .to_string();
    for bypass in [false, true] {
        let deleted = client
            .delete_object()
            .bucket("vault")
            .key(key)
            .version_id(&version)
            .bypass_governance_retention(bypass)
            .send()
            .await;
        let err = deleted.expect_err("a locked, held version was deleted");
        assert_eq!(err.code(), Some("AccessDenied"), "bypass {bypass}: {err:?}");
    }

    // Object Lock changes nothing about the idempotency check: the re-run uploads nothing.
    let again = run_sync(&sim, &s3, "vault", &LOCK).await;
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.total("already_present"), expected.len() as u64);
    assert_eq!(again.total("exported"), 0);
    assert_eq!(assert_bucket_matches(&s3, "vault", &expected).await, keys);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bucket_without_object_lock_stops_the_run_before_anything_is_written() {
    let sim = sim();
    let s3 = S3Server::start(S3Kind::Moto);
    s3.create_bucket("plain").await;
    let hold_only = ["--object-lock-legal-hold", "true"];
    for flags in [&LOCK[..], &hold_only[..]] {
        let run = run_sync(&sim, &s3, "plain", flags).await;
        assert_eq!(run.code, 3, "{flags:?}: {}", run.stderr);
        assert!(
            run.stderr
                .contains("bucket \"plain\" does not have S3 Object Lock enabled")
                && run.stderr.contains("--object-lock-enabled-for-bucket"),
            "{flags:?}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains(&s3.secret_key), "S3 secret leaked");
    }
    let listed = s3
        .client()
        .list_objects_v2()
        .bucket("plain")
        .send()
        .await
        .expect("list");
    assert_eq!(listed.key_count(), Some(0), "nothing was written");
    assert_eq!(s3.open_multipart_uploads("plain").await, 0);
    let requests = sim_requests(&sim).await;
    assert!(
        !requests
            .iter()
            .any(|r| r["path"].as_str().unwrap_or("").contains("/bulk/")),
        "no bulk job was started: {requests:?}"
    );
}

#[test]
fn half_a_retention_is_a_configuration_error() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_css-sync"))
        .args([
            "sync",
            "--client-id",
            "x",
            "--client-secret",
            "y",
            "--bucket",
            "lake",
        ])
        .args(["--object-lock-mode", "COMPLIANCE"])
        .output()
        .expect("run css-sync");
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("S3_OBJECT_LOCK_RETAIN"), "{text}");
}

#[test]
fn help_documents_the_object_lock_settings() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_css-sync"))
        .args(["sync", "--help"])
        .output()
        .expect("run css-sync");
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "S3_OBJECT_LOCK_MODE",
        "S3_OBJECT_LOCK_RETAIN",
        "S3_OBJECT_LOCK_LEGAL_HOLD",
        "COMPLIANCE",
        "7y",
    ] {
        assert!(text.contains(needle), "--help lacks {needle}");
    }
}

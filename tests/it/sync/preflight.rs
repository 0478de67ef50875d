//! `css-sync check` end to end against css-sim and real S3 servers (s3s-fs, SeaweedFS): every
//! step ✓ → exit 0 and nothing left under the prefix (no object, no open multipart upload);
//! a wrong CSS secret → ✗ CSS token with the fix, regions skipped, exit 3; a missing bucket
//! → ✗ S3 bucket naming S3_BUCKET, the write probes skipped; no AWS credentials → ✗ saying
//! so; Object Lock asked of a bucket without it (moto) → ✗ Object Lock, the probes still
//! pass and leave nothing; on a bucket with Object Lock all pass and the probe's version is
//! deleted (no version, no delete marker under `_css-sync/check/`). Asserted on the ✓/✗ lines and the JSON report's steps.

use super::plan::run_cmd;
use crate::support::procs::{self, spawn_sim};
use crate::support::s3::{read_back, S3Kind, S3Server};
use serde_json::Value;
use std::collections::BTreeMap;

const BUCKET: &str = "plan";

/// step → status, from the JSON report.
fn statuses(report: &Value) -> BTreeMap<String, String> {
    report["steps"]
        .as_array()
        .unwrap_or_else(|| panic!("steps in {report}"))
        .iter()
        .map(|s| {
            (
                s["step"].as_str().unwrap().to_string(),
                s["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn expect(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn check_passes_and_leaves_nothing_behind() {
    let sim = spawn_sim(&["--objects", "3"]);
    for kind in [S3Kind::S3sFs, S3Kind::Seaweed] {
        let s3 = S3Server::start_async(kind).await;
        s3.create_bucket(BUCKET).await;
        let (code, report, stderr) =
            run_cmd("check", &sim, &s3, &s3.endpoint, &["--prefix", "lake/x"]).await;
        assert_eq!(code, 0, "{kind:?}: {stderr}");
        assert_eq!(
            statuses(&report),
            expect(&[
                ("css_token", "passed"),
                ("css_regions", "passed"),
                ("s3_credentials", "passed"),
                ("s3_bucket", "passed"),
                ("probe_write", "passed"),
                ("multipart", "passed"),
                ("conditional_writes", "passed"),
                ("object_lock", "skipped"),
            ]),
            "{kind:?}: {stderr}"
        );
        assert!(stderr.contains("✓ S3 write + delete"), "{stderr}");
        assert!(stderr.contains("lake/x/_css-sync/check/"), "{stderr}");
        assert!(stderr.contains("check passed"), "{stderr}");
        if kind == S3Kind::Seaweed {
            assert!(stderr.contains("If-None-Match: * honoured"), "{stderr}");
        }
        let left = read_back(&s3.client(), BUCKET).await;
        assert!(left.is_empty(), "{kind:?} left {:?}", left.keys());
        assert_eq!(s3.open_multipart_uploads(BUCKET).await, 0, "{kind:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn check_names_the_fix_and_skips_what_depends_on_a_failure() {
    let sim = spawn_sim(&["--objects", "3"]);
    let s3 = S3Server::start(S3Kind::S3sFs);
    // Wrong CSS secret, no bucket.
    let (code, report, stderr) = {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("check.json");
        let out = procs::command("check", &sim, &s3, "no-such-bucket")
            .env("CSS_CLIENT_SECRET", "wrong-secret")
            .arg("--report")
            .arg(&path)
            .output()
            .await
            .unwrap();
        let report: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        (
            out.status.code(),
            report,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(code, Some(3), "{stderr}");
    assert_eq!(
        statuses(&report),
        expect(&[
            ("css_token", "failed"),
            ("css_regions", "skipped"),
            ("s3_credentials", "passed"),
            ("s3_bucket", "failed"),
            ("probe_write", "skipped"),
            ("multipart", "skipped"),
            ("conditional_writes", "skipped"),
            ("object_lock", "skipped"),
        ]),
        "{stderr}"
    );
    assert!(stderr.contains("✗ CSS token"), "{stderr}");
    assert!(
        stderr.contains("fix: check CSS_CLIENT_ID and CSS_CLIENT_SECRET"),
        "{stderr}"
    );
    assert!(
        stderr.contains("- CSS regions         skipped: needs CSS token first"),
        "{stderr}"
    );
    assert!(stderr.contains("✗ S3 bucket"), "{stderr}");
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert!(
        stderr.contains("fix: create the bucket, or fix S3_BUCKET"),
        "{stderr}"
    );
    assert!(!stderr.contains("wrong-secret"), "{stderr}");

    // No AWS credentials at all.
    let out = procs::command("check", &sim, &s3, BUCKET)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("✓ CSS token"), "{stderr}");
    assert!(stderr.contains("✗ AWS credentials"), "{stderr}");
    assert!(stderr.contains("no AWS credentials"), "{stderr}");
    assert!(stderr.contains("fix: set AWS_ACCESS_KEY_ID"), "{stderr}");
    assert!(
        stderr.contains("- S3 bucket           skipped: needs AWS credentials first"),
        "{stderr}"
    );
    assert!(!stderr.contains("unreachable"), "{stderr}");

    // A configured region the account does not have: ✗ regions naming CSS_REGIONS.
    let (code, report, stderr) = run_cmd(
        "check",
        &sim,
        &s3,
        &s3.endpoint,
        &["--regions", "us-east,nowhere"],
    )
    .await;
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(statuses(&report)["css_regions"], "failed", "{stderr}");
    assert!(
        stderr.contains("✗ CSS regions         region nowhere answers"),
        "{stderr}"
    );
    assert!(stderr.contains("fix: check CSS_REGIONS"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn check_names_the_css_url_it_cannot_reach() {
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket(BUCKET).await;
    let dead = procs::dead_css("/base");
    let (code, report, stderr) =
        run_cmd("check", &dead, &s3, &s3.endpoint, &["--max-attempts", "1"]).await;
    assert_eq!(code, 3, "{stderr}");
    let url = format!("{}/oauth/v2/token", dead.url);
    assert!(
        stderr.contains(&format!(
            "✗ CSS token           OAuth client-credentials token from {url}"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("network error reaching {url}")),
        "{stderr}"
    );
    assert!(stderr.contains("fix: check CSS_API_BASE"), "{stderr}");
    // The S3 side is independent of CSS: it still runs and passes.
    assert_eq!(statuses(&report)["probe_write"], "passed", "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn check_says_when_object_lock_is_asked_of_a_bucket_without_it() {
    let sim = spawn_sim(&["--objects", "3"]);
    let s3 = S3Server::start(S3Kind::Moto);
    s3.create_bucket(BUCKET).await;
    let lock = [
        "--object-lock-mode",
        "GOVERNANCE",
        "--object-lock-retain",
        "1d",
    ];
    let (code, report, stderr) = run_cmd("check", &sim, &s3, &s3.endpoint, &lock).await;
    assert_eq!(code, 3, "{stderr}");
    let s = statuses(&report);
    assert_eq!(s["object_lock"], "failed", "{stderr}");
    for step in [
        "s3_bucket",
        "probe_write",
        "multipart",
        "conditional_writes",
    ] {
        assert_eq!(s[step], "passed", "{step}: {stderr}");
    }
    assert!(
        stderr.contains("does not have S3 Object Lock enabled"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "fix: write to a bucket with Object Lock enabled, or unset S3_OBJECT_LOCK_MODE"
        ),
        "{stderr}"
    );
    // The probes carried no Object Lock values: nothing is left behind.
    assert!(read_back(&s3.client(), BUCKET).await.is_empty());
    assert_eq!(s3.open_multipart_uploads(BUCKET).await, 0);

    // A bucket with Object Lock (so versioned): every step passes, and the probe's version
    // itself is deleted, not only hidden by a delete marker.
    let locked = S3Server::start(S3Kind::Moto);
    locked.create_locked_bucket(BUCKET).await;
    let (code, report, stderr) = run_cmd("check", &sim, &locked, &locked.endpoint, &lock).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(statuses(&report)["object_lock"], "passed", "{stderr}");
    assert!(stderr.contains(": written, deleted, gone"), "{stderr}");
    let versions = locked
        .client()
        .list_object_versions()
        .bucket(BUCKET)
        .prefix("_css-sync/check/")
        .send()
        .await
        .unwrap();
    assert!(
        versions.versions().is_empty() && versions.delete_markers().is_empty(),
        "{versions:?}"
    );
}

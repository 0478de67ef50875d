//! The worker's defences against a misbehaving CSS: every transient fault css-sim can inject
//! at once (429 with Retry-After, 500/503, connection resets mid-zip, truncated zips, entries
//! with the wrong bytes, PARTIAL_DONE, FAILED, CANCELLED, duplicate entries, hostile names)
//! must end with every object in S3 byte for byte and nothing bad left behind; a poison
//! object is isolated and reported; a stuck job is abandoned at its deadline; SIGTERM aborts
//! uploads in flight.

use super::check::{assert_bucket_holds, assert_bucket_matches, available};
use crate::support::procs::{
    run_sync, signal, sim_catalog, sim_requests, sim_requests_to, spawn_sim, sync_command, words,
    Proc,
};
use crate::support::s3::{read_back, S3Kind, S3Server};
use serde_json::Value;
use std::time::Duration;

async fn faults_fired(sim: &Proc) -> Value {
    reqwest::get(format!("{}/_sim/faults", sim.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_transient_fault_at_once_still_lands_every_object_intact() {
    // Faults hit the catalog and bulk endpoints, five in a row at most: a run whose token or
    // region discovery fails six times in a row rightly gives up with exit code 3.
    let sim = spawn_sim(&words(concat!(
        "--seed 5 --objects 48 --max-object-size 400KB --prep-base-ms 0 --prep-rate 0",
        " --retry-after 1 --hostile-names 3 --fault-scope objects,start,status,download",
        " --fault-429-count 2 --fault-500-count 1 --fault-503-count 2 --fault-reset-count 2",
        " --fault-truncate-count 1 --fault-corrupt-count 2 --fault-partial-count 1",
        " --fault-failed-count 1 --fault-cancel-count 1 --fault-duplicate-count 1",
    )));
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket("lake").await;
    let catalog = sim_catalog(&sim).await;
    let expected = available(&catalog);
    assert!(
        expected
            .iter()
            .any(|o| o["objectName"].as_str().unwrap().contains("..")),
        "hostile names present"
    );

    let run = run_sync(
        &sim,
        &s3,
        "lake",
        &["--batch-max-objects", "6", "--object-attempts", "6"],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.total("exported"), expected.len() as u64);
    assert_bucket_matches(&s3, "lake", &expected).await;

    let fired = faults_fired(&sim).await;
    for fault in [
        "429",
        "500",
        "503",
        "reset",
        "truncate",
        "corrupt",
        "partial",
        "failed",
        "cancel",
        "duplicate",
    ] {
        assert!(
            fired[fault].as_u64().unwrap_or(0) > 0,
            "fault {fault} never fired: {fired}"
        );
    }
    let statuses: Vec<u64> = sim_requests(&sim)
        .await
        .iter()
        .filter_map(|r| r["status"].as_u64())
        .collect();
    assert!(statuses.contains(&429) && statuses.contains(&503));
    assert!(
        run.metric_sum("css_sync_zip_entries_rejected_total") >= 2.0,
        "{}",
        run.metrics
    );
    assert!(
        run.metric_sum("css_sync_css_retries_total") >= 3.0,
        "{}",
        run.metrics
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_poison_object_is_isolated_and_reported_while_the_rest_lands() {
    let sim = spawn_sim(&words("--seed 9 --objects 30 --max-object-size 200KB --prep-base-ms 0 --prep-rate 0 --fault-poison-count 1"));
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket("lake").await;
    let catalog = sim_catalog(&sim).await;
    let poison: Vec<&Value> = catalog.iter().filter(|o| o["poison"] == true).collect();
    assert_eq!(poison.len(), 1);
    let poison_id = poison[0]["id"].as_str().unwrap();
    let healthy: Vec<Value> = available(&catalog)
        .into_iter()
        .filter(|o| o["id"] != poison_id)
        .collect();

    let run = run_sync(
        &sim,
        &s3,
        "lake",
        &["--batch-max-objects", "8", "--object-attempts", "2"],
    )
    .await;
    assert_eq!(run.code, 1, "some objects failed → exit 1\n{}", run.stderr);
    let failed = run.report["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["id"], poison_id);
    assert_eq!(failed[0]["stage"], "job");
    assert_eq!(run.total("exported"), healthy.len() as u64);
    assert_bucket_matches(&s3, "lake", &healthy).await;
    assert!(
        run.stderr.contains(poison_id),
        "the human report names the failed object"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stuck_job_is_cancelled_at_its_deadline_and_retried() {
    let sim = spawn_sim(&words("--seed 3 --objects 10 --max-object-size 100KB --prep-base-ms 0 --prep-rate 0 --fault-stuck-count 1"));
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket("lake").await;
    let expected = available(&sim_catalog(&sim).await);
    let run = run_sync(&sim, &s3, "lake", &["--job-deadline", "2s"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_bucket_matches(&s3, "lake", &expected).await;
    let cancels = sim_requests_to(&sim, "/bulk/download/cancel/").await;
    assert_eq!(cancels, 1, "the stuck job was cancelled");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_aborts_multipart_uploads_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("c.json");
    std::fs::write(&catalog, serde_json::json!([{
        "id": "f0000000-0000-4000-8000-000000000001", "region": "us-east", "type": "callrecording",
        "objectName": "slow.mp3", "storedBytes": 60_000_000, "createdTime": "2026-11-20T10:00:00"
    }]).to_string()).unwrap();
    let sim = spawn_sim(&[
        "--catalog",
        catalog.to_str().unwrap(),
        "--prep-base-ms",
        "0",
        "--prep-rate",
        "0",
        "--bandwidth",
        "6MB",
        "--regions",
        "us-east",
    ]);
    let s3 = S3Server::start(S3Kind::Moto);
    s3.create_bucket("lake").await;
    let mut child = sync_command(&sim, &s3, "lake")
        .args(["--poll-interval", "0.1", "--part-size", "5MiB"])
        .spawn()
        .unwrap();
    // Wait until at least one part has gone up, then stop the run.
    let client = s3.client();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let open = client
            .list_multipart_uploads()
            .bucket("lake")
            .send()
            .await
            .unwrap();
        if !open.uploads().is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no multipart upload started"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    signal(&child, "-TERM");
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("exits promptly")
        .unwrap();
    assert_eq!(status.code(), Some(130));
    assert_eq!(
        s3.open_multipart_uploads("lake").await,
        0,
        "the upload in flight was aborted"
    );
    let stored = read_back(&client, "lake").await;
    assert!(
        stored
            .keys()
            .all(|k| k.starts_with(super::check::REPORTS_ROOT)),
        "nothing half-written is visible, only the run report: {:?}",
        stored.keys()
    );
}

/// Regression: `pageKey` is an offset, and retention deletes the oldest objects while a sync
/// pages. Listing oldest-first would shift records past page boundaries and miss them for
/// good; newest-first must find every object that still exists, and an object deleted after
/// it was listed must end reported failed (never exported with the wrong bytes or skipped
/// silently).
#[tokio::test(flavor = "multi_thread")]
async fn retention_while_paging_skips_no_object_that_still_exists() {
    let sim = spawn_sim(&words(concat!(
        "--seed 13 --objects 60 --regions us-east --unavailable-share 0 --max-object-size 50KB",
        " --prep-base-ms 0 --prep-rate 0 --retention-per-page 2",
    )));
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket("lake").await;
    let run = run_sync(
        &sim,
        &s3,
        "lake",
        &[
            "--page-size",
            "10",
            "--batch-max-objects",
            "5",
            "--object-attempts",
            "2",
        ],
    )
    .await;
    let catalog = sim_catalog(&sim).await;
    let still_there = available(&catalog);
    let deleted: Vec<Value> = catalog
        .iter()
        .filter(|o| o["objectState"] == "DELETED")
        .cloned()
        .collect();
    assert!(
        deleted.len() >= 10,
        "retention ran on every page: {}",
        deleted.len()
    );
    assert_bucket_holds(&s3, "lake", &still_there, &deleted).await;
    let failed = run.report["failed"].as_array().unwrap();
    for f in failed {
        let o = catalog.iter().find(|o| o["id"] == f["id"]).unwrap();
        assert_eq!(
            o["objectState"], "DELETED",
            "only deleted objects may fail: {f}"
        );
    }
    assert_eq!(
        run.code,
        if failed.is_empty() { 0 } else { 1 },
        "{}",
        run.stderr
    );
    assert_eq!(run.report["unaccounted"], 0);
}

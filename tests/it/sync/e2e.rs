//! The full sync against each S3 implementation (s3s-fs, moto and SeaweedFS): entries of 0 bytes, just
//! below / at / above the part size and over 100 MB, names with colons, `+`, spaces and
//! non-ASCII, two regions and several types, a repeated objectName and a REVOKED object.
//! Every AVAILABLE object must land exactly once with the catalog's bytes; the re-run must
//! start no bulk job, upload nothing and exit 0.

use super::check::{assert_bucket_matches, available};
use crate::support::procs::{run_sync, sim_catalog, sim_requests, spawn_sim};
use crate::support::s3::{S3Kind, S3Server};
use serde_json::{json, Value};

const PART: u64 = 5 * 1024 * 1024;

fn record(id: &str, region: &str, ty: &str, name: &str, size: u64) -> Value {
    let mime = match ty {
        "transcription" => "application/json",
        "screenrecording" => "video/mp4",
        _ => "audio/mpeg",
    };
    json!({
        "id": id, "region": region, "type": ty, "mimeType": mime, "objectName": name,
        "storedBytes": size, "createdTime": "2026-11-20T10:15:00", "objectState": "AVAILABLE",
        "tags": [{"key": "callId", "value": format!("call-{id}")}, {"key": "direction", "value": "INBOUND"}]
    })
}

fn edge_catalog() -> Vec<Value> {
    let cr = "callrecording";
    let mut v = vec![
        record("e0000000-0000-4000-8000-000000000000", "us-east", cr, "ipbx:acme:callrecording:users:117209:1667337742543-1666686434952-117209-+16695555518_E.mp3", 0),
        record("e0000000-0000-4000-8000-000000000001", "us-east", cr, "one byte.mp3", 1),
        record("e0000000-0000-4000-8000-000000000002", "us-east", "callcenterrecording", "int-1819420cbe2-sHtEB-phone-00-acme01.mp3", PART - 1),
        record("e0000000-0000-4000-8000-000000000003", "us-east", "callcenterrecording", "Müller Aufnahme – ü.mp3", PART),
        record("e0000000-0000-4000-8000-000000000004", "uk", "screenrecording", "int-1845ea47cdb-phone-00-acme01.mp4", PART + 1),
        record("e0000000-0000-4000-8000-000000000005", "uk", "voicemail", "ipbx:acme:voicemail:users:1000:+441632960000 left a message.mp3", 3 * PART + 123),
        record("e0000000-0000-4000-8000-000000000006", "uk", "transcription", "int-183b3b3c9e1-7ippeG-phone-00-acme01-q9.json", 4321),
        record("e0000000-0000-4000-8000-000000000007", "us-east", "callcenterrecording", "int-large-phone-00-acme01.mp3", 105_000_000),
        // The same objectName twice in one region: the batcher must keep them apart.
        record("e0000000-0000-4000-8000-000000000008", "uk", cr, "same-name.mp3", 1000),
        record("e0000000-0000-4000-8000-000000000009", "uk", cr, "same-name.mp3", 2000),
    ];
    let mut revoked = record(
        "e0000000-0000-4000-8000-00000000000a",
        "uk",
        cr,
        "revoked.mp3",
        10,
    );
    revoked["objectState"] = json!("REVOKED");
    v.push(revoked);
    v
}

async fn full_sync_then_noop_rerun(kind: S3Kind) {
    let dir = tempfile::tempdir().unwrap();
    let catalog_path = dir.path().join("catalog.json");
    std::fs::write(&catalog_path, serde_json::to_vec(&edge_catalog()).unwrap()).unwrap();
    let sim = spawn_sim(&[
        "--catalog",
        catalog_path.to_str().unwrap(),
        "--prep-base-ms",
        "0",
        "--prep-rate",
        "0",
    ]);
    let s3 = S3Server::start_async(kind).await;
    s3.create_bucket("lake").await;
    let expected = available(&sim_catalog(&sim).await);
    assert_eq!(expected.len(), 10, "the REVOKED object is not selected");

    let run = run_sync(
        &sim,
        &s3,
        "lake",
        &["--part-size", "5MiB", "--batch-max-objects", "4"],
    )
    .await;
    assert_eq!(run.code, 0, "first run failed:\n{}", run.stderr);
    let keys = assert_bucket_matches(&s3, "lake", &expected).await;
    assert!(
        keys.keys()
            .any(|k| k.starts_with("region=uk/type=voicemail/date=2026-11-20/")),
        "{keys:?}"
    );
    assert_eq!(run.total("found"), 10);
    assert_eq!(run.total("exported"), 10);
    assert_eq!(run.total("failed"), 0);
    let bytes: u64 = expected
        .iter()
        .map(|o| o["storedBytes"].as_u64().unwrap())
        .sum();
    assert_eq!(run.total("bytes_exported"), bytes);
    assert_eq!(
        run.metric_sum("css_sync_objects_exported_total"),
        10.0,
        "{}",
        run.metrics
    );
    assert_eq!(
        run.metric_sum("css_sync_exported_bytes_total"),
        bytes as f64
    );
    assert!(
        run.metric_sum("css_sync_downloaded_bytes_total") >= bytes as f64,
        "every exported byte came through a download body"
    );
    assert!(
        run.metric_sum("css_sync_bulk_jobs_started_total") >= 3.0,
        "4 objects per job at most"
    );

    let before = sim_requests(&sim).await.len();
    let again = run_sync(
        &sim,
        &s3,
        "lake",
        &["--part-size", "5MiB", "--batch-max-objects", "4"],
    )
    .await;
    assert_eq!(again.code, 0, "re-run failed:\n{}", again.stderr);
    assert_eq!(again.total("already_present"), 10);
    assert_eq!(again.total("exported"), 0);
    let rerun_requests = &sim_requests(&sim).await[before..];
    assert!(
        !rerun_requests
            .iter()
            .any(|r| r["path"].as_str().unwrap_or("").contains("/bulk/")),
        "the re-run must not touch bulk downloads: {rerun_requests:?}"
    );
    assert_eq!(
        assert_bucket_matches(&s3, "lake", &expected).await,
        keys,
        "re-run changed the bucket"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn s3s_fs_full_sync_then_noop_rerun() {
    full_sync_then_noop_rerun(S3Kind::S3sFs).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn moto_full_sync_then_noop_rerun() {
    full_sync_then_noop_rerun(S3Kind::Moto).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn seaweedfs_full_sync_then_noop_rerun() {
    full_sync_then_noop_rerun(S3Kind::Seaweed).await;
}

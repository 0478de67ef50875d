//! issue 8 (overlap): the entries of one zip overlap on their way to S3 within
//! `S3_ZIP_BYTES_IN_FLIGHT`. The real binary and css-sim, SeaweedFS behind the fault proxy
//! adding latency to every object write; the proxy's request log shows the writes of
//! different entries overlapping in time and never more at once than the budget allows; the
//! bucket, read directly, holds every object intact; a SIGTERM mid-zip leaves no multipart
//! upload open and counts only objects that are in the bucket intact.

use super::bounds::assert_books;
use super::check::{assert_bucket_matches, available, is_own_file};
use crate::support::fault_proxy::{Entry, Fault, FaultProxy, Op, Rule};
use crate::support::procs::{command_at, run_sync_at, signal, sim_catalog, spawn_sim, Proc};
use crate::support::s3::{read_back, S3Kind, S3Server};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const BUCKET: &str = "lake";
const MIB: u64 = 1 << 20;
/// One zip stream at a time, so the budget bound is the bound of the whole run.
const ONE_STREAM: &[&str] = &[
    "--part-size",
    "5MiB",
    "--batch-max-objects",
    "500",
    "--downloads-per-region",
    "1",
];

fn catalog(sizes: &[u64]) -> Vec<Value> {
    sizes
        .iter()
        .enumerate()
        .map(|(i, size)| {
            json!({
                "id": format!("0e000000-0000-4000-8000-{i:012}"), "region": "us-east",
                "type": "callrecording", "mimeType": "audio/mpeg",
                "objectName": format!("overlap-{i}.mp3"), "storedBytes": size,
                "createdTime": "2026-11-20T10:15:00", "objectState": "AVAILABLE",
            })
        })
        .collect()
}

async fn sim(sizes: &[u64]) -> (Proc, Vec<Value>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.json");
    std::fs::write(&path, serde_json::to_vec(&catalog(sizes)).unwrap()).unwrap();
    let sim = spawn_sim(&[
        "--catalog",
        path.to_str().unwrap(),
        "--prep-base-ms",
        "0",
        "--prep-rate",
        "0",
        "--regions",
        "us-east",
    ]);
    let expected = available(&sim_catalog(&sim).await);
    assert_eq!(expected.len(), sizes.len());
    (sim, expected, dir)
}

/// The key of an object write, without the bucket; `None` for css-sync's own files.
fn object_key(e: &Entry) -> Option<&str> {
    let key = e.path.trim_start_matches('/').strip_prefix("lake/")?;
    (!is_own_file(key)).then_some(key)
}

/// Most requests of `ops` (to object or sidecar keys) open at one instant, and most distinct
/// objects (a sidecar counts as its object) with one open.
fn most_at_once(log: &[Entry], ops: &[Op]) -> (usize, usize) {
    let writes: Vec<(&Entry, String)> = log
        .iter()
        .filter(|e| ops.contains(&e.op))
        .filter_map(|e| {
            let key = object_key(e)?;
            Some((e, key.trim_end_matches(".metadata.json").to_string()))
        })
        .collect();
    let (mut requests, mut objects) = (0, 0);
    for (e, _) in &writes {
        let t = e.during.start;
        let open: Vec<&String> = writes
            .iter()
            .filter(|(o, _)| o.during.start <= t && t < o.during.end)
            .map(|(_, k)| k)
            .collect();
        requests = requests.max(open.len());
        let distinct: std::collections::BTreeSet<&String> = open.into_iter().collect();
        objects = objects.max(distinct.len());
    }
    (requests, objects)
}

#[tokio::test(flavor = "multi_thread")]
async fn entries_of_one_zip_overlap_within_the_byte_budget() {
    // 40 entries of 150 KB in one zip; each is charged 1 MiB, so a 10 MiB budget allows at
    // most 10 gates (each with one write at a time: the object, then its sidecar).
    let sizes = vec![150_000; 40];
    let (sim, expected, _dir) = sim(&sizes).await;
    let s3 = S3Server::start_async(S3Kind::Seaweed).await;
    s3.create_bucket(BUCKET).await;
    let latency = Rule::new(
        Fault::Latency(Duration::from_millis(60)),
        1.0,
        &[Op::PutObject],
    );
    let proxy = FaultProxy::start(&s3.endpoint, 81, vec![latency]).await;
    let mut flags = ONE_STREAM.to_vec();
    flags.extend(["--zip-bytes-in-flight", "10MiB"]);
    let limit = Duration::from_secs(150);
    let run = run_sync_at(&sim, &s3, &proxy.url, BUCKET, &flags, &[], limit).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_books(&run.report);
    assert_eq!(run.total("exported"), 40, "{}", run.report);
    assert_eq!(run.total("failed"), 0);
    // Read directly (not through the proxy): every object once, intact, with its sidecar.
    assert_bucket_matches(&s3, BUCKET, &expected).await;
    assert_eq!(s3.open_multipart_uploads(BUCKET).await, 0);
    let log = proxy.log();
    let (requests, objects) = most_at_once(&log, &[Op::PutObject]);
    eprintln!("object and sidecar PUTs at once: {requests} ({objects} objects)");
    assert!(
        objects > 1,
        "the PUTs of different entries of one zip overlap in time"
    );
    assert!(
        requests <= 10 && objects <= 10,
        "never more at once than 10 MiB / 1 MiB per entry: {requests} requests, {objects} objects"
    );
    // Each object written exactly once (and its sidecar once).
    let puts = log
        .iter()
        .filter(|e| e.op == Op::PutObject && e.status == Some(200))
        .filter(|e| object_key(e).is_some())
        .count();
    assert_eq!(puts, 80, "40 objects + 40 sidecars");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_mid_zip_with_overlapped_uploads_leaves_no_upload_open() {
    // Multipart entries (3 parts of 5 MiB) and small ones in one zip, slow part writes:
    // with 30 MiB, two multipart uploads (15 MiB each) are open at once.
    let mut sizes = vec![11 * MIB; 8];
    sizes.extend([90_000; 12]);
    let (sim, expected, _dir) = sim(&sizes).await;
    let s3 = S3Server::start_async(S3Kind::Seaweed).await;
    s3.create_bucket(BUCKET).await;
    let slow = Rule::new(
        Fault::Latency(Duration::from_millis(400)),
        1.0,
        &[Op::UploadPart, Op::PutObject, Op::CompleteMultipartUpload],
    );
    let proxy = FaultProxy::start(&s3.endpoint, 82, vec![slow]).await;
    let dir = tempfile::tempdir().unwrap();
    let report_path = dir.path().join("report.json");
    let mut child = command_at("sync", &sim, &s3, &proxy.url, BUCKET)
        .args(ONE_STREAM)
        .args(["--poll-interval", "0.05"])
        .args(["--zip-bytes-in-flight", "30MiB", "--shutdown-grace", "20s"])
        .arg("--report")
        .arg(&report_path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Signal while two multipart uploads are open together (parts of two keys on the wire).
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let log = proxy.log();
        let (_, objects) = most_at_once(&log, &[Op::UploadPart]);
        // A sidecar written: its object was proven and counts.
        let sidecars = log
            .iter()
            .filter(|e| e.op == Op::PutObject && e.status == Some(200))
            .filter(|e| e.path.ends_with(".metadata.json"))
            .count();
        if objects >= 2 && sidecars >= 1 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no two multipart uploads overlapped"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    signal(&child, "-TERM");
    let status = tokio::time::timeout(Duration::from_secs(40), child.wait())
        .await
        .expect("exits within the grace")
        .unwrap();
    assert_eq!(status.code(), Some(130));
    let report: Value = serde_json::from_slice(&std::fs::read(&report_path).unwrap()).unwrap();
    assert_eq!(report["interrupted"], true);
    assert_books(&report);
    assert_eq!(report["aborts_unconfirmed"], 0, "{report}");
    assert_eq!(
        s3.open_multipart_uploads(BUCKET).await,
        0,
        "every overlapped multipart upload was completed or aborted"
    );
    // Everything counted is in the bucket intact; nothing in the bucket is corrupt.
    let exported = report["totals"]["exported"].as_u64().unwrap();
    let stored = read_back(&s3.client(), BUCKET).await;
    let mut intact = 0;
    for (key, obj) in &stored {
        if key.ends_with(".metadata.json") || is_own_file(key) {
            continue;
        }
        let rec = expected
            .iter()
            .find(|r| {
                Some(r["id"].as_str().unwrap())
                    == obj.metadata.get("css-object-id").map(String::as_str)
            })
            .expect("a stored object is a catalog object");
        assert_eq!(obj.md5, rec["md5"].as_str().unwrap(), "{key} intact");
        intact += 1;
    }
    eprintln!("SIGTERM mid-zip: exported {exported}, intact in S3 {intact}");
    assert!(exported >= 1, "the proven objects are counted: {report}");
    assert!(exported <= intact, "counted {exported}, intact {intact}");
    assert!(exported < sizes.len() as u64, "the run was cut short");
}

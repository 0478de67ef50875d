//! `css-sync audit` end to end against css-sim and s3s-fs (through the fault proxy, for its
//! request log): after a sync the lake is clean (exit 0, every object matched, no extra);
//! then one object is deleted, one overwritten with other bytes of the same size (its
//! metadata kept), and two foreign objects are added — one without metadata, one with
//! css-sync's `css-*` metadata inside the window. The whole-lake audit finds exactly the
//! missing one, the mismatched one (md5) and the two extras, exits 1 and sends S3 no write;
//! an audit with a time window counts only the extra whose metadata is inside it.

use super::plan::run_cmd;
use crate::support::fault_proxy::FaultProxy;
use crate::support::procs::{run_sync_at, spawn_sim};
use crate::support::s3::{read_back, S3Kind, S3Server};
use aws_sdk_s3::primitives::ByteStream;
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::Duration;

const BUCKET: &str = "plan";

fn keys_of(report: &Value, list: &str) -> BTreeSet<String> {
    report[list]
        .as_array()
        .unwrap_or_else(|| panic!("{list} in {report}"))
        .iter()
        .map(|f| f["key"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_finds_exactly_what_was_tampered_with() {
    let sim = spawn_sim(&[
        "--objects",
        "30",
        "--seed",
        "11",
        "--max-object-size",
        "1MB",
        "--prep-base-ms",
        "0",
    ]);
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket(BUCKET).await;
    let proxy = FaultProxy::start(&s3.endpoint, 1, vec![]).await;
    let sync = run_sync_at(
        &sim,
        &s3,
        &proxy.url,
        BUCKET,
        &[],
        &[],
        Duration::from_secs(300),
    )
    .await;
    assert_eq!(sync.code, 0, "{}", sync.stderr);
    let exported = sync.total("exported");

    let (code, clean, stderr) = run_cmd("audit", &sim, &s3, &proxy.url, &[]).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(clean["extras_scope"], "whole-lake");
    assert_eq!(clean["totals"]["expected"], exported, "{clean}");
    assert_eq!(clean["totals"]["matched"], exported, "{clean}");
    assert_eq!(clean["totals"]["missing"], 0);
    assert_eq!(clean["totals"]["mismatched"], 0);
    assert_eq!(clean["extra_count"], 0, "{clean}");

    // Objects (not sidecars, not the index) with their css-* metadata.
    let lake = read_back(&s3.client(), BUCKET).await;
    let objects: Vec<(&String, _)> = lake
        .iter()
        .filter(|(k, _)| !k.ends_with(".metadata.json") && !crate::sync::check::is_own_file(k))
        .collect();
    assert_eq!(objects.len() as u64, exported);
    let (gone, _) = objects[0];
    let (bad, bad_stored) = objects[1];
    let c = s3.client();
    c.delete_object()
        .bucket(BUCKET)
        .key(gone)
        .send()
        .await
        .unwrap();
    let mut bytes = c
        .get_object()
        .bucket(BUCKET)
        .key(bad)
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes()
        .to_vec();
    bytes[0] ^= 0xff;
    c.put_object()
        .bucket(BUCKET)
        .key(bad)
        .set_metadata(Some(bad_stored.metadata.clone().into_iter().collect()))
        .body(ByteStream::from(bytes))
        .send()
        .await
        .unwrap();
    let stray = "region=us-east/type=callrecording/date=2026-01-01/stray.mp3";
    c.put_object()
        .bucket(BUCKET)
        .key(stray)
        .body(ByteStream::from_static(b"not from css"))
        .send()
        .await
        .unwrap();
    let region = bad_stored.metadata["css-region"].clone();
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let lookalike = format!("region={region}/type=callrecording/date=x/lookalike.mp3");
    c.put_object()
        .bucket(BUCKET)
        .key(&lookalike)
        .metadata("css-region", &region)
        .metadata("css-type", "callrecording")
        .metadata("css-created-time", &yesterday)
        .body(ByteStream::from_static(b"looks like ours"))
        .send()
        .await
        .unwrap();

    let before = proxy.log().len();
    let (code, found, stderr) = run_cmd("audit", &sim, &s3, &proxy.url, &[]).await;
    assert_eq!(code, 1, "{stderr}");
    let set = |ks: &[&str]| ks.iter().map(|k| k.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(keys_of(&found, "missing"), set(&[gone]), "{found}");
    assert_eq!(keys_of(&found, "mismatched"), set(&[bad]), "{found}");
    // An MD5 ETag against an MD5 catalog checksum decides from the listing ("md5"); a
    // part-checksum record is decided by the sidecar's recorded ETag ("etag").
    let m = &found["mismatched"][0];
    match m["what"].as_str() {
        Some("md5") => assert_eq!(m["expected"], bad_stored.metadata["css-md5"].as_str()),
        Some("etag") => assert_ne!(m["expected"], m["found"]),
        other => panic!("mismatch {other:?}: {found}"),
    }
    assert_eq!(
        found["mismatched"][0]["id"],
        bad_stored.metadata["css-object-id"].as_str()
    );
    assert_eq!(
        keys_of(&found, "extra"),
        set(&[stray, &lookalike]),
        "{found}"
    );
    assert_eq!(found["totals"]["matched"], exported - 2);
    assert!(
        stderr.contains(&format!(
            "MISSING {} {gone}",
            found["missing"][0]["id"].as_str().unwrap()
        )),
        "{stderr}"
    );
    let writes: Vec<String> = proxy.log()[before..]
        .iter()
        .filter(|e| e.method != "GET" && e.method != "HEAD")
        .map(|e| e.line())
        .collect();
    assert!(writes.is_empty(), "audit sent S3 writes: {writes:?}");

    // A window: only the extra whose css-* metadata lies inside it counts.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.json");
    let (code, windowed, stderr) = run_cmd(
        "audit",
        &sim,
        &s3,
        &proxy.url,
        &["--since", "400d", "--audit-report", path.to_str().unwrap()],
    )
    .await;
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(windowed, Value::Null, "--audit-report wins over --report");
    let windowed: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(windowed["extras_scope"], "selection");
    assert_eq!(
        keys_of(&windowed, "extra"),
        set(&[&lookalike]),
        "{windowed}"
    );
    assert_eq!(keys_of(&windowed, "missing"), set(&[gone]));
}

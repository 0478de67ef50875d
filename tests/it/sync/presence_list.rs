//! Issue 10 (presence): a no-op re-run learns presence from directory listings, at most one
//! S3 request per 100 objects (counted in the request log of the proxy in front of SeaweedFS; s3s-fs lists no ETags, so
//! there every object falls back to its HEAD),
//! and still catches an object overwritten with other bytes (same size, css-md5 kept), one
//! overwritten with another size, and a deleted sidecar: those are re-exported (resp.
//! repaired), checked on the bytes in the bucket.

use crate::support::fault_proxy::{Entry, FaultProxy, Op};
use crate::support::procs::{run_sync_at, sim_catalog, spawn_catalog_sim, SyncRun};
use crate::support::s3::{read_back, S3Kind, S3Server};
use aws_sdk_s3::primitives::ByteStream;
use serde_json::{json, Value};
use std::time::Duration;

const BUCKET: &str = "presence";
const N: usize = 500;
const LIMIT: Duration = Duration::from_secs(300);

/// `N` small objects of one type and day: one directory of keys under the default template.
fn catalog() -> Vec<Value> {
    (0..N)
        .map(|i| {
            json!({
                "id": format!("ab000000-0000-4000-8000-{i:012}"), "region": "us-east",
                "type": "callrecording", "mimeType": "audio/mpeg",
                "objectName": format!("p-{i}.mp3"), "storedBytes": 1000 + i,
                "createdTime": format!("2026-11-20T10:{:02}:{:02}", i / 60 % 60, i % 60),
                "objectState": "AVAILABLE"
            })
        })
        .collect()
}

/// Presence-type requests (HEAD, GET, listings of objects) in `log`.
fn presence_requests(log: &[Entry]) -> Vec<String> {
    log.iter()
        .filter(|e| matches!(e.op, Op::HeadObject | Op::GetObject | Op::ListObjects))
        .map(Entry::line)
        .collect()
}

async fn run(sim: &crate::support::procs::Proc, s3: &S3Server, proxy: &FaultProxy) -> SyncRun {
    let flags = ["--index", "false", "--batch-max-objects", "100"];
    let run = run_sync_at(sim, s3, &proxy.url, BUCKET, &flags, &[], LIMIT).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    run
}

#[tokio::test(flavor = "multi_thread")]
async fn a_no_op_rerun_lists_instead_of_heading_and_still_catches_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let sim = spawn_catalog_sim(
        dir.path(),
        &Value::from(catalog()),
        &["--regions", "us-east"],
    );
    let records = sim_catalog(&sim).await;
    let s3 = S3Server::start_async(S3Kind::Seaweed).await; // s3s-fs lists no ETags
    s3.create_bucket(BUCKET).await;
    let proxy = FaultProxy::start(&s3.endpoint, 7, vec![]).await;

    let first = run(&sim, &s3, &proxy).await;
    assert_eq!(first.total("exported"), N as u64, "{}", first.report);

    // The no-op re-run: everything present, ≤ N/100 presence requests.
    let before = proxy.log().len();
    let second = run(&sim, &s3, &proxy).await;
    let log = proxy.log()[before..].to_vec();
    assert_eq!(second.total("exported"), 0, "{}", second.report);
    assert_eq!(
        second.total("already_present"),
        N as u64,
        "{}",
        second.report
    );
    let asked = presence_requests(&log);
    assert!(
        asked.len() <= N / 100,
        "{} presence requests for {N} objects:\n{}",
        asked.len(),
        asked.join("\n")
    );
    assert!(asked.iter().any(|l| l.contains("list-type=2")), "{asked:?}");
    assert_eq!(
        second.metric_sum("css_sync_presence_requests_total"),
        asked.len() as f64,
        "{}",
        second.metrics
    );

    // Tamper: other bytes of the same size (css-md5 kept), another size, a deleted sidecar.
    let lake = read_back(&s3.client(), BUCKET).await;
    let objects: Vec<(&String, _)> = lake
        .iter()
        .filter(|(k, _)| !k.ends_with(".metadata.json") && !k.starts_with("_css-sync/"))
        .collect();
    assert_eq!(objects.len(), N);
    let c = s3.client();
    let (same_size, stored) = objects[3];
    c.put_object()
        .bucket(BUCKET)
        .key(same_size.as_str())
        .set_metadata(Some(stored.metadata.clone().into_iter().collect()))
        .body(ByteStream::from(vec![b'x'; stored.size as usize]))
        .send()
        .await
        .unwrap();
    let (other_size, _) = objects[7];
    c.put_object()
        .bucket(BUCKET)
        .key(other_size.as_str())
        .body(ByteStream::from_static(b"shorter"))
        .send()
        .await
        .unwrap();
    let (no_sidecar, _) = objects[11];
    c.delete_object()
        .bucket(BUCKET)
        .key(format!("{no_sidecar}.metadata.json"))
        .send()
        .await
        .unwrap();

    let before = proxy.log().len();
    let third = run(&sim, &s3, &proxy).await;
    let log = proxy.log()[before..].to_vec();
    assert_eq!(third.total("exported"), 2, "{}", third.report);
    assert_eq!(
        third.total("already_present"),
        N as u64 - 2,
        "{}",
        third.report
    );
    assert_eq!(third.metric_sum("css_sync_sidecars_repaired_total"), 1.0);
    assert_eq!(
        third.metric_sum("css_sync_presence_refused_total"),
        2.0,
        "{}",
        third.metrics
    );
    // Only the tampered objects were HEADed (the one whose listed ETag proves nothing, and
    // the re-exported ones), besides the directory's first object (object + sidecar: `auto`
    // lists from a directory's second object on); the others were settled by the listing.
    let file = |k: &str| k.rsplit('/').next().unwrap().to_string();
    let touched = [file(same_size), file(other_size), file(no_sidecar)];
    let heads: Vec<&Entry> = log.iter().filter(|e| e.op == Op::HeadObject).collect();
    let others: Vec<String> = heads
        .iter()
        .filter(|e| !touched.iter().any(|f| e.path.contains(f.as_str())))
        .map(|e| e.line())
        .collect();
    assert!(heads.len() > others.len(), "the tampered object was HEADed");
    assert!(others.len() <= 2, "{others:?}");

    // Every object's bytes are the catalog's again, and every sidecar is there.
    let lake = read_back(&s3.client(), BUCKET).await;
    for rec in records.iter() {
        let id = rec["id"].as_str().unwrap();
        let (key, got) = lake
            .iter()
            .find(|(k, _)| k.ends_with(&format!("/{id}.mp3")))
            .unwrap_or_else(|| panic!("{id} not in the bucket"));
        assert_eq!(got.md5, rec["checksum"].as_str().unwrap(), "{key}");
        assert_eq!(got.size, rec["storedBytes"].as_u64().unwrap(), "{key}");
        assert!(lake.contains_key(&format!("{key}.metadata.json")), "{key}");
    }
}

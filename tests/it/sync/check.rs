//! The one assertion every sync test makes: the bucket holds exactly the expected objects,
//! each once, with the catalog's bytes (MD5 of the stored object), the documented metadata
//! and a sidecar with the full record — and nothing else, and no multipart upload left open.
//! The metadata index (under [`INDEX_ROOT`], the default) is left to `index.rs`; the run
//! reports (under [`REPORTS_ROOT`]) must each be a well-formed summary or JSON Lines file
//! (their content is `lake_report.rs`'s business), and nothing else may be under `_css-sync/`.

use crate::support::s3::{read_back, S3Server};
use serde_json::Value;
use std::collections::BTreeMap;

/// Where the metadata index lives with the tests' settings (no S3 prefix, default index prefix).
pub const INDEX_ROOT: &str = "_index/";
/// Where the run reports live with the tests' settings (issue 7, lakereport).
pub const REPORTS_ROOT: &str = "_css-sync/reports/";

/// Keys css-sync writes for itself beside the objects: the index and the run reports.
pub fn is_own_file(key: &str) -> bool {
    key.starts_with(INDEX_ROOT) || key.starts_with("_css-sync/")
}

/// A key under `_css-sync/` must be a run report: `<run-id>.json` (a summary naming its
/// run) or `<run-id>[-<seq>].jsonl` (JSON lines, each a settled object).
fn assert_report_file(key: &str, body: Option<&[u8]>) {
    // issue 10 (wire): or a checkpoint, `_css-sync/state/v1/<region>/<scope>.json`.
    if key.starts_with("_css-sync/state/v1/") && key.ends_with(".json") {
        let body = body.unwrap_or_else(|| panic!("{key}: body not read"));
        let cp: Value = serde_json::from_slice(body).expect("checkpoint JSON");
        assert_eq!(cp["format"], "css-sync/checkpoint", "{key}: {cp}");
        return;
    }
    let name = key
        .strip_prefix(REPORTS_ROOT)
        .unwrap_or_else(|| panic!("unexpected key under _css-sync/: {key}"));
    let body = body.unwrap_or_else(|| panic!("{key}: body not read"));
    if let Some(run_id) = name.strip_suffix(".json") {
        let summary: Value = serde_json::from_slice(body).expect("summary JSON");
        assert_eq!(summary["run_id"], run_id, "{key}");
        assert!(summary["exit_code"].is_u64(), "{key}: {summary}");
        assert!(summary["objects"]["lines"].is_u64(), "{key}: {summary}");
    } else if name.ends_with(".jsonl") {
        for line in String::from_utf8_lossy(body).lines() {
            let line: Value = serde_json::from_str(line).expect("report line JSON");
            assert!(
                ["exported", "present", "failed", "not_available"] // issue 10 (css)
                    .contains(&line["outcome"].as_str().unwrap_or("")),
                "{key}: {line}"
            );
        }
    } else {
        panic!("unexpected key under {REPORTS_ROOT}: {key}");
    }
}

/// AVAILABLE objects of the sim catalog (what a sync with no filter must export).
pub fn available(catalog: &[Value]) -> Vec<Value> {
    catalog
        .iter()
        .filter(|o| o["objectState"] == "AVAILABLE")
        .cloned()
        .collect()
}

/// Asserts the bucket holds exactly `expected` (sim catalog records); returns key → id.
pub async fn assert_bucket_matches(
    s3: &S3Server,
    bucket: &str,
    expected: &[Value],
) -> BTreeMap<String, String> {
    assert_bucket_holds(s3, bucket, expected, &[]).await
}

/// Asserts the bucket holds every object of `expected`, possibly some of `allowed` too, and
/// nothing else — each intact, once, with metadata and sidecar; returns key → id.
pub async fn assert_bucket_holds(
    s3: &S3Server,
    bucket: &str,
    expected: &[Value],
    allowed: &[Value],
) -> BTreeMap<String, String> {
    let stored = read_back(&s3.client(), bucket).await;
    let known: BTreeMap<&str, &Value> = expected
        .iter()
        .chain(allowed)
        .map(|o| (o["id"].as_str().expect("id"), o))
        .collect();
    let want: BTreeMap<&str, &Value> = expected
        .iter()
        .map(|o| (o["id"].as_str().expect("id"), o))
        .collect();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut sidecars = 0;
    for (key, obj) in &stored {
        if key.starts_with(INDEX_ROOT) {
            continue;
        }
        if key.starts_with("_css-sync/") {
            assert_report_file(key, obj.body.as_deref());
            continue;
        }
        if let Some(object_key) = key.strip_suffix(".metadata.json") {
            sidecars += 1;
            assert!(
                stored.contains_key(object_key),
                "sidecar {key} without its object"
            );
            let record: Value = serde_json::from_slice(obj.body.as_deref().expect("sidecar body"))
                .expect("sidecar JSON");
            let id = record["id"].as_str().expect("sidecar id");
            let rec = known
                .get(id)
                .unwrap_or_else(|| panic!("sidecar {key} for unexpected id {id}"));
            assert_eq!(
                record["objectName"], rec["objectName"],
                "sidecar record of {id}"
            );
            assert_eq!(
                record["tags"], rec["tags"],
                "sidecar keeps the tags of {id}"
            );
            assert_eq!(record["checksum"], rec["checksum"]);
            continue;
        }
        assert!(
            !key.starts_with('/') && !key.split('/').any(|s| s == ".." || s.is_empty()),
            "unsafe key {key:?}"
        );
        let id = obj
            .metadata
            .get("css-object-id")
            .unwrap_or_else(|| panic!("{key}: no css-object-id metadata: {:?}", obj.metadata));
        let rec = known
            .get(id.as_str())
            .unwrap_or_else(|| panic!("{key}: object {id} was not expected"));
        assert!(
            seen.insert(id.clone(), key.clone()).is_none(),
            "object {id} stored twice"
        );
        assert!(key.contains(id.as_str()), "key {key} is unique per id");
        assert_eq!(
            obj.size,
            rec["storedBytes"].as_u64().expect("storedBytes"),
            "{key}: size"
        );
        assert_eq!(
            obj.md5,
            rec["md5"].as_str().expect("md5"),
            "{key}: bytes differ from the catalog"
        );
        for (meta, field) in [
            ("css-md5", "checksum"),
            ("css-region", "region"),
            ("css-type", "type"),
            ("css-created-time", "createdTime"),
        ] {
            assert_eq!(
                obj.metadata.get(meta).map(String::as_str),
                rec[field].as_str(),
                "{key}: {meta}"
            );
        }
        assert_eq!(
            obj.content_type.as_deref(),
            rec["mimeType"].as_str(),
            "{key}: Content-Type"
        );
    }
    let missing: Vec<&&str> = want.keys().filter(|id| !seen.contains_key(**id)).collect();
    assert!(missing.is_empty(), "objects not in the bucket: {missing:?}");
    assert_eq!(sidecars, seen.len(), "one sidecar per object");
    assert_eq!(
        s3.open_multipart_uploads(bucket).await,
        0,
        "multipart uploads left open"
    );
    seen.into_iter().map(|(id, key)| (key, id)).collect()
}

//! `css-sync purge` end to end against css-sim and s3s-fs: sync a catalog of mixed ages, then
//! tamper with the lake (one object deleted, one overwritten by a single PUT with other bytes
//! of the same size and the right `css-md5`, one replaced by a multipart upload of other
//! bytes, one replaced by a multipart upload of the right bytes). A dry run sends no DELETE
//! and lists what it would delete; `--confirm --min-age 7d --max 4` deletes exactly the
//! verified, old-enough ids (asserted on css-sim's catalog and request log) and never the
//! tampered, missing or young ones; `--min-age 1d` exits 2.

use super::check::available;
use crate::support::procs::{self, run_sync, sim_catalog, sim_requests, spawn_catalog_sim, Proc};
use crate::support::s3::{S3Kind, S3Server};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::process::Stdio;
use std::time::Duration;

const BUCKET: &str = "lake";

/// Catalog ids by role; the createdTime order (newest first, as the search pages) is the
/// order below, so which ids `--max 4` reaches is fixed.
const YOUNG: &str = "p0000000-0000-4000-8000-000000000001"; // 2 days
const WEEKS: &str = "p0000000-0000-4000-8000-000000000002"; // 10 days: old only for 7d
const GOOD1: &str = "p0000000-0000-4000-8000-000000000003"; // 40 days
const TAMPERED: &str = "p0000000-0000-4000-8000-000000000004"; // single PUT, other bytes
const TAMPERED_MP: &str = "p0000000-0000-4000-8000-000000000005"; // multipart, other bytes
const MISSING: &str = "p0000000-0000-4000-8000-000000000006"; // deleted from the lake
const GOOD_MP: &str = "p0000000-0000-4000-8000-000000000007"; // multipart, right bytes
const GOOD2: &str = "p0000000-0000-4000-8000-000000000008";
const GOOD3: &str = "p0000000-0000-4000-8000-000000000009";
const GOOD4: &str = "p0000000-0000-4000-8000-00000000000a";

fn catalog() -> Vec<Value> {
    let now = chrono::Utc::now();
    let ago = |hours: i64| {
        (now - chrono::Duration::hours(hours))
            .naive_utc()
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string()
    };
    let d = 24;
    [
        (YOUNG, 2 * d),
        (WEEKS, 10 * d),
        (GOOD1, 40 * d),
        (TAMPERED, 40 * d + 1),
        (TAMPERED_MP, 40 * d + 2),
        (MISSING, 40 * d + 3),
        (GOOD_MP, 41 * d),
        (GOOD2, 42 * d),
        (GOOD3, 43 * d),
        (GOOD4, 44 * d),
    ]
    .iter()
    .enumerate()
    .map(|(i, (id, hours))| {
        json!({
            "id": id, "region": "us-east", "type": "callrecording", "mimeType": "audio/mpeg",
            "objectName": format!("rec-{i}.mp3"), "storedBytes": 1000 + 137 * i as u64,
            "createdTime": ago(*hours), "objectState": "AVAILABLE"
        })
    })
    .collect()
}

/// What a purge run left behind.
struct PurgeRun {
    code: i32,
    report: Value,
    stderr: String,
}

impl PurgeRun {
    fn ids(&self, list: &str) -> BTreeSet<String> {
        self.report[list]
            .as_array()
            .unwrap_or_else(|| panic!("{list} in {}", self.report))
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    }

    /// Refused id → reason.
    fn refused(&self) -> BTreeMap<String, String> {
        self.report["refused"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["id"].as_str().unwrap().to_string(),
                    r["reason"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }
}

async fn run_purge(sim: &Proc, s3: &S3Server, extra: &[&str]) -> PurgeRun {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("purge.json");
    let out = procs::command("purge", sim, s3, BUCKET)
        .args(["--http-timeout", "20s", "--regions", "us-east"])
        .arg("--purge-report")
        .arg(&report)
        .args(extra)
        .env_remove("CSS_PURGE_MIN_AGE")
        .env_remove("CSS_PURGE_MAX")
        .env("RUST_LOG", "info")
        .kill_on_drop(true)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output();
    let out = tokio::time::timeout(Duration::from_secs(300), out)
        .await
        .expect("purge finished within 5 minutes")
        .expect("run css-sync purge");
    PurgeRun {
        code: out.status.code().unwrap_or(-1),
        report: std::fs::read_to_string(&report)
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or(Value::Null),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The object key (not the sidecar) of `id` in the bucket.
fn key_of(keys: &BTreeMap<String, String>, id: &str) -> String {
    keys.get(id)
        .unwrap_or_else(|| panic!("{id} not in {keys:?}"))
        .clone()
}

/// Re-uploads `bytes` at `key` with the metadata of the object there now.
async fn overwrite(s3: &S3Server, key: &str, bytes: Vec<u8>, multipart: bool) {
    let c = s3.client();
    let head = c
        .head_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .unwrap();
    let meta = head.metadata().cloned().unwrap_or_default();
    assert!(meta.contains_key("css-md5"), "{meta:?}");
    if !multipart {
        c.put_object()
            .bucket(BUCKET)
            .key(key)
            .set_metadata(Some(meta))
            .body(ByteStream::from(bytes))
            .send()
            .await
            .unwrap();
        return;
    }
    let up = c
        .create_multipart_upload()
        .bucket(BUCKET)
        .key(key)
        .set_metadata(Some(meta))
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap();
    let part = c
        .upload_part()
        .bucket(BUCKET)
        .key(key)
        .upload_id(id)
        .part_number(1)
        .body(ByteStream::from(bytes))
        .send()
        .await
        .unwrap();
    c.complete_multipart_upload()
        .bucket(BUCKET)
        .key(key)
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(
                    CompletedPart::builder()
                        .part_number(1)
                        .set_e_tag(part.e_tag().map(str::to_string))
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let etag = c
        .head_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .unwrap()
        .e_tag()
        .unwrap_or_default()
        .to_string();
    assert!(
        etag.trim_matches('"').ends_with("-1"),
        "multipart ETag: {etag}"
    );
}

async fn get(s3: &S3Server, key: &str) -> Vec<u8> {
    let o = s3
        .client()
        .get_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .unwrap();
    o.body.collect().await.unwrap().into_bytes().to_vec()
}

/// DELETE requests css-sim saw: (ids asked for, ids deleted), in order.
async fn deletes(sim: &Proc) -> Vec<(Vec<String>, Vec<String>)> {
    let strs = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    sim_requests(sim)
        .await
        .iter()
        .filter(|r| r["method"] == "DELETE")
        .map(|r| (strs(&r["ids"]), strs(&r["deleted"])))
        .collect()
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn purge_deletes_only_what_the_lake_proves() {
    let dir = tempfile::tempdir().unwrap();
    let sim = spawn_catalog_sim(dir.path(), &Value::from(catalog()), &[]);
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket(BUCKET).await;
    let sync = run_sync(&sim, &s3, BUCKET, &[]).await;
    assert_eq!(sync.code, 0, "sync failed:\n{}", sync.stderr);
    assert_eq!(sync.total("exported"), 10);

    // id → object key, from the bucket.
    let listed = s3
        .client()
        .list_objects_v2()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    let keys: BTreeMap<String, String> = listed
        .contents()
        .iter()
        .filter_map(|o| o.key())
        .filter(|k| !k.ends_with(".metadata.json") && !super::check::is_own_file(k))
        .map(|k| {
            let id = k.rsplit('/').next().unwrap().trim_end_matches(".mp3");
            (id.to_string(), k.to_string())
        })
        .collect();
    assert_eq!(keys.len(), 10, "{keys:?}");

    // Tamper with the lake.
    s3.client()
        .delete_object()
        .bucket(BUCKET)
        .key(key_of(&keys, MISSING))
        .send()
        .await
        .unwrap();
    for (id, multipart) in [(TAMPERED, false), (TAMPERED_MP, true)] {
        let key = key_of(&keys, id);
        let mut bytes = get(&s3, &key).await;
        bytes[7] ^= 0xff; // same size, other bytes
        overwrite(&s3, &key, bytes, multipart).await;
    }
    let key = key_of(&keys, GOOD_MP);
    let bytes = get(&s3, &key).await;
    overwrite(&s3, &key, bytes, true).await;

    // --min-age below the 7-day floor: exit 2, nothing asked of CSS.
    let before = sim_requests(&sim).await.len();
    let bad = run_purge(&sim, &s3, &["--min-age", "1d", "--confirm"]).await;
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("CSS_PURGE_MIN_AGE"), "{}", bad.stderr);
    assert_eq!(sim_requests(&sim).await.len(), before);

    // Dry run (default 30d): nothing deleted, no DELETE sent, the would-delete list.
    let dry = run_purge(&sim, &s3, &[]).await;
    assert_eq!(
        dry.code, 1,
        "unverified objects fail the run:\n{}",
        dry.stderr
    );
    assert_eq!(dry.report["mode"], "dry-run");
    assert_eq!(
        dry.ids("would_delete"),
        set(&[GOOD1, GOOD_MP, GOOD2, GOOD3, GOOD4])
    );
    assert!(dry.ids("deleted").is_empty());
    let refused = dry.refused();
    assert_eq!(refused[YOUNG], "too_young");
    assert_eq!(refused[WEEKS], "too_young");
    assert_eq!(refused[TAMPERED], "etag_mismatch");
    assert_eq!(refused[TAMPERED_MP], "read_back_mismatch");
    assert_eq!(refused[MISSING], "missing");
    let proofs: BTreeMap<&str, &str> = dry.report["would_delete"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["id"].as_str().unwrap(), i["proof"].as_str().unwrap()))
        .collect();
    assert_eq!(proofs[GOOD_MP], "read-back");
    assert_eq!(proofs[GOOD1], "etag");
    assert!(deletes(&sim).await.is_empty(), "a dry run sends no DELETE");
    assert!(
        dry.stderr.contains("dry run: nothing was deleted"),
        "{}",
        dry.stderr
    );
    assert!(available(&sim_catalog(&sim).await).len() == 10);

    // For real, 7 days, at most 4: the first four verified in search order (newest first).
    let real = run_purge(&sim, &s3, &["--confirm", "--min-age", "7d", "--max", "4"]).await;
    assert_eq!(
        real.code, 1,
        "unverified objects fail the run:\n{}",
        real.stderr
    );
    let want = set(&[WEEKS, GOOD1, GOOD_MP, GOOD2]);
    assert_eq!(real.ids("deleted"), want, "{}", real.stderr);
    assert!(real.ids("delete_problems").is_empty(), "{}", real.report);
    let refused = real.refused();
    assert_eq!(refused[YOUNG], "too_young");
    assert_eq!(refused[TAMPERED], "etag_mismatch");
    assert_eq!(refused[TAMPERED_MP], "read_back_mismatch");
    assert_eq!(refused[MISSING], "missing");
    assert_eq!(refused[GOOD3], "over_max");
    assert_eq!(refused[GOOD4], "over_max");
    for item in real.report["deleted"].as_array().unwrap() {
        assert_eq!(item["state_after"], "DELETED", "{item}");
    }
    // css-sim: exactly one DELETE, with exactly these ids, all deleted by it.
    let sent = deletes(&sim).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let (asked, gone) = &sent[0];
    assert_eq!(asked.iter().cloned().collect::<BTreeSet<_>>(), want);
    assert_eq!(gone.iter().cloned().collect::<BTreeSet<_>>(), want);
    let states: BTreeMap<String, String> = sim_catalog(&sim)
        .await
        .iter()
        .map(|o| {
            (
                o["id"].as_str().unwrap().to_string(),
                o["objectState"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (id, state) in &states {
        let expected = if want.contains(id) {
            "DELETED"
        } else {
            "AVAILABLE"
        };
        assert_eq!(state, expected, "{id}");
    }
    // The lake is untouched by a purge.
    let after = s3
        .client()
        .list_objects_v2()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    let lake = after
        .contents()
        .iter()
        .filter(|o| o.key().is_some_and(|k| !super::check::is_own_file(k)))
        .count();
    assert_eq!(lake, 19, "10 objects + sidecars, minus the one removed");
}

/// A DELETE refused with 429 is sent again (the server did not act); one answered 500 has an
/// unknown outcome and is never re-sent: the ids are re-read, reported `not_deleted`, and the
/// next run (which verifies again) deletes them.
#[tokio::test(flavor = "multi_thread")]
async fn a_delete_with_an_unknown_outcome_is_not_repeated() {
    let dir = tempfile::tempdir().unwrap();
    let sim = spawn_catalog_sim(
        dir.path(),
        &Value::from(catalog()),
        &[
            "--fault-scope",
            "delete",
            "--fault-429-count",
            "1",
            "--fault-500-count",
            "1",
            "--retry-after",
            "1",
        ],
    );
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket(BUCKET).await;
    let sync = run_sync(&sim, &s3, BUCKET, &[]).await;
    assert_eq!(sync.code, 0, "sync failed:\n{}", sync.stderr);

    let first = run_purge(&sim, &s3, &["--confirm", "--max", "2"]).await;
    assert_eq!(first.code, 1, "{}", first.stderr);
    assert!(first.ids("deleted").is_empty(), "{}", first.report);
    let problems = first.report["delete_problems"].as_array().unwrap();
    assert_eq!(problems.len(), 2, "{}", first.report);
    assert!(problems.iter().all(|p| p["outcome"] == "not_deleted"));
    let statuses: Vec<u64> = sim_requests(&sim)
        .await
        .iter()
        .filter(|r| r["method"] == "DELETE")
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, vec![429, 500], "429 repeated, 500 not");
    assert_eq!(available(&sim_catalog(&sim).await).len(), 10);

    let again = run_purge(&sim, &s3, &["--confirm", "--max", "2"]).await;
    assert_eq!(again.code, 0, "{}", again.stderr);
    // No tampering here: the two newest objects older than 30 days.
    assert_eq!(again.ids("deleted"), set(&[GOOD1, TAMPERED]));
    assert_eq!(available(&sim_catalog(&sim).await).len(), 8);
}

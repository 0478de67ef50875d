//! The answer variants the vendor's documents allow, end to end: the real css-sync against
//! css-sim serving a start split over several zips, zip entries named by the objectName's
//! last `/`·`:` segment (unique, and shared by two objects of one batch), and page-number
//! paging in both forms. Every run must land every object exactly once with the catalog's
//! bytes (read back and hashed), exit 0, and make the requests the variant implies.

use super::check::{assert_bucket_matches, available};
use crate::support::procs::{run_sync, sim_catalog, sim_requests, spawn_sim, words, Proc};
use crate::support::s3::{S3Kind, S3Server};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const FAST: &str = "--seed 11 --prep-base-ms 0 --prep-rate 0 --max-object-size 60KB";

/// Requests css-sim logged whose path ends with `/{tail}` (or contains `/{tail}/`).
async fn count(sim: &Proc, tail: &str) -> usize {
    sim_requests(sim)
        .await
        .iter()
        .filter(|r| {
            let p = r["path"].as_str().unwrap_or("");
            p.ends_with(&format!("/{tail}")) || p.contains(&format!("/{tail}/"))
        })
        .count()
}

/// Zip downloads (`…/bulk/download/{zip}`) per zip name.
async fn downloads(sim: &Proc) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for r in sim_requests(sim).await {
        let p = r["path"].as_str().unwrap_or("").to_string();
        if let Some((_, zip)) = p.split_once("/bulk/download/") {
            // issue 8 (polling): `…/bulk/download/status` is the all-jobs status, not a zip.
            if !zip.contains('/') && zip != "start" && zip != "status" {
                *out.entry(zip.to_string()).or_insert(0) += 1;
            }
        }
    }
    out
}

async fn sim_jobs(sim: &Proc) -> Vec<Value> {
    reqwest::get(format!("{}/_sim/jobs", sim.url))
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_start_answered_with_several_zips_lands_every_object_once() {
    let sim = spawn_sim(&words(&format!("{FAST} --objects 36 --zips-per-job 3")));
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket("lake").await;
    let expected = available(&sim_catalog(&sim).await);
    let run = run_sync(&sim, &s3, "lake", &["--batch-max-objects", "8"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.total("exported"), expected.len() as u64);
    assert_eq!(run.total("failed"), 0);
    assert_bucket_matches(&s3, "lake", &expected).await;

    // Every start was answered with up to three zips; each zip downloaded exactly once, and
    // no start repeated (nothing was missing).
    let starts = count(&sim, "start").await;
    let jobs = sim_jobs(&sim).await;
    let batches = expected.len().div_ceil(8);
    assert!(
        starts >= batches && starts <= batches + 2,
        "{starts} starts"
    );
    assert!(
        jobs.len() > starts,
        "{} zips for {starts} starts",
        jobs.len()
    );
    let got = downloads(&sim).await;
    assert_eq!(got.len(), jobs.len(), "every zip downloaded: {got:?}");
    assert!(got.values().all(|n| *n == 1), "each zip once: {got:?}");
    assert!(
        !run.stderr.contains("expected one bulk job status"),
        "{}",
        run.stderr
    );

    // A re-run starts nothing.
    let again = run_sync(&sim, &s3, "lake", &["--batch-max-objects", "8"]).await;
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.total("exported"), 0);
    assert_eq!(again.total("already_present"), expected.len() as u64);
    assert_eq!(count(&sim, "start").await, starts);
}

/// The same object in two zips of one start (css-sim `--zips-overlap`): exported from the
/// first, skipped as a duplicate in the second — one upload, one index row, counted once.
#[tokio::test(flavor = "multi_thread")]
async fn an_object_repeated_across_zips_is_exported_once() {
    let sim = spawn_sim(&words(&format!(
        "{FAST} --objects 24 --regions us-east --zips-per-job 3 --zips-overlap"
    )));
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket("lake").await;
    let expected = available(&sim_catalog(&sim).await);
    let run = run_sync(&sim, &s3, "lake", &["--batch-max-objects", "100"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.total("exported"), expected.len() as u64);
    assert_eq!(
        run.metric_sum("css_sync_objects_exported_total"),
        expected.len() as f64
    );
    assert_bucket_matches(&s3, "lake", &expected).await;
    let jobs = sim_jobs(&sim).await;
    assert_eq!(jobs.len(), 3, "{jobs:?}");
    let listed: usize = jobs
        .iter()
        .map(|j| j["ids"].as_array().unwrap().len())
        .sum();
    assert_eq!(
        listed,
        expected.len() + 2,
        "two objects ride in two zips each"
    );
    let dup = run
        .metrics
        .lines()
        .find(|l| l.starts_with("css_sync_zip_entries_rejected_total") && l.contains("duplicate"))
        .unwrap_or_else(|| panic!("no duplicate rejections: {}", run.metrics));
    assert!(dup.ends_with(" 2"), "{dup}");
    assert_eq!(count(&sim, "start").await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn several_zips_with_one_partial_retry_only_the_missing_objects() {
    let sim = spawn_sim(&words(&format!(
        "{FAST} --objects 20 --zips-per-job 2 --fault-partial-count 1"
    )));
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket("lake").await;
    let expected = available(&sim_catalog(&sim).await);
    let run = run_sync(&sim, &s3, "lake", &["--batch-max-objects", "50"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.total("exported"), expected.len() as u64);
    assert_bucket_matches(&s3, "lake", &expected).await;
    let jobs = sim_jobs(&sim).await;
    let partial: Vec<&Value> = jobs
        .iter()
        .filter(|j| j["status"] == "PARTIAL_DONE")
        .collect();
    assert_eq!(partial.len(), 1, "{jobs:?}");
    // The retry asked only for what the partial zip left out.
    let left_out = partial[0]["ids"].as_array().unwrap().len()
        - partial[0]["included"].as_array().unwrap().len();
    let region = partial[0]["region"].as_str().unwrap();
    let in_region = expected.iter().filter(|o| o["region"] == region).count();
    let asked: usize = jobs
        .iter()
        .filter(|j| j["region"] == region)
        .map(|j| j["ids"].as_array().unwrap().len())
        .sum();
    assert_eq!(asked, in_region + left_out, "{jobs:?}");
    assert_eq!(
        count(&sim, "start").await,
        2 + 1,
        "one start per region, one retry"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn suffix_entry_names_are_matched_to_their_objects() {
    let sim = spawn_sim(&words(&format!(
        "{FAST} --objects 30 --entry-names suffix --types callrecording,voicemail"
    )));
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket("lake").await;
    let expected = available(&sim_catalog(&sim).await);
    assert!(expected
        .iter()
        .all(|o| o["objectName"].as_str().unwrap().contains(':')));
    let run = run_sync(&sim, &s3, "lake", &["--batch-max-objects", "10"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.total("exported"), expected.len() as u64);
    assert_bucket_matches(&s3, "lake", &expected).await;
    // Matched at once: one start per batch, nothing missing, nothing retried.
    let starts = count(&sim, "start").await;
    assert_eq!(starts, sim_jobs(&sim).await.len());
    assert!(starts <= expected.len().div_ceil(10) + 2, "{starts} starts");
    assert_eq!(run.metric_sum("css_sync_zip_entries_rejected_total"), 0.0);
}

fn record(id: &str, name: &str, size: u64) -> Value {
    json!({
        "id": id, "region": "us-east", "type": "callrecording", "mimeType": "audio/mpeg",
        "objectName": name, "storedBytes": size, "createdTime": "2026-11-20T10:15:00",
        "objectState": "AVAILABLE"
    })
}

/// Two objects of one batch whose names share the last segment: `dup.mp3` is ambiguous, so
/// both are skipped, counted missing, and retried in jobs of their own, where it is unique.
#[tokio::test(flavor = "multi_thread")]
async fn an_ambiguous_suffix_is_retried_in_jobs_where_it_is_unique() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.json");
    let catalog = vec![
        record(
            "a0000000-0000-4000-8000-000000000001",
            "calls/a/dup.mp3",
            1500,
        ),
        record(
            "a0000000-0000-4000-8000-000000000002",
            "calls:b:dup.mp3",
            2500,
        ),
        record(
            "a0000000-0000-4000-8000-000000000003",
            "calls/c/one.mp3",
            3500,
        ),
        record("a0000000-0000-4000-8000-000000000004", "two.mp3", 4500),
    ];
    std::fs::write(&path, serde_json::to_vec(&catalog).unwrap()).unwrap();
    let sim = spawn_sim(&[
        "--catalog",
        path.to_str().unwrap(),
        "--regions",
        "us-east",
        "--prep-base-ms",
        "0",
        "--prep-rate",
        "0",
        "--entry-names",
        "suffix",
    ]);
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket("lake").await;
    let expected = available(&sim_catalog(&sim).await);
    assert_eq!(expected.len(), 4);
    let run = run_sync(&sim, &s3, "lake", &[]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.total("exported"), 4);
    assert_bucket_matches(&s3, "lake", &expected).await;
    // One job for all four, then one job each for the two that shared `dup.mp3`.
    let jobs = sim_jobs(&sim).await;
    let sizes: Vec<usize> = jobs
        .iter()
        .map(|j| j["ids"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [4, 1, 1], "{jobs:?}");
    assert_eq!(run.metric_sum("css_sync_zip_entries_rejected_total"), 2.0);
    assert!(run.metrics.contains("ambiguous_name"), "{}", run.metrics);
}

#[tokio::test(flavor = "multi_thread")]
async fn page_number_paging_in_both_forms_lists_every_object_once() {
    for form in ["next-page", "page-served"] {
        let sim = spawn_sim(&words(&format!("{FAST} --objects 40 --page-keys {form}")));
        let s3 = S3Server::start(S3Kind::S3sFs);
        s3.create_bucket("lake").await;
        let expected = available(&sim_catalog(&sim).await);
        let run = run_sync(&sim, &s3, "lake", &["--page-size", "7"]).await;
        assert_eq!(run.code, 0, "{form}: {}", run.stderr);
        assert_eq!(run.total("found"), expected.len() as u64, "{form}");
        assert_eq!(run.total("exported"), expected.len() as u64, "{form}");
        assert_bucket_matches(&s3, "lake", &expected).await;
        // Pages asked for: 0, 1, 2 … in each region, each once, as many as the records need.
        let mut keys: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        for r in sim_requests(&sim).await {
            let p = r["path"].as_str().unwrap_or("");
            if !p.ends_with("/objects") {
                continue;
            }
            let region = p.split('/').nth(2).unwrap().to_string();
            let q = r["query"].as_str().unwrap_or("");
            let key = q
                .split('&')
                .find_map(|kv| kv.strip_prefix("pageKey="))
                .and_then(|k| k.parse().ok())
                .expect("pageKey");
            keys.entry(region).or_default().push(key);
        }
        for (region, got) in &keys {
            let n = expected
                .iter()
                .filter(|o| o["region"] == region.as_str())
                .count();
            let want: Vec<u64> = (0..n.div_ceil(7).max(1) as u64).collect();
            assert_eq!(got, &want, "{form} {region}");
        }
        assert_eq!(keys.len(), 2, "{form}: both regions listed");
    }
}

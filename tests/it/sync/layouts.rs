//! Every zip layout css-sim can produce — Java's DEFLATE with data descriptors, STORED with
//! sizes, STORED with data descriptors, forced zip64 — goes through the same sync and lands
//! byte for byte; one scenario also takes the spec's array-shaped start answer.

use super::check::{assert_bucket_matches, available};
use crate::support::procs::{run_sync, sim_catalog, sim_requests, spawn_sim, words};
use crate::support::s3::{S3Kind, S3Server};

async fn sync_with_layout(layout: &str, extra_sim: &[&str]) {
    let mut args =
        words("--seed 11 --objects 24 --max-object-size 600KB --prep-base-ms 0 --prep-rate 0");
    args.extend_from_slice(&["--zip-layout", layout]);
    args.extend_from_slice(extra_sim);
    let sim = spawn_sim(&args);
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket("lake").await;
    let expected = available(&sim_catalog(&sim).await);
    assert!(
        expected.len() >= 15,
        "catalog too small: {}",
        expected.len()
    );
    let run = run_sync(&sim, &s3, "lake", &["--batch-max-objects", "7"]).await;
    assert_eq!(run.code, 0, "layout {layout}:\n{}", run.stderr);
    assert_eq!(run.total("exported"), expected.len() as u64);
    assert_bucket_matches(&s3, "lake", &expected).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn java_deflate_with_data_descriptors() {
    sync_with_layout("java", &[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn stored_with_sizes_and_array_start_answers() {
    sync_with_layout("stored", &["--start-response", "array"]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn stored_with_data_descriptors() {
    sync_with_layout("stored-descriptor", &[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn forced_zip64() {
    sync_with_layout("zip64", &[]).await;
}

/// Objects larger than a bulk job may hold go through single-object download; with a 2-second
/// token lifetime and a bandwidth cap, the token is also refreshed mid-run.
#[tokio::test(flavor = "multi_thread")]
async fn oversized_objects_use_single_download_and_tokens_refresh_mid_run() {
    let sim = spawn_sim(&words(
        "--seed 21 --objects 8 --max-object-size 3MB --prep-base-ms 0 --prep-rate 0 --token-ttl 2 --bandwidth 1MB",
    ));
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket("lake").await;
    let expected = available(&sim_catalog(&sim).await);
    let oversized: Vec<&str> = expected
        .iter()
        .filter(|o| o["storedBytes"].as_u64().unwrap() > 1 << 20)
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert!(!oversized.is_empty(), "some objects exceed the 1MiB batch");
    let run = run_sync(&sim, &s3, "lake", &["--batch-max-bytes", "1MiB"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_bucket_matches(&s3, "lake", &expected).await;
    let requests = sim_requests(&sim).await;
    let path = |r: &serde_json::Value| r["path"].as_str().unwrap_or("").to_string();
    for id in &oversized {
        assert!(
            requests
                .iter()
                .any(|r| path(r).ends_with(&format!("/objects/{id}/content"))),
            "{id} went through single download"
        );
    }
    let tokens = requests
        .iter()
        .filter(|r| path(r) == "/oauth/v2/token")
        .count();
    assert!(
        tokens >= 2,
        "the token was refreshed before expiry ({tokens} fetches)"
    );
    assert!(
        !requests.iter().any(|r| r["status"] == 401),
        "no request went out with an expired token"
    );
}

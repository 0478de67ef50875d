//! issue 10 (css): a CSS account whose server answers 500 to every `createdTime` filter
//! (css-sim `--time-filter error-500`). css-sync falls back to the listing without the time
//! clauses, newest first, keeps the window itself and stops at its start: the bucket holds
//! exactly the window's objects (bytes checked, and the same as a normal run's), the log, the
//! report and the metrics say so, and css-sim's request log shows pages after the window were
//! never asked for. When the search fails without time clauses too, the run fails as before.

use super::bounds::assert_books;
use super::check::assert_bucket_matches;
use crate::support::procs::{run_sync, sim_catalog, sim_requests, spawn_sim, words, Proc};
use crate::support::s3::{read_back, S3Kind, S3Server};
use serde_json::Value;
use std::collections::BTreeMap;

const SIM: &str = "--seed 31 --objects 240 --regions us-east --unavailable-share 0 \
                   --max-object-size 20KB --prep-base-ms 0 --prep-rate 0 \
                   --now 2026-11-20T00:00:00 --window-days 30";
const SINCE: &str = "2026-10-31T00:00:00Z";
const UNTIL: &str = "2026-11-10T00:00:00Z";
/// 240 objects at 20 a page: 12 pages in all.
const PAGE: u64 = 20;
const FLAGS: [&str; 8] = [
    "--since",
    SINCE,
    "--until",
    UNTIL,
    "--page-size",
    "20",
    "--max-attempts",
    "2",
];

/// The AVAILABLE objects css-sim holds in [SINCE, UNTIL) (createdTime strings compare as
/// times: one fixed format, UTC).
fn in_window(catalog: &[Value]) -> Vec<Value> {
    let (since, until) = (&SINCE[..19], &UNTIL[..19]);
    catalog
        .iter()
        .filter(|o| o["objectState"] == "AVAILABLE")
        .filter(|o| {
            let t = o["createdTime"].as_str().unwrap();
            since <= t && t < until
        })
        .cloned()
        .collect()
}

/// `GET …/objects` requests css-sim logged: (with a createdTime filter, without).
async fn searches(sim: &Proc) -> (Vec<Value>, Vec<Value>) {
    sim_requests(sim)
        .await
        .into_iter()
        .filter(|r| r["method"] == "GET" && r["path"].as_str().unwrap_or("").ends_with("/objects"))
        .partition(|r| {
            // The filter parameter, not sortField=createdTime.
            let query = r["query"].as_str().unwrap_or("");
            query
                .split('&')
                .any(|p| p.starts_with("filter=") && p.contains("createdTime"))
        })
}

/// id → MD5 of what a bucket holds (css-sync's own files left out).
async fn ids_and_md5s(s3: &S3Server, bucket: &str) -> BTreeMap<String, String> {
    read_back(&s3.client(), bucket)
        .await
        .into_iter()
        .filter(|(k, _)| {
            !k.starts_with("_css-sync/")
                && !k.starts_with("_index/")
                && !k.ends_with(".metadata.json")
        })
        .map(|(k, v)| (k, v.md5))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_time_filters_fall_back_and_export_exactly_the_window() {
    let refusing = spawn_sim(&[words(SIM), vec!["--time-filter", "error-500"]].concat());
    let catalog = sim_catalog(&refusing).await;
    let want = in_window(&catalog);
    assert!(want.len() >= 40, "window holds {} objects", want.len());
    let s3 = S3Server::start_async(S3Kind::S3sFs).await;
    s3.create_bucket("fallback").await;
    s3.create_bucket("normal").await;

    let run = run_sync(&refusing, &s3, "fallback", &FLAGS).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_books(&run.report);
    assert_eq!(run.total("exported"), want.len() as u64, "{}", run.report);
    assert_eq!(
        run.total("found"),
        want.len() as u64,
        "nothing outside the window"
    );
    assert_bucket_matches(&s3, "fallback", &want).await;
    assert_eq!(
        run.report["time_filter_fallback"],
        serde_json::json!(["us-east"])
    );
    assert!(
        run.stderr
            .contains("CSS refuses createdTime filters in this region"),
        "{}",
        run.stderr
    );
    let warnings = run
        .stderr
        .matches("CSS refuses createdTime filters")
        .count();
    assert_eq!(warnings, 1, "logged once");
    assert_eq!(
        run.metric_sum("css_sync_time_filter_fallback"),
        1.0,
        "{}",
        run.metrics
    );
    assert!(run.metrics.contains("# HELP css_sync_time_filter_fallback"));

    // css-sim: the windowed search answered 500 (tried twice), then pages without it, newest
    // first, stopping at the page holding the first object older than CSS_SINCE.
    let (timed, plain) = searches(&refusing).await;
    assert_eq!(timed.len(), 2, "{timed:?}");
    assert!(timed.iter().all(|r| r["status"] == 500));
    assert!(plain.iter().all(|r| r["status"] == 200), "{plain:?}");
    let older = catalog
        .iter()
        .filter(|o| o["createdTime"].as_str().unwrap() < &SINCE[..19])
        .count() as u64;
    let total_pages = (catalog.len() as u64).div_ceil(PAGE);
    // The first older object sits at offset (all − older): its page is the last one asked.
    let needed = total_pages.min((catalog.len() as u64 - older) / PAGE + 1);
    assert_eq!(plain.len() as u64, needed, "pages asked: {plain:?}");
    assert!(needed < total_pages, "the early stop saved pages");

    // The same window on a server that accepts time filters: the same objects, same bytes.
    let normal = spawn_sim(&words(SIM));
    let base = run_sync(&normal, &s3, "normal", &FLAGS).await;
    assert_eq!(base.code, 0, "{}", base.stderr);
    assert_eq!(base.report["time_filter_fallback"], serde_json::json!([]));
    assert_eq!(base.metric_sum("css_sync_time_filter_fallback"), 0.0);
    assert_eq!(
        ids_and_md5s(&s3, "fallback").await,
        ids_and_md5s(&s3, "normal").await
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_search_failing_without_time_clauses_too_fails_the_run() {
    let sim = spawn_sim(
        &[
            words(SIM),
            words("--time-filter error-500 --fault-500-rate 1 --fault-scope objects"),
        ]
        .concat(),
    );
    let s3 = S3Server::start_async(S3Kind::S3sFs).await;
    s3.create_bucket("lake").await;
    let run = run_sync(&sim, &s3, "lake", &FLAGS).await;
    assert_eq!(
        run.code, 3,
        "catalog unreadable, nothing found: {}",
        run.stderr
    );
    let errors = run.report["errors"].to_string();
    assert!(errors.contains("HTTP 500"), "{}", run.report);
    assert_eq!(run.report["time_filter_fallback"], serde_json::json!([]));
    assert!(run
        .stderr
        .contains("the search without createdTime clauses failed too"));
    let (timed, plain) = searches(&sim).await;
    // Two attempts of the windowed search, two of the one probe request.
    assert_eq!((timed.len(), plain.len()), (2, 2), "{timed:?} {plain:?}");
}

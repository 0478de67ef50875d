//! issue 10 (css): objects not AVAILABLE are an outcome of their own, and ARCHIVED objects
//! are restored (`CSS_RESTORE_ARCHIVED`). css-sim `--archived 4 --restore-delay 2s`: run 1
//! asks for AVAILABLE or ARCHIVED, requests one restore per ARCHIVED object (css-sim's log),
//! reports them `not_available.ARCHIVED` + `restore_requested`, exits 0; after the delay, run 2
//! over the same explicit window exports them (bytes checked) and restores nothing. Without
//! the flag ARCHIVED objects are not asked for, nor restored.

use super::bounds::assert_books;
use super::check::{assert_bucket_matches, available};
use crate::support::procs::{run_sync, sim_catalog, sim_requests, spawn_sim, words, Proc};
use crate::support::s3::{read_back, S3Kind, S3Server};
use serde_json::{json, Value};
use std::time::Duration;

const SIM: &str = "--seed 41 --objects 30 --regions us-east --unavailable-share 0.2 \
                   --archived 4 --restore-delay 2s --max-object-size 20KB --prep-base-ms 0 \
                   --prep-rate 0 --now 2026-11-20T00:00:00 --window-days 5";
const WINDOW: [&str; 4] = [
    "--since",
    "2026-11-01T00:00:00Z",
    "--until",
    "2026-11-21T00:00:00Z",
];

fn archived(catalog: &[Value]) -> Vec<String> {
    let mut ids: Vec<String> = catalog
        .iter()
        .filter(|o| o["objectState"] == "ARCHIVED")
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

/// `POST …/objects/{id}/restore` requests css-sim logged: (id, status), sorted.
async fn restores(sim: &Proc) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = sim_requests(sim)
        .await
        .iter()
        .filter(|r| r["method"] == "POST")
        .filter_map(|r| {
            let path = r["path"].as_str()?.strip_suffix("/restore")?;
            let id = path.rsplit('/').next()?.to_string();
            Some((id, r["status"].as_u64()?))
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn archived_objects_are_restored_then_exported_by_a_later_run() {
    let sim = spawn_sim(&words(SIM));
    let before = sim_catalog(&sim).await;
    let want_archived = archived(&before);
    assert_eq!(want_archived.len(), 4);
    let others = before
        .iter()
        .filter(|o| !["AVAILABLE", "ARCHIVED"].contains(&o["objectState"].as_str().unwrap()))
        .count();
    assert!(
        others > 0,
        "PENDING/REVOKED/… objects exist and stay out of the listing"
    );
    let s3 = S3Server::start_async(S3Kind::S3sFs).await;
    s3.create_bucket("lake").await;
    let flags = [&WINDOW[..], &["--restore-archived", "true"]].concat();

    let first = run_sync(&sim, &s3, "lake", &flags).await;
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_books(&first.report);
    let t = &first.report["totals"];
    assert_eq!(
        t["not_available"],
        json!({"ARCHIVED": 4}),
        "{}",
        first.report
    );
    assert_eq!(t["restore_requested"], 4);
    assert_eq!(t["failed"], 0);
    let avail = available(&before);
    assert_eq!(first.total("exported"), avail.len() as u64);
    assert_eq!(first.total("found"), avail.len() as u64 + 4);
    let asked = restores(&sim).await;
    let want: Vec<(String, u64)> = want_archived.iter().map(|id| (id.clone(), 202)).collect();
    assert_eq!(asked, want);
    // The search asked for both states in one ORed clause.
    let searches: Vec<String> = sim_requests(&sim)
        .await
        .iter()
        .filter(|r| r["path"].as_str().unwrap_or("").ends_with("/objects"))
        .map(|r| r["query"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        searches
            .iter()
            .all(|q| q.contains("objectState%3D%3DAVAILABLE%2CobjectState%3D%3DARCHIVED")),
        "{searches:?}"
    );
    let m = |name: &str| first.metric_sum(name);
    assert_eq!(m("css_sync_objects_not_available_total"), 4.0);
    assert_eq!(m("css_sync_restores_requested_total"), 4.0);
    assert_eq!(m("css_sync_objects_failed_total"), 0.0);
    assert_bucket_matches(&s3, "lake", &avail).await;
    // The bucket report (mode errors) has a not_available line per ARCHIVED object.
    let lines: Vec<Value> = read_back(&s3.client(), "lake")
        .await
        .into_iter()
        .filter(|(k, _)| k.starts_with("_css-sync/reports/") && k.ends_with(".jsonl"))
        .flat_map(|(_, v)| {
            let body = String::from_utf8(v.body.unwrap_or_default()).unwrap();
            body.lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    let mut line_ids: Vec<&str> = lines
        .iter()
        .filter(|l| l["outcome"] == "not_available")
        .inspect(|l| assert_eq!(l["reason"], "ARCHIVED; restore requested"))
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    line_ids.sort();
    assert_eq!(line_ids, want_archived);

    tokio::time::sleep(Duration::from_millis(2500)).await;
    let second = run_sync(&sim, &s3, "lake", &flags).await;
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_books(&second.report);
    assert_eq!(second.total("exported"), 4, "{}", second.report);
    assert_eq!(second.report["totals"]["not_available"], json!({}));
    assert_eq!(second.report["totals"]["restore_requested"], 0);
    assert_eq!(restores(&sim).await.len(), 4, "no restore asked again");
    let after = sim_catalog(&sim).await;
    assert!(archived(&after).is_empty());
    assert_eq!(available(&after).len(), avail.len() + 4);
    assert_bucket_matches(&s3, "lake", &available(&after)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_flag_archived_objects_are_neither_listed_nor_restored() {
    let sim = spawn_sim(&words(SIM));
    let catalog = sim_catalog(&sim).await;
    let s3 = S3Server::start_async(S3Kind::S3sFs).await;
    s3.create_bucket("lake").await;
    let run = run_sync(&sim, &s3, "lake", &WINDOW).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let avail = available(&catalog);
    assert_eq!(run.total("found"), avail.len() as u64);
    assert_eq!(run.report["totals"]["not_available"], json!({}));
    assert!(restores(&sim).await.is_empty());
    assert_bucket_matches(&s3, "lake", &avail).await;
    assert_eq!(
        archived(&sim_catalog(&sim).await).len(),
        4,
        "still ARCHIVED"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn restore_with_a_filter_naming_object_state_is_refused() {
    let sim = spawn_sim(&words(SIM));
    let s3 = S3Server::start_async(S3Kind::S3sFs).await;
    let flags = [
        "--restore-archived",
        "true",
        "--filter",
        "objectState==REVOKED",
    ];
    let run = run_sync(&sim, &s3, "lake", &flags).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("CSS_RESTORE_ARCHIVED"),
        "{}",
        run.stderr
    );
}

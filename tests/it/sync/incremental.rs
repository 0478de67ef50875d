//! issue 10 (wire): the incremental sync end to end, real binary against css-sim and s3s-fs.
//! (a) a backfill lists the window oldest first (one ascending request, then slice after
//! slice), exports every AVAILABLE object with css-sim's bytes and leaves a checkpoint whose
//! watermark is the end of its window; a re-run lists only [watermark − lookback, now −
//! settle) (css-sim's log: its `createdTime=ge=` bound and page count) and exports nothing.
//! (c) objects whose downloads fail in run 1 become open entries; run 2 (a css-sim without the
//! fault, same catalog) looks them up by id although they are outside its window, exports
//! them, and the checkpoint's open list is empty again. (b) objects new since run 1 are
//! exactly what run 2 exports; (d) a SIGTERM mid-backfill leaves the oldest exported and the
//! next run exports the rest once; (e) two overlapping runs merge into one valid checkpoint.

use super::check::{assert_bucket_matches, available};
use crate::support::procs::{
    run_sync, sim_catalog, sim_requests, sim_requests_to, spawn_sim, words, Proc,
};
use crate::support::s3::{S3Kind, S3Server};
use chrono::{DateTime, Duration as Span, Utc};
use serde_json::Value;

const KEY: &str = "_css-sync/state/v1/us-east/all.json";

/// css-sim's generated catalog, its newest object at `now` (ms; the same `now`, the same catalog).
fn sim_args(now: i64, extra: &str) -> String {
    format!(
        "--seed 17 --objects 24 --regions us-east --unavailable-share 0 --max-object-size 8KB \
         --prep-base-ms 0 --prep-rate 0 --window-days 4 --now {now} {extra}"
    )
}

async fn checkpoint(s3: &S3Server, bucket: &str) -> Value {
    let got = s3
        .client()
        .get_object()
        .bucket(bucket)
        .key(KEY)
        .send()
        .await
        .expect("checkpoint in the bucket");
    let bytes = got.body.collect().await.expect("body").into_bytes();
    serde_json::from_slice(&bytes).expect("checkpoint JSON")
}

/// `hours` before the clock, in ms.
fn ago(hours: i64) -> i64 {
    (Utc::now() - Span::hours(hours)).timestamp_millis()
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("a time: {v}"))
}

/// The catalog searches css-sim logged (`GET …/objects` with a query).
async fn searches(sim: &Proc) -> Vec<String> {
    sim_requests(sim)
        .await
        .iter()
        .filter(|r| r["method"] == "GET" && r["path"].as_str().unwrap_or("").ends_with("/objects"))
        .map(|r| r["query"].as_str().unwrap_or("").to_string())
        .collect()
}

/// The `createdTime=ge=` bound of a logged query, in ms.
fn ge(query: &str) -> Option<i64> {
    let decoded = urlencoding_decode(query);
    let at = decoded.find("createdTime=ge=")? + "createdTime=ge=".len();
    decoded[at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

fn urlencoding_decode(q: &str) -> String {
    url::form_urlencoded::parse(q.as_bytes())
        .map(|(k, v)| format!("{k}={v}&"))
        .collect()
}

const FLAGS: [&str; 8] = [
    "--incremental",
    "true",
    "--settle",
    "1m",
    "--slice",
    "1d",
    "--lookback",
    "1h",
];

#[tokio::test(flavor = "multi_thread")]
async fn backfill_then_a_no_op_rerun_lists_only_its_window() {
    let sim = spawn_sim(&words(&sim_args(ago(3), "")));
    let catalog = sim_catalog(&sim).await;
    let expected = available(&catalog);
    let s3 = S3Server::start_async(S3Kind::S3sFs).await;
    s3.create_bucket("lake").await;

    let started = Utc::now();
    let first = run_sync(&sim, &s3, "lake", &FLAGS).await;
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(first.total("exported"), expected.len() as u64);
    assert_bucket_matches(&s3, "lake", &expected).await;
    let q1 = searches(&sim).await;
    let ascending: Vec<&String> = q1
        .iter()
        .filter(|q| q.contains("sortDirection=ASC"))
        .collect();
    assert_eq!(
        ascending.len(),
        1,
        "one request finds the oldest object: {q1:?}"
    );
    // Slices oldest first: the listings' lower bounds rise (the first has none).
    let bounds: Vec<Option<i64>> = q1
        .iter()
        .filter(|q| !q.contains("sortDirection=ASC"))
        .map(|q| ge(q))
        .collect();
    assert!(bounds.len() >= 4, "a 4-day window in 1-day slices: {q1:?}");
    assert_eq!(bounds[0], None, "the first slice starts at the beginning");
    let later: Vec<i64> = bounds[1..].iter().map(|b| b.expect("a bound")).collect();
    assert!(
        later.windows(2).all(|w| w[0] <= w[1]),
        "oldest first: {later:?}"
    );

    let cp = checkpoint(&s3, "lake").await;
    assert_eq!(cp["format"], "css-sync/checkpoint");
    assert_eq!(cp["open"].as_array().map(Vec::len), Some(0), "{cp}");
    let wm = time(&cp["watermark"]);
    // The window ends at now − settle: the watermark is there, after every object.
    assert!(wm >= started - Span::minutes(1) - Span::seconds(5), "{wm}");
    assert!(wm <= Utc::now() - Span::minutes(1), "{wm}");
    assert_eq!(cp["last_run"]["exit_code"], 0, "{cp}");
    let state = &first.report["state"][0];
    assert_eq!(state["kind"], "backfill", "{}", first.report);
    assert_eq!(state["slices_done"], state["slices"], "{state}");

    let before = sim_requests(&sim).await.len();
    let second = run_sync(&sim, &s3, "lake", &FLAGS).await;
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(second.total("exported"), 0);
    assert_eq!(
        second.total("found"),
        0,
        "nothing was created in the last hour"
    );
    let q2: Vec<String> = searches(&sim).await[q1.len()..].to_vec();
    assert!(sim_requests(&sim).await.len() > before);
    let listed: Vec<&String> = q2
        .iter()
        .filter(|q| !q.contains("sortDirection=ASC"))
        .collect();
    assert_eq!(listed.len(), 1, "one page of one slice: {q2:?}");
    let since = ge(listed[0]).expect("run 2 is bounded below");
    assert_eq!(
        since,
        (wm - Span::hours(1)).timestamp_millis(),
        "watermark − lookback"
    );
    let cp2 = checkpoint(&s3, "lake").await;
    assert!(time(&cp2["watermark"]) >= wm, "the watermark only rises");
    assert_eq!(second.report["state"][0]["kind"], "incremental");
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_objects_are_open_entries_exported_by_id_next_run() {
    let faults = "--fault-500-rate 1 --fault-scope download,content";
    let now = ago(5);
    let sim = spawn_sim(&words(&sim_args(now, faults)));
    let catalog = sim_catalog(&sim).await;
    let expected = available(&catalog);
    let s3 = S3Server::start_async(S3Kind::S3sFs).await;
    s3.create_bucket("lake").await;
    // A 5-day retention: with the default 3-day risk window, objects older than 2 days are
    // at risk (css-sim spreads them over 4 days).
    let risky_flags = [&FLAGS[..], &["--retention-days", "5"]].concat();
    let first = run_sync(&sim, &s3, "lake", &risky_flags).await;
    assert_eq!(first.code, 1, "{}", first.stderr);
    assert_eq!(first.total("failed"), expected.len() as u64);
    let cp = checkpoint(&s3, "lake").await;
    let mut open: Vec<String> = cp["open"]
        .as_array()
        .expect("open list")
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    open.sort();
    let mut want: Vec<String> = expected
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    want.sort();
    assert_eq!(open, want, "every failure is an open entry");
    assert!(cp["open"][0]["attempts"] == 1, "{cp}");
    // Retention risk in the report: every failed object whose deletion is at most 3 days
    // away, and the age of the oldest failed one.
    let created: Vec<i64> = expected
        .iter()
        .map(|o| {
            let t = o["createdTime"].as_str().unwrap();
            chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S")
                .unwrap()
                .and_utc()
                .timestamp()
        })
        .collect();
    let at = chrono::Utc::now().timestamp();
    let risky = created.iter().filter(|c| **c + 2 * 86_400 <= at).count() as u64;
    assert!(risky > 0 && risky < created.len() as u64, "{risky}");
    let risk = |report: &serde_json::Value, field: &str| -> f64 {
        let regions = report["retention_risk"]
            .as_object()
            .expect("retention_risk");
        regions.values().map(|r| r[field].as_f64().unwrap()).sum()
    };
    assert_eq!(risk(&first.report, "objects_at_risk") as u64, risky);
    let oldest = (at - created.iter().min().unwrap()) as f64;
    let age = first.report["retention_risk"]
        .as_object()
        .unwrap()
        .values()
        .map(|r| r["oldest_unexported_age_secs"].as_f64().unwrap())
        .fold(0.0, f64::max);
    assert!((age - oldest).abs() < 120.0, "{age} vs {oldest}");
    drop(sim);

    // Same catalog, no fault; every object is older than run 2's window.
    let sim = spawn_sim(&words(&sim_args(now, "")));
    let second = run_sync(&sim, &s3, "lake", &risky_flags).await;
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(second.total("exported"), expected.len() as u64);
    assert_bucket_matches(&s3, "lake", &expected).await;
    assert_eq!(risk(&second.report, "objects_at_risk"), 0.0, "all exported");
    let by_id = sim_requests(&sim)
        .await
        .iter()
        .filter(|r| {
            let p = r["path"].as_str().unwrap_or("");
            r["method"] == "GET" && want.iter().any(|id| p.ends_with(&format!("/objects/{id}")))
        })
        .count();
    assert_eq!(by_id, want.len(), "each open entry looked up by id once");
    let state = &second.report["state"][0];
    assert_eq!(state["retried"], want.len() as u64, "{state}");
    assert_eq!(state["open_after"], 0, "{state}");
    let cp2 = checkpoint(&s3, "lake").await;
    assert_eq!(cp2["open"].as_array().map(Vec::len), Some(0), "{cp2}");
}

/// (e) Two backfills at once over one catalog and bucket: every object lands once with
/// css-sim's bytes, and the checkpoint both merged into is one valid document whose watermark
/// is the higher of the two runs' and whose open list is empty.
#[tokio::test(flavor = "multi_thread")]
async fn two_overlapping_runs_leave_one_consistent_checkpoint() {
    let sim = spawn_sim(&words(&sim_args(ago(3), "")));
    let expected = available(&sim_catalog(&sim).await);
    // SeaweedFS: its conditional writes are atomic (s3s-fs serves a read racing a write with
    // the old bytes under the new ETag, which the store rightly refuses).
    let s3 = S3Server::start_async(S3Kind::Seaweed).await;
    s3.create_bucket("lake").await;
    let (a, b) = tokio::join!(
        run_sync(&sim, &s3, "lake", &FLAGS),
        run_sync(&sim, &s3, "lake", &FLAGS)
    );
    for run in [&a, &b] {
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.report["state"][0]["written"], true, "{}", run.report);
    }
    for run in [&a, &b] {
        super::bounds::assert_books(&run.report);
        assert_eq!(run.total("failed"), 0, "{}", run.report["totals"]);
    }
    assert!(
        a.total("exported") + b.total("exported") >= expected.len() as u64,
        "{} / {}",
        a.report["totals"],
        b.report["totals"]
    );
    assert_bucket_matches(&s3, "lake", &expected).await;
    let cp = checkpoint(&s3, "lake").await;
    assert_eq!(cp["version"], 1);
    assert_eq!(cp["open"].as_array().map(Vec::len), Some(0), "{cp}");
    let after = |r: &crate::support::procs::SyncRun| time(&r.report["state"][0]["watermark_after"]);
    assert_eq!(time(&cp["watermark"]), after(&a).max(after(&b)), "{cp}");
}

/// (d) SIGTERM mid-backfill: what run 1 exported are the oldest objects (none of the newest
/// day's), every object below the checkpoint's watermark is in the bucket, and run 2 exports
/// exactly the rest — nothing twice, nothing missed.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_mid_backfill_resumes_without_exporting_twice() {
    use crate::support::procs::{signal, sync_command};
    use crate::support::s3::read_back;
    let sim = spawn_sim(&words(&sim_args(ago(3), "--bandwidth 16KB")));
    let expected = available(&sim_catalog(&sim).await);
    let s3 = S3Server::start_async(S3Kind::S3sFs).await;
    s3.create_bucket("lake").await;
    let mut child = sync_command(&sim, &s3, "lake")
        .args(["--poll-interval", "0.05", "--batch-max-objects", "2"])
        .args(["--jobs-per-region", "1"])
        .args(FLAGS)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let jobs = sim_requests_to(&sim, "/bulk/download/start").await;
        if jobs >= 3 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no bulk jobs started");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    signal(&child, "-TERM");
    let status = child.wait().await.unwrap();
    assert_eq!(status.code(), Some(130));
    let keys: Vec<String> = read_back(&s3.client(), "lake").await.into_keys().collect();
    let in_bucket = |o: &Value| {
        let id = o["id"].as_str().unwrap();
        keys.iter()
            .any(|k| k.ends_with(&format!("{id}.mp3")) || k.contains(&format!("/{id}.")))
    };
    let first: Vec<&Value> = expected.iter().filter(|o| in_bucket(o)).collect();
    assert!(
        !first.is_empty() && first.len() < expected.len(),
        "{}",
        first.len()
    );
    let mut by_age: Vec<&Value> = expected.iter().collect();
    by_age.sort_by_key(|o| o["createdTime"].as_str().unwrap().to_string());
    let newest = &by_age[by_age.len() - 4..];
    assert!(
        newest.iter().all(|o| !in_bucket(o)),
        "oldest first: none of the newest objects exported before the signal"
    );
    let cp = checkpoint(&s3, "lake").await;
    if let Some(w) = cp["watermark"].as_str() {
        let w = w.trim_end_matches('Z').to_string();
        for o in &expected {
            if o["createdTime"].as_str().unwrap() < w.as_str() {
                assert!(in_bucket(o), "below the watermark {w} but not in S3: {o}");
            }
        }
    }

    let second = run_sync(&sim, &s3, "lake", &FLAGS).await;
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(
        second.total("exported"),
        (expected.len() - first.len()) as u64,
        "the rest, once"
    );
    assert_bucket_matches(&s3, "lake", &expected).await;
}

/// A css-sim catalog file entry created `minutes` ago.
fn entry(n: u32, minutes: i64) -> Value {
    let created = (Utc::now() - Span::minutes(minutes)).format("%Y-%m-%dT%H:%M:%S");
    serde_json::json!({
        "id": format!("1c000000-0000-4000-8000-{n:012}"), "region": "us-east",
        "type": "callrecording", "mimeType": "audio/mpeg", "objectName": format!("inc-{n}.mp3"),
        "storedBytes": 700 + u64::from(n) * 331, "createdTime": created.to_string(),
        "objectState": "AVAILABLE", "tags": []
    })
}

/// (b) New objects appear between runs (css-sim restarted with a longer catalog): run 2
/// exports exactly the new ones, inside its window, and nothing of the first run again.
#[tokio::test(flavor = "multi_thread")]
async fn new_objects_are_exactly_what_the_next_run_exports() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.json");
    let old: Vec<Value> = (0..6)
        .map(|n| entry(n, 60 * 24 * (2 + i64::from(n))))
        .collect();
    std::fs::write(&path, serde_json::to_vec(&old).unwrap()).unwrap();
    let catalog_args = format!(
        "--catalog {} --prep-base-ms 0 --prep-rate 0",
        path.display()
    );
    let sim = spawn_sim(&words(&catalog_args));
    let s3 = S3Server::start_async(S3Kind::S3sFs).await;
    s3.create_bucket("lake").await;
    let first = run_sync(&sim, &s3, "lake", &FLAGS).await;
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(first.total("exported"), 6);
    let wm = time(&checkpoint(&s3, "lake").await["watermark"]);
    drop(sim);

    let mut all = old.clone();
    all.extend((6..9).map(|n| entry(n, 20)));
    std::fs::write(&path, serde_json::to_vec(&all).unwrap()).unwrap();
    let sim = spawn_sim(&words(&catalog_args));
    let expected = available(&sim_catalog(&sim).await);
    assert_eq!(expected.len(), 9);
    let second = run_sync(&sim, &s3, "lake", &FLAGS).await;
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(second.total("exported"), 3, "exactly the new ones");
    assert_eq!(
        second.total("found"),
        3,
        "the old ones are below the window"
    );
    assert_bucket_matches(&s3, "lake", &expected).await;
    assert!(time(&checkpoint(&s3, "lake").await["watermark"]) >= wm);
}

/// A checkpoint of a newer version stops its region loudly and is left byte for byte.
#[tokio::test(flavor = "multi_thread")]
async fn a_newer_checkpoint_fails_the_region_and_is_never_overwritten() {
    let sim = spawn_sim(&words(&sim_args(ago(3), "")));
    let s3 = S3Server::start_async(S3Kind::S3sFs).await;
    s3.create_bucket("lake").await;
    let newer = br#"{"format":"css-sync/checkpoint","version":2,"region":"us-east","scope":"all","watermark":null,"open":[],"open_overflow":0,"last_run":null}"#;
    s3.client()
        .put_object()
        .bucket("lake")
        .key(KEY)
        .body(newer.to_vec().into())
        .send()
        .await
        .unwrap();
    let run = run_sync(&sim, &s3, "lake", &FLAGS).await;
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.total("exported"), 0);
    let errors = run.report["errors"].to_string();
    assert!(errors.contains("newer") && errors.contains(KEY), "{errors}");
    let got = s3
        .client()
        .get_object()
        .bucket("lake")
        .key(KEY)
        .send()
        .await
        .unwrap();
    let bytes = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(&bytes[..], &newer[..], "left as it was");
}

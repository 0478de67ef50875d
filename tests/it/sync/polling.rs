//! Issue 8 (polling): the real css-sync against css-sim with many bulk jobs in flight, each
//! taking seconds to prepare. With the all-jobs status offered, every status request is ONE
//! `GET …/bulk/download/status` per round per region (rounds at least the round gap apart, far
//! fewer than the jobs), never a per-job `status/{zip}`; refused (`--status-all off`, 404) or
//! never listing the jobs (`--status-all empty`), each job polls `status/{zip}` itself. Every
//! run lands every object with the catalog's bytes, and the `status` requests counted in the
//! metrics are the ones css-sim saw.

use super::check::{assert_bucket_matches, available};
use crate::support::procs::{sim_catalog, sim_requests, spawn_sim, sync_command, words, Proc};
use crate::support::s3::{S3Kind, S3Server};
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

/// 2 s preparation per job (NOT_STARTED throughout), small objects, the sim's two regions.
const SIM: &str = "--seed 41 --objects 36 --max-object-size 20KB --prep-base-ms 2000 --prep-rate 0";
/// One object per job: many jobs, all 8 default job slots of a region busy.
const POLL_INTERVAL_S: f64 = 1.5;

struct Run {
    code: i32,
    stderr: String,
    exported: u64,
    failed: u64,
    /// `css_sync_css_requests_total{endpoint="status"}`, summed.
    status_metric: f64,
}

async fn run(sim: &Proc, s3: &S3Server) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let (report, metrics) = (dir.path().join("r.json"), dir.path().join("m.prom"));
    let out = sync_command(sim, s3, "lake")
        .args(["--poll-interval", &POLL_INTERVAL_S.to_string()])
        .args(["--batch-max-objects", "1", "--report"])
        .arg(&report)
        .arg("--metrics-file")
        .arg(&metrics)
        .env("RUST_LOG", "info,css_sync=debug")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output();
    let out = tokio::time::timeout(Duration::from_secs(300), out)
        .await
        .expect("css-sync finished within 5 minutes")
        .unwrap();
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let metrics = std::fs::read_to_string(&metrics).unwrap_or_default();
    let status_metric = metrics
        .lines()
        .filter(|l| {
            l.starts_with("css_sync_css_requests_total{") && l.contains(r#"endpoint="status""#)
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    Run {
        code: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        exported: report["totals"]["exported"].as_u64().unwrap(),
        failed: report["totals"]["failed"].as_u64().unwrap(),
        status_metric,
    }
}

/// Per region: arrival times (ms) of all-jobs status requests, the count of per-job ones, and
/// the count of starts.
#[derive(Default, Debug)]
struct Seen {
    all_jobs_at: Vec<u64>,
    per_job: usize,
    starts: usize,
}

async fn seen(sim: &Proc) -> BTreeMap<String, Seen> {
    let mut out: BTreeMap<String, Seen> = BTreeMap::new();
    for r in sim_requests(sim).await {
        let path = r["path"].as_str().unwrap_or("");
        // /storage/{region}/v{n}/…
        let mut segs = path.trim_start_matches('/').split('/');
        let (Some("storage"), Some(region)) = (segs.next(), segs.next()) else {
            continue;
        };
        let rest: Vec<&str> = segs.skip(1).collect();
        let e = out.entry(region.to_string()).or_default();
        match rest.as_slice() {
            ["bulk", "download", "status"] => e.all_jobs_at.push(r["at_ms"].as_u64().unwrap()),
            ["bulk", "download", "status", _] => e.per_job += 1,
            ["bulk", "download", "start"] => e.starts += 1,
            _ => {}
        }
    }
    out.retain(|_, s| s.starts > 0);
    out
}

async fn lands_everything(args: &str) -> (Run, BTreeMap<String, Seen>) {
    let sim = spawn_sim(&words(&format!("{SIM} {args}")));
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket("lake").await;
    let expected = available(&sim_catalog(&sim).await);
    let got = run(&sim, &s3).await;
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert_eq!(got.exported, expected.len() as u64, "{}", got.stderr);
    assert_eq!(got.failed, 0);
    assert_bucket_matches(&s3, "lake", &expected).await;
    let seen = seen(&sim).await;
    assert_eq!(seen.len(), 2, "both regions had jobs: {seen:?}");
    let status_requests: usize = seen.values().map(|s| s.all_jobs_at.len() + s.per_job).sum();
    assert_eq!(
        got.status_metric, status_requests as f64,
        "metric = what the sim saw"
    );
    (got, seen)
}

#[tokio::test(flavor = "multi_thread")]
async fn many_jobs_in_flight_share_one_all_jobs_status_request_per_round() {
    let (_, seen) = lands_everything("").await;
    let gap_ms = (POLL_INTERVAL_S.min(2.0) * 1000.0) as u64;
    for (region, s) in &seen {
        assert_eq!(s.per_job, 0, "{region}: no per-job status request: {s:?}");
        assert!(s.starts >= 10, "{region}: many jobs: {s:?}");
        // A per-job client polls every job at least once (2 s preparation, first check at
        // 1.5 s: twice): here the rounds are far fewer than the jobs.
        assert!(
            !s.all_jobs_at.is_empty() && s.all_jobs_at.len() * 2 <= s.starts,
            "{region}: {} all-jobs requests for {} jobs",
            s.all_jobs_at.len(),
            s.starts
        );
        // Rounds never come closer than the round gap (min(2 s, interval)), minus transport
        // jitter: about one per interval, whatever the number of jobs.
        for w in s.all_jobs_at.windows(2) {
            assert!(
                w[1] - w[0] + 100 >= gap_ms,
                "{region}: rounds at {:?}",
                s.all_jobs_at
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_all_jobs_status_falls_back_to_per_job_polling_logged_once() {
    let (got, seen) = lands_everything("--status-all off").await;
    for (region, s) in &seen {
        assert_eq!(
            s.all_jobs_at.len(),
            1,
            "{region}: asked once, then never again: {s:?}"
        );
        assert!(
            s.per_job >= s.starts,
            "{region}: every job polled itself: {s:?}"
        );
    }
    let warned = got.stderr.matches("all-jobs status request failed").count();
    assert_eq!(warned, 2, "one warning per region: {}", got.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn jobs_missing_from_the_all_jobs_answer_ask_their_own_status() {
    let (got, seen) = lands_everything("--status-all empty").await;
    for (region, s) in &seen {
        assert!(
            s.all_jobs_at.len() >= 2,
            "{region}: still asked each round: {s:?}"
        );
        assert!(
            s.per_job >= s.starts,
            "{region}: every job polled itself: {s:?}"
        );
    }
    assert!(
        !got.stderr.contains("all-jobs status request failed"),
        "{}",
        got.stderr
    );
}

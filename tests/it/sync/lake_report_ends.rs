//! Issue 7 (lakereport): the runs that end early or badly still leave their reports — a run
//! that cannot proceed (bad CSS secret, exit 3) writes the local and the bucket report with
//! `exit_code` 3 and the error; an interrupted run (130) leaves the bucket report with every
//! cut-off object at stage `interrupted`; a bucket report that cannot be written is an error
//! in the local report and keeps the exit code.

use super::check::{available, REPORTS_ROOT};
use super::lake_report::{assert_same_numbers, reports_of, run_id};
use crate::support::procs::{
    run_sync, signal, sim_catalog, sim_requests, spawn_sim, sync_command, words,
};
use crate::support::s3::{read_back, S3Kind, S3Server};
use serde_json::Value;
use std::process::Stdio;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread")]
async fn a_run_that_cannot_proceed_still_writes_both_reports_with_exit_code_3() {
    let sim = spawn_sim(&words(
        "--seed 2 --objects 5 --prep-base-ms 0 --prep-rate 0",
    ));
    let s3 = S3Server::start_async(S3Kind::Seaweed).await;
    s3.create_bucket("lake").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    let out = sync_command(&sim, &s3, "lake")
        .env("CSS_CLIENT_SECRET", "wrong-SECRET-value")
        .arg("--report")
        .arg(&path)
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let report: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("local report")).unwrap();
    assert_eq!(report["exit_code"], 3);
    assert_eq!(report["totals"]["found"], 0);
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].as_str().unwrap().contains("CSS_CLIENT_SECRET"),
        "{errors:?}"
    );
    assert!(
        !report.to_string().contains("wrong-SECRET-value"),
        "secret leaked"
    );
    let stored = read_back(&s3.client(), "lake").await;
    let got = reports_of(&stored, report["run_id"].as_str().unwrap());
    assert_same_numbers(&got.summary, &report);
    assert!(
        got.files.is_empty() && got.lines.is_empty(),
        "no object, no lines"
    );
    assert_eq!(stored.len(), 1, "only the summary: {:?}", stored.keys());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_run_leaves_its_report_with_the_cut_off_objects() {
    // Jobs take 4 s to prepare: the signal finds every object listed and none settled.
    let sim = spawn_sim(&words(
        "--seed 6 --objects 12 --max-object-size 50KB --prep-base-ms 4000 --prep-rate 0",
    ));
    let s3 = S3Server::start_async(S3Kind::Seaweed).await;
    s3.create_bucket("lake").await;
    let expected = available(&sim_catalog(&sim).await);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    let mut child = sync_command(&sim, &s3, "lake")
        .args(["--poll-interval", "0.1", "--report"])
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let started = |r: &Value| {
        r["path"]
            .as_str()
            .unwrap_or("")
            .contains("/bulk/download/start")
    };
    loop {
        if sim_requests(&sim)
            .await
            .iter()
            .filter(|r| started(r))
            .count()
            > 0
        {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no bulk job started");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    signal(&child, "-TERM");
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("exits within the grace")
        .unwrap();
    assert_eq!(status.code(), Some(130));
    let report: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("local report")).unwrap();
    assert_eq!(report["interrupted"], true);
    assert_eq!(report["exit_code"], 130);
    let cut_off = report["unsettled"].as_u64().unwrap();
    assert!(cut_off > 0, "{report}");
    let stored = read_back(&s3.client(), "lake").await;
    let got = reports_of(&stored, report["run_id"].as_str().unwrap());
    assert_same_numbers(&got.summary, &report);
    assert_eq!(got.summary["interrupted"], true);
    let interrupted: Vec<&Value> = got
        .lines
        .iter()
        .filter(|l| l["stage"] == "interrupted")
        .collect();
    assert_eq!(interrupted.len() as u64, cut_off, "{:?}", got.lines);
    assert_eq!(got.lines.len(), report["failed"].as_array().unwrap().len());
    assert!(interrupted
        .iter()
        .all(|l| expected.iter().any(|o| o["id"] == l["id"])));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_report_that_cannot_be_written_is_an_error_and_keeps_the_exit_code() {
    let sim = spawn_sim(&words(
        "--seed 3 --objects 6 --max-object-size 20KB --prep-base-ms 0 --prep-rate 0",
    ));
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket("lake").await;
    // s3s-fs stores keys as files: a file named `_css-sync` makes every key under
    // `_css-sync/` unwritable (the conditional-write probe is turned off for that reason).
    std::fs::write(s3.root().join("lake").join("_css-sync"), b"in the way").unwrap();
    let expected = available(&sim_catalog(&sim).await);
    let flags = ["--conditional-writes", "off"];
    let run = run_sync(&sim, &s3, "lake", &flags).await;
    assert_eq!(run.code, 0, "every object is in S3: {}", run.stderr);
    assert_eq!(run.report["exit_code"], 0);
    assert_eq!(run.total("exported"), expected.len() as u64);
    let errors = run.report["errors"].as_array().unwrap();
    let summary = format!("{REPORTS_ROOT}{}.json", run_id(&run));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]
            .as_str()
            .unwrap()
            .starts_with(&format!("run report {summary} not written")),
        "{errors:?}"
    );
    assert!(
        run.stderr.contains("run report not written to the bucket"),
        "{}",
        run.stderr
    );
    let stored = read_back(&s3.client(), "lake").await;
    assert!(
        !stored.keys().any(|k| k.starts_with(REPORTS_ROOT)),
        "{:?}",
        stored.keys()
    );
}

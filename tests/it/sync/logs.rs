//! Issue 7 (logs): with `LOG_FORMAT=json` every stderr line is one JSON object carrying the
//! report's run id — the summary and `main`'s own errors too —, lists are JSON arrays, and
//! at debug one `object settled` event per object found, whose outcomes add up to the
//! report's; with `--report -` the report on stdout is one compact line.

use crate::support::procs::{run_sync, spawn_sim, sync_command, words};
use crate::support::s3::{S3Kind, S3Server};
use serde_json::Value;
use std::collections::BTreeMap;

/// Every stderr line as JSON; panics naming the first line that is not one object.
fn json_lines(stderr: &str) -> Vec<Value> {
    stderr
        .lines()
        .map(|l| match serde_json::from_str::<Value>(l) {
            Ok(v) if v.is_object() => v,
            _ => panic!("not a JSON object line: {l:?}\n{stderr}"),
        })
        .collect()
}

fn message(v: &Value) -> &str {
    v["fields"]["message"].as_str().unwrap_or("")
}

/// The `object settled` debug events, counted by outcome.
fn outcomes(lines: &[Value]) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for v in lines.iter().filter(|v| message(v) == "object settled") {
        assert_eq!(v["level"], "DEBUG");
        assert_eq!(v["target"], "css_sync::object");
        let f = &v["fields"];
        assert!(f["region"].is_string() && f["id"].is_string() && f["type"].is_string());
        assert!(f["bytes"].is_u64(), "{v}");
        if f["outcome"] == "failed" {
            assert!(f["stage"].is_string() && f["reason"].is_string(), "{v}");
        }
        *m.entry(f["outcome"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    m
}

#[tokio::test(flavor = "multi_thread")]
async fn json_mode_every_line_is_json_with_the_run_id_and_one_event_per_object() {
    // A poison object fails at stage `job`, exit 1.
    let sim = spawn_sim(&words(
        "--seed 9 --objects 30 --max-object-size 100KB --fault-poison-count 1 \
         --bandwidth 300KB --prep-base-ms 0 --prep-rate 0",
    ));
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket("lake").await;
    let run = run_sync(
        &sim,
        &s3,
        "lake",
        &[
            "--log-format",
            "json",
            "--progress-interval",
            "1s",
            "--batch-max-objects",
            "8",
            "--object-attempts",
            "2",
        ],
    )
    .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let lines = json_lines(&run.stderr);
    let run_id = run.report["run_id"].as_str().unwrap();
    for v in &lines {
        assert_eq!(v["run_id"], run_id, "{v}");
        assert!(v["timestamp"].is_string() && v["level"].is_string(), "{v}");
    }
    let regions = lines
        .iter()
        .find(|v| message(v) == "regions to sync")
        .expect("regions line");
    assert_eq!(regions["fields"]["regions"], run.report["regions"]);
    assert!(regions["fields"]["regions"].is_array());

    let by = outcomes(&lines);
    let found = run.total("found");
    assert!(found >= 20 && run.total("failed") > 0, "{}", run.report);
    assert_eq!(by.values().sum::<u64>(), found, "{by:?}");
    assert_eq!(
        by.get("exported").copied().unwrap_or(0),
        run.total("exported")
    );
    assert_eq!(by.get("failed").copied().unwrap_or(0), run.total("failed"));
    assert_eq!(
        by.get("present").copied().unwrap_or(0),
        run.total("already_present")
    );

    let summaries: Vec<&Value> = lines.iter().filter(|v| message(v) == "summary").collect();
    assert_eq!(summaries.len(), 1, "one summary event");
    let s = &summaries[0]["fields"];
    assert_eq!(s["found"], found);
    assert_eq!(s["exported"], run.report["totals"]["exported"]);
    assert_eq!(s["bytes_exported"], run.report["totals"]["bytes_exported"]);
    assert_eq!(s["exit_code"], 1);
    assert_eq!(s["regions"], run.report["regions"]);
    assert_eq!(s["groups"], run.report["groups"]);
    assert_eq!(s["failed_objects"], run.report["failed"]);
    assert!(s["errors"].is_array());

    let progress: Vec<&Value> = lines.iter().filter(|v| message(v) == "progress").collect();
    assert!(
        !progress.is_empty(),
        "progress events in JSON mode off a terminal"
    );
    let last = &progress.last().unwrap()["fields"];
    assert_eq!(last["objects_settled"], found);
    assert!(
        last["regions"].is_array() && last["listing_done"] == true,
        "{last}"
    );
    assert!(!run.stderr.contains("\x1b["));
}

#[tokio::test(flavor = "multi_thread")]
async fn report_on_stdout_is_one_compact_line() {
    let sim = spawn_sim(&words(
        "--seed 4 --objects 8 --max-object-size 20KB --unavailable-share 0 --prep-base-ms 0 \
         --prep-rate 0",
    ));
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket("lake").await;
    let first = run_sync(&sim, &s3, "lake", &[]).await;
    assert_eq!(first.code, 0, "{}", first.stderr);
    // The re-run: everything present, one `present` event each.
    let out = sync_command(&sim, &s3, "lake")
        .args([
            "--poll-interval",
            "0.05",
            "--report",
            "-",
            "--log-format",
            "json",
        ])
        .env("RUST_LOG", "css_sync=debug")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(stdout.lines().count(), 1, "one line: {stdout}");
    let report: Value = serde_json::from_str(stdout.trim()).expect("JSON report");
    let found = report["totals"]["found"].as_u64().unwrap();
    assert_eq!(report["totals"]["already_present"], found);
    let lines = json_lines(&stderr);
    assert_eq!(outcomes(&lines).get("present").copied(), Some(found));
    assert!(lines.iter().all(|v| v["run_id"] == report["run_id"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn json_mode_errors_of_main_and_clap_are_json_lines() {
    for (var, value) in [("CSS_SYNC_QUIET", "maybe"), ("CSS_SYNC_PROGRESS", "loud")] {
        let out = tokio::process::Command::new(crate::support::procs::sync_bin())
            .arg("sync")
            .env("LOG_FORMAT", "json")
            .env("CSS_CLIENT_ID", "id")
            .env("CSS_CLIENT_SECRET", "secret")
            .env("S3_BUCKET", "lake")
            .env(var, value)
            .output()
            .await
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        let lines = json_lines(&stderr);
        assert_eq!(lines.len(), 1, "{stderr}");
        assert_eq!(lines[0]["level"], "ERROR");
        assert!(message(&lines[0]).contains(var), "{stderr}");
        let id = lines[0]["run_id"].as_str().expect("run id");
        assert_eq!(id.len(), 25, "{id}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn json_mode_purge_summary_is_one_json_event() {
    let sim = spawn_sim(&words(
        "--seed 6 --objects 6 --max-object-size 20KB --unavailable-share 0 --prep-base-ms 0 \
         --prep-rate 0",
    ));
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket("lake").await;
    assert_eq!(run_sync(&sim, &s3, "lake", &[]).await.code, 0);
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("purge.json");
    let out = crate::support::procs::command("purge", &sim, &s3, "lake")
        .args(["--log-format", "json", "--purge-report"])
        .arg(&report)
        .env_remove("RUST_LOG")
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines = json_lines(&stderr);
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let summary: Vec<&Value> = lines
        .iter()
        .filter(|v| message(v) == "purge summary")
        .collect();
    assert_eq!(summary.len(), 1, "{stderr}");
    let f = &summary[0]["fields"];
    assert_eq!(f["mode"], "dry-run");
    assert_eq!(f["totals"], report["totals"]);
    assert_eq!(f["exit_code"], out.status.code().unwrap());
    assert!(f["regions"].is_array() && f["refused"].is_array(), "{f}");
    let id = lines[0]["run_id"].as_str().expect("run id");
    assert!(lines.iter().all(|v| v["run_id"] == id), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn json_mode_an_interrupted_run_still_balances_its_object_events() {
    let sim = spawn_sim(&words(
        "--seed 12 --objects 30 --max-object-size 200KB --unavailable-share 0 \
         --bandwidth 150KB --prep-base-ms 0 --prep-rate 0",
    ));
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket("lake").await;
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let child = sync_command(&sim, &s3, "lake")
        .args([
            "--poll-interval",
            "0.05",
            "--log-format",
            "json",
            "--report",
        ])
        .arg(&report)
        .args(["--batch-max-objects", "5"])
        .env("RUST_LOG", "css_sync=debug")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    crate::support::procs::signal(&child, "-TERM");
    let out = tokio::time::timeout(std::time::Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("exits within the grace")
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let lines = json_lines(&stderr);
    assert!(lines.iter().all(|v| v["run_id"] == report["run_id"]));
    let by = outcomes(&lines);
    let t = &report["totals"];
    assert!(
        report["unsettled"].as_u64().unwrap() > 0,
        "cut off mid-run: {report}"
    );
    assert_eq!(
        Some(by.values().sum::<u64>()),
        t["found"].as_u64(),
        "{by:?}"
    );
    assert_eq!(by.get("failed").copied(), t["failed"].as_u64(), "{by:?}");
    let interrupted = lines
        .iter()
        .filter(|v| message(v) == "object settled" && v["fields"]["stage"] == "interrupted")
        .count() as u64;
    assert_eq!(Some(interrupted), report["unsettled"].as_u64());
    let summary = lines
        .iter()
        .find(|v| message(v) == "summary")
        .expect("summary");
    assert_eq!(summary["fields"]["interrupted"], true);
    assert_eq!(summary["fields"]["exit_code"], 130);
}

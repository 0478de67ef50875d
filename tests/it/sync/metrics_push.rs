//! Issue 7 (metrics): every end of a sync pushes to a real Pushgateway (Debian's) — success,
//! exit 1 (failed objects), exit 3 (CSS auth rejected) and an interrupt (SIGTERM) — into one
//! group keyed by job and regions (no instance), each run replacing the last one's values;
//! the last-success time lives in its own group and only a success moves it. The pushed
//! counts equal the JSON report's, in the Pushgateway and in a real Prometheus scraping it;
//! the URL's credentials never reach the logs.

use crate::support::procs::{signal, spawn_sim, sync_command, words, Proc};
use crate::support::prom::{self, samples, sum, Sample};
use crate::support::s3::{S3Kind, S3Server};
use serde_json::Value;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

const JOB: &str = "nightly";

/// The samples the Pushgateway holds for our job (its own `push_time_seconds` … included).
async fn pushed(pgw: &prom::Server) -> Vec<Sample> {
    let text = reqwest::get(format!("{}/metrics", pgw.url))
        .await
        .expect("GET pushgateway /metrics")
        .text()
        .await
        .unwrap();
    samples(&text)
        .into_iter()
        .filter(|s| s.label("job") == Some(JOB))
        .collect()
}

/// The grouping keys the Pushgateway holds (its API), as sorted `k=v` lists.
async fn groups(pgw: &prom::Server) -> Vec<Vec<String>> {
    let body: Value = reqwest::get(format!("{}/api/v1/metrics", pgw.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut out: Vec<Vec<String>> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let mut labels: Vec<String> = g["labels"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap()))
                .collect();
            labels.sort();
            labels
        })
        .collect();
    out.sort();
    out
}

fn value(s: &[Sample], name: &str) -> Option<f64> {
    s.iter().find(|x| x.name == name).map(|x| x.value)
}

/// One `sync` with the push on; `sigterm_after` sends SIGTERM once that many objects are in
/// the bucket. Returns (exit code, report or Null, stderr).
async fn run(
    sim: &Proc,
    s3: &S3Server,
    pgw_url: &str,
    dir: &Path,
    env: &[(&str, &str)],
    sigterm_after: Option<usize>,
) -> (i32, Value, String) {
    let report = dir.join("report.json");
    let _ = std::fs::remove_file(&report);
    let child = sync_command(sim, s3, "lake")
        .args(["--poll-interval", "0.05", "--regions", "uk"])
        .args(["--pushgateway-url", pgw_url, "--pushgateway-job", JOB])
        .arg("--report")
        .arg(&report)
        .arg("--metrics-file")
        .arg(dir.join("metrics.prom"))
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(n) = sigterm_after {
        let deadline = Instant::now() + Duration::from_secs(60);
        while super::bounds::objects_in(s3, "lake").await.len() < n {
            assert!(Instant::now() < deadline, "no object landed");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        signal(&child, "-TERM");
    }
    let out = tokio::time::timeout(Duration::from_secs(180), child.wait_with_output())
        .await
        .expect("css-sync ended")
        .unwrap();
    let report = std::fs::read(&report)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("s3cr3t"), "credentials logged:\n{stderr}");
    assert!(
        stderr.contains("metrics pushed to the Pushgateway"),
        "{stderr}"
    );
    (out.status.code().unwrap_or(-1), report, stderr)
}

/// The run group's counts equal the report's.
fn assert_counts(s: &[Sample], report: &Value) {
    let total = |f: &str| report["totals"][f].as_u64().unwrap() as f64;
    let run = [("regions", "uk")];
    for (metric, field) in [
        ("css_sync_objects_found_total", "found"),
        ("css_sync_objects_exported_total", "exported"),
        ("css_sync_objects_already_present_total", "already_present"),
        ("css_sync_objects_failed_total", "failed"),
        ("css_sync_exported_bytes_total", "bytes_exported"),
    ] {
        assert_eq!(sum(s, metric, &run), total(field), "{metric} vs {report}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_end_is_pushed_and_only_a_success_moves_the_last_success() {
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket("lake").await;
    let pgw = prom::pushgateway().await;
    let port = pgw.url.rsplit(':').next().unwrap();
    let url = format!("http://pusher:s3cr3t@127.0.0.1:{port}/");
    let dir = tempfile::tempdir().unwrap();
    let last_success = |s: &[Sample]| {
        s.iter()
            .find(|x| x.name == "css_sync_last_success_timestamp_seconds")
            .map(|x| (x.value, x.label("kind").map(str::to_string)))
    };

    // 1. Success.
    let sim = spawn_sim(&words(
        "--seed 5 --objects 8 --regions uk --unavailable-share 0 --max-object-size 20KB --prep-base-ms 0 --prep-rate 0",
    ));
    let (code, report, _) = run(&sim, &s3, &url, dir.path(), &[], None).await;
    assert_eq!(code, 0);
    let s = pushed(&pgw).await;
    assert_counts(&s, &report);
    assert_eq!(value(&s, "css_sync_last_exit_code"), Some(0.0));
    let (success_at, kind) = last_success(&s).expect("last success pushed");
    assert_eq!(kind.as_deref(), Some("last_success"));
    assert_eq!(
        groups(&pgw).await,
        [
            vec![
                format!("job={JOB}"),
                "kind=last_success".into(),
                "regions=uk".into()
            ],
            vec![format!("job={JOB}"), "regions=uk".into()],
        ],
        "grouping key: job and regions, no instance"
    );
    // A real Prometheus scraping the Pushgateway sees the same values (honor_labels).
    let prometheus = prom::prometheus_with(pgw.url.trim_start_matches("http://"), true).await;
    let q = format!("sum(css_sync_objects_exported_total{{job=\"{JOB}\",regions=\"uk\"}})");
    let deadline = Instant::now() + Duration::from_secs(30);
    while prom::scalar(&prometheus, &q).await.is_none() {
        assert!(
            Instant::now() < deadline,
            "Prometheus never scraped the Pushgateway"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        prom::scalar(&prometheus, &q).await,
        report["totals"]["exported"].as_f64()
    );
    let q =
        format!("css_sync_last_success_timestamp_seconds{{job=\"{JOB}\",kind=\"last_success\"}}");
    assert_eq!(prom::scalar(&prometheus, &q).await, Some(success_at));
    drop(prometheus);
    let file = std::fs::read_to_string(dir.path().join("metrics.prom")).unwrap();
    assert_eq!(
        crate::support::prom::samples(&file)
            .iter()
            .find(|x| x.name == "css_sync_last_success_timestamp_seconds")
            .map(|x| x.value),
        Some(success_at)
    );
    drop(sim);

    // 2. Exit 1: every bulk job FAILED, one attempt each. The run group is replaced, the last
    // success kept.
    let sim = spawn_sim(&words(
        "--seed 6 --objects 6 --regions uk --unavailable-share 0 --max-object-size 20KB --prep-base-ms 0 --prep-rate 0 --fault-failed-rate 1",
    ));
    let attempts = [("CSS_OBJECT_ATTEMPTS", "1")];
    let (code, report, _) = run(&sim, &s3, &url, dir.path(), &attempts, None).await;
    assert_eq!(code, 1, "{report}");
    assert!(report["totals"]["failed"].as_u64().unwrap() > 0);
    let s = pushed(&pgw).await;
    assert_counts(&s, &report);
    assert_eq!(value(&s, "css_sync_last_exit_code"), Some(1.0));
    assert_eq!(last_success(&s).map(|x| x.0), Some(success_at), "kept");
    // The textfile keeps it too.
    let file = std::fs::read_to_string(dir.path().join("metrics.prom")).unwrap();
    assert!(
        file.contains(&format!(
            "css_sync_last_success_timestamp_seconds {success_at}"
        )),
        "{file}"
    );

    // 3. Exit 3: CSS rejects the credentials; nothing was found, and the group says so.
    let (code, _, stderr) = run(
        &sim,
        &s3,
        &url,
        dir.path(),
        &[("CSS_CLIENT_SECRET", "wrong")],
        None,
    )
    .await;
    assert_eq!(code, 3, "{stderr}");
    let s = pushed(&pgw).await;
    assert_eq!(value(&s, "css_sync_last_exit_code"), Some(3.0));
    assert_eq!(
        sum(&s, "css_sync_objects_found_total", &[]),
        0.0,
        "not the last run's"
    );
    assert_eq!(last_success(&s).map(|x| x.0), Some(success_at));
    let file = std::fs::read_to_string(dir.path().join("metrics.prom")).unwrap();
    assert!(file.contains("css_sync_last_exit_code 3"), "{file}");
    drop(sim);

    // 4. Interrupt (SIGTERM mid-zip): exit 130, the verified objects pushed as the report says.
    let sim = spawn_sim(&words(concat!(
        "--seed 7 --objects 60 --regions uk --unavailable-share 0 --max-object-size 60KB",
        " --prep-base-ms 0 --prep-rate 0 --bandwidth 300KB",
    )));
    let before = super::bounds::objects_in(&s3, "lake").await.len();
    let (code, report, _) = run(
        &sim,
        &s3,
        &url,
        dir.path(),
        &[("SHUTDOWN_GRACE", "10s")],
        Some(before + 3),
    )
    .await;
    assert_eq!(code, 130);
    assert_eq!(report["interrupted"], true);
    let s = pushed(&pgw).await;
    assert_counts(&s, &report);
    assert!(
        report["totals"]["exported"].as_u64().unwrap() >= 3,
        "{report}"
    );
    assert_eq!(value(&s, "css_sync_last_exit_code"), Some(130.0));
    assert_eq!(
        sum(&s, "css_sync_objects_left", &[]),
        report["unsettled"].as_u64().unwrap() as f64,
        "objects left = what the interrupt cut off"
    );
    assert_eq!(last_success(&s).map(|x| x.0), Some(success_at));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_pushgateway_is_logged_and_keeps_the_exit_code() {
    let sim = spawn_sim(&words(
        "--seed 9 --objects 3 --regions uk --unavailable-share 0 --max-object-size 10KB --prep-base-ms 0 --prep-rate 0",
    ));
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket("lake").await;
    // A port nothing listens on.
    let url = format!("http://pusher:s3cr3t@127.0.0.1:{}", prom::free_port());
    let started = Instant::now();
    let out = sync_command(&sim, &s3, "lake")
        .args(["--poll-interval", "0.05", "--regions", "uk"])
        .args(["--pushgateway-url", &url])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        stderr.matches("metrics push failed; retrying").count(),
        2,
        "3 attempts:\n{stderr}"
    );
    assert!(
        stderr.contains("metrics push failed; the exit code is unchanged"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("s3cr3t") && !stderr.contains("pusher"),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(60));
}

//! Issue 7 (metrics): a real Prometheus (Debian's) scrapes a run's `METRICS_LISTEN` every
//! second. One slow zip (css-sim's bandwidth cap): a scrape taken while that zip still streams
//! already shows objects exported — they count as each is proven, not when the zip ends. The
//! metrics file of the run passes `promtool check metrics`, has HELP on every family, the
//! known label sets at 0, the job wait as a histogram, the in-flight gauges back at 0, and
//! its counts equal the JSON report's.

use crate::support::procs::{spawn_sim, sync_command, words};
use crate::support::prom::{self, free_port, samples, scalar, sum};
use crate::support::s3::{S3Kind, S3Server};
use serde_json::Value;
use std::process::Stdio;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread")]
async fn prometheus_sees_objects_exported_while_their_zip_still_streams() {
    // ~12 objects of up to 120 KB in one zip at 150 KB/s: several seconds of streaming.
    let sim = spawn_sim(&words(concat!(
        "--seed 21 --objects 12 --regions uk --types voicemail --unavailable-share 0",
        " --max-object-size 120KB --prep-base-ms 0 --prep-rate 0 --bandwidth 150KB",
    )));
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket("lake").await;
    let listen = format!("127.0.0.1:{}", free_port());
    let prometheus = prom::prometheus(&listen).await;
    let dir = tempfile::tempdir().unwrap();
    let (report_path, metrics_path) = (dir.path().join("r.json"), dir.path().join("m.prom"));
    let mut child = sync_command(&sim, &s3, "lake")
        .args([
            "--poll-interval",
            "0.05",
            "--regions",
            "uk",
            "--types",
            "voicemail",
        ])
        .args(["--metrics-listen", &listen])
        .arg("--report")
        .arg(&report_path)
        .arg("--metrics-file")
        .arg(&metrics_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    // Mid-run: Prometheus' HTTP API, polled while css-sync still runs.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut mid_zip: Option<(f64, f64)> = None;
    let mut max_buffered = 0f64;
    let mut max_preparing = 0f64;
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "css-sync did not end in 120s");
        let exported = scalar(&prometheus, "sum(css_sync_objects_exported_total)").await;
        let downloading = scalar(&prometheus, "sum(css_sync_downloads_in_flight)").await;
        let buffered = scalar(&prometheus, "sum(css_sync_buffered_bytes)").await;
        let preparing = scalar(&prometheus, "sum(css_sync_jobs_preparing)").await;
        max_buffered = max_buffered.max(buffered.unwrap_or(0.0));
        max_preparing = max_preparing.max(preparing.unwrap_or(0.0));
        if let (Some(e), Some(1.0)) = (exported, downloading) {
            if e > 0.0 && child.try_wait().unwrap().is_none() && mid_zip.is_none() {
                let left = scalar(&prometheus, "sum(css_sync_objects_left)").await;
                mid_zip = Some((e, left.unwrap_or(f64::NAN)));
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let status = child.wait().await.unwrap();
    assert_eq!(status.code(), Some(0));
    let report: Value = serde_json::from_slice(&std::fs::read(&report_path).unwrap()).unwrap();
    let total = |f: &str| report["totals"][f].as_u64().unwrap() as f64;
    let exported = total("exported");
    assert!(exported >= 6.0, "{report}");
    let jobs = sum(
        &samples(&std::fs::read_to_string(&metrics_path).unwrap()),
        "css_sync_bulk_jobs_started_total",
        &[],
    );
    assert_eq!(jobs, 1.0, "one bulk job, one zip: {report}");
    let (seen, left) = mid_zip.expect("a scrape while the zip streamed showed objects exported");
    eprintln!(
        "mid-zip scrape: exported {seen} of {exported}, objects left {left}; \
         max buffered {max_buffered} B, max jobs preparing {max_preparing}"
    );
    assert!(
        seen < exported,
        "seen mid-zip: {seen} of {exported} (the zip was still streaming)"
    );
    assert!(left > 0.0 && left <= exported - seen, "left {left}");
    assert!(max_buffered > 0.0, "upload buffers were seen held");

    // What Prometheus stored never exceeds the report; the last scrape matches the file's or
    // trails it.
    let stored = scalar(
        &prometheus,
        "sum(max_over_time(css_sync_objects_exported_total[10m]))",
    )
    .await
    .unwrap();
    assert!(
        stored >= seen && stored <= exported,
        "{stored} vs {exported}"
    );

    let text = std::fs::read_to_string(&metrics_path).unwrap();
    assert_file_is_clean_and_matches(&text, &report);
}

/// `promtool check metrics`, HELP per family, 0-initialised series, histogram buckets,
/// gauges back at 0, and the counts of the report.
pub fn assert_file_is_clean_and_matches(text: &str, report: &Value) {
    let (ok, said) = prom::promtool_check(text);
    assert!(ok, "promtool check metrics: {said}\n{text}");
    assert!(said.trim().is_empty(), "promtool lint findings: {said}");
    let families = text.lines().filter(|l| l.starts_with("# TYPE ")).count();
    let helps = text.lines().filter(|l| l.starts_with("# HELP ")).count();
    assert_eq!(helps, families, "a HELP line on every family:\n{text}");
    assert!(families >= 28, "{families} families:\n{text}");
    let s = samples(text);
    let total = |f: &str| report["totals"][f].as_u64().unwrap() as f64;
    let uk = [("region", "uk")];
    assert_eq!(sum(&s, "css_sync_objects_found_total", &uk), total("found"));
    assert_eq!(
        sum(&s, "css_sync_objects_exported_total", &uk),
        total("exported")
    );
    assert_eq!(
        sum(&s, "css_sync_objects_already_present_total", &uk),
        total("already_present")
    );
    assert_eq!(
        sum(&s, "css_sync_objects_failed_total", &uk),
        total("failed")
    );
    assert_eq!(
        sum(&s, "css_sync_exported_bytes_total", &uk),
        total("bytes_exported")
    );
    // Known label sets at 0: every failure stage of the group, every job outcome.
    for stage in ["catalog", "verify", "s3", "interrupted"] {
        let with = [("region", "uk"), ("type", "voicemail"), ("stage", stage)];
        assert!(
            s.iter().any(|x| x.name == "css_sync_objects_failed_total"
                && with.iter().all(|(k, v)| x.label(k) == Some(*v))),
            "failed{{stage={stage}}} initialised:\n{text}"
        );
    }
    for outcome in ["done", "partial_done", "failed", "cancelled", "deadline"] {
        let with = [("region", "uk"), ("outcome", outcome)];
        assert_eq!(
            s.iter()
                .filter(|x| x.name == "css_sync_bulk_jobs_finished_total")
                .filter(|x| with.iter().all(|(k, v)| x.label(k) == Some(*v)))
                .count(),
            1,
            "jobs finished {{outcome={outcome}}}:\n{text}"
        );
    }
    assert!(
        text.contains("# TYPE css_sync_bulk_job_wait_seconds histogram"),
        "{text}"
    );
    assert!(
        text.contains("css_sync_bulk_job_wait_seconds_bucket{region=\"uk\",le=\"3600\"}"),
        "{text}"
    );
    assert!(text.contains("# TYPE css_sync_tokens_fetched_total counter"));
    for gauge in [
        "css_sync_jobs_preparing",
        "css_sync_downloads_in_flight",
        "css_sync_uploads_in_flight",
        "css_sync_buffered_bytes",
        "css_sync_objects_left",
        "css_sync_bytes_left",
    ] {
        assert!(
            s.iter().any(|x| x.name == gauge),
            "{gauge} present:\n{text}"
        );
        assert_eq!(sum(&s, gauge, &[]), 0.0, "{gauge} back at 0 at the end");
    }
    let code = report_exit_code(report);
    assert_eq!(sum(&s, "css_sync_last_exit_code", &[]), code);
    let duration = sum(&s, "css_sync_run_duration_seconds", &[]);
    let reported = report["duration_secs"].as_f64().unwrap();
    assert!(
        (duration - reported).abs() < 1e-3,
        "{duration} vs {reported}"
    );
}

/// The exit code a report implies (0 when nothing failed and nothing is unaccounted).
fn report_exit_code(report: &Value) -> f64 {
    let failed = report["totals"]["failed"].as_u64().unwrap();
    let clean = failed == 0 && report["errors"].as_array().is_none_or(Vec::is_empty);
    if report["interrupted"] == true {
        130.0
    } else if clean {
        0.0
    } else {
        1.0
    }
}

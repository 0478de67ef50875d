//! The fault suite, S3 side: the real css-sync binary and css-sim, and a real S3 server (moto,
//! s3s-fs, SeaweedFS) behind the fault proxy — 503 SlowDown and 500 at 30%, connections reset
//! mid-body, one byte flipped in 30% of request bodies (moto ignores Content-MD5, s3s-fs
//! ignores it on UploadPart, SeaweedFS checks it), 200 with an `<Error>` body, added latency,
//! an endpoint answering `200 text/html` to everything, a silent endpoint. Each scenario
//! measures a [`Row`] reading the bucket directly, then asserts the fixed behaviour: nothing
//! corrupt left looking verified, a truthful report, the documented exit code, and after a
//! clean re-run every object exactly once, intact, no upload left open, no key written twice.

use super::fault_kit::{
    assert_clean, assert_exit_matches_report, assert_truthful, clean_rerun, run, s3, sim, Row,
    RUN_LIMIT,
};
use crate::support::fault_proxy::{Entry, Fault, FaultProxy, Op, Rule};
use crate::support::procs::{command_at, signal, Proc, SyncRun};
use crate::support::s3::{S3Kind, S3Server};
use serde_json::Value;
use std::time::{Duration, Instant};

/// The requests that carry objects (the bucket check at start is left alone: a start-up that
/// fails for good is exit 3, a scenario of its own).
const OBJECT_OPS: &[Op] = &[
    Op::HeadObject,
    Op::PutObject,
    Op::CreateMultipartUpload,
    Op::UploadPart,
    Op::CompleteMultipartUpload,
];
const BODY_OPS: &[Op] = &[Op::PutObject, Op::UploadPart];

struct Proxied {
    row: Row,
    faulted: SyncRun,
    rerun: SyncRun,
    log: Vec<Entry>,
    expected: Vec<Value>,
    s3: S3Server,
    _sim: Proc,
    _dir: tempfile::TempDir,
}

/// Faulted run through the proxy, the row, then a clean run through the same proxy (no rules).
async fn proxied(name: &str, kind: S3Kind, seed: u64, rules: Vec<Rule>) -> Proxied {
    proxied_with(name, kind, seed, rules, &[]).await
}

/// [`proxied`] with extra flags for the faulted run.
async fn proxied_with(
    name: &str,
    kind: S3Kind,
    seed: u64,
    rules: Vec<Rule>,
    flags: &[&str],
) -> Proxied {
    let (sim, expected, dir) = sim(&[]).await;
    let s3 = s3(kind).await;
    let proxy = FaultProxy::start(&s3.endpoint, seed, rules).await;
    let mut all = vec!["--object-attempts", "6"];
    all.extend_from_slice(flags);
    let faulted = run(&sim, &s3, &proxy.url, &all).await;
    let mut row = Row::measure(name, &s3, &expected, &proxy.log(), &faulted).await;
    proxy.set_rules(vec![]);
    let rerun = clean_rerun(&sim, &s3, &proxy.url, &[]).await;
    let log = proxy.log();
    row.after_rerun(&s3, &expected, &log).await;
    row.record();
    Proxied {
        row,
        faulted,
        rerun,
        log,
        expected,
        s3,
        _sim: sim,
        _dir: dir,
    }
}

fn fired(log: &[Entry], fault: &str) -> usize {
    log.iter().filter(|e| e.fault == Some(fault)).count()
}

/// The fixed behaviour for a fault the worker must survive.
async fn assert_survived(p: &Proxied, fault: &str) {
    let lines: Vec<String> = p.log.iter().map(Entry::line).collect();
    assert!(
        fired(&p.log, fault) > 0,
        "fault {fault} never fired:\n{}",
        lines.join("\n")
    );
    assert_eq!(
        p.row.corrupt_but_verified, 0,
        "corrupt objects look verified: {:?}",
        p.row
    );
    assert_truthful(&p.faulted, p.row.landed_intact);
    assert_exit_matches_report(&p.faulted);
    assert_clean(&p.s3, &p.expected, &p.rerun).await;
    assert_eq!(p.row.orphan_uploads, 0, "{:?}", p.row);
    assert_eq!(p.row.written_twice, 0, "{:?}", p.row);
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_503_slowdown_at_30_percent_moto() {
    let rules = vec![Rule::new(Fault::SlowDown503, 0.3, OBJECT_OPS)];
    let p = proxied("503 SlowDown 30% (moto)", S3Kind::Moto, 11, rules).await;
    assert_survived(&p, "503").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_500_at_30_percent_s3s_fs() {
    let rules = vec![Rule::new(Fault::Internal500, 0.3, OBJECT_OPS)];
    let p = proxied("500 InternalError 30% (s3s-fs)", S3Kind::S3sFs, 12, rules).await;
    assert_survived(&p, "500").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_resets_mid_body_moto() {
    let rules = vec![
        Rule::new(Fault::ResetRequest, 0.15, BODY_OPS),
        Rule::new(Fault::ResetResponse, 0.15, OBJECT_OPS),
    ];
    let p = proxied("resets mid-body 30% (moto)", S3Kind::Moto, 13, rules).await;
    assert_survived(&p, "reset-response").await;
    assert!(fired(&p.log, "reset-request") > 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_bytes_changed_in_transit_moto() {
    let rules = vec![Rule::new(Fault::FlipByte, 0.3, BODY_OPS)];
    let p = proxied(
        "1 byte flipped in 30% of bodies (moto)",
        S3Kind::Moto,
        14,
        rules,
    )
    .await;
    assert_survived(&p, "flip").await;
    // moto ignores Content-MD5: only the ETag proof caught the flips (a disproved PutObject
    // counted as an S3 error, a disproved part re-sent).
    let caught = p
        .faulted
        .metrics
        .lines()
        .filter(|l| l.starts_with("css_sync_s3_errors_total") && l.contains("etag_mismatch"))
        .count() as f64
        + p.faulted.metric_sum("css_sync_parts_resent_total");
    assert!(
        caught >= 1.0,
        "the ETag proof caught a flip:\n{}",
        p.faulted.metrics
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_bytes_changed_in_transit_s3s_fs() {
    let rules = vec![Rule::new(Fault::FlipByte, 0.3, BODY_OPS)];
    let p = proxied(
        "1 byte flipped in 30% of bodies (s3s-fs)",
        S3Kind::S3sFs,
        15,
        rules,
    )
    .await;
    assert_survived(&p, "flip").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_bytes_changed_in_transit_seaweedfs() {
    let rules = vec![Rule::new(Fault::FlipByte, 0.3, BODY_OPS)];
    let p = proxied(
        "1 byte flipped in 30% of bodies (SeaweedFS)",
        S3Kind::Seaweed,
        16,
        rules,
    )
    .await;
    assert_survived(&p, "flip").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_200_with_error_body_moto() {
    let rules = vec![Rule::new(
        Fault::ErrorIn200,
        0.3,
        &[Op::CompleteMultipartUpload, Op::PutObject],
    )];
    let p = proxied("200 with <Error> body 30% (moto)", S3Kind::Moto, 17, rules).await;
    assert_survived(&p, "error-in-200").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_complete_multipart_failing_for_good_moto() {
    let rules = vec![Rule::new(
        Fault::Internal500,
        1.0,
        &[Op::CompleteMultipartUpload],
    )];
    let (sim, expected, _dir) = sim(&[]).await;
    let s3 = s3(S3Kind::Moto).await;
    let proxy = FaultProxy::start(&s3.endpoint, 22, rules).await;
    let faulted = run(&sim, &s3, &proxy.url, &["--object-attempts", "2"]).await;
    let sidecars_alone = super::fault_kit::sidecars_without_object(&s3).await;
    let mut row = Row::measure(
        "CompleteMultipartUpload 500 for good (moto)",
        &s3,
        &expected,
        &proxy.log(),
        &faulted,
    )
    .await;
    proxy.set_rules(vec![]);
    let rerun = clean_rerun(&sim, &s3, &proxy.url, &[]).await;
    row.after_rerun(&s3, &expected, &proxy.log()).await;
    row.record();
    assert_eq!(
        sidecars_alone,
        Vec::<String>::new(),
        "never a sidecar without its object"
    );
    assert_eq!(
        row.landed_intact, 8,
        "the 8 small objects land, the 2 multipart ones cannot"
    );
    assert_truthful(&faulted, row.landed_intact);
    assert_eq!(faulted.total("failed"), 2);
    assert_exit_matches_report(&faulted);
    assert_clean(&s3, &expected, &rerun).await;
    assert_eq!(row.orphan_uploads, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_silence_mid_run_is_bounded_moto() {
    // Start-up and HEADs answer; 30% of part uploads and puts are never answered. Each
    // silent attempt costs S3_READ_TIMEOUT (60 s by default; short here so that the retries
    // fit the test's limit), and every request is bounded by S3_CALL_DEADLINE.
    let rules = vec![Rule::new(Fault::Silence, 0.3, BODY_OPS)];
    let p = proxied_with(
        "silence on 30% of uploads mid-run (moto)",
        S3Kind::Moto,
        23,
        rules,
        &[
            "--s3-read-timeout",
            "3s",
            "--s3-attempt-timeout",
            "10s",
            "--s3-call-deadline",
            "40s",
        ],
    )
    .await;
    assert_ne!(
        p.faulted.code, -1,
        "a run with silent requests ends within {RUN_LIMIT:?}"
    );
    assert_survived(&p, "silence").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_latency_seaweedfs() {
    let rules = vec![Rule::new(
        Fault::Latency(Duration::from_millis(150)),
        1.0,
        &[],
    )];
    let p = proxied(
        "150 ms latency on every request (SeaweedFS)",
        S3Kind::Seaweed,
        18,
        rules,
    )
    .await;
    assert_survived(&p, "latency").await;
    assert_eq!(
        p.faulted.code, 0,
        "latency alone fails nothing:\n{}",
        p.faulted.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_html_answers_to_everything_moto() {
    let rules = vec![Rule::new(Fault::Html200, 1.0, &[])];
    let p = proxied(
        "200 text/html to everything (moto)",
        S3Kind::Moto,
        19,
        rules,
    )
    .await;
    assert!(fired(&p.log, "html") > 0);
    assert_eq!(p.row.landed_intact, 0, "nothing reached the server");
    assert!(
        [1, 3].contains(&p.faulted.code),
        "an endpoint that is not S3 is a failure (exit 1 or 3), got {}:\n{}",
        p.faulted.code,
        p.faulted.stderr
    );
    if p.faulted.report.is_object() {
        assert_truthful(&p.faulted, 0);
        assert_eq!(p.faulted.total("exported"), 0, "nothing was stored");
        assert_eq!(
            p.faulted.total("failed"),
            p.faulted.total("found"),
            "every object failed"
        );
    }
    assert_clean(&p.s3, &p.expected, &p.rerun).await;
    assert_eq!(p.row.orphan_uploads, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_silent_endpoint_moto() {
    let rules = vec![Rule::new(Fault::Silence, 1.0, &[])];
    let started = Instant::now();
    let p = proxied("silent endpoint (moto)", S3Kind::Moto, 20, rules).await;
    assert!(fired(&p.log, "silence") > 0);
    assert_eq!(
        p.faulted.code, 3,
        "S3 that never answers is unusable: exit 3 within {RUN_LIMIT:?}, got {}:\n{}",
        p.faulted.code, p.faulted.stderr
    );
    assert!(started.elapsed() < RUN_LIMIT * 2);
    assert_clean(&p.s3, &p.expected, &p.rerun).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_sigterm_during_startup_against_a_silent_endpoint() {
    let (sim, expected, _dir) = sim(&[]).await;
    let s3 = s3(S3Kind::Moto).await;
    let proxy =
        FaultProxy::start(&s3.endpoint, 21, vec![Rule::new(Fault::Silence, 1.0, &[])]).await;
    let mut child = command_at("sync", &sim, &s3, &proxy.url, super::fault_kit::BUCKET)
        .args(super::fault_kit::FLAGS)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Start-up (the bucket check) is hanging on the silent endpoint by now.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(fired(&proxy.log(), "silence") > 0, "start-up reached S3");
    signal(&child, "-TERM");
    let grace = Duration::from_secs(30);
    let code = match tokio::time::timeout(grace, child.wait()).await {
        Ok(status) => status.unwrap().code().unwrap_or(-1),
        Err(_) => {
            let _ = child.kill().await;
            -1
        }
    };
    let mut row = Row {
        scenario: "SIGTERM during start-up, silent endpoint (moto)".into(),
        objects: expected.len(),
        lost: expected.len(),
        exit: code,
        ..Row::default()
    };
    row.orphan_uploads = s3.open_multipart_uploads(super::fault_kit::BUCKET).await;
    row.record();
    assert_eq!(
        code, 130,
        "SIGTERM is honoured within {grace:?} even during start-up"
    );
}

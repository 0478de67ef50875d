//! The fault suite, process side: SIGKILL and SIGTERM at seeded random points (one of them
//! while a multipart upload is open) followed by a clean re-run, two workers on the same
//! window at once, objects tampered with after export (other bytes, same size, same metadata),
//! and css-sim's own faults at 40% of requests. Same measurement and the same fixed-behaviour
//! assertions as `fault_s3.rs` (see `fault_kit.rs`).

use super::fault_kit::{
    assert_clean, assert_exit_matches_report, assert_truthful, clean_rerun, raced_writes, run, s3,
    sim, Row, BUCKET, FLAGS, RUN_LIMIT,
};
use crate::support::fault_proxy::FaultProxy;
use crate::support::procs::{command_at, run_sync_at, signal, Proc, SyncRun};
use crate::support::s3::{read_back, S3Kind, S3Server};
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// The env var (issue 11, item 4) that lets a run abort our uploads older than this; a
/// binary that does not know it ignores it.
const ABORT_OLDER: (&str, &str) = ("S3_ABORT_UPLOADS_OLDER_THAN", "1s");

/// A run through `endpoint` as a child process writing its report into `dir`.
fn spawn(
    sim: &Proc,
    s3: &S3Server,
    endpoint: &str,
    dir: &std::path::Path,
) -> tokio::process::Child {
    command_at("sync", sim, s3, endpoint, BUCKET)
        .args(FLAGS)
        .args(["--poll-interval", "0.05", "--report"])
        .arg(dir.join("report.json"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn css-sync")
}

/// Waits until `s3` has a multipart upload in progress (at most 60 s).
async fn until_upload_open(s3: &S3Server) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while s3.open_multipart_uploads(BUCKET).await == 0 {
        assert!(Instant::now() < deadline, "no multipart upload started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_sigkill_at_seeded_points_then_a_clean_rerun() {
    // 3 MB/s from css-sim: a run takes ~6 s, so the kills land mid-run.
    let (sim, expected, dir) = sim(&["--bandwidth", "3MB"]).await;
    let s3 = s3(S3Kind::Moto).await;
    // A proxy without rules: only its request log (writes per key).
    let proxy = FaultProxy::start(&s3.endpoint, 30, vec![]).await;
    let mut rng = StdRng::seed_from_u64(31);
    let mut left_open = Vec::new();
    for i in 0..3 {
        let mut child = spawn(&sim, &s3, &proxy.url, dir.path());
        if i == 0 {
            until_upload_open(&s3).await;
            tokio::time::sleep(Duration::from_millis(rng.gen_range(0..200))).await;
        } else {
            tokio::time::sleep(Duration::from_millis(rng.gen_range(300..4000))).await;
        }
        signal(&child, "-KILL");
        let _ = child.wait().await;
        left_open.push(s3.open_multipart_uploads(BUCKET).await);
    }
    eprintln!("uploads open after each SIGKILL: {left_open:?}");
    assert!(
        left_open.iter().any(|n| *n > 0),
        "a kill lands mid-multipart"
    );
    let killed = SyncRun {
        code: 137,
        report: serde_json::Value::Null,
        metrics: String::new(),
        stderr: String::new(),
    };
    let mut row = Row::measure(
        "SIGKILL ×3 at seeded points, then a clean run (moto)",
        &s3,
        &expected,
        &proxy.log(),
        &killed,
    )
    .await;
    // Older than S3_ABORT_UPLOADS_OLDER_THAN by the time the clean run starts.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    eprintln!("before the clean run: {row:?}");
    let again = clean_rerun(&sim, &s3, &proxy.url, &[ABORT_OLDER]).await;
    row.after_rerun(&s3, &expected, &proxy.log()).await;
    row.exit = again.code;
    row.record();
    assert_eq!(row.corrupt_but_verified, 0);
    assert_clean(&s3, &expected, &again).await;
    assert_eq!(
        row.orphan_uploads, 0,
        "the killed run's upload was aborted by the next run"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_sigterm_at_a_seeded_point_leaves_nothing_half_written() {
    let (sim, expected, dir) = sim(&["--bandwidth", "3MB"]).await;
    let s3 = s3(S3Kind::Moto).await;
    let proxy = FaultProxy::start(&s3.endpoint, 30, vec![]).await;
    let mut rng = StdRng::seed_from_u64(32);
    let mut child = spawn(&sim, &s3, &proxy.url, dir.path());
    until_upload_open(&s3).await;
    tokio::time::sleep(Duration::from_millis(rng.gen_range(0..1500))).await;
    signal(&child, "-TERM");
    let code = match tokio::time::timeout(Duration::from_secs(30), child.wait()).await {
        Ok(status) => status.unwrap().code().unwrap_or(-1),
        Err(_) => {
            let _ = child.kill().await;
            -1
        }
    };
    let open_at_exit = s3.open_multipart_uploads(BUCKET).await;
    let report: serde_json::Value = std::fs::read_to_string(dir.path().join("report.json"))
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    let stopped = SyncRun {
        code,
        report,
        metrics: String::new(),
        stderr: String::new(),
    };
    let mut row = Row::measure(
        "SIGTERM mid-multipart at a seeded point (moto)",
        &s3,
        &expected,
        &proxy.log(),
        &stopped,
    )
    .await;
    row.orphan_uploads = open_at_exit;
    row.record();
    assert_eq!(code, 130, "SIGTERM → exit 130 within 30 s");
    assert_eq!(
        open_at_exit, 0,
        "exit 130 means nothing half-written remains"
    );
    assert_eq!(row.corrupt_but_verified, 0);
    assert_truthful(&stopped, row.landed_intact);
    let again = clean_rerun(&sim, &s3, &s3.endpoint, &[]).await;
    assert_clean(&s3, &expected, &again).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_two_workers_on_the_same_window_write_each_key_once() {
    let (sim, expected, _dir) = sim(&[]).await;
    let s3 = s3(S3Kind::Moto).await;
    let proxy = FaultProxy::start(&s3.endpoint, 41, vec![]).await;
    let (a, b) = tokio::join!(
        run(&sim, &s3, &proxy.url, &[]),
        run(&sim, &s3, &proxy.url, &[])
    );
    let mut row = Row::measure(
        "two workers at once on the same window (moto)",
        &s3,
        &expected,
        &proxy.log(),
        &a,
    )
    .await;
    row.exit = a.code.max(b.code);
    row.record();
    assert_eq!((a.code, b.code), (0, 0), "{}\n{}", a.stderr, b.stderr);
    assert_truthful(&a, expected.len());
    assert_truthful(&b, expected.len());
    // Each key (object and sidecar) written once, but for writes the server let through at
    // the same instant (moto's If-None-Match check is not atomic with the write; AWS's is).
    let raced = raced_writes(&proxy.log());
    assert_eq!(
        row.written_twice, raced,
        "each key (object and sidecar) written once: {row:?}"
    );
    super::check::assert_bucket_matches(&s3, BUCKET, &expected).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_tampered_objects_are_not_counted_present() {
    let (sim, expected, _dir) = sim(&[]).await;
    let s3 = s3(S3Kind::Seaweed).await;
    let first = run(&sim, &s3, &s3.endpoint, &[]).await;
    assert_eq!(first.code, 0, "{}", first.stderr);
    // Someone rewrites a small and a multipart object: other bytes, same size, the same
    // metadata (css-md5 included) and Content-Type.
    let client = s3.client();
    let stored = read_back(&client, BUCKET).await;
    let mut tampered = 0;
    for (key, obj) in &stored {
        let size = obj.size;
        if key.ends_with(".metadata.json")
            || !(size == 10_000 || size == 11 * super::fault_kit::MIB)
        {
            continue;
        }
        let got = client
            .get_object()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .unwrap();
        let meta = got.metadata().cloned().unwrap_or_default();
        let content_type = got.content_type().map(str::to_string);
        let mut bytes = got.body.collect().await.unwrap().into_bytes().to_vec();
        for b in bytes.iter_mut().take(16) {
            *b ^= 0xFF;
        }
        client
            .put_object()
            .bucket(BUCKET)
            .key(key)
            .set_metadata(Some(meta))
            .set_content_type(content_type)
            .body(bytes.into())
            .send()
            .await
            .unwrap();
        tampered += 1;
    }
    assert_eq!(tampered, 2);
    let proxy = FaultProxy::start(&s3.endpoint, 42, vec![]).await;
    let again = run_sync_at(&sim, &s3, &proxy.url, BUCKET, FLAGS, &[], RUN_LIMIT).await;
    let row = Row::measure(
        "2 objects tampered (same size and metadata), re-run (SeaweedFS)",
        &s3,
        &expected,
        &proxy.log(),
        &again,
    )
    .await;
    row.record();
    assert_eq!(
        row.corrupt_but_verified, 0,
        "a tampered object still looks verified: {row:?}"
    );
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.total("already_present"), 8);
    assert_eq!(
        again.total("exported"),
        2,
        "the tampered objects are exported again"
    );
    assert_clean(&s3, &expected, &again).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_css_sim_faults_at_40_percent() {
    let (sim, expected, _dir) = sim(&crate::support::procs::words(concat!(
        "--fault-scope objects,start,status,download --retry-after 0",
        " --fault-429-rate 0.1 --fault-503-rate 0.1 --fault-reset-rate 0.1",
        " --fault-corrupt-rate 0.1 --fault-truncate-rate 0.05 --fault-partial-rate 0.05",
    )))
    .await;
    let s3 = s3(S3Kind::S3sFs).await;
    let proxy = FaultProxy::start(&s3.endpoint, 51, vec![]).await;
    let faulted = run(&sim, &s3, &proxy.url, &["--object-attempts", "8"]).await;
    let mut row = Row::measure(
        "css-sim faults on 40% of requests (s3s-fs)",
        &s3,
        &expected,
        &proxy.log(),
        &faulted,
    )
    .await;
    let again = clean_rerun(&sim, &s3, &proxy.url, &[]).await;
    row.after_rerun(&s3, &expected, &proxy.log()).await;
    row.record();
    assert_eq!(row.corrupt_but_verified, 0);
    assert_truthful(&faulted, row.landed_intact);
    assert_exit_matches_report(&faulted);
    assert_eq!(row.written_twice, 0, "{row:?}");
    assert_clean(&s3, &expected, &again).await;
}

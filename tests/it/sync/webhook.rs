//! The completion webhook against a tiny HTTP server in the test (a tokio `TcpListener`):
//! the POSTed summary must carry the report's run id, totals and groups and the exit code,
//! survive a 503 (retried), never put the URL's token in the output, and a webhook that keeps
//! failing is logged after its bounded attempts without changing the exit code.

use crate::support::procs::{run_sync, spawn_sim, words};
use crate::support::s3::{S3Kind, S3Server};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// One received request: head (request line and headers) and body.
struct Received {
    head: String,
    body: Vec<u8>,
}

/// Serves on 127.0.0.1: the n-th request is answered `statuses[n]` (200 past the end).
async fn hook(statuses: Vec<u16>) -> (String, mpsc::UnboundedReceiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/hooks/run?token=SECRET-TOKEN",
        listener.local_addr().unwrap()
    );
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        for n in 0.. {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let head_end = loop {
                let got = sock.read(&mut chunk).await.unwrap_or(0);
                if got == 0 {
                    break None;
                }
                buf.extend_from_slice(&chunk[..got]);
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break Some(i + 4);
                }
            };
            let Some(head_end) = head_end else { continue };
            let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
            let len: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .unwrap_or(0);
            while buf.len() < head_end + len {
                let got = sock.read(&mut chunk).await.unwrap_or(0);
                if got == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..got]);
            }
            // Recorded before answering: the run cannot end before its request is seen.
            let body = buf[head_end..].to_vec();
            let _ = tx.send(Received { head, body });
            let status = statuses.get(n).copied().unwrap_or(200);
            let answer =
                format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            let _ = sock.write_all(answer.as_bytes()).await;
        }
    });
    (url, rx)
}

#[tokio::test(flavor = "multi_thread")]
async fn summary_is_posted_after_a_retry_and_matches_the_report() {
    let sim = spawn_sim(&words(
        "--seed 8 --objects 12 --max-object-size 30KB --prep-base-ms 0 --prep-rate 0",
    ));
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket("lake").await;
    let (url, mut got) = hook(vec![503]).await;
    let run = run_sync(&sim, &s3, "lake", &["--webhook-url", &url]).await;
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);

    let first = got.recv().await.expect("first attempt");
    assert!(
        first.head.starts_with("POST /hooks/run?token="),
        "{}",
        first.head
    );
    let second = got.recv().await.expect("retried after 503");
    let head = second.head.to_ascii_lowercase();
    assert!(head.contains("content-type: application/json"), "{head}");
    let body: Value = serde_json::from_slice(&second.body).expect("JSON summary");
    assert_eq!(body["run_id"], run.report["run_id"]);
    assert_eq!(body["totals"], run.report["totals"]);
    assert_eq!(body["groups"], run.report["groups"]);
    assert_eq!(body["exit_code"], run.code);
    assert_eq!(body["interrupted"], false);
    assert_eq!(
        body["failed_objects"],
        run.report["failed"].as_array().unwrap().len()
    );
    assert!(body.get("failed").is_none(), "no per-object list");
    assert_eq!(body["index"]["rows"], run.report["index"]["rows"]);
    assert!(got.try_recv().is_err(), "delivered once");
    assert!(run.stderr.contains("completion webhook delivered"));
    assert!(!run.stderr.contains("SECRET-TOKEN"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("/hooks/run"),
        "only the host is logged"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_webhook_is_logged_and_keeps_the_exit_code() {
    let sim = spawn_sim(&words(
        "--seed 8 --objects 4 --max-object-size 10KB --unavailable-share 0 --prep-base-ms 0 --prep-rate 0",
    ));
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket("lake").await;
    let (url, mut got) = hook(vec![500; 10]).await;
    let run = run_sync(&sim, &s3, "lake", &["--webhook-url", &url]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut attempts = 0;
    while got.try_recv().is_ok() {
        attempts += 1;
    }
    assert_eq!(attempts, 3, "bounded attempts");
    assert!(
        run.stderr.contains("completion webhook failed"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("SECRET-TOKEN"), "{}", run.stderr);
}

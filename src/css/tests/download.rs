//! Resumable-download tests: a fake server that breaks (or stalls) mid-body and then honours,
//! ignores or misplaces the `Range` request; presigned-URL answers to the bulk download.

use std::io;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use md5::{Digest, Md5};
use serde_json::json;
use tokio::io::AsyncReadExt;

use super::kit::{
    self, get, header, serve, Body, HeaderMap, IntoResponse, Json, Response, State, StatusCode,
    TokenServer,
};
use crate::css::{CssClient, CssError};

#[derive(Clone, Copy, PartialEq)]
enum Resume {
    Honour,
    IgnoreRange,
    WrongStart,
    /// 503 with `Retry-After: 30` to every Range request.
    Busy,
}

#[derive(Clone, Copy, PartialEq)]
enum FirstBody {
    BreakAtHalf,
    StallAtHalf,
}

struct Fake {
    data: Vec<u8>,
    resume: Resume,
    first: FirstBody,
    seen: Mutex<Vec<Seen>>,
}

/// (Range, If-Range, had Authorization) of one request.
type Seen = (Option<String>, Option<String>, bool);

fn payload(prefix: &[u8], len: usize) -> Vec<u8> {
    let mut v = prefix.to_vec();
    let mut x: u32 = 0x1234_5678;
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        v.push(x as u8);
    }
    v
}

fn md5_hex(b: &[u8]) -> String {
    hex::encode(Md5::digest(b))
}

fn header_str(h: &HeaderMap, name: header::HeaderName) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

async fn content(State(f): State<Arc<Fake>>, headers: HeaderMap) -> Response {
    let range = header_str(&headers, header::RANGE);
    let if_range = header_str(&headers, header::IF_RANGE);
    let authed = headers.contains_key(header::AUTHORIZATION);
    f.seen
        .lock()
        .unwrap()
        .push((range.clone(), if_range, authed));
    let total = f.data.len();
    let Some(range) = range else {
        let half = Bytes::copy_from_slice(&f.data[..total / 2]);
        let first = f.first;
        let body = futures::stream::unfold(0u8, move |step| {
            let half = half.clone();
            async move {
                match step {
                    0 => Some((Ok(half), 1)),
                    _ if first == FirstBody::StallAtHalf => futures::future::pending().await,
                    _ => {
                        // Let the headers and the first half reach the client, then drop.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Some((Err(io::Error::other("connection dropped")), 2))
                    }
                }
            }
        });
        return (
            [
                (header::CONTENT_LENGTH, total.to_string()),
                (header::ETAG, "\"v1\"".into()),
            ],
            Body::from_stream(body),
        )
            .into_response();
    };
    let from: usize = range
        .strip_prefix("bytes=")
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|n| n.parse().ok())
        .unwrap();
    match f.resume {
        Resume::Busy => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "30")],
            "busy",
        )
            .into_response(),
        Resume::IgnoreRange => f.data.clone().into_response(),
        Resume::Honour | Resume::WrongStart => {
            let start = if f.resume == Resume::WrongStart {
                0
            } else {
                from
            };
            let cr = format!("bytes {start}-{}/{total}", total - 1);
            let body = f.data[start..].to_vec();
            (
                StatusCode::PARTIAL_CONTENT,
                [(header::CONTENT_RANGE, cr)],
                body,
            )
                .into_response()
        }
    }
}

async fn server(resume: Resume, first: FirstBody, data: Vec<u8>) -> (CssClient, Arc<Fake>) {
    let fake = Arc::new(Fake {
        data,
        resume,
        first,
        seen: Mutex::new(Vec::new()),
    });
    let ts = TokenServer::new(json!("1799"));
    let router = ts.router().merge(
        kit::Router::new()
            .route("/storage/us-east/v3/objects/{id}/content", get(content))
            .route("/storage/us-east/v3/bulk/download/{zip}", get(content))
            .with_state(fake.clone()),
    );
    let base = serve(router).await;
    let mut cfg = kit::cfg(&base);
    cfg.http_timeout = Duration::from_millis(400);
    (CssClient::new(cfg).unwrap(), fake)
}

#[tokio::test]
async fn a_broken_body_is_resumed_with_range_and_reads_whole() {
    let data = payload(b"", 300_000);
    let (c, fake) = server(Resume::Honour, FirstBody::BreakAtHalf, data.clone()).await;
    let mut dl = c.download_object("us-east", "obj 1").await.unwrap();
    assert_eq!(dl.content_length(), Some(300_000));
    let mut got = Vec::new();
    dl.read_to_end(&mut got).await.unwrap();
    assert_eq!(md5_hex(&got), md5_hex(&data));
    assert_eq!((dl.bytes_read(), dl.resumes()), (300_000, 1));
    let seen = fake.seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].0, None);
    assert!(seen[1]
        .0
        .as_deref()
        .is_some_and(|r| r.starts_with("bytes=")));
    assert_eq!(seen[1].1.as_deref(), Some("\"v1\""));
    assert!(
        seen.iter().all(|s| s.2),
        "bearer token on every storage request"
    );
}

#[tokio::test]
async fn an_idle_body_counts_as_broken() {
    let data = payload(b"", 100_000);
    let (c, _) = server(Resume::Honour, FirstBody::StallAtHalf, data.clone()).await;
    let mut dl = c.download_object("us-east", "obj-2").await.unwrap();
    let mut got = Vec::new();
    dl.read_to_end(&mut got).await.unwrap();
    assert_eq!(md5_hex(&got), md5_hex(&data));
    assert_eq!(dl.resumes(), 1);
}

async fn expect_resume_failure(resume: Resume) {
    let data = payload(b"", 200_000);
    let (c, _) = server(resume, FirstBody::BreakAtHalf, data.clone()).await;
    let mut dl = c.download_object("us-east", "obj-3").await.unwrap();
    let mut got = Vec::new();
    let err = dl.read_to_end(&mut got).await.unwrap_err();
    let css = CssError::from_io(&err).expect("a CssError inside");
    assert_eq!(css.kind(), "resume_failed", "{css}");
    assert!(
        got.len() < data.len() && data.starts_with(&got),
        "only a true prefix was read"
    );
}

#[tokio::test]
async fn a_server_ignoring_range_is_an_error_not_corruption() {
    expect_resume_failure(Resume::IgnoreRange).await;
}

#[tokio::test]
async fn a_range_at_the_wrong_offset_is_an_error() {
    expect_resume_failure(Resume::WrongStart).await;
}

#[tokio::test]
async fn bulk_zip_is_streamed_through_the_sniff_and_resumed() {
    let data = payload(b"PK\x03\x04", 250_001);
    let (c, _) = server(Resume::Honour, FirstBody::BreakAtHalf, data.clone()).await;
    let dl = c.download_bulk("us-east", "0bcc.zip").await.unwrap();
    let chunks: Vec<Bytes> = futures::TryStreamExt::try_collect(dl.into_stream())
        .await
        .unwrap();
    assert_eq!(md5_hex(&chunks.concat()), md5_hex(&data));
}

#[tokio::test]
async fn bulk_json_with_presigned_url_is_followed_without_our_token() {
    let data = payload(b"PK\x05\x06", 10_000);
    let base_cell: Arc<OnceLock<String>> = Arc::new(OnceLock::new());
    let auth_on_presigned = Arc::new(Mutex::new(Vec::new()));
    let (cell, seen, d) = (base_cell.clone(), auth_on_presigned.clone(), data.clone());
    let ts = TokenServer::new(json!("1799"));
    let router = ts
        .router()
        .route(
            "/storage/us-east/v3/bulk/download/{zip}",
            get(move || async move {
                let url = format!(
                    "{}presigned/blob?X-Amz-Security-Token=abc",
                    cell.get().unwrap()
                );
                Json(json!([{"zipName": "a.zip", "status": "DONE", "url": url}]))
            }),
        )
        .route(
            "/presigned/blob",
            get(move |h: HeaderMap| async move {
                seen.lock()
                    .unwrap()
                    .push(h.contains_key(header::AUTHORIZATION));
                d
            }),
        );
    let base = serve(router).await;
    base_cell.set(base.to_string()).unwrap();
    let mut dl = kit::client(&base)
        .download_bulk("us-east", "a.zip")
        .await
        .unwrap();
    let mut got = Vec::new();
    dl.read_to_end(&mut got).await.unwrap();
    assert_eq!(got, data);
    assert_eq!(*auth_on_presigned.lock().unwrap(), vec![false]);
}

#[tokio::test]
async fn an_outage_longer_than_the_call_deadline_ends_the_body_at_once() {
    let data = payload(b"", 200_000);
    // A client whose calls (and outages) get 2 s: the server's Retry-After of
    // 30 s on the resume would pass it, so the body ends now with the typed error.
    let (c, fake) = {
        let fake = Arc::new(Fake {
            data: data.clone(),
            resume: Resume::Busy,
            first: FirstBody::BreakAtHalf,
            seen: Mutex::new(Vec::new()),
        });
        let ts = TokenServer::new(json!("1799"));
        let router = ts.router().merge(
            kit::Router::new()
                .route("/storage/us-east/v3/objects/{id}/content", get(content))
                .with_state(fake.clone()),
        );
        let base = serve(router).await;
        let mut cfg = kit::cfg(&base);
        cfg.retry.call_deadline = Duration::from_secs(2);
        (CssClient::new(cfg).unwrap(), fake)
    };
    let mut dl = c.download_object("us-east", "obj-4").await.unwrap();
    let started = std::time::Instant::now();
    let mut got = Vec::new();
    let err = dl.read_to_end(&mut got).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let css = CssError::from_io(&err).expect("a CssError inside");
    assert_eq!(css.kind(), "deadline", "{css}");
    assert_eq!(dl.resumes(), 1);
    assert!(data.starts_with(&got) && got.len() < data.len());
    let seen = fake.seen.lock().unwrap();
    assert_eq!(
        seen.len(),
        2,
        "one first request, one Range request, no wait past the deadline"
    );
    let chain = crate::failure::error_chain(&err);
    assert_eq!(chain.matches("HTTP 503").count(), 1, "{chain}");
}

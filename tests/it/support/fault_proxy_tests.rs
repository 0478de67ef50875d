//! The fault proxy against a tiny hyper upstream that echoes what it received: bodies pass
//! byte for byte both ways (Content-Length and chunked), the client's Host header reaches the
//! upstream unchanged, a connection carries several requests, and each fault does exactly what
//! it says (one byte flipped, a canned answer that never reaches the upstream, a reset body,
//! silence) — with the request log telling which.

use super::*;
use bytes::Bytes;
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full, StreamBody};
use hyper::body::Frame;
use md5::{Digest, Md5};
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};

type BoxBody = UnsyncBoxBody<Bytes, Infallible>;

/// Echo upstream: answers the request body back (chunked, in 3 pieces, for `/b/chunked`),
/// with `x-md5` of the body and `x-host` of the Host header received. Counts requests.
async fn upstream() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let seen = seen.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |req: hyper::Request<hyper::body::Incoming>| {
                        let seen = seen.clone();
                        async move {
                            seen.fetch_add(1, Ordering::SeqCst);
                            let host = req
                                .headers()
                                .get("host")
                                .map(|h| h.to_str().unwrap().to_string())
                                .unwrap_or_default();
                            let chunked = req.uri().path() == "/b/chunked";
                            let body = req.into_body().collect().await.unwrap().to_bytes();
                            let md5 = hex::encode(Md5::digest(&body));
                            let out: BoxBody = if chunked {
                                let thirds: Vec<Result<Frame<Bytes>, Infallible>> = body
                                    .chunks(body.len().div_ceil(3).max(1))
                                    .map(|c| Ok(Frame::data(Bytes::copy_from_slice(c))))
                                    .collect();
                                StreamBody::new(futures::stream::iter(thirds)).boxed_unsync()
                            } else {
                                Full::new(body).boxed_unsync()
                            };
                            Ok::<_, Infallible>(
                                hyper::Response::builder()
                                    .header("x-md5", md5)
                                    .header("x-host", host)
                                    .body(out)
                                    .unwrap(),
                            )
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (url, count)
}

fn body(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8).collect()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

#[test]
fn classify_names_the_s3_operation() {
    for (method, target, op) in [
        ("GET", "/", Op::ListBuckets),
        ("HEAD", "/lake", Op::HeadBucket),
        ("PUT", "/lake", Op::CreateBucket),
        ("GET", "/lake?list-type=2&prefix=a", Op::ListObjects),
        ("GET", "/lake?uploads", Op::ListMultipartUploads),
        ("GET", "/lake?object-lock", Op::GetBucketConfig),
        ("HEAD", "/lake/a/b.mp3", Op::HeadObject),
        ("GET", "/lake/a/b.mp3", Op::GetObject),
        ("PUT", "/lake/a/b.mp3", Op::PutObject),
        ("POST", "/lake/a/b.mp3?uploads", Op::CreateMultipartUpload),
        ("POST", "/lake/a/b.mp3?uploads=", Op::CreateMultipartUpload),
        (
            "PUT",
            "/lake/a/b.mp3?partNumber=2&uploadId=x",
            Op::UploadPart,
        ),
        (
            "POST",
            "/lake/a/b.mp3?uploadId=x",
            Op::CompleteMultipartUpload,
        ),
        (
            "DELETE",
            "/lake/a/b.mp3?uploadId=x",
            Op::AbortMultipartUpload,
        ),
        ("GET", "/lake/a/b.mp3?uploadId=x", Op::ListParts),
        ("DELETE", "/lake/a/b.mp3", Op::DeleteObject),
        ("PATCH", "/lake/a", Op::Other),
    ] {
        assert_eq!(classify(method, target), op, "{method} {target}");
    }
}

#[tokio::test]
async fn forwards_bytes_and_host_unchanged_over_one_connection() {
    let (up, count) = upstream().await;
    let proxy = FaultProxy::start(&up, 1, vec![]).await;
    let http = client();
    let host = proxy.url.trim_start_matches("http://").to_string();
    for (path, n) in [("/b/k1", 300_000), ("/b/chunked", 100_001), ("/b/k2", 0)] {
        let sent = body(n);
        let resp = http
            .put(format!("{}{path}", proxy.url))
            .body(sent.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["x-host"], host.as_str());
        assert_eq!(
            resp.headers()["x-md5"],
            hex::encode(Md5::digest(&sent)).as_str()
        );
        assert_eq!(resp.bytes().await.unwrap().as_ref(), &sent[..], "{path}");
    }
    // A chunked request body (a stream of unknown length) too.
    let pieces: Vec<Result<Vec<u8>, std::io::Error>> = vec![Ok(body(70_000)), Ok(body(5))];
    let resp = http
        .put(format!("{}/b/k3", proxy.url))
        .body(reqwest::Body::wrap_stream(futures::stream::iter(pieces)))
        .send()
        .await
        .unwrap();
    let mut whole = body(70_000);
    whole.extend(body(5));
    assert_eq!(
        resp.headers()["x-md5"],
        hex::encode(Md5::digest(&whole)).as_str()
    );
    assert_eq!(count.load(Ordering::SeqCst), 4);
    let log = proxy.log();
    assert_eq!(log.len(), 4);
    assert!(log
        .iter()
        .all(|e| e.status == Some(200) && e.fault.is_none() && e.op == Op::PutObject));
}

#[tokio::test]
async fn flip_changes_exactly_one_request_byte() {
    let (up, _) = upstream().await;
    let proxy = FaultProxy::start(
        &up,
        7,
        vec![Rule::new(Fault::FlipByte, 1.0, &[Op::PutObject])],
    )
    .await;
    let sent = body(200_000);
    let resp = client()
        .put(format!("{}/b/k", proxy.url))
        .body(sent.clone())
        .send()
        .await
        .unwrap();
    let echoed = resp.bytes().await.unwrap();
    assert_eq!(echoed.len(), sent.len());
    let differing = echoed.iter().zip(&sent).filter(|(a, b)| a != b).count();
    assert_eq!(differing, 1);
    assert_eq!(proxy.log()[0].fault, Some("flip"));
}

#[tokio::test]
async fn canned_answers_never_reach_the_upstream() {
    let (up, count) = upstream().await;
    let rules = vec![
        Rule::new(Fault::SlowDown503, 1.0, &[Op::HeadObject]),
        Rule::new(Fault::ErrorIn200, 1.0, &[Op::CompleteMultipartUpload]),
        Rule::new(Fault::Html200, 1.0, &[Op::GetObject]),
    ];
    let proxy = FaultProxy::start(&up, 1, rules).await;
    let http = client();
    let r = http
        .head(format!("{}/b/k", proxy.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    let r = http
        .post(format!("{}/b/k?uploadId=u", proxy.url))
        .body(body(1000))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("<Error><Code>InternalError</Code>"));
    let r = http.get(format!("{}/b/k", proxy.url)).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    assert!(r.text().await.unwrap().contains("<html>"));
    // Not matched by any rule: forwarded.
    let r = http
        .put(format!("{}/b/k", proxy.url))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(count.load(Ordering::SeqCst), 1);
    let faults: Vec<_> = proxy
        .log()
        .iter()
        .map(|e| (e.op, e.status, e.fault))
        .collect();
    assert_eq!(
        faults,
        vec![
            (Op::HeadObject, Some(503), Some("503")),
            (Op::CompleteMultipartUpload, Some(200), Some("error-in-200")),
            (Op::GetObject, Some(200), Some("html")),
            (Op::PutObject, Some(200), None),
        ]
    );
}

#[tokio::test]
async fn resets_and_silence_fail_the_exchange() {
    let (up, count) = upstream().await;
    let proxy = FaultProxy::start(
        &up,
        1,
        vec![Rule::new(Fault::ResetResponse, 1.0, &[Op::PutObject])],
    )
    .await;
    let http = client();
    let sent = body(400_000);
    let got = match http
        .put(format!("{}/b/k", proxy.url))
        .body(sent.clone())
        .send()
        .await
    {
        Ok(r) => r.bytes().await.map(|b| b.len()),
        Err(e) => Err(e),
    };
    assert!(
        got.is_err(),
        "a reset mid-response must fail the read: {got:?}"
    );
    assert_eq!(
        count.load(Ordering::SeqCst),
        1,
        "the request itself reached the upstream"
    );

    proxy.set_rules(vec![Rule::new(Fault::ResetRequest, 1.0, &[])]);
    assert!(http
        .put(format!("{}/b/k", proxy.url))
        .body(sent.clone())
        .send()
        .await
        .is_err());
    assert_eq!(
        count.load(Ordering::SeqCst),
        1,
        "a reset request never reaches the upstream"
    );

    proxy.set_rules(vec![Rule::new(Fault::Silence, 1.0, &[])]);
    let silent = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let err = silent
        .get(format!("{}/b/k", proxy.url))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");

    proxy.set_rules(vec![Rule::new(
        Fault::Latency(Duration::from_millis(300)),
        1.0,
        &[],
    )]);
    let t = std::time::Instant::now();
    let r = http.get(format!("{}/b/k", proxy.url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
    let faults: Vec<_> = proxy.log().iter().map(|e| e.fault).collect();
    assert_eq!(
        faults,
        vec![
            Some("reset-response"),
            Some("reset-request"),
            Some("silence"),
            Some("latency")
        ]
    );
}

#[tokio::test]
async fn the_rate_is_seeded_and_reproducible() {
    let (up, _) = upstream().await;
    let mut runs = Vec::new();
    for _ in 0..2 {
        let proxy = FaultProxy::start(&up, 42, vec![Rule::new(Fault::Internal500, 0.3, &[])]).await;
        let http = client();
        for _ in 0..40 {
            http.get(format!("{}/b/k", proxy.url)).send().await.unwrap();
        }
        runs.push(proxy.log().iter().map(|e| e.status).collect::<Vec<_>>());
    }
    assert_eq!(runs[0], runs[1]);
    let failed = runs[0].iter().filter(|s| **s == Some(500)).count();
    assert!((5..=20).contains(&failed), "{failed} of 40 at 30%");
}

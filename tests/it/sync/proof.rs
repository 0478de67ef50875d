//! Proof of stored bytes, end to end (issue 11, items 1–2): an object rewritten by someone else
//! with the same size and the right `css-md5` is exported again by the next run, a sidecar lost
//! after its object committed is repaired without a second export, and a key written first by
//! another worker counts present. Bytes changed in transit and endpoints answering `200
//! text/html` are in the fault suite (`fault_s3.rs`).

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};

use super::check::{assert_bucket_matches, available};
use crate::support::procs::{run_sync, sim_catalog, spawn_sim, Proc};
use crate::support::s3::{S3Kind, S3Server};

const PART: u64 = 5 * 1024 * 1024;

fn catalog() -> Vec<Value> {
    let rec = |n: u32, size: u64| {
        json!({
            "id": format!("f0000000-0000-4000-8000-00000000000{n}"), "region": "us-east",
            "type": "callrecording", "mimeType": "audio/mpeg", "objectName": format!("proof-{n}.mp3"),
            "storedBytes": size, "createdTime": "2026-11-20T10:15:00", "objectState": "AVAILABLE",
            "tags": []
        })
    };
    vec![
        rec(1, 1000),
        rec(2, 70_000),
        rec(3, 2 * PART + 17),
        rec(4, PART + 3),
    ]
}

fn sim_for(dir: &tempfile::TempDir) -> Proc {
    let path = dir.path().join("catalog.json");
    std::fs::write(&path, serde_json::to_vec(&catalog()).unwrap()).unwrap();
    spawn_sim(&[
        "--catalog",
        path.to_str().unwrap(),
        "--prep-base-ms",
        "0",
        "--prep-rate",
        "0",
    ])
}

const FLAGS: &[&str] = &["--part-size", "5MiB"];

/// Someone else's PutObject: other bytes of the same size, with the object's metadata.
async fn rewrite(s3: &S3Server, key: &str) {
    let c = s3.client();
    let got = c.get_object().bucket("lake").key(key).send().await.unwrap();
    let meta = got.metadata().cloned().unwrap_or_default();
    let mut bytes = got.body.collect().await.unwrap().into_bytes().to_vec();
    bytes[3] ^= 0x5a;
    c.put_object()
        .bucket("lake")
        .key(key)
        .set_metadata(Some(meta))
        .body(bytes.into())
        .send()
        .await
        .unwrap();
}

async fn tampered_objects_are_exported_again(kind: S3Kind) {
    let dir = tempfile::tempdir().unwrap();
    let sim = sim_for(&dir);
    let s3 = S3Server::start(kind);
    s3.create_bucket("lake").await;
    let expected = available(&sim_catalog(&sim).await);
    let run = run_sync(&sim, &s3, "lake", FLAGS).await;
    assert_eq!(run.code, 0, "first run:\n{}", run.stderr);
    assert_eq!(run.total("exported"), 4);
    let keys = assert_bucket_matches(&s3, "lake", &expected).await;
    let key_of = |n: u32| {
        let id = format!("f0000000-0000-4000-8000-00000000000{n}");
        keys.iter().find(|(_, v)| **v == id).unwrap().0.clone()
    };
    rewrite(&s3, &key_of(1)).await; // single PutObject
    rewrite(&s3, &key_of(3)).await; // was multipart
    let lost = format!("{}.metadata.json", key_of(4));
    s3.client()
        .delete_object()
        .bucket("lake")
        .key(&lost)
        .send()
        .await
        .unwrap();

    let again = run_sync(&sim, &s3, "lake", FLAGS).await;
    assert_eq!(again.code, 0, "re-run:\n{}", again.stderr);
    assert_eq!(again.total("exported"), 2, "the two rewritten objects");
    assert_eq!(again.total("already_present"), 2);
    assert_eq!(again.total("failed"), 0);
    assert_eq!(
        again.metric_sum("css_sync_presence_refused_total"),
        2.0,
        "{}",
        again.metrics
    );
    assert_eq!(again.metric_sum("css_sync_sidecars_repaired_total"), 1.0);
    assert_eq!(assert_bucket_matches(&s3, "lake", &expected).await, keys);

    let third = run_sync(&sim, &s3, "lake", FLAGS).await;
    assert_eq!(
        (third.total("already_present"), third.total("exported")),
        (4, 0)
    );
    assert_eq!(third.metric_sum("css_sync_sidecars_repaired_total"), 0.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn moto_tampered_objects_are_exported_again_and_sidecars_repaired() {
    tampered_objects_are_exported_again(S3Kind::Moto).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn s3s_fs_tampered_objects_are_exported_again_and_sidecars_repaired() {
    tampered_objects_are_exported_again(S3Kind::S3sFs).await;
}

#[derive(Clone, Copy)]
enum Mode {
    /// Before the first `n` object `PutObject`s, send the same request without its
    /// `If-None-Match` (as a second worker writing the same bytes would). The fault proxy
    /// (`support::fault_proxy`) only injects faults; this one writes ahead of us.
    Preempt(usize),
}

/// A one-request-per-connection HTTP proxy to `upstream`, returning its endpoint.
async fn proxy(upstream: String, mode: Mode, flipped: Arc<AtomicUsize>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let client = reqwest::Client::new();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (client, upstream, flipped) = (client.clone(), upstream.clone(), flipped.clone());
            let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let (client, upstream, flipped) =
                    (client.clone(), upstream.clone(), flipped.clone());
                async move { Ok::<_, Infallible>(forward(client, &upstream, mode, &flipped, req).await) }
            });
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc),
            );
        }
    });
    endpoint
}

async fn forward(
    client: reqwest::Client,
    upstream: &str,
    mode: Mode,
    preempted: &AtomicUsize,
    req: Request<hyper::body::Incoming>,
) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    let Mode::Preempt(n) = mode;
    let path = parts.uri.path();
    let object_put = parts.method == hyper::Method::PUT
        && !parts.uri.query().unwrap_or("").contains("uploadId")
        && !path.ends_with(".metadata.json")
        && !path.contains("/_css-sync/")
        && !path.contains("/_index/")
        && parts.headers.contains_key("if-none-match");
    if object_put && preempted.fetch_add(1, Ordering::SeqCst) < n {
        let mut headers = parts.headers.clone();
        headers.remove("if-none-match");
        let _ = send(
            &client,
            upstream,
            &parts.method,
            &parts.uri,
            &headers,
            body.clone(),
        )
        .await;
    }
    send(
        &client,
        upstream,
        &parts.method,
        &parts.uri,
        &parts.headers,
        body,
    )
    .await
}

async fn send(
    client: &reqwest::Client,
    upstream: &str,
    method: &hyper::Method,
    uri: &hyper::Uri,
    headers: &hyper::HeaderMap,
    body: Vec<u8>,
) -> Response<Full<Bytes>> {
    let uri = format!(
        "{upstream}{}",
        uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
    );
    let method = reqwest::Method::from_bytes(method.as_str().as_bytes()).unwrap();
    let mut out = client.request(method, uri).body(body);
    for (k, v) in headers {
        out = out.header(k.as_str(), v.as_bytes());
    }
    let Ok(resp) = out.send().await else {
        return Response::builder()
            .status(502)
            .body(Full::default())
            .unwrap();
    };
    let mut back = Response::builder().status(resp.status().as_u16());
    for (k, v) in resp.headers() {
        if !matches!(k.as_str(), "transfer-encoding" | "connection") {
            back = back.header(k.as_str(), v.as_bytes());
        }
    }
    let bytes = resp.bytes().await.unwrap_or_default();
    back.body(Full::new(bytes)).unwrap()
}

/// The "two workers on the same window": another writer puts the same bytes just before
/// our `If-None-Match: *` write; moto answers 412, and the object counts present, written once.
#[tokio::test(flavor = "multi_thread")]
async fn moto_a_key_written_first_by_another_worker_counts_present() {
    let dir = tempfile::tempdir().unwrap();
    let sim = sim_for(&dir);
    let mut s3 = S3Server::start(S3Kind::Moto);
    s3.create_bucket("lake").await;
    let expected = available(&sim_catalog(&sim).await);
    let preempted = Arc::new(AtomicUsize::new(0));
    let direct = s3.endpoint.clone();
    s3.endpoint = proxy(direct.clone(), Mode::Preempt(1), preempted.clone()).await;
    let run = run_sync(
        &sim,
        &s3,
        "lake",
        &["--part-size", "5MiB", "--conditional-writes", "on"],
    )
    .await;
    s3.endpoint = direct;
    assert!(
        preempted.load(Ordering::SeqCst) >= 1,
        "conditional writes were used"
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        (run.total("exported"), run.total("already_present")),
        (3, 1)
    );
    assert!(
        run.stderr
            .contains("key already written with the same bytes"),
        "{}",
        run.stderr
    );
    // The preempting writer owns the sidecar and wrote none (as if it stopped right after its
    // object): we do not write it behind its back, and the next run repairs it.
    let again = run_sync(&sim, &s3, "lake", FLAGS).await;
    assert_eq!(
        (again.total("exported"), again.total("already_present")),
        (0, 4)
    );
    assert_eq!(again.metric_sum("css_sync_sidecars_repaired_total"), 1.0);
    assert_bucket_matches(&s3, "lake", &expected).await;
    assert_eq!(s3.open_multipart_uploads("lake").await, 0);
}

//! HTTP-level tests of the CSS client against tiny fake servers (`kit`): auth sharing and
//! refresh, retries and secret hygiene. Paging and bulk jobs: `catalog`; bodies: `download`.

mod catalog;
mod download;
mod kit;
mod time_window; // issue 10 (css)

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use super::*;
use kit::{bearer, client, get, serve, HeaderMap, IntoResponse, Json, StatusCode, TokenServer};

fn counter() -> Arc<AtomicU32> {
    Arc::new(AtomicU32::new(0))
}

#[test]
fn path_segments_are_percent_encoded_and_dot_segments_refused() {
    let c = client(&Url::parse("http://127.0.0.1:1/prefix/").unwrap());
    let u = c
        .storage_url("us-east", &["bulk", "download", "a b/c?#%.zip"])
        .unwrap();
    assert_eq!(
        u.as_str(),
        "http://127.0.0.1:1/prefix/storage/us-east/v3/bulk/download/a%20b%2Fc%3F%23%25.zip"
    );
    for bad in ["..", ".", ""] {
        assert_eq!(
            c.storage_url(bad, &["regions"]).unwrap_err().kind(),
            "config"
        );
    }
}

#[test]
fn debug_output_contains_no_secret() {
    let base = Url::parse("http://127.0.0.1:1/").unwrap();
    let cfg = kit::cfg(&base);
    let c = CssClient::new(cfg.clone()).unwrap();
    let text = format!("{cfg:?} {c:?}");
    assert!(!text.contains(kit::CLIENT_SECRET), "{text}");
    assert!(text.contains("[redacted]"));
}

/// Validation lives in `crate::config` (the one validator, see its tests); the page-size
/// bound lives in the type, so the client neither re-checks nor clamps anything.
#[test]
fn config_is_validated() {
    assert_eq!(PageSize::new(500), None);
    assert_eq!(PageSize::new(0), None);
    assert_eq!(PageSize::new(MAX_PAGE_SIZE), Some(PageSize::MAX));
    let base = Url::parse("http://127.0.0.1:1/").unwrap();
    let mut cfg = kit::cfg(&base);
    cfg.page_size = PageSize::new(7).unwrap();
    assert_eq!(CssClient::new(cfg).unwrap().page_size(), 7);
    let cfg = kit::cfg(&base);
    assert_eq!(CssClient::new(cfg).unwrap().page_size(), MAX_PAGE_SIZE);
}

#[tokio::test]
async fn one_token_for_fifty_concurrent_callers() {
    let ts = TokenServer::new(json!("1799"));
    let base = serve(ts.router().route(
        "/storage/us-east/v3/regions",
        get(|| async { Json(json!(["us-east", "uk"])) }),
    ))
    .await;
    let c = client(&base);
    let calls = (0..50).map(|_| {
        let c = c.clone();
        tokio::spawn(async move { c.regions().await })
    });
    for r in futures::future::join_all(calls).await {
        assert_eq!(r.unwrap().unwrap(), vec!["us-east", "uk"]);
    }
    assert_eq!(ts.fetches(), 1);
}

#[tokio::test]
async fn token_is_refreshed_before_expiry() {
    let ts = TokenServer::new(json!("2")); // margin for a 2 s token: 1 s
    let base = serve(ts.router().route(
        "/storage/us-east/v3/regions",
        get(|| async { Json(json!(["us-east"])) }),
    ))
    .await;
    let c = client(&base);
    c.regions().await.unwrap();
    c.regions().await.unwrap();
    assert_eq!(ts.fetches(), 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    c.regions().await.unwrap();
    assert_eq!(ts.fetches(), 2);
}

#[tokio::test]
async fn numeric_expires_in_is_accepted() {
    let ts = TokenServer::new(json!(3600));
    let base = serve(ts.router().route(
        "/storage/uk/v3/regions",
        get(|| async { Json(json!(["uk"])) }),
    ))
    .await;
    assert_eq!(client(&base).regions_via("uk").await.unwrap(), vec!["uk"]);
}

#[tokio::test]
async fn a_401_refreshes_the_token_once_and_retries() {
    let ts = TokenServer::new(json!("1799"));
    let hits = counter();
    let h = hits.clone();
    let base = serve(ts.router().route(
        "/storage/us-east/v3/regions",
        get(move |headers: HeaderMap| async move {
            h.fetch_add(1, Ordering::SeqCst);
            match bearer(&headers).as_deref() {
                Some("tok-1") => StatusCode::UNAUTHORIZED.into_response(),
                _ => Json(json!(["us-east"])).into_response(),
            }
        }),
    ))
    .await;
    assert_eq!(client(&base).regions().await.unwrap(), vec!["us-east"]);
    assert_eq!((ts.fetches(), hits.load(Ordering::SeqCst)), (2, 2));
}

#[tokio::test]
async fn a_second_401_is_unauthorized() {
    let ts = TokenServer::new(json!("1799"));
    let hits = counter();
    let h = hits.clone();
    let base = serve(ts.router().route(
        "/storage/us-east/v3/regions",
        get(move || async move {
            h.fetch_add(1, Ordering::SeqCst);
            StatusCode::UNAUTHORIZED
        }),
    ))
    .await;
    let err = client(&base).regions().await.unwrap_err();
    assert_eq!(err.kind(), "unauthorized");
    assert_eq!((ts.fetches(), hits.load(Ordering::SeqCst)), (2, 2));
}

#[tokio::test]
async fn bad_credentials_are_auth_rejected_without_retry() {
    let ts = Arc::new(TokenServer {
        fetches: AtomicU32::new(0),
        expires_in: json!("1799"),
        fail_with: Some(401),
    });
    let base = serve(ts.router()).await;
    let c = client(&base);
    let err = c.regions().await.unwrap_err();
    assert!(
        matches!(err, CssError::AuthRejected { status: 401 }),
        "{err:?}"
    );
    assert!(err.to_string().contains("CSS_CLIENT_ID"));
    assert_eq!(c.regions().await.unwrap_err().kind(), "auth_rejected");
    assert_eq!(
        ts.fetches(),
        1,
        "rejected credentials are not retried or re-sent"
    );
}

/// A regions route answering `statuses` in turn (then 200), counting hits.
async fn scripted(statuses: Vec<(u16, Option<&'static str>)>) -> (Url, Arc<AtomicU32>) {
    let ts = TokenServer::new(json!("1799"));
    let hits = counter();
    let h = hits.clone();
    let script = Arc::new(statuses);
    let base = serve(ts.router().route(
        "/storage/us-east/v3/regions",
        get(move || async move {
            let n = h.fetch_add(1, Ordering::SeqCst) as usize;
            match script.get(n) {
                Some((code, retry_after)) => {
                    let mut resp = (StatusCode::from_u16(*code).unwrap(), "busy").into_response();
                    if let Some(ra) = retry_after {
                        resp.headers_mut()
                            .insert("retry-after", ra.parse().unwrap());
                    }
                    resp
                }
                None => Json(json!(["us-east"])).into_response(),
            }
        }),
    ))
    .await;
    (base, hits)
}

#[tokio::test]
async fn a_429_waits_for_retry_after() {
    let (base, hits) = scripted(vec![(429, Some("1"))]).await;
    let c = client(&base);
    c.regions().await.unwrap(); // token fetched outside the timed window
    hits.store(0, Ordering::SeqCst);
    let started = Instant::now();
    c.regions().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_503_is_retried_then_succeeds() {
    let (base, hits) = scripted(vec![(503, None), (503, None)]).await;
    assert_eq!(client(&base).regions().await.unwrap(), vec!["us-east"]);
    assert_eq!(hits.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn persistent_503_gives_up_after_max_attempts() {
    let (base, hits) = scripted(vec![(503, None); 10]).await;
    let err = client(&base).regions().await.unwrap_err();
    assert_eq!(err.kind(), "http_5xx");
    assert_eq!(hits.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn a_400_is_not_retried() {
    let (base, hits) = scripted(vec![(400, None)]).await;
    let err = client(&base).regions().await.unwrap_err();
    assert!(matches!(err, CssError::Http { status: 400, .. }), "{err:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn error_snippets_never_echo_the_token() {
    let ts = TokenServer::new(json!("1799"));
    let base = serve(ts.router().route(
        "/storage/us-east/v3/regions",
        get(|headers: HeaderMap| async move {
            let echo = format!("bad request from {:?}", bearer(&headers));
            (StatusCode::BAD_REQUEST, echo)
        }),
    ))
    .await;
    let err = client(&base).regions().await.unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains("tok-1") && text.contains("[redacted]"),
        "{text}"
    );
}

/// A client whose calls have `deadline` in all.
fn client_with_deadline(base: &Url, deadline: Duration) -> CssClient {
    let mut cfg = kit::cfg(base);
    cfg.retry.call_deadline = deadline;
    CssClient::new(cfg).unwrap()
}

#[tokio::test]
async fn a_retry_after_beyond_the_deadline_ends_the_call_at_once() {
    let (base, hits) = scripted(vec![(503, Some("30")), (503, None)]).await;
    let c = client_with_deadline(&base, Duration::from_secs(5));
    let started = Instant::now();
    let err = c.regions().await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(err.kind(), "deadline", "{err:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 1, "no second attempt");
    let chain = crate::failure::error_chain(&err);
    assert_eq!(chain.matches("HTTP 503").count(), 1, "{chain}");
    assert!(chain.contains("call deadline"), "{chain}");
}

#[tokio::test]
async fn a_retry_after_within_the_deadline_is_honoured() {
    let (base, hits) = scripted(vec![(429, Some("1"))]).await;
    let c = client_with_deadline(&base, Duration::from_secs(5));
    c.regions().await.unwrap();
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_slow_server_counts_against_the_deadline() {
    // Each attempt waits at most the time left: two 503s that each take 400 ms, then a
    // 1 s deadline leaves no room for the answer that would have succeeded.
    let ts = TokenServer::new(json!("1799"));
    let hits = counter();
    let h = hits.clone();
    let base = serve(ts.router().route(
        "/storage/us-east/v3/regions",
        get(move || async move {
            let n = h.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(400)).await;
            if n < 5 {
                StatusCode::SERVICE_UNAVAILABLE.into_response()
            } else {
                Json(json!(["us-east"])).into_response()
            }
        }),
    ))
    .await;
    let c = client_with_deadline(&base, Duration::from_secs(1));
    c.inner.auth.token().await.unwrap(); // the token fetch is its own call
    let started = Instant::now();
    let err = c.regions().await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    assert!(matches!(err.kind(), "deadline" | "timeout"), "{err:?}");
    assert!(hits.load(Ordering::SeqCst) <= 3);
}

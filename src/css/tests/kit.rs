//! Test kit: tiny axum fake servers on 127.0.0.1:0 and a fast client configuration. Test-only;
//! nothing here is compiled into the worker.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use url::Url;

use crate::css::{CssClient, CssConfig, RetryPolicy};
use crate::secret::Secret;

pub const CLIENT_ID: &str = "my-client";
pub const CLIENT_SECRET: &str = "nevertellanyone-42";

/// A client config pointing at `base`, with quick retries.
pub fn cfg(base: &Url) -> CssConfig {
    CssConfig {
        api_base: base.clone(),
        client_id: CLIENT_ID.into(),
        client_secret: Secret::new(CLIENT_SECRET),
        http_timeout: Duration::from_secs(3),
        retry: RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            ..RetryPolicy::default()
        },
        page_size: crate::css::PageSize::MAX,
    }
}

pub fn client(base: &Url) -> CssClient {
    CssClient::new(cfg(base)).expect("valid test config")
}

/// Serves `router` on an ephemeral port; returns its base URL.
pub async fn serve(router: Router) -> Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Url::parse(&format!("http://{addr}/")).unwrap()
}

/// The fake token endpoint's behaviour and counters.
pub struct TokenServer {
    pub fetches: AtomicU32,
    /// `expires_in` as sent (the docs send a string).
    pub expires_in: serde_json::Value,
    /// Answer with this status instead of a token (e.g. 401 for bad credentials).
    pub fail_with: Option<u16>,
}

impl TokenServer {
    pub fn new(expires_in: serde_json::Value) -> Arc<Self> {
        Arc::new(TokenServer {
            fetches: AtomicU32::new(0),
            expires_in,
            fail_with: None,
        })
    }

    pub fn fetches(&self) -> u32 {
        self.fetches.load(Ordering::SeqCst)
    }

    /// A router with `POST /oauth/v2/token` answering per `self`.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/oauth/v2/token", post(token_handler))
            .with_state(self.clone())
    }
}

async fn token_handler(
    State(ts): State<Arc<TokenServer>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    let auth_ok = headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&expected);
    if !auth_ok || body != "grant_type=client_credentials" {
        return (StatusCode::BAD_REQUEST, "bad token request").into_response();
    }
    let n = ts.fetches.fetch_add(1, Ordering::SeqCst) + 1;
    if let Some(status) = ts.fail_with {
        return (StatusCode::from_u16(status).unwrap(), "invalid_client").into_response();
    }
    // Slow enough that concurrent callers overlap with the fetch.
    tokio::time::sleep(Duration::from_millis(50)).await;
    Json(serde_json::json!({
        "access_token": format!("tok-{n}"),
        "token_type": "BearerToken",
        "expires_in": ts.expires_in,
        "status": "approved",
    }))
    .into_response()
}

/// The bearer token of a request, if any.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::to_string)
}

/// A catalog record with this id.
pub fn record(id: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id, "type": "callcenterrecording", "objectName": format!("{id}.mp3"),
        "checksumType": "MD5", "checksum": "922ce8066731381f4a843e0bcf013826",
        "storedBytes": 3644352, "createdTime": "2022-06-24T05:22:35", "tags": []
    })
}

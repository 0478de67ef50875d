//! The 8x8 Cloud Storage Service API client: configuration, the shared authenticated request
//! path (token, 401 refresh, retries, metrics, path-level logging), region discovery and the
//! bulk-job calls. Search paging lives in `paging` (the `pageKey` rules in `page_key`), one record by id in `lookup`, resumable
//! bodies in `download`, the filter builder in `fiql`. It never decides what to export and
//! never logs URLs, headers or tokens.

mod auth;
mod bulk;
mod delete;
mod download;
mod error;
pub mod fiql;
mod lookup;
pub mod model;
mod oldest; // issue 10 (incr)
pub mod page_key;
mod paging;
mod range;
pub mod retry;
// issue 10 (css): the createdTime fallback, ARCHIVED restores.
mod restore;
mod search_window;
pub mod time_fallback;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use tracing::warn;
use url::Url;

pub use delete::{IdState, DELETE_BATCH_MAX};
pub use download::Download;
pub use error::safe_url;
pub use error::CssError;
pub use fiql::SearchFilter;
pub use model::{JobState, JobStatus, ObjectRecord};
pub use restore::Restore;
pub use retry::RetryPolicy;

use crate::metrics::CSS_REQUESTS;
use crate::secret::Secret;
use error::body_snippet;
use retry::{Idempotency, RetryState};

/// Production API root.
pub const DEFAULT_API_BASE: &str = "https://api.8x8.com";
/// Any valid region answers region discovery (the guide uses `us-east`).
pub const DEFAULT_DISCOVERY_REGION: &str = "us-east";
/// Storage API version path segment.
pub const API_VERSION: &str = "v3";
/// The spec allows `limit` 1..=100 (the guide shows 200): we send what both allow.
pub const MAX_PAGE_SIZE: u32 = 100;
/// Error bodies are read up to this many bytes for the snippet.
const ERROR_BODY_LIMIT: usize = 4096;

/// Records per search page: always within `1..=`[`MAX_PAGE_SIZE`] (the type holds the bound,
/// so nothing downstream clamps or re-checks it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize(u32);

impl PageSize {
    /// The largest page the API allows.
    pub const MAX: PageSize = PageSize(MAX_PAGE_SIZE);

    /// `n` records per page, or `None` outside `1..=`[`MAX_PAGE_SIZE`].
    pub fn new(n: u32) -> Option<PageSize> {
        (1..=MAX_PAGE_SIZE).contains(&n).then_some(PageSize(n))
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for PageSize {
    fn default() -> Self {
        PageSize::MAX
    }
}

/// Client settings, already validated by [`crate::config`] (the one validator: http(s)
/// `api_base`, non-empty credentials, positive durations); the client does not check them
/// again. `Debug` is safe: the secret is a [`Secret`].
#[derive(Debug, Clone)]
pub struct CssConfig {
    /// API root; token at `{base}/oauth/v2/token`, storage at `{base}/storage/{region}/v3/`.
    pub api_base: Url,
    pub client_id: String,
    pub client_secret: Secret,
    /// Connect timeout, time to response headers, and idle-read timeout of bodies (downloads
    /// have no whole-request timeout: they are long streams). Default
    /// [`retry::DEFAULT_HTTP_TIMEOUT`].
    pub http_timeout: Duration,
    /// Attempts, backoff and the per-call deadline (see [`retry`]).
    pub retry: RetryPolicy,
    pub page_size: PageSize,
}

/// The CSS API client. Cheap to clone; all clones share one HTTP pool and one token.
#[derive(Clone)]
pub struct CssClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    api_base: Url,
    retry: RetryPolicy,
    http_timeout: Duration,
    page_size: PageSize,
    auth: auth::TokenSource,
    /// issue 10 (css): regions whose server refused createdTime filters in this run.
    time_refused: search_window::Refused,
}

impl fmt::Debug for CssClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CssClient")
            .field("api_base", &self.inner.api_base.as_str())
            .field("page_size", &self.inner.page_size)
            .finish_non_exhaustive()
    }
}

/// One storage request, described well enough to be re-sent by the retry loop.
#[derive(Clone)]
pub(crate) struct Req {
    pub endpoint: &'static str,
    pub region: String,
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    pub json_body: Option<Bytes>,
    /// Send the shared bearer token (false for presigned URLs).
    pub auth: bool,
    pub mode: Idempotency,
}

impl CssClient {
    /// Builds the HTTP client from settings validated by [`crate::config`]. No network I/O.
    pub fn new(cfg: CssConfig) -> Result<Self, CssError> {
        let http = reqwest::Client::builder()
            .connect_timeout(cfg.http_timeout)
            .read_timeout(cfg.http_timeout)
            .user_agent(concat!("css-sync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CssError::Config(format!("HTTP client: {}", e.without_url())))?;
        let token_url = join_segments(&cfg.api_base, &["oauth", "v2", "token"])?;
        let auth = auth::TokenSource::new(
            http.clone(),
            token_url,
            cfg.client_id,
            cfg.client_secret,
            cfg.retry.clone(),
            cfg.http_timeout,
        );
        Ok(CssClient {
            inner: Arc::new(Inner {
                http,
                api_base: cfg.api_base,
                retry: cfg.retry,
                http_timeout: cfg.http_timeout,
                page_size: cfg.page_size,
                auth,
                time_refused: Default::default(),
            }),
        })
    }

    /// Fetches (or reuses) the OAuth token: the credentials are accepted (`css-sync check`).
    pub async fn check_token(&self) -> Result<(), CssError> {
        self.inner.auth.token().await.map(drop)
    }

    /// The customer's regions, asked of [`DEFAULT_DISCOVERY_REGION`].
    pub async fn regions(&self) -> Result<Vec<String>, CssError> {
        self.regions_via(DEFAULT_DISCOVERY_REGION).await
    }

    /// The customer's regions, asked of `discovery_region` (any valid region answers).
    pub async fn regions_via(&self, discovery_region: &str) -> Result<Vec<String>, CssError> {
        let req = self.json_req("regions", discovery_region, Method::GET, &["regions"])?;
        let body = self.fetch_json(&req).await?;
        serde_json::from_slice(&body).map_err(|source| CssError::Decode {
            endpoint: "regions",
            source,
        })
    }

    /// `{base}/storage/{region}/v3/{segments…}`, each segment percent-encoded.
    pub(crate) fn storage_url(&self, region: &str, segments: &[&str]) -> Result<Url, CssError> {
        let mut all = vec!["storage", region, API_VERSION];
        all.extend_from_slice(segments);
        join_segments(&self.inner.api_base, &all)
    }

    fn json_req(
        &self,
        endpoint: &'static str,
        region: &str,
        method: Method,
        segments: &[&str],
    ) -> Result<Req, CssError> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        // The spec requires Content-Type on GET /objects; the guide sends it everywhere.
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        Ok(Req {
            endpoint,
            region: region.to_string(),
            method,
            url: self.storage_url(region, segments)?,
            headers,
            json_body: None,
            auth: true,
            mode: Idempotency::Idempotent,
        })
    }

    /// Sends `req` until a 2xx: bearer token, one refresh on 401, retries per policy within
    /// the call deadline. 404 is [`CssError::NotFound`]; other final statuses are
    /// [`CssError::Http`].
    pub(crate) async fn execute(&self, req: &Req) -> Result<reqwest::Response, CssError> {
        let mut retry = RetryState::call(&self.inner.retry, req.endpoint);
        self.send(req, &mut retry).await
    }

    /// [`CssClient::execute`] continuing `retry` (its attempts and deadline), so that a
    /// caller that retries after the response (a body that broke) shares one budget.
    pub(crate) async fn send(
        &self,
        req: &Req,
        retry: &mut RetryState,
    ) -> Result<reqwest::Response, CssError> {
        let inner = &self.inner;
        let (ep, region) = (req.endpoint, req.region.as_str());
        let mut refreshed = false;
        let mut token: Option<Secret> = None;
        loop {
            // The cached token (refreshed ahead of expiry), unless a 401 just handed us one.
            if req.auth && !(refreshed && token.is_some()) {
                token = Some(inner.auth.token().await?);
            }
            let mut rb = inner.http.request(req.method.clone(), req.url.clone());
            rb = rb.headers(req.headers.clone());
            if let Some(t) = &token {
                rb = rb.bearer_auth(t.expose());
            }
            if let Some(body) = &req.json_body {
                rb = rb.body(body.clone());
            }
            let timeout = retry.attempt_timeout(inner.http_timeout);
            let (reason, after, err) = match send_timed(rb, ep, timeout).await {
                Ok(resp) if resp.status().is_success() => return Ok(resp),
                Ok(resp) if resp.status() == StatusCode::UNAUTHORIZED && token.is_some() => {
                    if refreshed {
                        return Err(CssError::Unauthorized { endpoint: ep });
                    }
                    // Not an attempt: the refresh is immediate and happens once per call.
                    refreshed = true;
                    retry::record_retry(ep, "401");
                    warn!(
                        region,
                        endpoint = ep,
                        attempt = retry.attempt(),
                        "401 from CSS; refreshing the token once"
                    );
                    let rejected = token.take().unwrap_or_else(|| Secret::new(""));
                    token = Some(inner.auth.refresh_after_401(&rejected).await?);
                    continue;
                }
                Ok(resp) if resp.status() == StatusCode::NOT_FOUND => {
                    return Err(CssError::NotFound { endpoint: ep })
                }
                Ok(resp) => {
                    let status = resp.status();
                    let after = retry::retry_after(resp.headers());
                    let body_snippet = match &token {
                        Some(t) => {
                            body_snippet(&read_limited(resp, ERROR_BODY_LIMIT).await, &[t.expose()])
                        }
                        // A presigned URL's error body can quote its signature: keep none of it.
                        None => "[body omitted]".to_string(),
                    };
                    let err = CssError::Http {
                        endpoint: ep,
                        status: status.as_u16(),
                        body_snippet,
                    };
                    match retry::status_retry_reason(status, req.mode) {
                        Some(reason) => (reason, after, err),
                        None => return Err(err),
                    }
                }
                Err(e) if is_transient(&e) && retry::transport_retry_allowed(&e, req.mode) => {
                    ("network", None, e)
                }
                Err(e) => return Err(e),
            };
            retry
                .pause(Some(region), "retrying CSS call", reason, after, err)
                .await?;
        }
    }

    /// [`CssClient::execute`] plus reading the whole (small, JSON) body. A body that breaks
    /// mid-read is fetched again for idempotent calls, never for `start`; both kinds of
    /// retry share the call's one [`RetryState`].
    pub(crate) async fn fetch_bytes(&self, req: &Req) -> Result<Bytes, CssError> {
        self.fetch_answer(req).await.map(|(_, body)| body)
    }

    /// [`CssClient::fetch_bytes`] for calls whose answer must carry a JSON body: a 2xx
    /// without one (`201`/`204`, or a `200` with nothing but whitespace) is
    /// [`CssError::EmptyBody`], never handed to a JSON parser.
    pub(crate) async fn fetch_json(&self, req: &Req) -> Result<Bytes, CssError> {
        let (status, body) = self.fetch_answer(req).await?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(CssError::EmptyBody {
                endpoint: req.endpoint,
                status: status.as_u16(),
            });
        }
        Ok(body)
    }

    async fn fetch_answer(&self, req: &Req) -> Result<(StatusCode, Bytes), CssError> {
        let mut retry = RetryState::call(&self.inner.retry, req.endpoint);
        loop {
            let resp = self.send(req, &mut retry).await?;
            let status = resp.status();
            match resp.bytes().await {
                Ok(b) => return Ok((status, b)),
                Err(e) if req.mode == Idempotency::Idempotent && retry::error_is_retryable(&e) => {
                    let err = CssError::network(req.endpoint, e);
                    retry
                        .pause(
                            Some(&req.region),
                            "CSS body broke; re-fetching",
                            "network",
                            None,
                            err,
                        )
                        .await?;
                }
                Err(e) => return Err(CssError::network(req.endpoint, e)),
            }
        }
    }

    pub(crate) fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    pub(crate) fn http_timeout(&self) -> Duration {
        self.inner.http_timeout
    }

    pub(crate) fn page_size(&self) -> u32 {
        self.inner.page_size.get()
    }
}

/// Appends percent-encoded segments to `base`. Empty, `.` and `..` segments are refused: the
/// url crate would drop them silently and address a different resource.
fn join_segments(base: &Url, segments: &[&str]) -> Result<Url, CssError> {
    if let Some(bad) = segments
        .iter()
        .find(|s| matches!(s.trim(), "" | "." | ".."))
    {
        return Err(CssError::Config(format!(
            "invalid URL path segment {bad:?}"
        )));
    }
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.path_segments_mut()
        .map_err(|()| CssError::Config("api_base cannot be a base URL".into()))?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

/// Sends with a time-to-headers limit and counts the request by endpoint and status class.
pub(crate) async fn send_timed(
    rb: reqwest::RequestBuilder,
    endpoint: &'static str,
    timeout: Duration,
) -> Result<reqwest::Response, CssError> {
    let result = match tokio::time::timeout(timeout, rb.send()).await {
        Err(_) => Err(CssError::Timeout { endpoint, timeout }),
        Ok(Err(e)) => Err(CssError::network(endpoint, e)),
        Ok(Ok(resp)) => Ok(resp),
    };
    let class = match &result {
        Ok(resp) => retry::status_class(resp.status()),
        Err(_) => "network",
    };
    metrics::counter!(CSS_REQUESTS, "endpoint" => endpoint, "status_class" => class).increment(1);
    result
}

/// Transport failures that another attempt may cure.
pub(crate) fn is_transient(e: &CssError) -> bool {
    match e {
        CssError::Timeout { .. } => true,
        CssError::Network { source, .. } => retry::error_is_retryable(source),
        _ => false,
    }
}

/// Reads at most `limit` bytes of a body (for error snippets); read errors end it quietly.
async fn read_limited(mut resp: reqwest::Response, limit: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while out.len() < limit {
        match resp.chunk().await {
            Ok(Some(chunk)) => out.extend_from_slice(&chunk[..chunk.len().min(limit - out.len())]),
            _ => break,
        }
    }
    out
}

#[cfg(test)]
mod tests;

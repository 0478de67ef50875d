//! Test kit: tiny fake HTTP servers on 127.0.0.1:0 and a fast client configuration. Test-only;
//! nothing here is compiled into the worker.
//!
//! The servers are hyper 1 (HTTP/1.1) behind a small router with the shape of axum's, so the
//! tests read like axum handlers without the worker depending on axum: `Router::new()
//! .route(path, get(handler))`, `.merge`, `.with_state`; handlers are async closures or fns
//! taking up to three extractors ([`HeaderMap`], the body as `String`, [`Query`], [`Path`],
//! [`State`]) and returning anything [`IntoResponse`] (a [`StatusCode`], [`Json`], a string or
//! bytes, a `(status, body)` or `(status, headers, body)` tuple, a streamed [`Body`], a
//! [`Response`]). Paths match segment by segment; `{name}` matches any one segment. An
//! unknown path answers 404, a known path with another method 405.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use futures::{Stream, TryStreamExt};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderName, HeaderValue};
use hyper::Method;
use hyper_util::rt::TokioIo;
use percent_encoding::percent_decode_str;
use url::Url;

pub use hyper::{header, HeaderMap, StatusCode};

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
    let router = Arc::new(router);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let router = router.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let router = router.clone();
                    async move { Ok::<_, Infallible>(router.dispatch(req).await.map(|b| b.0)) }
                });
                // A handler may break its body on purpose: the connection just ends.
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Url::parse(&format!("http://{addr}/")).unwrap()
}

// ---- the router ------------------------------------------------------------------------------

/// A response body: whole bytes or a stream that may fail part-way (the connection then drops).
pub struct Body(UnsyncBoxBody<Bytes, io::Error>);

impl Body {
    pub fn empty() -> Self {
        Self::from(Bytes::new())
    }

    pub fn from_stream<S>(stream: S) -> Self
    where
        S: Stream<Item = Result<Bytes, io::Error>> + Send + 'static,
    {
        Body(StreamBody::new(stream.map_ok(Frame::data)).boxed_unsync())
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Self {
        Body(Full::new(b).map_err(|never| match never {}).boxed_unsync())
    }
}

pub type Response = hyper::Response<Body>;

/// What a handler may return.
pub trait IntoResponse {
    fn into_response(self) -> Response;
}

impl IntoResponse for Response {
    fn into_response(self) -> Response {
        self
    }
}

impl IntoResponse for Body {
    fn into_response(self) -> Response {
        hyper::Response::new(self)
    }
}

impl IntoResponse for StatusCode {
    fn into_response(self) -> Response {
        let mut r = Body::empty().into_response();
        *r.status_mut() = self;
        r
    }
}

fn bytes_response(b: Bytes, content_type: &'static str) -> Response {
    let mut r = Body::from(b).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

impl IntoResponse for &'static str {
    fn into_response(self) -> Response {
        bytes_response(
            Bytes::from_static(self.as_bytes()),
            "text/plain; charset=utf-8",
        )
    }
}

impl IntoResponse for String {
    fn into_response(self) -> Response {
        bytes_response(Bytes::from(self), "text/plain; charset=utf-8")
    }
}

impl IntoResponse for Vec<u8> {
    fn into_response(self) -> Response {
        bytes_response(Bytes::from(self), "application/octet-stream")
    }
}

/// A JSON body (`Content-Type: application/json`).
pub struct Json<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.0).expect("serializable test JSON");
        bytes_response(Bytes::from(body), "application/json")
    }
}

impl<R: IntoResponse> IntoResponse for (StatusCode, R) {
    fn into_response(self) -> Response {
        let mut r = self.1.into_response();
        *r.status_mut() = self.0;
        r
    }
}

fn with_headers<K, V, const N: usize>(mut r: Response, headers: [(K, V); N]) -> Response
where
    K: TryInto<HeaderName>,
    K::Error: std::fmt::Debug,
    V: TryInto<HeaderValue>,
    V::Error: std::fmt::Debug,
{
    for (k, v) in headers {
        r.headers_mut()
            .insert(k.try_into().unwrap(), v.try_into().unwrap());
    }
    r
}

impl<K, V, R, const N: usize> IntoResponse for ([(K, V); N], R)
where
    K: TryInto<HeaderName>,
    K::Error: std::fmt::Debug,
    V: TryInto<HeaderValue>,
    V::Error: std::fmt::Debug,
    R: IntoResponse,
{
    fn into_response(self) -> Response {
        with_headers(self.1.into_response(), self.0)
    }
}

impl<K, V, R, const N: usize> IntoResponse for (StatusCode, [(K, V); N], R)
where
    K: TryInto<HeaderName>,
    K::Error: std::fmt::Debug,
    V: TryInto<HeaderValue>,
    V::Error: std::fmt::Debug,
    R: IntoResponse,
{
    fn into_response(self) -> Response {
        (self.0, with_headers(self.2.into_response(), self.1)).into_response()
    }
}

/// One request as handlers see it: head, whole body and the `{name}` segments matched.
pub struct Req {
    headers: HeaderMap,
    query: Option<String>,
    body: Bytes,
    params: Vec<String>,
}

/// Something a handler takes as an argument, built from the request and the router's state.
pub trait FromReq<S>: Sized {
    fn from_req(req: &Req, state: &S) -> Self;
}

impl<S> FromReq<S> for HeaderMap {
    fn from_req(req: &Req, _: &S) -> Self {
        req.headers.clone()
    }
}

/// The body as text.
impl<S> FromReq<S> for String {
    fn from_req(req: &Req, _: &S) -> Self {
        String::from_utf8_lossy(&req.body).into_owned()
    }
}

/// The query string's pairs, percent-decoded (e.g. `Query<HashMap<String, String>>`).
pub struct Query<T>(pub T);

impl<S, T: FromIterator<(String, String)>> FromReq<S> for Query<T> {
    fn from_req(req: &Req, _: &S) -> Self {
        let q = req.query.as_deref().unwrap_or("");
        Query(
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect(),
        )
    }
}

/// The first `{name}` segment of the route (percent-decoded).
pub struct Path<T>(pub T);

impl<S> FromReq<S> for Path<String> {
    fn from_req(req: &Req, _: &S) -> Self {
        Path(req.params.first().cloned().unwrap_or_default())
    }
}

/// The router's state (see [`Router::with_state`]).
pub struct State<S>(pub S);

impl<S: Clone> FromReq<S> for State<S> {
    fn from_req(_: &Req, state: &S) -> Self {
        State(state.clone())
    }
}

type BoxFuture = Pin<Box<dyn Future<Output = Response> + Send>>;
type Erased<S> = Arc<dyn Fn(Req, S) -> BoxFuture + Send + Sync>;

/// An async function of 0 to 3 extractors; `T` names the extractor tuple.
pub trait Handler<T, S>: Clone + Send + Sync + 'static {
    fn call(self, req: Req, state: S) -> BoxFuture;
}

impl<F, Fut, R, S> Handler<(), S> for F
where
    F: FnOnce() -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoResponse,
{
    fn call(self, _: Req, _: S) -> BoxFuture {
        Box::pin(async move { self().await.into_response() })
    }
}

impl<F, Fut, R, S, A> Handler<(A,), S> for F
where
    F: FnOnce(A) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoResponse,
    A: FromReq<S> + Send + 'static,
{
    fn call(self, req: Req, state: S) -> BoxFuture {
        let a = A::from_req(&req, &state);
        Box::pin(async move { self(a).await.into_response() })
    }
}

impl<F, Fut, R, S, A, B> Handler<(A, B), S> for F
where
    F: FnOnce(A, B) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoResponse,
    A: FromReq<S> + Send + 'static,
    B: FromReq<S> + Send + 'static,
{
    fn call(self, req: Req, state: S) -> BoxFuture {
        let (a, b) = (A::from_req(&req, &state), B::from_req(&req, &state));
        Box::pin(async move { self(a, b).await.into_response() })
    }
}

impl<F, Fut, R, S, A, B, C> Handler<(A, B, C), S> for F
where
    F: FnOnce(A, B, C) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoResponse,
    A: FromReq<S> + Send + 'static,
    B: FromReq<S> + Send + 'static,
    C: FromReq<S> + Send + 'static,
{
    fn call(self, req: Req, state: S) -> BoxFuture {
        let a = A::from_req(&req, &state);
        let (b, c) = (B::from_req(&req, &state), C::from_req(&req, &state));
        Box::pin(async move { self(a, b, c).await.into_response() })
    }
}

/// One method's handler for a route: [`get`] or [`post`].
pub struct MethodRouter<S> {
    method: Method,
    handler: Erased<S>,
}

fn method_router<H, T, S>(method: Method, h: H) -> MethodRouter<S>
where
    H: Handler<T, S>,
    T: 'static,
{
    MethodRouter {
        method,
        handler: Arc::new(move |req, state| h.clone().call(req, state)),
    }
}

pub fn get<H: Handler<T, S>, T: 'static, S>(h: H) -> MethodRouter<S> {
    method_router(Method::GET, h)
}

pub fn post<H: Handler<T, S>, T: 'static, S>(h: H) -> MethodRouter<S> {
    method_router(Method::POST, h)
}

struct Route<S> {
    path: Vec<String>,
    method: Method,
    handler: Erased<S>,
}

/// Routes with handlers that take state `S`; [`Router::with_state`] turns it into a servable
/// `Router` (state `()`).
pub struct Router<S = ()> {
    routes: Vec<Route<S>>,
}

impl<S: Clone + Send + Sync + 'static> Default for Router<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: Clone + Send + Sync + 'static> Router<S> {
    pub fn new() -> Self {
        Router { routes: Vec::new() }
    }

    pub fn route(mut self, path: &str, m: MethodRouter<S>) -> Self {
        self.routes.push(Route {
            path: segments(path).map(str::to_string).collect(),
            method: m.method,
            handler: m.handler,
        });
        self
    }

    pub fn merge(mut self, other: Router<S>) -> Self {
        self.routes.extend(other.routes);
        self
    }

    /// Gives every handler `state`; the result serves with any outer state (normally `()`).
    pub fn with_state<S2>(self, state: S) -> Router<S2> {
        Router {
            routes: self
                .routes
                .into_iter()
                .map(|r| {
                    let (handler, state) = (r.handler, state.clone());
                    let erased: Erased<S2> =
                        Arc::new(move |req, _: S2| handler(req, state.clone()));
                    Route {
                        path: r.path,
                        method: r.method,
                        handler: erased,
                    }
                })
                .collect(),
        }
    }
}

impl Router {
    async fn dispatch(&self, req: hyper::Request<Incoming>) -> Response {
        let (parts, body) = req.into_parts();
        let path: Vec<String> = segments(parts.uri.path())
            .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
            .collect();
        let mut path_known = false;
        for route in &self.routes {
            let Some(params) = matches(&route.path, &path) else {
                continue;
            };
            path_known = true;
            if route.method != parts.method {
                continue;
            }
            let body = match body.collect().await {
                Ok(b) => b.to_bytes(),
                Err(_) => return StatusCode::BAD_REQUEST.into_response(),
            };
            let req = Req {
                headers: parts.headers,
                query: parts.uri.query().map(str::to_string),
                body,
                params,
            };
            return (route.handler)(req, ()).await;
        }
        if path_known {
            StatusCode::METHOD_NOT_ALLOWED.into_response()
        } else {
            StatusCode::NOT_FOUND.into_response()
        }
    }
}

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

/// The `{name}` values if `path` matches `pattern`.
fn matches(pattern: &[String], path: &[String]) -> Option<Vec<String>> {
    if pattern.len() != path.len() {
        return None;
    }
    let mut params = Vec::new();
    for (p, s) in pattern.iter().zip(path) {
        if p.starts_with('{') && p.ends_with('}') {
            params.push(s.clone());
        } else if p != s {
            return None;
        }
    }
    Some(params)
}

// ---- the fake token endpoint -----------------------------------------------------------------

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

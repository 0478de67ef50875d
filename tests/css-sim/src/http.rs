//! The HTTP surface: the axum router, the gate every API request passes (request log →
//! injected 429/500/503 → bearer token → version and region checks), and the handlers for
//! token, regions, objects, single objects and the `/_sim/*` test hooks. Bulk download
//! handlers live in [`super::bulk`], bulk delete in [`super::delete`], the state both share in [`super::state`]. Handlers
//! translate; the decisions live in the auth, query, jobs and faults modules.

use super::body::{self, CHUNK};
use super::catalog::{Record, SimObject};
use super::faults::HttpFault;
use super::log::Entry;
use super::query::Search;
use super::state::{error, AppState, St};
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::time::Instant;

pub fn router(state: Arc<AppState>) -> Router {
    let storage = Router::new()
        .route("/regions", get(regions))
        .route("/objects", get(objects))
        .route("/objects/{id}", get(object))
        .route("/objects/{id}/metadata", get(object))
        .route("/objects/{id}/content", get(content))
        .route("/objects/{id}/restore", post(super::restore::restore)) // issue 10 (css)
        .route("/bulk", delete(super::delete::bulk_delete))
        .route("/bulk/download/start", post(super::bulk::start))
        .route("/bulk/download/status", get(super::bulk::status_all))
        .route("/bulk/download/status/{zip}", get(super::bulk::status_one))
        .route("/bulk/download/cancel/{zip}", post(super::bulk::cancel))
        .route("/bulk/download/{zip}", get(super::bulk::download));
    Router::new()
        .route("/oauth/v2/token", post(token))
        .nest("/storage/{region}/{version}", storage)
        .route("/_sim/requests", get(sim_requests))
        .route("/_sim/reset-requests", post(sim_reset_requests))
        .route("/_sim/catalog", get(sim_catalog))
        .route("/_sim/faults", get(sim_faults))
        .route("/_sim/jobs", get(super::bulk::sim_jobs))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such endpoint") })
        .layer(middleware::from_fn_with_state(state.clone(), gate))
        .with_state(state)
}

/// The endpoint class of an API path (for fault scoping), `None` for anything else.
pub fn classify(path: &str) -> Option<&'static str> {
    if path == "/oauth/v2/token" {
        return Some("token");
    }
    let rest: Vec<&str> = path.strip_prefix("/storage/")?.split('/').skip(2).collect();
    Some(match rest.as_slice() {
        ["regions"] => "regions",
        ["objects"] => "objects",
        ["objects", _] | ["objects", _, "metadata"] => "object",
        ["objects", _, "content"] => "content",
        ["objects", _, "restore"] => "restore", // issue 10 (css)
        ["bulk"] => "delete",
        ["bulk", "download", "start"] => "start",
        ["bulk", "download", "status"] | ["bulk", "download", "status", _] => "status",
        ["bulk", "download", "cancel", _] => "cancel",
        ["bulk", "download", _] => "download",
        _ => return None,
    })
}

async fn gate(State(st): St, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with("/_sim/") {
        return next.run(req).await;
    }
    let t0 = Instant::now();
    let method = req.method().to_string();
    let query = req.uri().query().map(str::to_string);
    let resp = guarded(&st, req, next, &path).await;
    let ids = resp.extensions().get::<super::log::DeleteIds>().cloned();
    st.log.record(Entry {
        method,
        path,
        query,
        status: resp.status().as_u16(),
        at_ms: st.log.since_start_ms(t0),
        duration_ms: t0.elapsed().as_millis() as u64,
        ids: ids.as_ref().map(|d| d.requested.clone()),
        deleted: ids.map(|d| d.deleted),
    });
    resp
}

async fn guarded(st: &AppState, req: Request, next: Next, path: &str) -> Response {
    let Some(endpoint) = classify(path) else {
        return next.run(req).await;
    };
    if let Some(f) = st.faults.http(st.seed(), endpoint) {
        return fault_response(f, st.faults.retry_after);
    }
    if endpoint == "token" {
        return next.run(req).await;
    }
    let auth = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if let Err(e) = st.tokens.check(auth) {
        let mut r = error(StatusCode::UNAUTHORIZED, e.message());
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return r;
    }
    let segs: Vec<&str> = path.split('/').collect();
    let (region, version) = (
        segs.get(2).copied().unwrap_or(""),
        segs.get(3).copied().unwrap_or(""),
    );
    if version != "v3" {
        return error(
            StatusCode::NOT_FOUND,
            format!("unknown API version {version:?}; the current version is v3"),
        );
    }
    if !st.known_regions.iter().any(|r| r == region) {
        return error(
            StatusCode::NOT_FOUND,
            format!(
                "unknown region {region:?}; valid regions: {}",
                st.known_regions.join(", ")
            ),
        );
    }
    next.run(req).await
}

fn fault_response(f: HttpFault, retry_after: u64) -> Response {
    let (status, msg) = match f {
        HttpFault::TooManyRequests => (
            StatusCode::TOO_MANY_REQUESTS,
            "rate limit exceeded (injected)",
        ),
        HttpFault::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            "service unavailable (injected)",
        ),
        HttpFault::Internal => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal server error (injected)",
        ),
    };
    let mut r = error(status, msg);
    if f != HttpFault::Internal {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    }
    r
}

async fn token(State(st): St, headers: HeaderMap, body: Bytes) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match st.tokens.issue(auth, &form) {
        Ok(v) => Json(v).into_response(),
        Err(msg) => error(StatusCode::UNAUTHORIZED, msg),
    }
}

async fn regions(State(st): St) -> Response {
    Json(&st.cfg.regions).into_response()
}

/// MD5 hex of each object, computing (and caching) missing digests on blocking threads.
pub async fn md5s(st: &Arc<AppState>, objs: Vec<Arc<SimObject>>) -> Vec<String> {
    let seed = st.seed();
    tokio::task::spawn_blocking(move || objs.iter().map(|o| o.digest(seed).md5_hex()).collect())
        .await
        .unwrap_or_default()
}

async fn objects(
    State(st): St,
    Path((region, _v)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let search = match Search::from_params(&params, st.cfg.max_page_size) {
        Ok(s) => s.with_page_keys(st.cfg.page_keys),
        Err(msg) => return error(StatusCode::BAD_REQUEST, msg),
    };
    // issue 10 (css): an account whose server refuses time filters.
    if search.refused_by(st.cfg.time_filter) {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal server error (createdTime filters are refused on this account)",
        );
    }
    if search.needs_checksums() {
        md5s(&st, st.catalog.in_region(&region).cloned().collect()).await;
    }
    let page = search.run(st.catalog.in_region(&region));
    let sums = md5s(&st, page.items.clone()).await;
    if st.cfg.retention_per_page > 0 {
        // Retention strikes between this page and the next one.
        st.catalog.expire_oldest(&region, st.cfg.retention_per_page);
    }
    Json(PageJson {
        last_page: page.last_page,
        page_key: page.page_key,
        page_size: page.page_size,
        total: page.total_pages,
        content: page
            .items
            .iter()
            .zip(&sums)
            .map(|(o, m)| o.record(m))
            .collect(),
    })
    .into_response()
}

/// The guide's page object, fields in the guide's order.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct PageJson<'a> {
    last_page: bool,
    page_key: u64,
    page_size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<u64>,
    content: Vec<Record<'a>>,
}

fn find(st: &AppState, region: &str, id: &str) -> Result<Arc<SimObject>, Box<Response>> {
    st.catalog
        .get(id)
        .filter(|o| o.region == region)
        .cloned()
        .ok_or_else(|| {
            Box::new(error(
                StatusCode::NOT_FOUND,
                format!("no object {id:?} in region {region}"),
            ))
        })
}

async fn object(State(st): St, Path((region, _v, id)): Path<(String, String, String)>) -> Response {
    let o = match find(&st, &region, &id) {
        Ok(o) => o,
        Err(r) => return *r,
    };
    let sum = md5s(&st, vec![o.clone()]).await.pop().unwrap_or_default();
    Json(o.record(&sum)).into_response()
}

async fn content(
    State(st): St,
    Path((region, _v, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let o = match find(&st, &region, &id) {
        Ok(o) => o,
        Err(r) => return *r,
    };
    if !o.is_available() {
        return error(
            StatusCode::NOT_FOUND,
            format!(
                "object {id:?} is {}; only AVAILABLE objects can be downloaded",
                o.current_state()
            ),
        );
    }
    let total = o.stored_bytes;
    let Some((range, a, b)) = body::requested(&headers, total) else {
        return body::unsatisfiable(total);
    };
    let chunks = o
        .content(st.seed())
        .chunks(a..b, CHUNK)
        .map(Ok::<Bytes, std::io::Error>);
    let stream = body::shape(Box::pin(futures::stream::iter(chunks)), st.shaping(b - a));
    body::respond(range, total, &o.mime_type, Some(&o.object_name), stream)
}

async fn sim_requests(State(st): St) -> Response {
    Json(st.log.all()).into_response()
}

async fn sim_reset_requests(State(st): St) -> Response {
    st.log.clear();
    StatusCode::NO_CONTENT.into_response()
}

async fn sim_faults(State(st): St) -> Response {
    Json(st.faults.summary()).into_response()
}

async fn sim_catalog(State(st): St) -> Response {
    let all = st.catalog.objects.clone();
    let sums = md5s(&st, all.clone()).await;
    #[derive(serde::Serialize)]
    struct SimRecord<'a> {
        #[serde(flatten)]
        record: Record<'a>,
        region: &'a str,
        md5: &'a str,
        poison: bool,
    }
    let out: Vec<SimRecord> = all
        .iter()
        .zip(&sums)
        .map(|(o, m)| SimRecord {
            record: o.record(m),
            region: &o.region,
            md5: m,
            poison: o.poison,
        })
        .collect();
    Json(out).into_response()
}

#[cfg(test)]
mod tests {
    use super::classify;

    #[test]
    fn endpoints_are_classified() {
        let c = |p| classify(p);
        assert_eq!(c("/oauth/v2/token"), Some("token"));
        assert_eq!(c("/storage/uk/v3/regions"), Some("regions"));
        assert_eq!(c("/storage/uk/v3/objects"), Some("objects"));
        assert_eq!(c("/storage/uk/v3/objects/abc"), Some("object"));
        assert_eq!(c("/storage/uk/v3/objects/abc/content"), Some("content"));
        assert_eq!(c("/storage/uk/v3/objects/abc/restore"), Some("restore"));
        assert_eq!(c("/storage/uk/v3/bulk/download/start"), Some("start"));
        assert_eq!(c("/storage/uk/v3/bulk/download/status"), Some("status"));
        assert_eq!(
            c("/storage/uk/v3/bulk/download/status/a.zip"),
            Some("status")
        );
        assert_eq!(
            c("/storage/uk/v3/bulk/download/cancel/a.zip"),
            Some("cancel")
        );
        assert_eq!(c("/storage/uk/v3/bulk/download/a.zip"), Some("download"));
        assert_eq!(c("/storage/uk/v3/bulk"), Some("delete"));
        assert_eq!(c("/storage/uk/v3/nope"), None);
        assert_eq!(c("/_sim/requests"), None);
    }
}

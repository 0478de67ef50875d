//! issue 10 (css): `search_window` against a fake server that refuses `createdTime` filters:
//! the probe, the sticky fallback, the client-side window with its early stop, and the
//! original error when the probe fails too.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use futures::TryStreamExt;
use serde_json::json;
use url::Url;

use super::kit::{client, get, serve, IntoResponse, Json, Query, StatusCode, TokenServer};
use crate::css::{CssError, SearchFilter};

const N: usize = 450;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap()
}

/// Record `i` was created `i` minutes after t0; the listing is newest first.
fn created(i: usize) -> DateTime<Utc> {
    t0() + Span::minutes(i as i64)
}

/// The fake catalog: 500 for any filter naming createdTime (or for every search when
/// `all_fail`), else offset pages of 100, createdTime descending. Returns the queries seen.
async fn server(all_fail: bool) -> (Url, Arc<Mutex<Vec<HashMap<String, String>>>>) {
    let ts = TokenServer::new(json!("1799"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let base = serve(ts.router().route(
        "/storage/{region}/v3/objects",
        get(move |Query(q): Query<HashMap<String, String>>| async move {
            s.lock().unwrap().push(q.clone());
            let timed = q.get("filter").is_some_and(|f| f.contains("createdTime"));
            if all_fail || timed {
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
            let key: usize = q.get("pageKey").and_then(|k| k.parse().ok()).unwrap_or(0);
            let content: Vec<serde_json::Value> = (0..N)
                .rev()
                .skip(key)
                .take(100)
                .map(|i| {
                    json!({"id": format!("r{i:04}"), "type": "voicemail",
                           "objectName": format!("r{i}.mp3"), "storedBytes": 1,
                           "createdTime": created(i).format("%Y-%m-%dT%H:%M:%S").to_string()})
                })
                .collect();
            Json(json!({"lastPage": key + 100 >= N, "pageKey": key + 100,
                        "pageSize": content.len(), "content": content}))
            .into_response()
        }),
    ))
    .await;
    (base, seen)
}

fn window(since: usize, until: usize) -> SearchFilter {
    SearchFilter {
        types: vec!["voicemail".into()],
        since: Some(created(since)),
        until: Some(created(until)),
        ..Default::default()
    }
}

fn timed(q: &HashMap<String, String>) -> bool {
    q.get("filter").is_some_and(|f| f.contains("createdTime"))
}

#[tokio::test]
async fn refused_time_filters_fall_back_to_a_client_side_window_with_early_stop() {
    let (base, seen) = server(false).await;
    let c = client(&base);
    assert!(!c.time_filters_refused("us-east"));
    // [300, 340): newest first that is ids 449..300, so pages 0 and 100 (ids 449..250).
    let got: Vec<String> = c
        .search_window("us-east", &window(300, 340))
        .map_ok(|r| r.id)
        .try_collect()
        .await
        .unwrap();
    let want: Vec<String> = (300..340).rev().map(|i| format!("r{i:04}")).collect();
    assert_eq!(got, want);
    assert!(c.time_filters_refused("us-east"));
    assert!(!c.time_filters_refused("uk"));
    assert_eq!(c.time_filter_fallback_regions(), ["us-east"]);
    let q = seen.lock().unwrap().clone();
    let windowed = q.iter().filter(|q| timed(q)).count();
    let plain: Vec<&str> = q
        .iter()
        .filter(|q| !timed(q))
        .map(|q| q["pageKey"].as_str())
        .collect();
    // The windowed search was retried per policy (4 attempts), then one probe page that is
    // also the first page of the fallback; it stopped before page 200 (5 pages in all).
    assert_eq!(windowed, 4, "{q:?}");
    assert_eq!(plain, ["0", "100"], "{q:?}");
    assert_eq!(q[4]["filter"], "type==voicemail");

    // Sticky: the next search of the region goes straight to the fallback.
    seen.lock().unwrap().clear();
    let n = c
        .search_window("us-east", &window(0, 10))
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .len();
    assert_eq!(n, 10);
    let q = seen.lock().unwrap().clone();
    assert!(q.iter().all(|q| !timed(q)), "{q:?}");
    assert_eq!(q.len(), 5, "the whole listing down to the oldest records");
}

#[tokio::test]
async fn a_probe_that_fails_too_keeps_the_original_error() {
    let (base, seen) = server(true).await;
    let c = client(&base);
    let err = c
        .search_window("us-east", &window(300, 340))
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(err, CssError::Http { status: 500, .. }), "{err}");
    assert!(!c.time_filters_refused("us-east"));
    let q = seen.lock().unwrap().clone();
    assert_eq!(q.iter().filter(|q| timed(q)).count(), 4);
    // The probe: one request (retried per policy like any other), no more.
    assert!(q.iter().filter(|q| !timed(q)).all(|q| q["pageKey"] == "0"));
}

#[tokio::test]
async fn a_search_without_time_clauses_never_probes() {
    let (base, seen) = server(true).await;
    let c = client(&base);
    let f = SearchFilter {
        types: vec!["voicemail".into()],
        ..Default::default()
    };
    let err = c
        .search_window("us-east", &f)
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(err, CssError::Http { status: 500, .. }), "{err}");
    assert_eq!(
        seen.lock().unwrap().len(),
        4,
        "the retries of one request only"
    );
    assert!(!c.time_filters_refused("us-east"));
}

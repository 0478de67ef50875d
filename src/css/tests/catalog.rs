//! Catalog paging and bulk-job tests against fake `objects` / `bulk/download/*` routes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::{StreamExt, TryStreamExt};
use serde_json::json;
use url::Url;

use super::kit::{
    client, get, post, record, serve, IntoResponse, Json, Path, Query, StatusCode, TokenServer,
};
use crate::css::{CssError, JobState, ObjectRecord};

/// A fake `objects` route serving `pages[pageKey]`, recording each query.
async fn catalog(
    pages: HashMap<u64, serde_json::Value>,
) -> (Url, Arc<Mutex<Vec<HashMap<String, String>>>>) {
    let ts = TokenServer::new(json!("1799"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let base = serve(ts.router().route(
        "/storage/{region}/v3/objects",
        get(move |Query(q): Query<HashMap<String, String>>| async move {
            s.lock().unwrap().push(q.clone());
            let key: u64 = q
                .get("pageKey")
                .and_then(|k| k.parse().ok())
                .unwrap_or(u64::MAX);
            match pages.get(&key) {
                Some(p) => Json(p.clone()).into_response(),
                None => StatusCode::BAD_REQUEST.into_response(),
            }
        }),
    ))
    .await;
    (base, seen)
}

fn records(prefix: &str, n: usize) -> Vec<serde_json::Value> {
    (0..n).map(|i| record(&format!("{prefix}-{i}"))).collect()
}

#[tokio::test]
async fn guide_pagination_example_yields_245_records_in_3_requests() {
    let pages = HashMap::from([
        (
            0,
            json!({"lastPage": false, "pageKey": 100, "pageSize": 100, "content": records("a", 100)}),
        ),
        (
            100,
            json!({"lastPage": false, "pageKey": 200, "pageSize": 100, "content": records("b", 100)}),
        ),
        (
            200,
            json!({"lastPage": true, "pageKey": 300, "pageSize": 45, "content": records("c", 45)}),
        ),
    ]);
    let (base, seen) = catalog(pages).await;
    let filter = Some("type==callcenterrecording;createdTime=ge=1".to_string());
    let got: Vec<ObjectRecord> = client(&base)
        .search("us-east", filter.clone())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(got.len(), 245);
    assert_eq!(got[0].id, "a-0");
    assert_eq!(got[244].id, "c-44");
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    let keys: Vec<&str> = seen.iter().map(|q| q["pageKey"].as_str()).collect();
    assert_eq!(keys, ["0", "100", "200"]);
    for q in seen.iter() {
        assert_eq!(q["limit"], "100");
        assert_eq!(q["sortField"], "createdTime");
        assert_eq!(q["sortDirection"], "DESC");
        assert_eq!(Some(&q["filter"]), filter.as_ref());
    }
}

#[tokio::test]
async fn empty_non_final_page_is_an_error_not_a_loop() {
    let pages = HashMap::from([
        (
            0,
            json!({"lastPage": false, "pageKey": 100, "content": records("a", 2)}),
        ),
        (
            100,
            json!({"lastPage": false, "pageKey": 200, "content": []}),
        ),
    ]);
    let (base, seen) = catalog(pages).await;
    let items: Vec<Result<ObjectRecord, CssError>> = client(&base)
        .search("us-east", None)
        .take(10)
        .collect()
        .await;
    assert_eq!(items.len(), 3);
    assert!(matches!(items[2], Err(CssError::PageKey(_))));
    assert_eq!(seen.lock().unwrap().len(), 2);
    assert!(!seen.lock().unwrap()[0].contains_key("filter"));
}

#[tokio::test]
async fn spec_array_pages_are_accepted_and_duplicates_dropped() {
    let pages = HashMap::from([
        (
            0,
            json!([{"lastPage": false, "pageKey": 2, "content": [record("x"), record("y")]}]),
        ),
        (
            2,
            json!([{"lastPage": true, "pageKey": 4, "content": [record("y"), record("z")]}]),
        ),
    ]);
    let (base, _) = catalog(pages).await;
    let got: Vec<ObjectRecord> = client(&base)
        .search("uk", None)
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<&str> = got.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["x", "y", "z"]);
}

/// The spec's page-number forms: the answered `pageKey` is the next page number, or the page
/// just served (a public client asks for `pageKey + 1`). Both page through every record once.
#[tokio::test]
async fn page_number_forms_page_through_every_record_once() {
    for served in [false, true] {
        let key = |page: u64| if served { page } else { page + 1 };
        let pages = HashMap::from([
            (
                0,
                json!({"lastPage": false, "pageKey": key(0), "total": 3, "content": records("a", 100)}),
            ),
            (
                1,
                json!({"lastPage": false, "pageKey": key(1), "total": 3, "content": records("b", 100)}),
            ),
            (
                2,
                json!({"lastPage": true, "pageKey": key(2), "total": 3, "content": records("c", 45)}),
            ),
        ]);
        let (base, seen) = catalog(pages).await;
        let got: Vec<ObjectRecord> = client(&base)
            .search("us-east", None)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(got.len(), 245, "served={served}");
        let keys: Vec<String> = seen
            .lock()
            .unwrap()
            .iter()
            .map(|q| q["pageKey"].clone())
            .collect();
        assert_eq!(keys, ["0", "1", "2"], "served={served}");
    }
}

/// A page-number server that ignores the key and serves page 0 again fails loudly.
#[tokio::test]
async fn a_repeated_page_number_page_is_an_error() {
    let pages = HashMap::from([
        (
            0,
            json!({"lastPage": false, "pageKey": 0, "content": records("a", 100)}),
        ),
        (
            1,
            json!({"lastPage": false, "pageKey": 1, "content": records("a", 100)}),
        ),
    ]);
    let (base, seen) = catalog(pages).await;
    let items: Vec<Result<ObjectRecord, CssError>> = client(&base)
        .search("us-east", None)
        .take(300)
        .collect()
        .await;
    assert_eq!(items.len(), 101);
    let err = items[100].as_ref().unwrap_err();
    assert_eq!(err.kind(), "paging");
    assert!(
        crate::failure::error_chain(err).contains("repeats only records"),
        "{err}"
    );
    assert_eq!(seen.lock().unwrap().len(), 2);
}

/// A bulk-job server: `start` answers `start_body`, `status` the guide shape for `known.zip`.
async fn bulk_server(start: (u16, &'static str)) -> (Url, Arc<Mutex<Vec<String>>>) {
    let ts = TokenServer::new(json!("1799"));
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let b = bodies.clone();
    let router = ts
        .router()
        .route(
            "/storage/us-east/v3/bulk/download/start",
            post(move |body: String| async move {
                b.lock().unwrap().push(body);
                let code = StatusCode::from_u16(start.0).unwrap();
                (code, [("content-type", "application/json")], start.1).into_response()
            }),
        )
        .route(
            "/storage/us-east/v3/bulk/download/status/{zip}",
            get(|Path(zip): Path<String>| async move {
                if zip == "known.zip" {
                    Json(json!([{"zipName": "known.zip", "status": "DONE", "content": []}]))
                        .into_response()
                } else {
                    StatusCode::NOT_FOUND.into_response()
                }
            }),
        )
        .route(
            "/storage/us-east/v3/bulk/download/cancel/{zip}",
            post(|| async { StatusCode::NO_CONTENT }),
        );
    (serve(router).await, bodies)
}

#[tokio::test]
async fn start_accepts_both_documented_shapes() {
    let ids = vec!["id-1".to_string(), "id-2".to_string()];
    for body in [
        r#"{"zipName":"0bcc.zip","status":"NOT_STARTED"}"#,
        r#"[{"zipName":"0bcc.zip","status":"NOT_STARTED","content":["id-1","id-2"]}]"#,
    ] {
        let (base, sent) = bulk_server((200, body)).await;
        let mut jobs = client(&base).start_bulk("us-east", &ids).await.unwrap();
        assert_eq!(jobs.len(), 1);
        let st = jobs.remove(0);
        assert_eq!(
            (st.zip_name.as_str(), st.status),
            ("0bcc.zip", JobState::NotStarted)
        );
        let sent = sent.lock().unwrap();
        assert_eq!(sent.len(), 1);
        assert_eq!(serde_json::from_str::<Vec<String>>(&sent[0]).unwrap(), ids);
    }
}

#[tokio::test]
async fn start_is_not_retried_on_500_and_needs_a_zip_name() {
    let ids = vec!["id-1".to_string()];
    let (base, sent) = bulk_server((500, "boom")).await;
    assert_eq!(
        client(&base)
            .start_bulk("us-east", &ids)
            .await
            .unwrap_err()
            .kind(),
        "http_5xx"
    );
    assert_eq!(sent.lock().unwrap().len(), 1);
    let (base, _) = bulk_server((200, r#"{"zipName":" ","status":"DONE"}"#)).await;
    assert_eq!(
        client(&base)
            .start_bulk("us-east", &ids)
            .await
            .unwrap_err()
            .kind(),
        "unexpected_body"
    );
    let (base, sent) = bulk_server((503, "later")).await;
    client(&base).start_bulk("us-east", &ids).await.unwrap_err();
    assert_eq!(sent.lock().unwrap().len(), 4, "503 on start is retried");
}

#[tokio::test]
async fn start_answered_with_several_zips_names_every_job() {
    let ids = vec!["id-1".to_string(), "id-2".to_string(), "id-3".to_string()];
    let three = r#"[{"zipName":"a.zip","status":"NOT_STARTED"},
        {"zipName":"b.zip","status":"IN_PROGRESS"},{"zipName":"c.zip","status":"DONE"}]"#;
    let (base, sent) = bulk_server((200, three)).await;
    let jobs = client(&base).start_bulk("us-east", &ids).await.unwrap();
    let names: Vec<&str> = jobs.iter().map(|j| j.zip_name.as_str()).collect();
    assert_eq!(names, ["a.zip", "b.zip", "c.zip"]);
    assert_eq!(
        sent.lock().unwrap().len(),
        1,
        "one start for all three zips"
    );
    let twice = r#"[{"zipName":"a.zip","status":"DONE"},{"zipName":"a.zip","status":"DONE"}]"#;
    let (base, _) = bulk_server((200, twice)).await;
    let err = client(&base).start_bulk("us-east", &ids).await.unwrap_err();
    assert_eq!(err.kind(), "unexpected_body");
}

#[tokio::test]
async fn start_without_a_body_or_with_no_job_is_a_typed_error() {
    let ids = vec!["id-1".to_string()];
    for (status, body, kind) in [
        (201, "", "empty_body"),
        (204, "", "empty_body"),
        (200, "  \n", "empty_body"),
        (200, "[]", "empty_job_list"),
        (200, "<html>ok</html>", "decode"),
    ] {
        let (base, sent) = bulk_server((status, body)).await;
        let err = client(&base).start_bulk("us-east", &ids).await.unwrap_err();
        assert_eq!(err.kind(), kind, "{status} {body:?}: {err}");
        if kind == "empty_body" {
            assert!(err.to_string().contains(&format!("HTTP {status}")), "{err}");
        }
        assert_eq!(
            sent.lock().unwrap().len(),
            1,
            "never retried: {status} {body:?}"
        );
    }
}

#[tokio::test]
async fn status_and_cancel() {
    let (base, _) = bulk_server((200, "{}")).await;
    let c = client(&base);
    assert_eq!(
        c.bulk_status("us-east", "known.zip").await.unwrap().status,
        JobState::Done
    );
    let err = c.bulk_status("us-east", "gone.zip").await.unwrap_err();
    assert!(
        matches!(err, CssError::NotFound { endpoint: "status" }),
        "{err:?}"
    );
    c.cancel_bulk("us-east", "known.zip").await.unwrap();
}

//! issue 10 (css): `POST …/objects/{id}/restore`, which brings an ARCHIVED object back. Not
//! in the OpenAPI spec v3.1.6 (its objectState enum has no ARCHIVED): modelled as the issue
//! describes it. The first request of an ARCHIVED object answers 202 and the object is
//! AVAILABLE `--restore-delay` later; asking again while it is restoring answers 409 ("already
//! restoring"); an object that is not ARCHIVED (AVAILABLE, REVOKED, a restore that already
//! completed …) answers 409 too, naming its state; an unknown id 404. Until restored, an
//! ARCHIVED object's content and bulk downloads are refused like any object not AVAILABLE
//! (404 and 400). The request log records every restore like any API request. This module
//! decides the answer ([`answer`], pure) and serves it; it never lists or downloads.

use super::state::{error, St};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::time::{Duration, Instant};

/// What a restore request of an object in `state` gets; `restoring`: a restore was already
/// requested and has not completed.
pub fn answer(state: &str, restoring: bool) -> (StatusCode, &'static str) {
    match (state, restoring) {
        ("ARCHIVED", false) => (StatusCode::ACCEPTED, "restore started"),
        ("ARCHIVED", true) => (StatusCode::CONFLICT, "already restoring"),
        _ => (
            StatusCode::CONFLICT,
            "only ARCHIVED objects can be restored",
        ),
    }
}

pub async fn restore(
    State(st): St,
    Path((region, _v, id)): Path<(String, String, String)>,
) -> Response {
    let Some(o) = st.catalog.get(&id).filter(|o| o.region == region) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("no object {id:?} in region {region}"),
        );
    };
    let state = o.current_state().to_string();
    let restoring = o.restored_at.get().is_some();
    let (status, msg) = answer(&state, restoring);
    if status != StatusCode::ACCEPTED {
        return error(status, format!("object {id:?} is {state}: {msg}"));
    }
    let ready = Instant::now() + Duration::from_millis(st.cfg.restore_delay);
    // Two racing first requests: one sets the instant, both answer 202 (both asked first).
    let _ = o.restored_at.set(ready);
    (
        StatusCode::ACCEPTED,
        Json(json!({"id": id, "objectState": "ARCHIVED", "message": msg,
                    "restoreDelayMs": st.cfg.restore_delay})),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_by_state() {
        let table = [
            ("ARCHIVED", false, StatusCode::ACCEPTED),
            ("ARCHIVED", true, StatusCode::CONFLICT),
            ("AVAILABLE", false, StatusCode::CONFLICT),
            ("AVAILABLE", true, StatusCode::CONFLICT),
            ("REVOKED", false, StatusCode::CONFLICT),
            ("DELETED", false, StatusCode::CONFLICT),
        ];
        for (state, restoring, want) in table {
            assert_eq!(answer(state, restoring).0, want, "{state} {restoring}");
        }
    }
}

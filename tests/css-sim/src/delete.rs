//! `DELETE /storage/{region}/v3/bulk` (the spec's `removecontent`): "bulk remove metadata and
//! content for the provided object IDs". The request body is a JSON array of object ids; the
//! spec documents 200 "OK" and 204 with no body schema, so the answer carries nothing per id.
//!
//! What the spec leaves open, css-sim assumes (and documents here):
//! - the body must be a non-empty JSON array of strings, else 400 with a readable message;
//! - every id must exist in this region: an unknown id, or one stored in another region, makes
//!   the whole request 404 naming the ids, and nothing is deleted (validate first, then act);
//! - an id already DELETED or REVOKED is accepted and stays (or becomes) DELETED: repeating a
//!   delete changes nothing further;
//! - success is 204 No Content; deleted objects then show `objectState` DELETED in search
//!   (when asked for that state), `GET …/objects/{id}` and `/_sim/catalog`, and their content
//!   is no longer downloadable.
//!
//! The request log (`/_sim/requests`) records the ids asked for and the ids this request
//! turned DELETED, so tests can assert exactly what a client deleted.

use super::bulk::parse_ids;
use super::log::DeleteIds;
use super::state::{error, St};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::sync::atomic::Ordering;

pub async fn bulk_delete(
    State(st): St,
    Path((region, _v)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let ids = match parse_ids(&body) {
        Ok(ids) => ids,
        Err(msg) => return error(StatusCode::BAD_REQUEST, msg),
    };
    let unknown: Vec<&str> = ids
        .iter()
        .filter(|id| st.catalog.get(id).is_none_or(|o| o.region != region))
        .map(String::as_str)
        .collect();
    let mut resp = if !unknown.is_empty() {
        let shown: Vec<_> = unknown.iter().take(10).collect();
        error(
            StatusCode::NOT_FOUND,
            format!(
                "{} object id(s) not found in region {region}; nothing was deleted: {shown:?}",
                unknown.len()
            ),
        )
    } else {
        StatusCode::NO_CONTENT.into_response()
    };
    let mut deleted = Vec::new();
    if unknown.is_empty() {
        for id in &ids {
            if let Some(o) = st.catalog.get(id) {
                if o.current_state() != "DELETED" {
                    deleted.push(id.clone());
                }
                o.expired.store(true, Ordering::Relaxed);
            }
        }
    }
    resp.extensions_mut().insert(DeleteIds {
        requested: ids,
        deleted,
    });
    resp
}

#[cfg(test)]
mod tests {
    use crate::bulk::parse_ids;

    #[test]
    fn bodies() {
        assert_eq!(parse_ids(br#"["a","b","a"]"#).unwrap(), vec!["a", "b"]);
        assert!(parse_ids(b"[]").unwrap_err().contains("empty"));
        assert!(parse_ids(b"[1]").unwrap_err().contains("element 0"));
        assert!(parse_ids(br#"{"ids":["a"]}"#).is_err());
        assert!(parse_ids(b"").is_err());
    }
}

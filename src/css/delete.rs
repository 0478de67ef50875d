//! Deleting at the source: `DELETE {base}/storage/{region}/v3/bulk` with a JSON array of
//! object ids (the spec's `removecontent`: "bulk remove metadata and content for the provided
//! object IDs"), and re-reading one object's state with `GET …/objects/{id}`.
//!
//! The spec answers `DELETE bulk` with 200 "OK" or 204, with no body schema: the answer says
//! nothing per id. So the caller re-reads every id afterwards ([`CssClient::object_state`]) and
//! reports what the catalog says, never what it assumes.
//!
//! Retrying: HTTP calls DELETE idempotent, but the spec says nothing about repeating this one
//! (whether ids already deleted are ignored, answered 404, or fail the whole request), and a
//! repeat after an unknown outcome would be a second destructive request made on the strength
//! of a guess. So the call runs under [`Idempotency::NoRepeat`] through the one retry
//! mechanism: it is repeated only when the server provably did not act (429, or a connection
//! that was never established); a timeout, a reset after sending, a 5xx or a broken answer ends
//! the call with its error, and the caller re-reads the ids' states instead of re-sending. An
//! id still `AVAILABLE` after that is left for the next run, which verifies it again first.

use bytes::Bytes;
use reqwest::Method;
use tracing::debug;

use super::model::ObjectRecord;
use super::retry::Idempotency;
use super::{CssClient, CssError};

/// Most ids in one `DELETE bulk` request. The spec sets no limit; this bounds what one
/// request with an unknown outcome can have touched (and matches the largest search page).
pub const DELETE_BATCH_MAX: usize = 100;

/// One object's state as `GET …/objects/{id}` tells it after a delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdState {
    /// 404: the object no longer exists in this region.
    Gone,
    /// The record's `objectState` (absent → `AVAILABLE`).
    State(String),
}

impl IdState {
    /// `not found`, or the state.
    pub fn label(&self) -> &str {
        match self {
            IdState::Gone => "not found",
            IdState::State(s) => s,
        }
    }

    /// True when the object is deleted: 404, `DELETED` (purged) or `REVOKED` (deleted), as the
    /// spec's objectState table defines them.
    pub fn is_deleted(&self) -> bool {
        match self {
            IdState::Gone => true,
            IdState::State(s) => matches!(s.as_str(), "DELETED" | "REVOKED"),
        }
    }
}

impl CssClient {
    /// `DELETE …/bulk` for `ids` (1..=[`DELETE_BATCH_MAX`]). `Ok` means the server answered
    /// 2xx; it does not say which ids went (see the module docs).
    pub async fn delete_bulk(&self, region: &str, ids: &[String]) -> Result<(), CssError> {
        const EP: &str = "delete";
        if ids.is_empty() || ids.len() > DELETE_BATCH_MAX {
            return Err(CssError::Config(format!(
                "delete_bulk takes 1..={DELETE_BATCH_MAX} ids, got {}",
                ids.len()
            )));
        }
        let mut req = self.json_req(EP, region, Method::DELETE, &["bulk"])?;
        req.mode = Idempotency::NoRepeat;
        let body = serde_json::to_vec(ids).map_err(|source| CssError::Decode {
            endpoint: EP,
            source,
        })?;
        req.json_body = Some(Bytes::from(body));
        self.fetch_bytes(&req).await?;
        debug!(
            region,
            endpoint = EP,
            objects = ids.len(),
            "bulk delete answered 2xx"
        );
        Ok(())
    }

    /// The current state of one object (`GET …/objects/{id}`), retried as any idempotent read.
    pub async fn object_state(&self, region: &str, id: &str) -> Result<IdState, CssError> {
        const EP: &str = "object";
        let req = self.json_req(EP, region, Method::GET, &["objects", id])?;
        match self.fetch_bytes(&req).await {
            Ok(body) => {
                let rec: ObjectRecord =
                    serde_json::from_slice(&body).map_err(|source| CssError::Decode {
                        endpoint: EP,
                        source,
                    })?;
                if rec.id != id {
                    return Err(CssError::UnexpectedBody {
                        endpoint: EP,
                        detail: "record is for a different id".into(),
                    });
                }
                Ok(IdState::State(
                    rec.object_state
                        .map(|s| s.trim().to_string())
                        .unwrap_or_else(|| "AVAILABLE".into()),
                ))
            }
            Err(CssError::NotFound { .. }) => Ok(IdState::Gone),
            Err(e) => Err(e),
        }
    }
}

//! What every handler shares: [`AppState`] (configuration, catalog, tokens, jobs, faults, the
//! request log) and the JSON error body they answer with. Both the router ([`super::http`])
//! and the bulk handlers ([`super::bulk`]) use it; it depends on neither and serves nothing.

use super::auth::Tokens;
use super::body::Shaping;
use super::catalog::Catalog;
use super::config::SimConfig;
use super::faults::{unit, Faults};
use super::jobs::Jobs;
use super::log::RequestLog;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Everything the handlers share.
pub struct AppState {
    pub cfg: SimConfig,
    pub catalog: Catalog,
    pub tokens: Tokens,
    pub jobs: Jobs,
    pub faults: Faults,
    pub log: RequestLog,
    /// Regions whose URLs exist: the spec's enum plus the configured ones.
    pub known_regions: Vec<String>,
    pub downloads: AtomicU64,
}

pub type St = State<Arc<AppState>>;

impl AppState {
    pub fn seed(&self) -> u64 {
        self.cfg.seed
    }

    /// Transport shaping for the next download body of `len` bytes (reset fault, bandwidth).
    pub fn shaping(&self, len: u64) -> Shaping {
        let n = self.downloads.fetch_add(1, Ordering::Relaxed);
        let reset = len > 0 && self.faults.reset.decide(self.seed());
        Shaping {
            bandwidth: self.cfg.bandwidth,
            reset_after: reset
                .then(|| (len as f64 * (0.2 + 0.6 * unit(self.seed(), "reset-at", n))) as u64),
        }
    }
}

/// A JSON error body: `{"status":…,"error":…,"message":…}`.
pub fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = json!({
        "status": status.as_u16(),
        "error": status.canonical_reason().unwrap_or(""),
        "message": message.into(),
    });
    (status, Json(body)).into_response()
}

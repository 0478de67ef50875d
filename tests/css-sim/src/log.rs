//! The request log behind `GET /_sim/requests`: one entry per API request (method, path,
//! query, status, arrival time and duration in ms; for `DELETE …/bulk` also the ids asked for
//! and the ids deleted), in arrival order. It only records; it never
//! changes a response. `/_sim/*` requests themselves are not recorded.

use serde::Serialize;
use std::sync::Mutex;
use tokio::time::Instant;

/// One recorded request.
#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub status: u16,
    /// Milliseconds since the simulator started.
    pub at_ms: u64,
    /// Milliseconds until the response head was ready (bodies stream afterwards).
    pub duration_ms: u64,
    /// `DELETE …/bulk` only: the ids in the request body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ids: Option<Vec<String>>,
    /// `DELETE …/bulk` only: the ids this request turned DELETED.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<Vec<String>>,
}

/// Set on a `DELETE …/bulk` response by its handler; the log copies it into the [`Entry`].
#[derive(Clone, Debug, Default)]
pub struct DeleteIds {
    pub requested: Vec<String>,
    pub deleted: Vec<String>,
}

/// Append-only list of entries.
#[derive(Debug)]
pub struct RequestLog {
    start: Instant,
    entries: Mutex<Vec<Entry>>,
}

impl Default for RequestLog {
    fn default() -> Self {
        RequestLog {
            start: Instant::now(),
            entries: Mutex::new(Vec::new()),
        }
    }
}

impl RequestLog {
    pub fn since_start_ms(&self, t: Instant) -> u64 {
        t.saturating_duration_since(self.start).as_millis() as u64
    }

    pub fn record(&self, e: Entry) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(e);
    }

    pub fn all(&self) -> Vec<Entry> {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_in_order_and_clears() {
        let log = RequestLog::default();
        for s in [200, 429] {
            log.record(Entry {
                method: "GET".into(),
                path: "/x".into(),
                query: None,
                status: s,
                at_ms: log.since_start_ms(Instant::now()),
                duration_ms: 0,
                ids: None,
                deleted: None,
            });
        }
        let all = log.all();
        assert_eq!(
            all.iter().map(|e| e.status).collect::<Vec<_>>(),
            vec![200, 429]
        );
        log.clear();
        assert!(log.all().is_empty());
    }
}

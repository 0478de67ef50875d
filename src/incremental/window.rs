//! Which `createdTime` window a run covers, and whether it may move the watermark. With
//! neither `CSS_SINCE` nor `CSS_UNTIL`: [watermark − `CSS_LOOKBACK`, now − `CSS_SETTLE`), or
//! without a checkpoint a backfill of everything the API lists up to now − settle. An
//! explicit `CSS_SINCE`/`CSS_UNTIL` is a one-off window that never moves the watermark (its
//! open entries are still recorded and settled). `--ids` and `CSS_INCREMENTAL=false` use no
//! checkpoint at all. Pure.

use chrono::{DateTime, Utc};
use std::time::Duration;

/// How a run uses the checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// No checkpoint read or written (`--ids`, `CSS_INCREMENTAL=false`).
    Stateless,
    /// No watermark yet: everything up to now − settle, oldest first.
    Backfill,
    /// From watermark − lookback to now − settle.
    Incremental,
    /// `CSS_SINCE` / `CSS_UNTIL`: open entries used, the watermark never moved.
    OneOff,
}

/// The window of one region's run: `createdTime` in [since, until).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub kind: Kind,
    /// `None`: from the oldest object the API lists.
    pub since: Option<DateTime<Utc>>,
    /// `None`: up to now (a stateless or one-off run without `CSS_UNTIL`).
    pub until: Option<DateTime<Utc>>,
}

impl Window {
    /// Whether finishing this window's slices may move the watermark.
    pub fn moves_watermark(&self) -> bool {
        matches!(self.kind, Kind::Backfill | Kind::Incremental)
    }

    /// Whether it reads (and writes) the checkpoint.
    pub fn uses_checkpoint(&self) -> bool {
        self.kind != Kind::Stateless
    }

    /// Nothing can be listed: since ≥ until.
    pub fn is_empty(&self) -> bool {
        matches!((self.since, self.until), (Some(s), Some(u)) if s >= u)
    }
}

/// What the rule needs to know.
#[derive(Debug, Clone, Copy)]
pub struct Inputs {
    /// `CSS_INCREMENTAL`.
    pub incremental: bool,
    /// `--ids` / `CSS_IDS_FILE`.
    pub ids: bool,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// The checkpoint's watermark.
    pub watermark: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
    pub lookback: Duration,
    pub settle: Duration,
}

/// The window rule (see the module doc).
pub fn window(i: Inputs) -> Window {
    if !i.incremental || i.ids {
        return Window {
            kind: Kind::Stateless,
            since: i.since,
            until: i.until,
        };
    }
    if i.since.is_some() || i.until.is_some() {
        return Window {
            kind: Kind::OneOff,
            since: i.since,
            until: i.until,
        };
    }
    let until = i.now - chrono_of(i.settle);
    match i.watermark {
        None => Window {
            kind: Kind::Backfill,
            since: None,
            until: Some(until),
        },
        Some(w) => Window {
            kind: Kind::Incremental,
            since: Some(w - chrono_of(i.lookback)),
            until: Some(until),
        },
    }
}

/// A std duration as chrono's, saturating (validated durations are far below the limit).
pub fn chrono_of(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

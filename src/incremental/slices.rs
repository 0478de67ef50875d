//! Retention-first order: a window cut into time slices from the oldest object to the end of
//! the window, each listed newest first inside (safe against retention shifting offsets, see
//! `crate::css::paging`), one after the other, so the oldest objects — those closest to
//! deletion — go first and the watermark can advance slice by slice. When a region refuses
//! time filters (the newest-first fallback of `crate::css`), no oldest-first order exists: the
//! whole window is ONE slice. Pure.

use super::window::chrono_of;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// Most slices in one window: past it the slices widen (a year in 1-day slices fits).
pub const MAX_SLICES: usize = 1000;

/// `createdTime` in [start, end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    /// `None`: from the beginning (only the first slice of a window without a lower bound).
    pub start: Option<DateTime<Utc>>,
    pub end: DateTime<Utc>,
}

/// The slices of [since, until), oldest first. `oldest` is the `createdTime` of the oldest
/// object in the window (`None`: the catalog holds none, so one slice covers the window — the
/// watermark may then pass it). `time_filters`: false when the region refused time filters
/// (one slice). `width`: `CSS_SLICE` (at least a second).
pub fn plan(
    since: Option<DateTime<Utc>>,
    until: DateTime<Utc>,
    oldest: Option<DateTime<Utc>>,
    width: Duration,
    time_filters: bool,
) -> Vec<Slice> {
    if since.is_some_and(|s| s >= until) {
        return Vec::new();
    }
    let Some(first) = oldest.filter(|_| time_filters) else {
        return vec![Slice {
            start: since,
            end: until,
        }];
    };
    let from = match since {
        Some(s) => s.max(first),
        None => first,
    };
    if from >= until {
        return vec![Slice {
            start: since,
            end: until,
        }];
    }
    let total = (until - from).num_seconds().max(1) as u64;
    let mut step = width.as_secs().max(1);
    if total.div_ceil(step) > MAX_SLICES as u64 {
        step = total.div_ceil(MAX_SLICES as u64);
    }
    let step = chrono_of(Duration::from_secs(step));
    let mut slices = Vec::new();
    let mut start = since; // the first slice also covers [since, oldest): nothing lost below
    let mut end = from + step;
    loop {
        let last = end >= until;
        let end_now = if last { until } else { end };
        slices.push(Slice {
            start,
            end: end_now,
        });
        if last {
            return slices;
        }
        start = Some(end_now);
        end = end_now + step;
    }
}

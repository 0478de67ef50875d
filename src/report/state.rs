//! Issue 10 (wire): the report's per-region `state` section — what the region's checkpoint
//! said before the run and after its last write, the window the run covered, how many slices
//! it settled, and what became of the open entries. Filled by the checkpoint runner
//! (`pipeline/checkpoint.rs`); the report only carries it. Never reads or writes S3.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// One region's checkpoint in this run.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct RegionState {
    pub region: String,
    /// The checkpoint's key in the bucket.
    pub key: String,
    /// `backfill`, `incremental` or `one_off`.
    pub kind: String,
    pub watermark_before: Option<DateTime<Utc>>,
    /// After the run's last successful checkpoint write (`None`: never written, or no
    /// watermark yet).
    pub watermark_after: Option<DateTime<Utc>>,
    /// `createdTime` in [since, until).
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub slices: usize,
    /// Slices settled from the oldest on (the watermark is the end of the last one).
    pub slices_done: usize,
    pub open_before: usize,
    /// `None`: the checkpoint was never written in this run.
    pub open_after: Option<usize>,
    /// Open entries looked up by id and handed on to export.
    pub retried: u64,
    /// Open entries CSS no longer has (404 on their lookup): dropped.
    pub dropped: u64,
    /// Open entries closest to deletion first: the earliest retention deadline among them.
    pub open_earliest_deadline: Option<DateTime<Utc>>,
    /// Whether every checkpoint write of the run succeeded (a failure is also in `errors`).
    pub written: bool,
}

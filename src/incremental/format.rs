//! The checkpoint document, `<S3_PREFIX>/_css-sync/state/v1/<region>/<scope>.json`:
//! `"format": "css-sync/checkpoint"`, `"version": 1`, the region and scope, the `createdTime`
//! watermark, the open entries and the last run. A document of a newer version is refused
//! ([`FormatError::NewerVersion`]) and never overwritten. The open list is bounded by
//! [`MAX_OPEN`]: past it the entries closest to deletion are kept and the rest counted in
//! `open_overflow`. Serde types and their checks only; no I/O.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The `format` field of every checkpoint.
pub const FORMAT: &str = "css-sync/checkpoint";
/// The version this build writes and reads.
pub const VERSION: u32 = 1;
/// Most open entries one checkpoint keeps (a few MB of JSON at most).
pub const MAX_OPEN: usize = 10_000;

/// One region's (and scope's) checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub format: String,
    pub version: u32,
    pub region: String,
    /// `all`, or `shard-<i>-of-<n>`.
    pub scope: String,
    /// Every object created before this is settled: verified in S3, not available, or an
    /// open entry below. `None`: no run has finished a slice yet.
    #[serde(default)]
    pub watermark: Option<DateTime<Utc>>,
    /// Objects to retry first next run, whatever the window.
    #[serde(default)]
    pub open: Vec<OpenEntry>,
    /// Open entries dropped by the [`MAX_OPEN`] cap, over the checkpoint's life.
    #[serde(default)]
    pub open_overflow: u64,
    #[serde(default)]
    pub last_run: Option<LastRun>,
}

/// Why an object is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpenKind {
    /// It failed for good in a run; retried by id next run.
    Failed,
    /// Its restore (ARCHIVED → AVAILABLE) was requested; exported once AVAILABLE.
    RestoreRequested,
}

/// An object the watermark passed without it being in S3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenEntry {
    pub id: String,
    #[serde(rename = "type")]
    pub object_type: String,
    /// As the catalog wrote it.
    pub created_time: String,
    /// Runs that tried it and failed.
    pub attempts: u32,
    pub last_reason: String,
    /// `createdTime` + `CSS_RETENTION_DAYS`: when CSS deletes it (`None`: unreadable date).
    pub retention_deadline: Option<DateTime<Utc>>,
    pub kind: OpenKind,
}

/// The window a run covered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunWindow {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// The last run that wrote the checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastRun {
    pub run_id: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    /// `None` while the run is still going (a checkpoint written slice by slice).
    pub exit_code: Option<u8>,
    pub window: RunWindow,
}

/// A checkpoint this build cannot use.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FormatError {
    #[error("not a css-sync checkpoint (format {0:?})")]
    NotACheckpoint(String),
    #[error("checkpoint version {found} is newer than this css-sync reads ({VERSION}); upgrade css-sync — the checkpoint is left as it is")]
    NewerVersion { found: u32 },
    #[error("checkpoint of {found:?} read where {expected:?} was expected")]
    WrongPlace { expected: String, found: String },
}

impl FormatError {
    /// A bounded label for metrics and reports.
    pub fn kind(&self) -> &'static str {
        match self {
            FormatError::NotACheckpoint(_) => "not_a_checkpoint",
            FormatError::NewerVersion { .. } => "newer_version",
            FormatError::WrongPlace { .. } => "wrong_place",
        }
    }
}

impl Checkpoint {
    /// An empty checkpoint of `region`/`scope` (no watermark, nothing open).
    pub fn empty(region: &str, scope: &str) -> Checkpoint {
        Checkpoint {
            format: FORMAT.to_string(),
            version: VERSION,
            region: region.to_string(),
            scope: scope.to_string(),
            watermark: None,
            open: Vec::new(),
            open_overflow: 0,
            last_run: None,
        }
    }

    /// Whether this build may read (and then rewrite) the checkpoint found at
    /// `region`/`scope`.
    pub fn check(&self, region: &str, scope: &str) -> Result<(), FormatError> {
        if self.format != FORMAT {
            return Err(FormatError::NotACheckpoint(self.format.clone()));
        }
        if self.version > VERSION {
            return Err(FormatError::NewerVersion {
                found: self.version,
            });
        }
        if self.region != region || self.scope != scope {
            return Err(FormatError::WrongPlace {
                expected: format!("{region}/{scope}"),
                found: format!("{}/{}", self.region, self.scope),
            });
        }
        Ok(())
    }
}

/// Keeps at most `cap` entries, those closest to deletion (an unreadable deadline counts as
/// closest: nothing shows it is safe); returns how many were dropped. Sorted by deadline, id.
pub fn cap_open(open: &mut Vec<OpenEntry>, cap: usize) -> u64 {
    open.sort_by(|a, b| {
        let key = |e: &OpenEntry| (e.retention_deadline.is_some(), e.retention_deadline);
        key(a).cmp(&key(b)).then_with(|| a.id.cmp(&b.id))
    });
    let dropped = open.len().saturating_sub(cap);
    open.truncate(cap);
    dropped as u64
}

//! What the tally tells about each settled object ([`ObjectEvent`] to an [`ObjectSink`]), and
//! what the bucket report wrote ([`Written`], in the local report as `bucket_report`): the
//! types the report shares with `crate::lake_report`, which owns their use. Nothing here
//! writes or decides anything.

use crate::css::model::ObjectRecord;
use crate::failure::Stage;
use serde::{Deserialize, Serialize};

/// How one object settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// Proven in S3 by this run, with the ETag S3 answered at commit.
    Exported { e_tag: Option<&'a str> },
    /// Already in S3, proven by the presence check (or written by another worker).
    Present,
    /// Failed for good (or cut off by an interrupt: stage `interrupted`).
    Failed { stage: Stage, reason: &'a str },
    /// issue 10 (css): not AVAILABLE (`state`, e.g. ARCHIVED): not exported, not a failure;
    /// `restore_requested` when CSS accepted a restore, so a later run can export it.
    NotAvailable {
        state: &'a str,
        restore_requested: bool,
    },
}

/// One object settling, as the tally sees it. `rec` is absent only for an object an
/// interrupt cut off (the tally keeps its id, type and name, not the record).
#[derive(Debug, Clone, Copy)]
pub struct ObjectEvent<'a> {
    pub region: &'a str,
    pub id: &'a str,
    pub object_type: &'a str,
    pub object_name: &'a str,
    pub rec: Option<&'a ObjectRecord>,
    pub outcome: Outcome<'a>,
}

/// Where the tally sends every settled object (the bucket report's writer).
pub trait ObjectSink: Send + Sync + std::fmt::Debug {
    fn object(&self, event: &ObjectEvent<'_>);
}

/// One `.jsonl` file written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinesFile {
    pub key: String,
    pub lines: u64,
}

/// What the run wrote to the bucket (also in the local report as `bucket_report`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Written {
    /// `errors` or `all`.
    pub mode: String,
    /// The key of `<run-id>.json`.
    pub summary: String,
    /// Lines written in all the `.jsonl` files.
    pub lines: u64,
    /// Lines in files that could not be written (each also in `errors`).
    pub lines_not_written: u64,
    /// The `.jsonl` files, in order (none when no object got a line).
    pub files: Vec<LinesFile>,
}

//! The run report in the bucket (`CSS_SYNC_BUCKET_REPORT`, README "Run reports in the
//! bucket"), pure part: the [`Mode`] (`errors`, `all`, `off`), the [`ObjectEvent`]s the tally
//! hands to an [`ObjectSink`] as each object settles, the rule turning an event into one JSON
//! Lines [`Line`] ([`line_for`]), the bounded [`Chunker`] that cuts the lines into files, the
//! file names (`<run-id>.jsonl`, or `<run-id>-<seq>.jsonl` when a run needs several) and the
//! run [`Summary`] (`<run-id>.json`). It performs no I/O: the S3 writes are [`writer`]'s, and
//! it never reads a report back or decides the exit code (the report is sealed before it is
//! written, so a failure to write it never changes the code).

#[path = "lake_report/writer.rs"]
pub mod writer;

use crate::index::IndexSummary;
pub use crate::report::objects::{LinesFile, ObjectEvent, ObjectSink, Outcome, Written};
use crate::report::{Counts, GroupReport, Report};
use crate::run_id::RunId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The folder of the reports inside `S3_PREFIX`.
pub const FOLDER: &str = "_css-sync/reports";
/// Default `CSS_SYNC_BUCKET_REPORT`.
pub const DEFAULT_MODE: &str = "errors";
/// Default `CSS_SYNC_BUCKET_REPORT_FILE_MAX_LINES` (~430 bytes a line with the vendor's long
/// objectNames: [`FILE_MAX_BYTES`] usually cuts a file first).
pub const DEFAULT_FILE_MAX_LINES: usize = 50_000;
/// Most bytes of one `.jsonl` file (a documented constant): a file is cut at this size
/// whatever the line bound, so the buffer stays under it.
pub const FILE_MAX_BYTES: usize = 16 * 1024 * 1024;
/// `.jsonl` files being sent at once; a new object waits at [`writer::LakeReport::ready`]
/// while this many are in flight, so lines in memory stay bounded when S3 is slow.
pub const FILES_IN_FLIGHT: usize = 2;
/// `Content-Type` of the `.jsonl` files.
pub const LINES_CONTENT_TYPE: &str = "application/x-ndjson";

/// Which objects get a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Only failed objects (the default); the summary is always written.
    Errors,
    /// Every object found: exported, present or failed.
    All,
    /// No report in the bucket.
    Off,
}

impl Mode {
    pub fn parse(text: &str) -> Option<Mode> {
        match text.trim().to_ascii_lowercase().as_str() {
            "errors" => Some(Mode::Errors),
            "all" => Some(Mode::All),
            "off" => Some(Mode::Off),
            _ => None,
        }
    }
}

/// The bucket report of a run, validated (`CSS_SYNC_BUCKET_REPORT*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub mode: Mode,
    /// `<S3_PREFIX>/_css-sync/reports/` (ends with `/`).
    pub root: String,
    /// Lines per `.jsonl` file at most (≥ 1).
    pub file_max_lines: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            mode: Mode::Errors,
            root: format!("{FOLDER}/"),
            file_max_lines: DEFAULT_FILE_MAX_LINES,
        }
    }
}

/// One line of `<run-id>.jsonl` (snake_case, like the index rows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub run_id: String,
    pub region: String,
    pub id: String,
    #[serde(rename = "type")]
    pub object_type: String,
    pub object_name: String,
    /// `exported`, `present`, `failed` or `not_available` (issue 10).
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The object's S3 key (prefix included); `null` when none can be built.
    pub key: Option<String>,
    /// The catalog's `storedBytes`.
    pub size: Option<u64>,
    /// The catalog checksum (MD5 hex, or `<hex>-1`), lowercase: verified for exported and
    /// present objects.
    pub checksum: Option<String>,
    /// Exported objects: the ETag S3 answered at commit, unquoted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
}

/// Pure: the line for `event` in `mode`, or `None` when the mode leaves it out. `key` is the
/// object's key from the key template (`None`: it could not be built).
pub fn line_for(
    mode: Mode,
    run_id: &RunId,
    event: &ObjectEvent<'_>,
    key: Option<String>,
) -> Option<Line> {
    let (outcome, stage, reason, etag) = match (mode, event.outcome) {
        (Mode::Off, _) | (Mode::Errors, Outcome::Exported { .. } | Outcome::Present) => {
            return None
        }
        (_, Outcome::Exported { e_tag }) => (
            "exported",
            None,
            None,
            e_tag.map(|e| e.trim_matches('"').to_string()),
        ),
        (_, Outcome::Present) => ("present", None, None, None),
        (_, Outcome::Failed { stage, reason }) => (
            "failed",
            Some(stage.as_str().to_string()),
            Some(reason.to_string()),
            None,
        ),
        // issue 10 (css): not in the lake, so also in `errors` mode.
        (
            _,
            Outcome::NotAvailable {
                state,
                restore_requested,
            },
        ) => (
            "not_available",
            None,
            Some(not_available_reason(state, restore_requested)),
            None,
        ),
    };
    Some(Line {
        run_id: run_id.to_string(),
        region: event.region.to_string(),
        id: event.id.to_string(),
        object_type: event.object_type.to_string(),
        object_name: event.object_name.to_string(),
        outcome: outcome.to_string(),
        stage,
        reason,
        key,
        size: event.rec.map(|r| r.stored_bytes),
        checksum: event
            .rec
            .and_then(|r| r.checksum.as_deref())
            .map(|c| c.trim().to_ascii_lowercase()),
        etag,
    })
}

/// issue 10 (css): the reason of a `not_available` line: the state, and whether a restore
/// was requested.
pub fn not_available_reason(state: &str, restore_requested: bool) -> String {
    match restore_requested {
        true => format!("{state}; restore requested"),
        false => state.to_string(),
    }
}

/// The key of the run summary.
pub fn summary_key(root: &str, run_id: &RunId) -> String {
    format!("{root}{run_id}.json")
}

/// The key of a `.jsonl` file: `<run-id>.jsonl` for a run that needs one file (`seq` None),
/// `<run-id>-0001.jsonl`, `-0002` … when the lines did not fit in one.
pub fn lines_key(root: &str, run_id: &RunId, seq: Option<u32>) -> String {
    match seq {
        None => format!("{root}{run_id}.jsonl"),
        Some(n) => format!("{root}{run_id}-{n:04}.jsonl"),
    }
}

/// A `.jsonl` file to write: its number (see [`lines_key`]), bytes and lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub seq: Option<u32>,
    pub body: Vec<u8>,
    pub lines: u64,
}

/// Pure: collects lines and hands out a [`Chunk`] whenever the file reaches its line bound
/// or [`FILE_MAX_BYTES`]. A run whose lines fit one file gets `seq` None at [`Chunker::finish`].
#[derive(Debug)]
pub struct Chunker {
    max_lines: usize,
    max_bytes: usize,
    body: Vec<u8>,
    lines: u64,
    handed: u32,
}

impl Chunker {
    pub fn new(max_lines: usize, max_bytes: usize) -> Chunker {
        Chunker {
            max_lines: max_lines.max(1),
            max_bytes: max_bytes.max(1),
            body: Vec::new(),
            lines: 0,
            handed: 0,
        }
    }

    /// Adds one line (without its newline); returns a full file to write, if any. A line
    /// that would carry the file past the byte bound first closes the file before it.
    pub fn push(&mut self, line: &[u8]) -> Option<Chunk> {
        let mut out = None;
        if self.lines > 0 && self.body.len() + line.len() + 1 > self.max_bytes {
            out = Some(self.cut());
        }
        self.body.extend_from_slice(line);
        self.body.push(b'\n');
        self.lines += 1;
        if out.is_none()
            && (self.lines as usize >= self.max_lines || self.body.len() >= self.max_bytes)
        {
            out = Some(self.cut());
        }
        out
    }

    fn cut(&mut self) -> Chunk {
        self.handed += 1;
        Chunk {
            seq: Some(self.handed),
            body: std::mem::take(&mut self.body),
            lines: std::mem::take(&mut self.lines),
        }
    }

    /// What is left at the end of the run: `None` when there is nothing to write.
    pub fn finish(&mut self) -> Option<Chunk> {
        if self.lines == 0 {
            return None;
        }
        if self.handed == 0 {
            return Some(Chunk {
                seq: None,
                body: std::mem::take(&mut self.body),
                lines: std::mem::take(&mut self.lines),
            });
        }
        Some(self.cut())
    }
}

/// `<run-id>.json`: the local report without its per-object lists (those are the `.jsonl`),
/// the exit code the run ends with, and what the `.jsonl` files hold.
#[derive(Debug, Serialize)]
pub struct Summary<'a> {
    pub run_id: &'a str,
    pub started_at: &'a str,
    pub duration_secs: f64,
    pub exit_code: u8,
    pub regions: &'a [String],
    pub region_duration_secs: &'a BTreeMap<String, f64>,
    pub totals: &'a Counts,
    pub groups: &'a [GroupReport],
    pub failed_objects: usize,
    pub unaccounted: u64,
    pub unsettled: u64,
    pub aborts_unconfirmed: u64,
    pub errors: &'a [String],
    pub interrupted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<&'a IndexSummary>,
    pub objects: &'a Written,
}

impl<'a> Summary<'a> {
    /// The summary of a sealed `report` whose lines went to `objects`.
    pub fn of(report: &'a Report, objects: &'a Written) -> Summary<'a> {
        Summary {
            run_id: &report.run_id,
            started_at: &report.started_at,
            duration_secs: report.duration_secs,
            exit_code: report.exit_code(),
            regions: &report.regions,
            region_duration_secs: &report.region_duration_secs,
            totals: &report.totals,
            groups: &report.groups,
            failed_objects: report.failed.len(),
            unaccounted: report.unaccounted,
            unsettled: report.unsettled,
            aborts_unconfirmed: report.aborts_unconfirmed,
            errors: &report.errors,
            interrupted: report.interrupted,
            index: report.index.as_ref(),
            objects,
        }
    }
}

#[cfg(test)]
#[path = "lake_report_tests.rs"]
mod tests;

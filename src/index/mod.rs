//! The lake's metadata index, pure part: one JSON Lines row per object exported in a run
//! ([`IndexRow`], built from the catalog record and what S3 answered at commit), grouped by
//! Hive-style partition (`region=<r>/type=<t>/date=<YYYY-MM-DD>/`, the date of `createdTime`
//! in UTC) in a bounded [`IndexBuffer`] that hands out [`Batch`]es to write: a partition's
//! file when it reaches its row or byte bound, the largest partition when the whole buffer
//! reaches its byte bound, and everything left at the end of the run. It also names the files
//! (`part-<run-id>.jsonl`, or `part-<run-id>-<seq>.jsonl` when a partition needs several) and
//! validates the index prefix. It performs no I/O: the S3 writes are [`writer`]'s, and it
//! never reads the index back or compacts it (see the README, "Querying the lake").
//!
//! JSON Lines, not Parquet: the `parquet` crate would add minutes to a cold CI build, and
//! Athena, Trino and DuckDB read JSON Lines as they are; compaction into Parquet is one
//! documented query (deploy/athena/).

pub mod writer;

use crate::css::model::ObjectRecord;
use crate::run_id::RunId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Default `--index-prefix`: the index lives under `<S3_PREFIX>/_index/`.
pub const DEFAULT_PREFIX: &str = "_index";
/// Default `--index-file-max-rows`: about 10 MB per file at ~1 KB per row.
pub const DEFAULT_FILE_MAX_ROWS: usize = 10_000;
/// Most bytes of one index file (a documented constant): a partition is written out once
/// its rows reach this, whatever the row bound.
pub const FILE_MAX_BYTES: usize = 16 * 1024 * 1024;
/// Most bytes of rows buffered over all partitions (a documented constant): past it, the
/// largest partition is written out. Memory for the index stays under about this plus
/// [`writer::FLUSHES_IN_FLIGHT`] files being sent.
pub const BUFFER_MAX_BYTES: usize = 64 * 1024 * 1024;
/// The `date=` value when `createdTime` does not parse (never for a well-formed catalog).
pub const UNKNOWN_DATE: &str = "unknown";

/// One index row: what a lake query needs about one exported object. Field names are
/// snake_case; `region` and `type` repeat the partition values so a file read on its own
/// (DuckDB without `hive_partitioning`) still carries them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexRow {
    pub run_id: String,
    pub region: String,
    pub id: String,
    #[serde(rename = "type")]
    pub object_type: String,
    pub object_name: String,
    /// As the catalog gives it: ISO 8601 without offset, UTC.
    pub created_time: String,
    /// The record's `duration` (a field, else the `duration` tag) as an integer, in the
    /// vendor's unit for the type (milliseconds for recordings, seconds for transcripts);
    /// `null` when absent or not an integer.
    pub duration: Option<i64>,
    pub customer_id: Option<String>,
    pub user_id: Option<String>,
    /// Tags as a JSON object (the first value wins for a repeated key).
    pub tags: BTreeMap<String, String>,
    pub stored_bytes: u64,
    /// The catalog checksum (MD5 hex, or `<hex>-1`), lowercase, as verified.
    pub checksum: String,
    pub mime_type: Option<String>,
    /// The object's S3 key, prefix included.
    pub s3_key: String,
    /// The ETag S3 answered at commit, without quotes (`null` if S3 sent none).
    pub etag: Option<String>,
}

impl IndexRow {
    /// The row for `rec`, exported in `region` to `s3_key` with S3's `e_tag`.
    pub fn new(
        run_id: &RunId,
        region: &str,
        rec: &ObjectRecord,
        s3_key: &str,
        e_tag: Option<&str>,
    ) -> IndexRow {
        let mut tags = BTreeMap::new();
        for t in &rec.tags {
            tags.entry(t.key.clone()).or_insert_with(|| t.value.clone());
        }
        IndexRow {
            run_id: run_id.to_string(),
            region: region.to_string(),
            id: rec.id.clone(),
            object_type: rec.object_type.clone(),
            object_name: rec.object_name.clone(),
            created_time: rec.created_time.clone(),
            duration: duration(rec),
            customer_id: rec.customer_id.clone(),
            user_id: rec.user_id.clone(),
            tags,
            stored_bytes: rec.stored_bytes,
            checksum: crate::verify::catalog_checksum(rec),
            mime_type: rec.mime_type.clone(),
            s3_key: s3_key.to_string(),
            etag: e_tag.map(|t| t.trim().trim_matches('"').to_string()),
        }
    }

    /// The partition this row belongs to.
    pub fn partition(&self) -> Partition {
        let date = crate::s3::keys::parse_created(&self.created_time)
            .map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|_| UNKNOWN_DATE.to_string());
        Partition {
            region: crate::s3::keys::sanitise(Some(&self.region)),
            object_type: crate::s3::keys::sanitise(Some(&self.object_type)),
            date,
        }
    }
}

/// `duration` as an integer: a top-level field if the record has one, else the tag.
fn duration(rec: &ObjectRecord) -> Option<i64> {
    match rec.extra.get("duration") {
        Some(serde_json::Value::Number(n)) => n.as_i64(),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => rec.tag("duration").and_then(|s| s.trim().parse().ok()),
    }
}

/// One Hive-style partition of the index; values are in the key-safe charset.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Partition {
    pub region: String,
    pub object_type: String,
    pub date: String,
}

impl Partition {
    /// `region=<r>/type=<t>/date=<d>/`.
    pub fn path(&self) -> String {
        format!(
            "region={}/type={}/date={}/",
            self.region, self.object_type, self.date
        )
    }
}

/// Rows ready to be written as one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub partition: Partition,
    /// `None`: the partition's only file this run (`part-<run-id>.jsonl`); `Some(n)`: its
    /// n-th file (`part-<run-id>-<nnnn>.jsonl`, from 1).
    pub seq: Option<u32>,
    pub rows: usize,
    /// JSON Lines, each row ending in `\n`.
    pub body: Vec<u8>,
}

impl Batch {
    /// The file's key under `root` (the index prefix, ending in `/`).
    pub fn key(&self, root: &str, run_id: &RunId) -> String {
        let name = match self.seq {
            None => format!("part-{run_id}.jsonl"),
            Some(n) => format!("part-{run_id}-{n:04}.jsonl"),
        };
        format!("{root}{}{name}", self.partition.path())
    }
}

/// The bounds of an [`IndexBuffer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub file_rows: usize,
    pub file_bytes: usize,
    pub buffer_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            file_rows: DEFAULT_FILE_MAX_ROWS,
            file_bytes: FILE_MAX_BYTES,
            buffer_bytes: BUFFER_MAX_BYTES,
        }
    }
}

#[derive(Debug, Default)]
struct Pending {
    rows: usize,
    body: Vec<u8>,
}

/// Rows per partition, bounded; see the module docs.
#[derive(Debug)]
pub struct IndexBuffer {
    limits: Limits,
    pending: BTreeMap<Partition, Pending>,
    /// Files handed out so far per partition (numbers the next one).
    written: BTreeMap<Partition, u32>,
    bytes: usize,
}

impl IndexBuffer {
    pub fn new(limits: Limits) -> IndexBuffer {
        IndexBuffer {
            limits,
            pending: BTreeMap::new(),
            written: BTreeMap::new(),
            bytes: 0,
        }
    }

    /// Bytes of rows buffered now.
    pub fn buffered_bytes(&self) -> usize {
        self.bytes
    }

    /// Adds a row; returns a batch to write now when a bound is reached.
    pub fn push(&mut self, row: &IndexRow) -> Option<Batch> {
        let partition = row.partition();
        let mut line = serde_json::to_vec(row).unwrap_or_default();
        line.push(b'\n');
        self.bytes += line.len();
        let p = self.pending.entry(partition.clone()).or_default();
        p.rows += 1;
        p.body.extend_from_slice(&line);
        if p.rows >= self.limits.file_rows || p.body.len() >= self.limits.file_bytes {
            return Some(self.take(&partition, true));
        }
        if self.bytes >= self.limits.buffer_bytes {
            let largest = self
                .pending
                .iter()
                .max_by_key(|(_, p)| p.body.len())
                .map(|(k, _)| k.clone())?;
            return Some(self.take(&largest, true));
        }
        None
    }

    /// Everything still buffered, one batch per partition (the end of the run).
    pub fn drain(&mut self) -> Vec<Batch> {
        let parts: Vec<Partition> = self.pending.keys().cloned().collect();
        parts.iter().map(|p| self.take(p, false)).collect()
    }

    /// Takes a partition's rows. A mid-run write is always numbered (more may follow); the
    /// final one is unnumbered only when it is the partition's first and last.
    fn take(&mut self, partition: &Partition, numbered: bool) -> Batch {
        let p = self.pending.remove(partition).unwrap_or_default();
        self.bytes -= p.body.len();
        let n = self.written.entry(partition.clone()).or_insert(0);
        let seq = if numbered || *n > 0 {
            Some(*n + 1)
        } else {
            None
        };
        *n += 1;
        Batch {
            partition: partition.clone(),
            seq,
            rows: p.rows,
            body: p.body,
        }
    }
}

/// The index files' root: `<S3_PREFIX>/<index prefix>/`. The index prefix follows the key
/// prefix's rules (safe characters, no empty, `.` or `..` segment) and may not be empty.
pub fn root(s3_prefix: &str, index_prefix: &str) -> Result<String, String> {
    let index = index_prefix.trim_matches('/');
    if index.is_empty() {
        return Err("must not be empty (use --index false to turn the index off)".into());
    }
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '=' | '/');
    if let Some(c) = index.chars().find(|&c| !ok_char(c)) {
        return Err(format!("has a character outside [A-Za-z0-9-_.=/]: {c:?}"));
    }
    if index
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return Err("has an empty, '.' or '..' segment".into());
    }
    let s3 = s3_prefix.trim_matches('/');
    Ok(if s3.is_empty() {
        format!("{index}/")
    } else {
        format!("{s3}/{index}/")
    })
}

/// The index settings of a run (`--index`, `--index-prefix`, `--index-file-max-rows`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexSettings {
    pub enabled: bool,
    /// Where index files go: `<S3_PREFIX>/<index prefix>/` (see [`root`]).
    pub root: String,
    pub limits: Limits,
}

impl Default for IndexSettings {
    fn default() -> Self {
        IndexSettings {
            enabled: true,
            root: format!("{DEFAULT_PREFIX}/"),
            limits: Limits::default(),
        }
    }
}

/// What the index writes of a run came to (in the JSON report, `index`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IndexSummary {
    /// Keys of the index files written, sorted.
    pub files: Vec<String>,
    pub rows: u64,
    /// Rows of files that could not be written (each also in the report's `errors`).
    pub rows_not_written: u64,
}

#[cfg(test)]
mod tests;

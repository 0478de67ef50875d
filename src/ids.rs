//! Exact-list export (`css-sync sync --ids FILE`): the id list and its bookkeeping. Pure: the
//! parser turns the file's text into distinct, URL-safe ids (blank lines and `#` comments
//! ignored, whitespace trimmed, duplicates collapsed, at most [`MAX_IDS`]); the [`Ledger`]
//! records exactly one [`Outcome`] per requested id and renders the report's `ids` section.
//! Looking the ids up is [`crate::lookup`]'s business; reading the file is [`crate::config`]'s.

use crate::failure::Stage;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Most distinct ids one list may hold (`CSS_IDS_FILE`); a longer list is a usage error.
pub const MAX_IDS: usize = 1_000_000;
/// Longest accepted id, in bytes (CSS ids are UUIDs or ~56-character tokens).
pub const MAX_ID_LEN: usize = 256;

/// Where the list came from, as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdSource {
    File(PathBuf),
    Stdin,
}

impl fmt::Display for IdSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdSource::File(p) => write!(f, "{}", p.display()),
            IdSource::Stdin => f.write_str("stdin"),
        }
    }
}

impl Serialize for IdSource {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A parsed, validated id list: distinct ids in file order.
#[derive(Clone, PartialEq, Eq)]
pub struct IdList {
    pub source: IdSource,
    ids: Vec<String>,
    /// Lines that repeated an id already listed (collapsed).
    pub duplicates: u64,
}

impl fmt::Debug for IdList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never a million ids in a debug line.
        f.debug_struct("IdList")
            .field("source", &self.source)
            .field("count", &self.ids.len())
            .field("duplicates", &self.duplicates)
            .finish()
    }
}

impl IdList {
    /// Parses the text of an id list (see [`parse`]).
    pub fn parse(source: IdSource, text: &str) -> Result<IdList, ParseError> {
        let (ids, duplicates) = parse(text)?;
        Ok(IdList {
            source,
            ids,
            duplicates,
        })
    }

    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Why an id list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error(
        "line {line}: {id:?} is not an object id (allowed: letters, digits, '-', '_', '.', '~'; \
         not \".\" or \"..\")"
    )]
    BadId { line: usize, id: String },
    #[error("line {line}: id longer than {MAX_ID_LEN} bytes")]
    TooLong { line: usize },
    #[error("more than {MAX_IDS} distinct ids (split the list over several runs)")]
    TooMany,
    #[error("no ids in the list (only blank lines and comments)")]
    Empty,
}

/// Distinct ids in first-seen order, and how many lines repeated one. A line is trimmed; from
/// `#` to its end is a comment; an empty result is skipped. Every id must be usable as one URL
/// path segment without encoding (RFC 3986 unreserved characters, not `.` or `..`), so the
/// request addresses exactly the object named.
pub fn parse(text: &str) -> Result<(Vec<String>, u64), ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut ids = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut duplicates = 0u64;
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        let id = line.split('#').next().unwrap_or("").trim();
        if id.is_empty() {
            continue;
        }
        if id.len() > MAX_ID_LEN {
            return Err(ParseError::TooLong { line: line_no });
        }
        let unreserved = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~');
        if !id.chars().all(unreserved) || id == "." || id == ".." {
            return Err(ParseError::BadId {
                line: line_no,
                id: id.to_string(),
            });
        }
        if !seen.insert(id.to_string()) {
            duplicates += 1;
            continue;
        }
        if ids.len() == MAX_IDS {
            return Err(ParseError::TooMany);
        }
        ids.push(id.to_string());
    }
    if ids.is_empty() {
        return Err(ParseError::Empty);
    }
    Ok((ids, duplicates))
}

/// What became of one requested id. Exactly one per id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Exported by this run, verified.
    Exported { region: String },
    /// Already in S3 with the same MD5 and size.
    Present { region: String },
    /// Could not be looked up or exported: the stage and the last reason.
    Failed {
        #[serde(skip_serializing_if = "Option::is_none")]
        region: Option<String>,
        stage: Stage,
        reason: String,
    },
    /// No region knows the id (every lookup answered 404).
    NotFound,
    /// The record exists but its objectState is not AVAILABLE, so there is nothing to copy.
    NotAvailable {
        region: String,
        object_state: String,
    },
    /// No outcome was recorded: the run was interrupted or stopped early (otherwise a bug).
    Unsettled,
    /// issue 10 (shard): another shard owns the id; this worker never looked it up.
    OtherShard,
}

impl Outcome {
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Exported { .. } => "exported",
            Outcome::Present { .. } => "present",
            Outcome::Failed { .. } => "failed",
            Outcome::NotFound => "not_found",
            Outcome::NotAvailable { .. } => "not_available",
            Outcome::Unsettled => "unsettled",
            Outcome::OtherShard => "other_shard",
        }
    }
}

/// One outcome per requested id, recorded by concurrent tasks.
#[derive(Debug)]
pub struct Ledger {
    list: Arc<IdList>,
    inner: Mutex<LedgerInner>,
}

#[derive(Debug)]
struct LedgerInner {
    index: HashMap<String, usize>,
    outcomes: Vec<Option<Outcome>>,
    /// Outcomes for ids not in the list, or a second outcome for one id: bookkeeping bugs.
    conflicts: u64,
}

impl Ledger {
    pub fn new(list: Arc<IdList>) -> Ledger {
        let index = list
            .ids()
            .iter()
            .enumerate()
            .map(|(i, id)| (id.clone(), i))
            .collect();
        let outcomes = vec![None; list.len()];
        Ledger {
            list,
            inner: Mutex::new(LedgerInner {
                index,
                outcomes,
                conflicts: 0,
            }),
        }
    }

    /// Records `outcome` for `id`. A second outcome for the same id, or one for an id not in
    /// the list, is kept out and counted as a conflict (the run then fails).
    pub fn settle(&self, id: &str, outcome: Outcome) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let inner = &mut *inner;
        match inner.index.get(id) {
            Some(&i) if inner.outcomes[i].is_none() => inner.outcomes[i] = Some(outcome),
            found => {
                tracing::error!(
                    id,
                    outcome = outcome.label(),
                    listed = found.is_some(),
                    "id outcome conflict: not in the list or settled twice"
                );
                inner.conflicts += 1;
            }
        }
    }

    /// The report's `ids` section; ids without an outcome are [`Outcome::Unsettled`].
    pub fn finish(&self) -> IdsReport {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut counts = IdCounts::default();
        let objects: Vec<IdEntry> = self
            .list
            .ids()
            .iter()
            .zip(&inner.outcomes)
            .map(|(id, o)| {
                let outcome = o.clone().unwrap_or(Outcome::Unsettled);
                counts.add(&outcome);
                IdEntry {
                    id: id.clone(),
                    outcome,
                }
            })
            .collect();
        IdsReport {
            source: self.list.source.clone(),
            count: self.list.len() as u64,
            duplicate_lines: self.list.duplicates,
            counts,
            conflicts: inner.conflicts,
            objects,
        }
    }
}

/// How many ids ended in each outcome.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct IdCounts {
    pub exported: u64,
    pub present: u64,
    pub failed: u64,
    pub not_found: u64,
    pub not_available: u64,
    pub unsettled: u64,
    /// issue 10 (shard): ids another shard owns (absent when 0).
    #[serde(skip_serializing_if = "is_zero")]
    pub other_shard: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl IdCounts {
    fn add(&mut self, o: &Outcome) {
        *match o {
            Outcome::Exported { .. } => &mut self.exported,
            Outcome::Present { .. } => &mut self.present,
            Outcome::Failed { .. } => &mut self.failed,
            Outcome::NotFound => &mut self.not_found,
            Outcome::NotAvailable { .. } => &mut self.not_available,
            Outcome::Unsettled => &mut self.unsettled,
            Outcome::OtherShard => &mut self.other_shard,
        } += 1;
    }

    pub fn total(&self) -> u64 {
        self.exported
            + self.present
            + self.failed
            + self.not_found
            + self.not_available
            + self.unsettled
            + self.other_shard
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdEntry {
    pub id: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// The report's `ids` section: the list's source, its size and each id's outcome, in list
/// order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdsReport {
    pub source: IdSource,
    /// Distinct ids requested.
    pub count: u64,
    /// Lines that repeated an id (collapsed into one request).
    pub duplicate_lines: u64,
    #[serde(rename = "outcomes")]
    pub counts: IdCounts,
    /// Outcomes recorded for unlisted ids or twice for one id: must be 0.
    pub conflicts: u64,
    pub objects: Vec<IdEntry>,
}

impl IdsReport {
    /// True when the run must exit 1: an id failed, was found nowhere, has no outcome, or
    /// the bookkeeping does not add up.
    pub fn failing(&self) -> bool {
        let c = &self.counts;
        c.failed > 0
            || c.not_found > 0
            || c.unsettled > 0
            || self.conflicts > 0
            || c.total() != self.count
    }

    /// The human summary: counts, then every id that is not in S3.
    pub fn to_text(&self) -> String {
        let c = &self.counts;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "ids from {}: {} requested ({} duplicate lines collapsed): {} exported, {} present, \
             {} failed, {} not found, {} not available, {} unsettled",
            self.source,
            self.count,
            self.duplicate_lines,
            c.exported,
            c.present,
            c.failed,
            c.not_found,
            c.not_available,
            c.unsettled
        );
        for e in &self.objects {
            let _ = match &e.outcome {
                Outcome::Exported { .. } | Outcome::Present { .. } | Outcome::OtherShard => {
                    continue
                }
                Outcome::Failed {
                    region,
                    stage,
                    reason,
                } => writeln!(
                    s,
                    "ID FAILED {} in {} at {stage}: {reason}",
                    e.id,
                    region.as_deref().unwrap_or("-")
                ),
                Outcome::NotFound => writeln!(s, "ID NOT FOUND {} in any region", e.id),
                Outcome::NotAvailable {
                    region,
                    object_state,
                } => writeln!(
                    s,
                    "ID NOT AVAILABLE {} in {region}: objectState {object_state}",
                    e.id
                ),
                Outcome::Unsettled => writeln!(s, "ID UNSETTLED {}", e.id),
            };
        }
        if c.other_shard > 0 {
            let _ = writeln!(
                s,
                "ids owned by other shards (left to them): {}",
                c.other_shard
            );
        }
        if self.conflicts > 0 {
            let _ = writeln!(s, "ID BOOKKEEPING CONFLICTS: {}", self.conflicts);
        }
        s
    }
}

#[cfg(test)]
#[path = "ids_tests.rs"]
mod tests;

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
        } += 1;
    }

    pub fn total(&self) -> u64 {
        self.exported
            + self.present
            + self.failed
            + self.not_found
            + self.not_available
            + self.unsettled
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
                Outcome::Exported { .. } | Outcome::Present { .. } => continue,
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
        if self.conflicts > 0 {
            let _ = writeln!(s, "ID BOOKKEEPING CONFLICTS: {}", self.conflicts);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parser_table() {
        type Want = Result<(Vec<&'static str>, u64), ParseError>;
        let cases: Vec<(&str, &str, Want)> = vec![
            ("one id", "a1", Ok((vec!["a1"], 0))),
            (
                "blank lines, comments, whitespace, CRLF",
                "\n# header\n  a1  \r\n\t\r\nb-2 # trailing comment\n   # indented comment\n",
                Ok((vec!["a1", "b-2"], 0)),
            ),
            (
                "duplicates collapse, first order kept",
                "b\na\nb\n b \na",
                Ok((vec!["b", "a"], 3)),
            ),
            ("BOM stripped", "\u{feff}x\ny", Ok((vec!["x", "y"], 0))),
            (
                "uuid and CSS token ids",
                "58bc5748-339b-43c2-ad15-572a35dc3aad\nFKC4RF6OXNMGGUW4LIFSWVLEIVJ54JBTVAD3SQYKNFK2ATUQCMAA----\na.b_c~d",
                Ok((
                    vec![
                        "58bc5748-339b-43c2-ad15-572a35dc3aad",
                        "FKC4RF6OXNMGGUW4LIFSWVLEIVJ54JBTVAD3SQYKNFK2ATUQCMAA----",
                        "a.b_c~d",
                    ],
                    0,
                )),
            ),
            ("empty text", "", Err(ParseError::Empty)),
            ("only comments", "# a\n\n  # b", Err(ParseError::Empty)),
            (
                "slash",
                "ok\na/b",
                Err(ParseError::BadId {
                    line: 2,
                    id: "a/b".into(),
                }),
            ),
            (
                "inner space",
                "a b",
                Err(ParseError::BadId {
                    line: 1,
                    id: "a b".into(),
                }),
            ),
            (
                "query",
                "a?x=1",
                Err(ParseError::BadId {
                    line: 1,
                    id: "a?x=1".into(),
                }),
            ),
            (
                "percent",
                "a%2F",
                Err(ParseError::BadId {
                    line: 1,
                    id: "a%2F".into(),
                }),
            ),
            (
                "dot-dot",
                "..",
                Err(ParseError::BadId {
                    line: 1,
                    id: "..".into(),
                }),
            ),
            (
                "dot",
                "x\n.",
                Err(ParseError::BadId {
                    line: 2,
                    id: ".".into(),
                }),
            ),
            (
                "non-ascii",
                "müller",
                Err(ParseError::BadId {
                    line: 1,
                    id: "müller".into(),
                }),
            ),
        ];
        for (name, text, want) in cases {
            let got = parse(text);
            let want = want.map(|(v, d)| (v.into_iter().map(String::from).collect(), d));
            assert_eq!(got, want, "case {name:?}");
        }
    }

    #[test]
    fn parser_limits() {
        let long = "a".repeat(MAX_ID_LEN + 1);
        assert_eq!(
            parse(&format!("ok\n{long}")),
            Err(ParseError::TooLong { line: 2 })
        );
        assert!(parse(&"a".repeat(MAX_ID_LEN)).is_ok());
        let mut many = String::new();
        for i in 0..=MAX_IDS {
            let _ = writeln!(many, "{i}");
        }
        assert_eq!(parse(&many), Err(ParseError::TooMany));
        // Exactly the maximum, plus duplicates, is fine.
        let at_max: String = many
            .lines()
            .take(MAX_IDS)
            .map(|l| format!("{l}\n{l}\n"))
            .collect();
        let (ids, dups) = parse(&at_max).unwrap();
        assert_eq!((ids.len(), dups), (MAX_IDS, MAX_IDS as u64));
    }

    fn ledger(ids: &str) -> Ledger {
        Ledger::new(Arc::new(IdList::parse(IdSource::Stdin, ids).unwrap()))
    }

    #[test]
    fn every_id_ends_in_exactly_one_outcome() {
        let l = ledger("a\nb\nc\nd\ne\nf\na");
        l.settle(
            "a",
            Outcome::Exported {
                region: "uk".into(),
            },
        );
        l.settle(
            "b",
            Outcome::Present {
                region: "us-east".into(),
            },
        );
        l.settle("c", Outcome::NotFound);
        l.settle(
            "d",
            Outcome::NotAvailable {
                region: "uk".into(),
                object_state: "REVOKED".into(),
            },
        );
        l.settle(
            "e",
            Outcome::Failed {
                region: Some("uk".into()),
                stage: Stage::Verify,
                reason: "md5 differs".into(),
            },
        );
        let r = l.finish();
        assert_eq!((r.count, r.duplicate_lines), (6, 1));
        assert_eq!(
            r.counts,
            IdCounts {
                exported: 1,
                present: 1,
                failed: 1,
                not_found: 1,
                not_available: 1,
                unsettled: 1,
            }
        );
        assert_eq!(r.objects[5].outcome, Outcome::Unsettled, "f never settled");
        assert!(r.failing());
        let text = r.to_text();
        assert!(
            text.contains("ID FAILED e in uk at verify: md5 differs"),
            "{text}"
        );
        assert!(text.contains("ID NOT FOUND c"), "{text}");
        assert!(text.contains("ID NOT AVAILABLE d in uk: objectState REVOKED"));
        assert!(text.contains("ID UNSETTLED f"));
        assert!(
            !text.contains(" a "),
            "exported ids are only counted: {text}"
        );

        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["source"], "stdin");
        assert_eq!(json["outcomes"]["not_found"], 1);
        assert_eq!(json["objects"][0]["id"], "a");
        assert_eq!(json["objects"][0]["outcome"], "exported");
        assert_eq!(json["objects"][0]["region"], "uk");
        assert_eq!(json["objects"][3]["object_state"], "REVOKED");
        assert_eq!(json["objects"][4]["stage"], "verify");
        assert_eq!(json["objects"][2]["outcome"], "not_found");

        // A second outcome for one id, or one for an unlisted id, is a conflict, not a change.
        l.settle("f", Outcome::NotFound);
        l.settle("a", Outcome::NotFound);
        l.settle("zzz", Outcome::NotFound);
        let r = l.finish();
        assert_eq!(r.conflicts, 2);
        assert_eq!(r.counts.not_found, 2);
        assert_eq!(r.counts.exported, 1);
        assert!(r.failing(), "conflicts fail the run");
    }

    #[test]
    fn clean_outcomes_do_not_fail() {
        let l = ledger("a\nb\nc");
        l.settle(
            "a",
            Outcome::Exported {
                region: "uk".into(),
            },
        );
        l.settle(
            "b",
            Outcome::Present {
                region: "uk".into(),
            },
        );
        l.settle(
            "c",
            Outcome::NotAvailable {
                region: "uk".into(),
                object_state: "DELETED".into(),
            },
        );
        let r = l.finish();
        assert_eq!(r.counts.total(), 3);
        assert!(!r.failing(), "not_available alone does not fail the run");
        let l = ledger("a");
        l.settle("a", Outcome::NotFound);
        assert!(l.finish().failing(), "not_found fails the run");
    }
}

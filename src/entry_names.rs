//! Which catalog record a zip entry is, by its name. Exact `objectName` first. A public client
//! matches with `objectName.endswith(entry)`, so a producer may drop everything up to the last
//! `/` or `:` (colons are not legal in many file systems): when no record's name is exactly the
//! entry's, a record whose `objectName` ends with the entry name at a `/` or `:` boundary is
//! taken, but only when exactly one record of the batch does; two or more make the entry
//! ambiguous and it matches nothing (the caller skips it; those objects are then missing and
//! retried, and `batch` keeps names with the same last segment out of one batch, so the
//! ambiguity does not come back). A match only says which record to check: size and MD5 still
//! decide. Pure: no I/O, and never derives an S3 key from an entry name.

use std::collections::HashMap;

use crate::css::model::ObjectRecord;

/// How an entry name resolved against a batch's records.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Resolved<'a> {
    /// An `objectName` is exactly the entry name.
    Exact(&'a ObjectRecord),
    /// The one record whose `objectName` ends with the entry name at a boundary.
    Suffix(&'a ObjectRecord),
    /// Several records end with the entry name at a boundary (how many).
    Ambiguous(usize),
    /// No record has this name or suffix.
    Unknown,
}

impl<'a> Resolved<'a> {
    /// The record, for an exact or unique suffix match.
    pub fn record(self) -> Option<&'a ObjectRecord> {
        match self {
            Resolved::Exact(r) | Resolved::Suffix(r) => Some(r),
            Resolved::Ambiguous(_) | Resolved::Unknown => None,
        }
    }
}

/// The part after the last `/` or `:` (the whole name when it has neither).
pub fn last_segment(name: &[u8]) -> &[u8] {
    match name.iter().rposition(|b| matches!(b, b'/' | b':')) {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

/// The batch's records indexed by exact name and by last segment.
#[derive(Debug)]
pub struct EntryNames<'a> {
    exact: HashMap<&'a [u8], &'a ObjectRecord>,
    by_last: HashMap<&'a [u8], Vec<&'a ObjectRecord>>,
}

impl<'a> EntryNames<'a> {
    pub fn new(records: &'a [ObjectRecord]) -> Self {
        let mut exact = HashMap::new();
        let mut by_last: HashMap<&[u8], Vec<&ObjectRecord>> = HashMap::new();
        for r in records {
            let name = r.object_name.as_bytes();
            exact.entry(name).or_insert(r);
            by_last.entry(last_segment(name)).or_default().push(r);
        }
        EntryNames { exact, by_last }
    }

    /// The record an entry named `entry` is, per the rule above.
    pub fn resolve(&self, entry: &[u8]) -> Resolved<'a> {
        if let Some(r) = self.exact.get(entry) {
            return Resolved::Exact(r);
        }
        let last = last_segment(entry);
        if last.is_empty() {
            return Resolved::Unknown;
        }
        let Some(candidates) = self.by_last.get(last) else {
            return Resolved::Unknown;
        };
        let mut found = candidates.iter().filter(|r| ends_at_boundary(r, entry));
        match (found.next(), found.count()) {
            (None, _) => Resolved::Unknown,
            (Some(r), 0) => Resolved::Suffix(r),
            (Some(_), more) => Resolved::Ambiguous(more + 1),
        }
    }
}

/// `objectName` ends with `entry`, preceded by `/` or `:` (equal names are exact matches).
fn ends_at_boundary(rec: &ObjectRecord, entry: &[u8]) -> bool {
    let name = rec.object_name.as_bytes();
    name.len() > entry.len()
        && name.ends_with(entry)
        && matches!(name[name.len() - entry.len() - 1], b'/' | b':')
}

#[cfg(test)]
#[path = "entry_names_tests.rs"]
mod tests;

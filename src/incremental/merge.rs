//! The one rule that writes a checkpoint: this run's [`Delta`] applied to whatever checkpoint
//! is current (the `f` handed to `crate::state::DocStore::update`, which re-applies it to a
//! newer document after a lost race), so two overlapping runs never lose each other's update:
//! the watermark only rises (max of current and a valid proposal); open = (current ∪ this
//! run's failures) − what this run settled or found gone; attempts keep the higher count;
//! the list is capped ([`super::format::cap_open`]). Pure.

use super::format::{cap_open, Checkpoint, LastRun, OpenEntry, MAX_OPEN};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// What one run learned about one region (and scope).
#[derive(Debug, Clone, Default)]
pub struct Delta {
    /// Open entries (of any checkpoint) this run settled: exported, present, not available.
    pub settled: BTreeSet<String>,
    /// Open entries whose object CSS no longer has (404): dropped.
    pub gone: BTreeSet<String>,
    /// Objects that failed in this run, attempts already counted (previous + 1).
    pub failed: Vec<OpenEntry>,
    /// The watermark this run's slices allow (`None`: none finished, or a one-off window).
    pub proposal: Option<DateTime<Utc>>,
    pub last_run: Option<LastRun>,
}

/// `delta` applied to `current` (or to an empty checkpoint of `region`/`scope`).
pub fn apply(current: Option<Checkpoint>, delta: &Delta, region: &str, scope: &str) -> Checkpoint {
    let mut cp = current.unwrap_or_else(|| Checkpoint::empty(region, scope));
    cp.watermark = match (cp.watermark, delta.proposal) {
        (Some(w), Some(p)) => Some(w.max(p)),
        (w, p) => w.or(p),
    };
    let mut open: BTreeMap<String, OpenEntry> =
        cp.open.drain(..).map(|e| (e.id.clone(), e)).collect();
    for f in &delta.failed {
        match open.get_mut(&f.id) {
            Some(e) => {
                let attempts = e.attempts.max(f.attempts);
                *e = OpenEntry {
                    attempts,
                    ..f.clone()
                };
            }
            None => {
                open.insert(f.id.clone(), f.clone());
            }
        }
    }
    for id in delta.settled.iter().chain(&delta.gone) {
        // A failure of this run outranks a settlement another path reported for the same id
        // only when it came later; the run reports each id once, so settled wins.
        open.remove(id);
    }
    cp.open = open.into_values().collect();
    cp.open_overflow += cap_open(&mut cp.open, MAX_OPEN);
    if let Some(run) = &delta.last_run {
        cp.last_run = Some(run.clone());
    }
    cp.format = super::format::FORMAT.to_string();
    cp.version = super::format::VERSION;
    cp
}

//! One region's incremental bookkeeping during a run: the settlement [`Tracker`] of its
//! slices, the open entries its checkpoint held at the start, and the [`Delta`] this run will
//! merge into the checkpoint. Fed from the tally's settled-object events (an `ObjectSink`)
//! and from the slice listings; read by the checkpoint writer. Pure state, no I/O.

use super::format::{Checkpoint, LastRun, OpenEntry, OpenKind};
use super::merge::Delta;
use super::slices::Slice;
use super::tracker::Tracker;
use super::window::{chrono_of, Window};
use crate::failure::Stage;
use crate::report::objects::{ObjectEvent, Outcome};
use std::collections::BTreeMap;
use std::time::Duration;

/// How one settled object counts for the checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    /// In S3 (exported or present), or not AVAILABLE (not a failure): leaves the open list.
    Done,
    /// Failed for good (or its restore requested): an open entry, retried first next run.
    /// Settles its slice.
    Open { reason: String, kind: OpenKind },
    /// Cut off by an interrupt: neither settled nor open (the watermark stops before it).
    Unsettled,
}

/// The rule: which [`Settlement`] an event is.
pub fn settlement(event: &ObjectEvent<'_>) -> Settlement {
    match event.outcome {
        Outcome::Exported { .. } | Outcome::Present => Settlement::Done,
        // issue 10 (css): a requested restore stays open until a later run exports it.
        Outcome::NotAvailable {
            state,
            restore_requested: true,
        } => Settlement::Open {
            reason: format!("{state}; restore requested"),
            kind: OpenKind::RestoreRequested,
        },
        Outcome::NotAvailable { .. } => Settlement::Done,
        Outcome::Failed {
            stage: Stage::Interrupted,
            ..
        } => Settlement::Unsettled,
        Outcome::Failed { .. }
            if event
                .rec
                .and_then(|r| r.object_state.as_deref())
                .is_some_and(|s| s != "AVAILABLE") =>
        {
            Settlement::Done
        }
        Outcome::Failed { reason, .. } => Settlement::Open {
            reason: reason.to_string(),
            kind: OpenKind::Failed,
        },
    }
}

/// A region's state for this run.
#[derive(Debug)]
pub struct RegionRun {
    pub window: Window,
    pub tracker: Tracker,
    /// The open entries of the checkpoint read at the start, by id.
    pub before: BTreeMap<String, OpenEntry>,
    pub delta: Delta,
    retention: Duration,
}

impl RegionRun {
    /// `loaded`: the checkpoint read at the start (checked); `retention`: CSS_RETENTION_DAYS.
    pub fn new(
        window: Window,
        slices: Vec<Slice>,
        loaded: Option<&Checkpoint>,
        retention: Duration,
    ) -> RegionRun {
        let before = loaded
            .map(|c| c.open.iter().map(|e| (e.id.clone(), e.clone())).collect())
            .unwrap_or_default();
        RegionRun {
            window,
            tracker: Tracker::new(slices),
            before,
            delta: Delta::default(),
            retention,
        }
    }

    /// One settled object of this region.
    pub fn object(&mut self, event: &ObjectEvent<'_>) {
        match settlement(event) {
            Settlement::Unsettled => return,
            Settlement::Done => {
                if self.before.contains_key(event.id) {
                    self.delta.settled.insert(event.id.to_string());
                }
            }
            Settlement::Open { reason, kind } => {
                let attempts = self.before.get(event.id).map_or(0, |e| e.attempts) + 1;
                let created_time = event
                    .rec
                    .map(|r| r.created_time.clone())
                    .unwrap_or_default();
                let deadline = event
                    .rec
                    .and_then(crate::purge_rules::created_at)
                    .map(|c| c + chrono_of(self.retention));
                self.delta.settled.remove(event.id);
                self.delta.failed.push(OpenEntry {
                    id: event.id.to_string(),
                    object_type: event.object_type.to_string(),
                    created_time,
                    attempts,
                    last_reason: reason,
                    retention_deadline: deadline,
                    kind,
                });
            }
        }
        self.tracker.settled(event.id);
    }

    /// An open entry CSS no longer has (404 on its lookup): dropped.
    pub fn gone(&mut self, id: &str) {
        self.delta.gone.insert(id.to_string());
    }

    /// The delta to merge now: the tracker's proposal when the window may move the watermark.
    pub fn delta_now(&self, last_run: LastRun) -> Delta {
        Delta {
            proposal: self
                .window
                .moves_watermark()
                .then(|| self.tracker.proposal())
                .flatten(),
            last_run: Some(last_run),
            ..self.delta.clone()
        }
    }
}

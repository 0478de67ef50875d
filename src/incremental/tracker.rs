//! Which slices of a window are settled: per slice, the ids found and not settled yet and
//! whether its listing reached the end. The watermark proposal is the end of the last slice
//! k such that every slice ≤ k was listed to the end and has nothing pending. An object cut
//! off by an interrupt never settles, so the watermark stops before it. Ids settled but never
//! found here (open entries retried by id) are ignored. Pure; the runner feeds it.

use super::slices::Slice;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

#[derive(Debug, Default, Clone)]
struct SliceState {
    pending: u64,
    found: u64,
    listed: bool,
}

/// The settlement of one window's slices.
#[derive(Debug, Clone)]
pub struct Tracker {
    slices: Vec<Slice>,
    state: Vec<SliceState>,
    /// id → slice, for the objects found and not settled.
    pending: HashMap<String, usize>,
}

impl Tracker {
    pub fn new(slices: Vec<Slice>) -> Tracker {
        let state = vec![SliceState::default(); slices.len()];
        Tracker {
            slices,
            state,
            pending: HashMap::new(),
        }
    }

    /// Slice `k`'s listing found `id` (a second sighting of a pending id changes nothing).
    pub fn found(&mut self, k: usize, id: &str) {
        let Some(s) = self.state.get_mut(k) else {
            return;
        };
        if !self.pending.contains_key(id) {
            self.pending.insert(id.to_string(), k);
            s.pending += 1;
            s.found += 1;
        }
    }

    /// `id` settled (exported, present, not available, or recorded open).
    pub fn settled(&mut self, id: &str) {
        if let Some(k) = self.pending.remove(id) {
            self.state[k].pending -= 1;
        }
    }

    /// Slice `k`'s listing reached its last page.
    pub fn listed(&mut self, k: usize) {
        if let Some(s) = self.state.get_mut(k) {
            s.listed = true;
        }
    }

    /// Slices listed to the end with nothing pending, counted from the oldest.
    pub fn slices_done(&self) -> usize {
        self.state
            .iter()
            .take_while(|s| s.listed && s.pending == 0)
            .count()
    }

    /// The watermark this window's progress allows: the end of the last done slice.
    pub fn proposal(&self) -> Option<DateTime<Utc>> {
        match self.slices_done() {
            0 => None,
            n => Some(self.slices[n - 1].end),
        }
    }

    /// Objects found in the window so far.
    pub fn found_total(&self) -> u64 {
        self.state.iter().map(|s| s.found).sum()
    }

    pub fn slices(&self) -> &[Slice] {
        &self.slices
    }
}

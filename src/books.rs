//! Pure bookkeeping of a run: every object found must end exported, already present or
//! failed; only an interrupted run may leave some unsettled (work the signal cut off, picked
//! up by the next run). Anything else left over, or settled more often than found, is a
//! bookkeeping bug that makes the run fail. This module only counts; it never sees objects.

/// What one run's counters say about its objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Balance {
    /// found = present + exported + failed.
    Settled,
    /// Interrupted with this many objects neither exported, present nor failed: honest, as
    /// long as the run is reported interrupted.
    Unsettled(u64),
    /// Not interrupted, yet this many objects were never settled: a bug.
    Unaccounted(u64),
    /// More outcomes than objects found (one object settled twice): a bug.
    Overcounted(u64),
}

impl Balance {
    /// The rule: compares found with present + exported + failed.
    pub fn of(found: u64, present: u64, exported: u64, failed: u64, interrupted: bool) -> Self {
        let settled = present.saturating_add(exported).saturating_add(failed);
        match (found.cmp(&settled), interrupted) {
            (std::cmp::Ordering::Equal, _) => Balance::Settled,
            (std::cmp::Ordering::Less, _) => Balance::Overcounted(settled - found),
            (std::cmp::Ordering::Greater, true) => Balance::Unsettled(found - settled),
            (std::cmp::Ordering::Greater, false) => Balance::Unaccounted(found - settled),
        }
    }

    /// Objects the run cannot account for (a bug whatever the exit): unaccounted or
    /// overcounted.
    pub fn unaccounted(self) -> u64 {
        match self {
            Balance::Unaccounted(n) | Balance::Overcounted(n) => n,
            Balance::Settled | Balance::Unsettled(_) => 0,
        }
    }

    /// Objects an interrupt left unsettled.
    pub fn unsettled(self) -> u64 {
        match self {
            Balance::Unsettled(n) => n,
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Balance::{self, *};

    /// (found, present, exported, failed, interrupted).
    type Counts = (u64, u64, u64, u64, bool);

    #[test]
    fn the_rule_in_every_case() {
        let table: &[(Counts, Balance)] = &[
            ((0, 0, 0, 0, false), Settled),
            ((10, 2, 7, 1, false), Settled),
            ((10, 2, 7, 1, true), Settled),
            ((313, 0, 41, 0, true), Unsettled(272)),
            ((10, 0, 0, 0, false), Unaccounted(10)),
            ((10, 0, 9, 0, false), Unaccounted(1)),
            ((3, 1, 2, 1, false), Overcounted(1)),
            ((3, 1, 2, 1, true), Overcounted(1)),
            ((1, u64::MAX, 1, 0, false), Overcounted(u64::MAX - 1)),
        ];
        for &((found, present, exported, failed, interrupted), want) in table {
            let got = Balance::of(found, present, exported, failed, interrupted);
            assert_eq!(
                got, want,
                "{found} {present} {exported} {failed} {interrupted}"
            );
        }
        assert_eq!(Unsettled(5).unaccounted(), 0);
        assert_eq!(Unsettled(5).unsettled(), 5);
        assert_eq!(Unaccounted(4).unaccounted(), 4);
        assert_eq!(Overcounted(2).unaccounted(), 2);
        assert_eq!(Settled.unsettled() + Settled.unaccounted(), 0);
    }
}

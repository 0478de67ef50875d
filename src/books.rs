//! Pure bookkeeping of a run: every object found must end exported, already present, not
//! AVAILABLE (issue 10) or failed — an interrupted run included, whose cut-off objects the tally fails at stage
//! `interrupted`. Anything left over, or settled more often than found, is a bookkeeping bug
//! that makes the run fail. This module only counts; it never sees objects.

/// What one run's counters say about its objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Balance {
    /// found = present + exported + not available + failed.
    Settled,
    /// This many objects were never settled: a bug.
    Unaccounted(u64),
    /// More outcomes than objects found (one object settled twice): a bug.
    Overcounted(u64),
}

impl Balance {
    /// The rule: compares found with present + exported + not available + failed.
    pub fn of(found: u64, present: u64, exported: u64, not_available: u64, failed: u64) -> Self {
        let settled = present
            .saturating_add(exported)
            .saturating_add(not_available)
            .saturating_add(failed);
        match found.cmp(&settled) {
            std::cmp::Ordering::Equal => Balance::Settled,
            std::cmp::Ordering::Less => Balance::Overcounted(settled - found),
            std::cmp::Ordering::Greater => Balance::Unaccounted(found - settled),
        }
    }

    /// Objects the run cannot account for (a bug whatever the exit): unaccounted or
    /// overcounted.
    pub fn unaccounted(self) -> u64 {
        match self {
            Balance::Unaccounted(n) | Balance::Overcounted(n) => n,
            Balance::Settled => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Balance::{self, *};

    /// (found, present, exported, not available, failed).
    type Counts = (u64, u64, u64, u64, u64);

    #[test]
    fn the_rule_in_every_case() {
        let table: &[(Counts, Balance)] = &[
            ((0, 0, 0, 0, 0), Settled),
            // issue 10 (css): objects not AVAILABLE settle too, without failing.
            ((10, 2, 5, 2, 1), Settled),
            ((10, 2, 5, 0, 1), Unaccounted(2)),
            ((3, 0, 2, 2, 0), Overcounted(1)),
            ((10, 2, 7, 0, 1), Settled),
            // An interrupt's cut-off objects are failed by then (41 exported, 272 cut off).
            ((313, 0, 41, 0, 272), Settled),
            ((313, 0, 41, 0, 0), Unaccounted(272)),
            ((10, 0, 0, 0, 0), Unaccounted(10)),
            ((10, 0, 9, 0, 0), Unaccounted(1)),
            ((3, 1, 2, 0, 1), Overcounted(1)),
            ((1, u64::MAX, 1, 0, 0), Overcounted(u64::MAX - 1)),
        ];
        for &((found, present, exported, not_available, failed), want) in table {
            let got = Balance::of(found, present, exported, not_available, failed);
            assert_eq!(
                got, want,
                "{found} {present} {exported} {not_available} {failed}"
            );
        }
        assert_eq!(Unaccounted(4).unaccounted(), 4);
        assert_eq!(Overcounted(2).unaccounted(), 2);
        assert_eq!(Settled.unaccounted(), 0);
    }
}

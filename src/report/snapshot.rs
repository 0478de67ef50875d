//! Issue 7 (progress): the cheap view of a run in flight that progress displays poll — per
//! region: objects and bytes found so far, settled (present + exported + failed), exported,
//! and whether the region's listing is done — and the one `debug` log event per object
//! outcome. The [`super::Tally`] updates it under its own lock as each outcome arrives; this
//! module never decides an outcome and never renders progress (see [`crate::progress`]).

use crate::css::model::ObjectRecord;
use std::collections::BTreeMap;
use std::time::Duration;

/// One region's (or the run's) progress at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegionSnapshot {
    /// Objects found so far (still growing while `listing_done` is false).
    pub found: u64,
    /// Objects settled: already present, exported or failed.
    pub settled: u64,
    pub exported: u64,
    pub failed: u64,
    /// Stored bytes of the objects found / settled / exported.
    pub bytes_found: u64,
    pub bytes_settled: u64,
    pub bytes_exported: u64,
    /// The catalog listing (or the id feed) of this region has ended.
    pub listing_done: bool,
}

impl RegionSnapshot {
    /// Objects found and not settled yet.
    pub fn objects_left(&self) -> u64 {
        self.found.saturating_sub(self.settled)
    }

    /// Bytes found and not settled yet.
    pub fn bytes_left(&self) -> u64 {
        self.bytes_found.saturating_sub(self.bytes_settled)
    }

    fn add(&mut self, o: &RegionSnapshot) {
        self.found += o.found;
        self.settled += o.settled;
        self.exported += o.exported;
        self.failed += o.failed;
        self.bytes_found += o.bytes_found;
        self.bytes_settled += o.bytes_settled;
        self.bytes_exported += o.bytes_exported;
        self.listing_done &= o.listing_done;
    }
}

/// The whole run at one moment, by region.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Since the tally was made (the run's start).
    pub elapsed: Duration,
    pub regions: BTreeMap<String, RegionSnapshot>,
}

impl Snapshot {
    /// `region`'s numbers (zero when nothing of it was seen yet).
    pub fn region(&self, region: &str) -> RegionSnapshot {
        self.regions.get(region).cloned().unwrap_or_default()
    }

    /// The sum over `regions` (listing done when every one of them is).
    pub fn total_of(&self, regions: &[String]) -> RegionSnapshot {
        let mut t = RegionSnapshot {
            listing_done: true,
            ..RegionSnapshot::default()
        };
        for r in regions {
            t.add(&self.region(r));
        }
        t
    }
}

/// How an object settled, for [`RegionSnapshot`] and the per-object event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Settled {
    Present,
    Exported,
    Failed,
    /// issue 10 (css): not AVAILABLE (settled without export or failure).
    NotAvailable,
}

impl Settled {
    fn as_str(self) -> &'static str {
        match self {
            Settled::Present => "present",
            Settled::Exported => "exported",
            Settled::Failed => "failed",
            Settled::NotAvailable => "not_available",
        }
    }
}

/// Counts a found object.
pub(super) fn found(s: &mut RegionSnapshot, bytes: u64) {
    s.found += 1;
    s.bytes_found += bytes;
}

/// Counts a settled object.
pub(super) fn settled(s: &mut RegionSnapshot, how: Settled, bytes: u64) {
    s.settled += 1;
    s.bytes_settled += bytes;
    match how {
        Settled::Exported => {
            s.exported += 1;
            s.bytes_exported += bytes;
        }
        Settled::Failed => s.failed += 1,
        Settled::Present | Settled::NotAvailable => {}
    }
}

/// The one `debug` event of an object's outcome (`RUST_LOG=css_sync=debug`): region, id,
/// type, bytes, and for a failure its stage and reason. Never the object's name (free text).
pub(super) fn object_event(
    region: &str,
    rec: &ObjectRecord,
    how: Settled,
    failure: Option<(&str, &str)>,
) {
    object_event_parts(
        region,
        &rec.id,
        &rec.object_type,
        rec.stored_bytes,
        how,
        failure,
    );
}

/// [`object_event`] from the parts an interrupt's cut-off object still has.
pub(super) fn object_event_parts(
    region: &str,
    id: &str,
    object_type: &str,
    bytes: u64,
    how: Settled,
    failure: Option<(&str, &str)>,
) {
    match failure {
        None => tracing::debug!(
            target: "css_sync::object",
            outcome = how.as_str(), region, id, r#type = object_type, bytes,
            "object settled"
        ),
        Some((stage, reason)) => tracing::debug!(
            target: "css_sync::object",
            outcome = how.as_str(), region, id, r#type = object_type, bytes, stage, reason,
            "object settled"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settling_moves_counts_and_bytes_and_totals_sum_regions() {
        let mut a = RegionSnapshot::default();
        found(&mut a, 100);
        found(&mut a, 50);
        found(&mut a, 7);
        settled(&mut a, Settled::Exported, 100);
        settled(&mut a, Settled::Present, 50);
        assert_eq!((a.found, a.settled, a.exported, a.failed), (3, 2, 1, 0));
        assert_eq!(
            (a.bytes_found, a.bytes_settled, a.bytes_exported),
            (157, 150, 100)
        );
        assert_eq!((a.objects_left(), a.bytes_left()), (1, 7));
        settled(&mut a, Settled::Failed, 7);
        assert_eq!((a.failed, a.objects_left(), a.bytes_left()), (1, 0, 0));

        let mut snap = Snapshot::default();
        snap.regions.insert("uk".into(), a.clone());
        let mut b = RegionSnapshot::default();
        found(&mut b, 10);
        b.listing_done = true;
        snap.regions.insert("us-east".into(), b);
        let regions = ["uk".to_string(), "us-east".to_string()];
        let t = snap.total_of(&regions);
        assert_eq!((t.found, t.settled, t.bytes_found), (4, 3, 167));
        assert!(!t.listing_done, "uk is still listing");
        snap.regions.get_mut("uk").unwrap().listing_done = true;
        assert!(snap.total_of(&regions).listing_done);
        // A region not seen yet counts zero and keeps the total "still listing".
        let with_new = [regions.to_vec(), vec!["au".to_string()]].concat();
        let t = snap.total_of(&with_new);
        assert_eq!(t.found, 4);
        assert!(!t.listing_done);
    }
}

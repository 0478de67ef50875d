//! Tests of the per-region bookkeeping (`region.rs`): settlements and the delta.

use super::super::format::{Checkpoint, LastRun, OpenKind, RunWindow};
use super::super::region::{settlement, RegionRun, Settlement};
use super::super::slices::plan;
use super::super::window::{Kind, Window};
use super::{entry, t, H};
use crate::css::model::ObjectRecord;
use crate::failure::Stage;
use crate::report::objects::{ObjectEvent, Outcome};

fn rec(id: &str, state: &str) -> ObjectRecord {
    serde_json::from_value(serde_json::json!({
        "id": id, "type": "callrecording", "objectName": format!("{id}.wav"),
        "storedBytes": 1, "createdTime": "2026-11-01T05:00:00", "objectState": state,
    }))
    .unwrap()
}

fn ev<'a>(r: &'a ObjectRecord, outcome: Outcome<'a>) -> ObjectEvent<'a> {
    ObjectEvent {
        region: "us-east",
        id: &r.id,
        object_type: &r.object_type,
        object_name: &r.object_name,
        rec: Some(r),
        outcome,
    }
}

const FAILED: Outcome<'static> = Outcome::Failed {
    stage: Stage::Download,
    reason: "boom",
};

#[test]
fn settlement_table() {
    let ok = rec("a", "AVAILABLE");
    let archived = rec("b", "ARCHIVED");
    let cases = [
        (ev(&ok, Outcome::Exported { e_tag: None }), Settlement::Done),
        (ev(&ok, Outcome::Present), Settlement::Done),
        (
            ev(&ok, FAILED),
            Settlement::Open {
                reason: "boom".into(),
                kind: crate::incremental::format::OpenKind::Failed,
            },
        ),
        (
            ev(
                &archived,
                Outcome::Failed {
                    stage: Stage::Catalog,
                    reason: "not available",
                },
            ),
            Settlement::Done,
        ),
        (
            ev(
                &archived,
                Outcome::NotAvailable {
                    state: "ARCHIVED",
                    restore_requested: false,
                },
            ),
            Settlement::Done,
        ),
        (
            ev(
                &archived,
                Outcome::NotAvailable {
                    state: "ARCHIVED",
                    restore_requested: true,
                },
            ),
            Settlement::Open {
                reason: "ARCHIVED; restore requested".into(),
                kind: crate::incremental::format::OpenKind::RestoreRequested,
            },
        ),
        (
            ev(
                &ok,
                Outcome::Failed {
                    stage: Stage::Interrupted,
                    reason: "cut",
                },
            ),
            Settlement::Unsettled,
        ),
    ];
    for (e, want) in cases {
        assert_eq!(settlement(&e), want, "{:?}", e.outcome);
    }
}

#[test]
fn region_run_feeds_tracker_and_delta() {
    let w = Window {
        kind: Kind::Backfill,
        since: None,
        until: Some(t(20)),
    };
    let mut cp = Checkpoint::empty("us-east", "all");
    cp.open = vec![entry("old-ok", 2, Some(1)), entry("old-bad", 2, Some(1))];
    let slices = plan(None, t(20), Some(t(0)), 10 * H, true);
    let mut run = RegionRun::new(w, slices, Some(&cp), 30 * 24 * H);
    run.tracker.found(0, "a");
    run.tracker.found(0, "b");
    run.tracker.listed(0);
    let (a, b) = (rec("a", "AVAILABLE"), rec("b", "AVAILABLE"));
    let (old_ok, old_bad) = (rec("old-ok", "AVAILABLE"), rec("old-bad", "AVAILABLE"));
    run.object(&ev(&a, Outcome::Exported { e_tag: None }));
    run.object(&ev(&b, FAILED));
    run.object(&ev(&old_ok, Outcome::Present));
    run.object(&ev(&old_bad, FAILED));
    let last = LastRun {
        run_id: "r1".into(),
        started_at: t(0),
        ended_at: t(1),
        exit_code: Some(1),
        window: RunWindow {
            since: None,
            until: Some(t(20)),
        },
    };
    let d = run.delta_now(last);
    assert_eq!(
        d.proposal,
        Some(t(10)),
        "slice 0 settled: a exported, b open"
    );
    assert_eq!(d.settled.iter().collect::<Vec<_>>(), vec!["old-ok"]);
    let failed: Vec<(&str, u32)> = d
        .failed
        .iter()
        .map(|e| (e.id.as_str(), e.attempts))
        .collect();
    assert_eq!(failed, vec![("b", 1), ("old-bad", 3)]);
    assert_eq!(d.failed[0].kind, OpenKind::Failed);
    assert_eq!(
        d.failed[0].retention_deadline,
        Some(t(5) + chrono::Duration::days(30))
    );
    // A one-off window records the same entries but proposes no watermark.
    run.window.kind = Kind::OneOff;
    assert_eq!(run.delta_now(d.last_run.clone().unwrap()).proposal, None);
}

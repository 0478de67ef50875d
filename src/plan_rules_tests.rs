use super::*;
use crate::batch::{Batcher, Limits};
use crate::css::model::ObjectRecord;

fn rec(id: &str, bytes: u64) -> ObjectRecord {
    serde_json::from_value(serde_json::json!({
        "id": id, "type": "callrecording", "objectName": format!("{id}.mp3"),
        "storedBytes": bytes, "createdTime": "2026-11-01T00:00:00"
    }))
    .unwrap()
}

#[test]
fn verdicts_follow_state_then_presence() {
    assert_eq!(catalog_verdict(Some("AVAILABLE")), None);
    assert_eq!(catalog_verdict(None), None);
    assert_eq!(
        catalog_verdict(Some("ARCHIVED")),
        Some(Verdict::NotAvailable)
    );
    let table: [(Result<Presence, ()>, Verdict); 7] = [
        (Ok(Presence::Present), Verdict::Present),
        (Ok(Presence::RepairSidecar), Verdict::PresentSidecarStale),
        (Ok(Presence::Absent), Verdict::Export),
        (Ok(Presence::NotOurs("size")), Verdict::Export),
        (Ok(Presence::NotOurs("read_back")), Verdict::Export),
        (Ok(Presence::ReadBack), Verdict::Export),
        (Err(()), Verdict::ExportCheckFailed),
    ];
    for (p, want) in table {
        assert_eq!(lake_verdict(&p), want, "{p:?}");
    }
}

#[test]
fn counts_add_up_to_found() {
    let mut c = PlanCounts::default();
    for (v, b) in [
        (Verdict::Present, 10),
        (Verdict::PresentSidecarStale, 20),
        (Verdict::Export, 300),
        (Verdict::ExportCheckFailed, 4000),
        (Verdict::NotAvailable, 50000),
        (Verdict::KeyFailed, 600000),
    ] {
        c.add(v, b);
    }
    let want = PlanCounts {
        found: 6,
        present: 2,
        sidecar_repairs: 1,
        to_export: 2,
        to_export_bytes: 4300,
        check_failed: 1,
        not_available: 1,
        key_failed: 1,
        other_shards: 0,
    };
    assert_eq!(c, want);
    assert_eq!(
        c.found,
        c.present + c.to_export + c.not_available + c.key_failed
    );
}

#[test]
fn jobs_are_what_the_batcher_hands_out() {
    let mut b = Batcher::new(Limits {
        max_objects: 2,
        max_bytes: 1000,
    });
    let mut jobs = PlanJobs::default();
    for (i, bytes) in [100, 100, 100, 5000].iter().enumerate() {
        for w in b.push(rec(&format!("o{i}"), *bytes)) {
            jobs.add(&w);
        }
    }
    for w in b.finish() {
        jobs.add(&w);
    }
    let want = PlanJobs {
        bulk_jobs: 2,
        bulk_objects: 3,
        single_downloads: 1,
    };
    assert_eq!(jobs, want);
}

#[test]
fn plan_folds_regions_and_exits_3_on_a_region_error() {
    let mut a = RegionPlan::default();
    a.by_type
        .entry("callrecording".into())
        .or_default()
        .add(Verdict::Export, 7);
    a.jobs.bulk_jobs = 1;
    a.jobs.bulk_objects = 1;
    let b = RegionPlan {
        error: Some("CSS search: HTTP 500".into()),
        ..Default::default()
    };
    let plan = Plan::new(
        vec!["us-east".into(), "eu-west".into()],
        vec![("us-east".into(), a.clone()), ("eu-west".into(), b)],
        false,
    );
    assert_eq!(plan.totals.to_export_bytes, 7);
    assert_eq!(plan.jobs.bulk_jobs, 1);
    assert_eq!(plan.errors, vec!["region eu-west: CSS search: HTTP 500"]);
    assert_eq!(plan.exit_code(), exit::FATAL);
    let ok = Plan::new(vec!["us-east".into()], vec![("us-east".into(), a)], false);
    assert_eq!(ok.exit_code(), exit::OK);
    let text = ok.to_text();
    assert!(
        text.contains("region us-east: 1 bulk jobs (1 objects), 0 single downloads"),
        "{text}"
    );
    let json = serde_json::to_value(&ok).unwrap();
    assert_eq!(json["groups"][0]["type"], "callrecording");
    assert_eq!(json["groups"][0]["to_export"], 1);
    assert_eq!(json["region_jobs"][0]["bulk_jobs"], 1);
    let stopped = Plan::new(vec![], vec![], true);
    assert_eq!(stopped.exit_code(), exit::INTERRUPTED);
}

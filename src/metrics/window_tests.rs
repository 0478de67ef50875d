use super::*;

const DAY: i64 = 86_400;

fn policy(retention_days: u64, window_days: u64) -> RiskPolicy {
    RiskPolicy {
        retention: Duration::from_secs(retention_days * 86_400),
        window: Duration::from_secs(window_days * 86_400),
    }
}

#[test]
fn at_risk_table() {
    let now = 1_000 * DAY;
    // (created, retention days, window days, at risk)
    let table: [(Option<i64>, u64, u64, bool); 8] = [
        (Some(now), 30, 3, false),            // deleted in 30 days
        (Some(now - 26 * DAY), 30, 3, false), // in 4 days: outside 3
        (Some(now - 27 * DAY), 30, 3, true),  // in exactly 3 days: inside
        (Some(now - 29 * DAY), 30, 3, true),  // tomorrow
        (Some(now - 40 * DAY), 30, 3, true),  // overdue
        (Some(now - 27 * DAY), 30, 0, false), // no window: only overdue ones
        (Some(now - 30 * DAY), 30, 0, true),  // due now
        (None, 30, 3, true),                  // unreadable date: not shown safe
    ];
    for (created, r, w, want) in table {
        assert_eq!(
            at_risk(created, now, policy(r, w)),
            want,
            "{created:?} {r} {w}"
        );
    }
    assert!(!at_risk(Some(i64::MAX), 0, policy(u64::MAX / 86_400, 1)));
}

#[test]
fn oldest_age_is_zero_without_objects_and_never_negative() {
    assert_eq!(oldest_age(None, 100), 0.0);
    assert_eq!(oldest_age(Some(40), 100), 60.0);
    assert_eq!(oldest_age(Some(200), 100), 0.0);
}

fn rec(id: &str, created: &str, bytes: u64) -> ObjectRecord {
    serde_json::from_value(serde_json::json!({
        "id": id, "type": "voicemail", "objectName": format!("{id}.mp3"),
        "storedBytes": bytes, "createdTime": created
    }))
    .unwrap()
}

#[test]
fn failed_objects_stay_at_risk_settled_ones_leave() {
    let now: DateTime<Utc> = "2026-12-01T00:00:00Z".parse().unwrap();
    let w = Window::new(policy(30, 3));
    let old = rec("old", "2026-11-03T00:00:00", 10); // deleted 2026-12-03: at risk
    let older = rec("older", "2026-11-02T00:00:00", 20); // at risk
    let young = rec("young", "2026-11-25T00:00:00", 30); // safe
    let bad = rec("bad", "not a date", 5); // at risk, no age
    for r in [&old, &older, &young, &bad] {
        w.found("uk", r);
    }
    w.found("us", &rec("elsewhere", "2026-11-01T00:00:00", 1));
    assert_eq!(w.risk_of("uk", now), (3, 29.0 * 86_400.0));
    w.settled("uk", &older); // exported: out of the window
    w.failed("uk", &old); // failed: still not exported
    w.settled("uk", &bad);
    assert_eq!(w.risk_of("uk", now), (1, 28.0 * 86_400.0));
    let s = w.state();
    assert_eq!(s.left["uk"], (1, 30)); // only `young` is still open
    drop(s);
    w.settled("uk", &young);
    w.failed("uk", &old); // a second event for the same object changes nothing
    assert_eq!(w.state().left["uk"], (0, 0));
    assert_eq!(w.risk_of("uk", now), (1, 28.0 * 86_400.0));
    assert_eq!(w.risk_of("us", now).0, 1);
    assert_eq!(w.risk_of("nowhere", now), (0, 0.0));
}

//! Table tests of the incremental rules: format, window, slices, tracker, merge.

use super::format::*;
use super::merge::{apply, Delta};
use super::slices::{plan, Slice, MAX_SLICES};
use super::tracker::Tracker;
use super::window::{window, Inputs, Kind};
use chrono::{DateTime, TimeZone, Utc};
use std::time::Duration;

fn t(h: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap() + chrono::Duration::hours(h)
}

const H: Duration = Duration::from_secs(3600);

fn inputs() -> Inputs {
    Inputs {
        incremental: true,
        ids: false,
        since: None,
        until: None,
        watermark: None,
        now: t(100),
        lookback: 24 * H,
        settle: Duration::from_secs(600),
    }
}

/// name, inputs, kind, since, until.
type Case = (
    &'static str,
    Inputs,
    Kind,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

#[test]
fn window_rules_table() {
    let settle = t(100) - chrono::Duration::minutes(10);
    let cases: Vec<Case> = vec![
        (
            "no checkpoint: backfill",
            inputs(),
            Kind::Backfill,
            None,
            Some(settle),
        ),
        (
            "watermark: lookback to settle",
            Inputs {
                watermark: Some(t(90)),
                ..inputs()
            },
            Kind::Incremental,
            Some(t(66)),
            Some(settle),
        ),
        (
            "explicit since: one-off",
            Inputs {
                since: Some(t(10)),
                watermark: Some(t(90)),
                ..inputs()
            },
            Kind::OneOff,
            Some(t(10)),
            None,
        ),
        (
            "explicit until: one-off",
            Inputs {
                until: Some(t(20)),
                ..inputs()
            },
            Kind::OneOff,
            None,
            Some(t(20)),
        ),
        (
            "--ids: stateless",
            Inputs {
                ids: true,
                watermark: Some(t(90)),
                ..inputs()
            },
            Kind::Stateless,
            None,
            None,
        ),
        (
            "CSS_INCREMENTAL=false: today's window",
            Inputs {
                incremental: false,
                since: Some(t(5)),
                ..inputs()
            },
            Kind::Stateless,
            Some(t(5)),
            None,
        ),
    ];
    for (name, i, kind, since, until) in cases {
        let w = window(i);
        assert_eq!((w.kind, w.since, w.until), (kind, since, until), "{name}");
    }
    assert!(window(inputs()).moves_watermark());
    let one_off = window(Inputs {
        since: Some(t(1)),
        ..inputs()
    });
    assert!(!one_off.moves_watermark() && one_off.uses_checkpoint());
    // A watermark in the future (clock skew) leaves an empty window, never an inverted one.
    let w = window(Inputs {
        watermark: Some(t(200)),
        ..inputs()
    });
    assert!(w.is_empty());
}

#[test]
fn slices_from_the_oldest_object_to_the_end() {
    let s = plan(None, t(50), Some(t(1)), 24 * H, true);
    assert_eq!(
        s,
        vec![
            Slice {
                start: None,
                end: t(25)
            },
            Slice {
                start: Some(t(25)),
                end: t(49)
            },
            Slice {
                start: Some(t(49)),
                end: t(50)
            },
        ]
    );
    // since below the oldest: the first slice starts at since, widths count from the oldest.
    let s = plan(Some(t(0)), t(10), Some(t(4)), 3 * H, true);
    assert_eq!(s.first().unwrap().start, Some(t(0)));
    assert_eq!(s.first().unwrap().end, t(7));
    assert_eq!(s.last().unwrap().end, t(10));
    // Contiguous, no gap.
    for w in s.windows(2) {
        assert_eq!(w[0].end, w[1].start.unwrap());
    }
}

#[test]
fn slices_edge_cases_table() {
    let one = |start| vec![Slice { start, end: t(10) }];
    assert_eq!(
        plan(None, t(10), None, H, true),
        one(None),
        "empty catalog: one slice"
    );
    assert_eq!(
        plan(Some(t(2)), t(10), Some(t(3)), H, false),
        one(Some(t(2))),
        "time filters refused: one slice"
    );
    assert_eq!(
        plan(Some(t(10)), t(10), Some(t(3)), H, true),
        vec![],
        "empty window"
    );
    assert_eq!(
        plan(Some(t(2)), t(10), Some(t(12)), H, true),
        one(Some(t(2))),
        "oldest past the window"
    );
    // A year in 1-second slices is capped.
    let s = plan(None, t(24 * 365), Some(t(0)), Duration::from_secs(1), true);
    assert!(s.len() <= MAX_SLICES, "{}", s.len());
    assert_eq!(s.last().unwrap().end, t(24 * 365));
}

#[test]
fn tracker_proposes_the_end_of_the_last_settled_prefix() {
    let slices = plan(None, t(30), Some(t(0)), 10 * H, true);
    assert_eq!(slices.len(), 3);
    let mut tr = Tracker::new(slices);
    assert_eq!(tr.proposal(), None);
    tr.found(0, "a");
    tr.found(0, "b");
    tr.found(0, "a"); // a repeat changes nothing
    tr.listed(0);
    tr.found(1, "c");
    tr.listed(1);
    tr.settled("a");
    assert_eq!(tr.proposal(), None, "b pending");
    tr.settled("c"); // slice 1 done, but slice 0 is not
    assert_eq!(tr.proposal(), None);
    tr.settled("b");
    assert_eq!((tr.proposal(), tr.slices_done()), (Some(t(20)), 2));
    tr.settled("zz"); // an open entry retried by id: ignored
    tr.listed(2); // an empty slice listed to the end
    assert_eq!(tr.proposal(), Some(t(30)));
    assert_eq!(tr.found_total(), 3);
}

#[test]
fn tracker_never_passes_an_unlisted_slice() {
    let mut tr = Tracker::new(plan(None, t(20), Some(t(0)), 10 * H, true));
    tr.found(0, "a");
    tr.settled("a");
    assert_eq!(tr.proposal(), None, "slice 0's listing failed part-way");
}

fn entry(id: &str, attempts: u32, deadline: Option<i64>) -> OpenEntry {
    OpenEntry {
        id: id.into(),
        object_type: "callrecording".into(),
        created_time: "2026-11-01T00:00:00".into(),
        attempts,
        last_reason: format!("try {attempts}"),
        retention_deadline: deadline.map(t),
        kind: OpenKind::Failed,
    }
}

fn ids(cp: &Checkpoint) -> Vec<(&str, u32)> {
    cp.open
        .iter()
        .map(|e| (e.id.as_str(), e.attempts))
        .collect()
}

#[test]
fn merge_keeps_both_runs_updates() {
    let mut current = Checkpoint::empty("us-east", "all");
    current.watermark = Some(t(50));
    current.open = vec![entry("a", 1, Some(5)), entry("b", 2, Some(6))];
    // This run: settled a, b failed again, c new, proposal lower than current.
    let delta = Delta {
        settled: ["a".to_string()].into(),
        failed: vec![entry("b", 2, Some(6)), entry("c", 1, Some(1))],
        proposal: Some(t(40)),
        ..Delta::default()
    };
    let cp = apply(Some(current.clone()), &delta, "us-east", "all");
    assert_eq!(cp.watermark, Some(t(50)), "the watermark never goes back");
    assert_eq!(ids(&cp), vec![("c", 1), ("b", 2)]);
    // The other run (raced) had added d and raised b's attempts to 3: both survive.
    current.open.push(entry("d", 1, Some(9)));
    current.open[1].attempts = 3;
    let cp = apply(Some(current), &delta, "us-east", "all");
    assert_eq!(ids(&cp), vec![("c", 1), ("b", 3), ("d", 1)]);
    // Re-applying the same delta is a no-op (DocStore may apply it twice).
    assert_eq!(apply(Some(cp.clone()), &delta, "us-east", "all"), cp);
}

#[test]
fn merge_rules_table() {
    let base = |w: Option<i64>| {
        let mut c = Checkpoint::empty("r", "all");
        c.watermark = w.map(t);
        c
    };
    let d = |p: Option<i64>| Delta {
        proposal: p.map(t),
        ..Delta::default()
    };
    let cases = [
        (None, None, None),
        (None, Some(3), Some(3)),
        (Some(5), None, Some(5)),
        (Some(5), Some(7), Some(7)),
        (Some(5), Some(2), Some(5)),
    ];
    for (cur, prop, want) in cases {
        assert_eq!(
            apply(Some(base(cur)), &d(prop), "r", "all").watermark,
            want.map(t),
            "{cur:?} {prop:?}"
        );
    }
    let gone = Delta {
        gone: ["x".to_string()].into(),
        ..Delta::default()
    };
    let mut c = base(None);
    c.open = vec![entry("x", 1, Some(1))];
    assert!(
        apply(Some(c), &gone, "r", "all").open.is_empty(),
        "404: dropped"
    );
}

#[test]
fn open_list_is_capped_keeping_the_closest_to_deletion() {
    let mut open: Vec<OpenEntry> = (0..10)
        .map(|i| entry(&format!("o{i}"), 1, Some(100 - i)))
        .collect();
    open.push(entry("unknown", 1, None));
    let dropped = cap_open(&mut open, 4);
    assert_eq!(dropped, 7);
    let kept: Vec<&str> = open.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(kept, vec!["unknown", "o9", "o8", "o7"]);
}

#[test]
fn format_roundtrip_and_refusals() {
    let mut cp = Checkpoint::empty("us-east", "shard-0-of-2");
    cp.watermark = Some(t(3));
    cp.open = vec![entry("a", 2, Some(700))];
    let json = serde_json::to_string(&cp).unwrap();
    assert!(
        json.contains(r#""format":"css-sync/checkpoint","version":1"#),
        "{json}"
    );
    assert!(json.contains(r#""kind":"failed""#), "{json}");
    let back: Checkpoint = serde_json::from_str(&json).unwrap();
    assert_eq!(back, cp);
    assert_eq!(back.check("us-east", "shard-0-of-2"), Ok(()));
    let newer: Checkpoint =
        serde_json::from_str(&json.replace(r#""version":1"#, r#""version":2"#)).unwrap();
    assert_eq!(
        newer.check("us-east", "shard-0-of-2").unwrap_err().kind(),
        "newer_version"
    );
    assert_eq!(
        back.check("us-east", "all").unwrap_err().kind(),
        "wrong_place"
    );
    let other: Checkpoint =
        serde_json::from_str(&json.replace("css-sync/checkpoint", "x")).unwrap();
    assert_eq!(
        other.check("us-east", "shard-0-of-2").unwrap_err().kind(),
        "not_a_checkpoint"
    );
    // The restore kind is a variant of the same list.
    let r: OpenKind = serde_json::from_str(r#""restore_requested""#).unwrap();
    assert_eq!(r, OpenKind::RestoreRequested);
}

mod feed;
mod region;

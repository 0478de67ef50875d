//! Tests of the slice feed (`feed.rs`): slice filters and the settlement sink.

use super::super::feed::{lock, slice_filter, Settlements};
use super::super::region::RegionRun;
use super::super::slices::{plan, Slice};
use super::super::window::{Kind, Window};
use super::{t, H};
use crate::css::fiql::SearchFilter;
use crate::report::objects::{ObjectEvent, ObjectSink, Outcome};
use std::sync::{Arc, Mutex};

#[test]
fn slice_filter_replaces_the_time_bounds_only() {
    let f = SearchFilter {
        types: vec!["callrecording".into()],
        since: Some(t(0)),
        until: None,
        extra: Some("a==b".into()),
        states: vec![],
    };
    let s = slice_filter(
        &f,
        &Slice {
            start: Some(t(3)),
            end: t(4),
        },
    );
    assert_eq!((s.since, s.until), (Some(t(3)), Some(t(4))));
    assert_eq!((s.types, s.extra), (f.types, f.extra));
}

#[test]
fn settlements_route_events_to_their_region_only() {
    let w = Window {
        kind: Kind::Backfill,
        since: None,
        until: Some(t(10)),
    };
    let run = Arc::new(Mutex::new(RegionRun::new(
        w,
        plan(None, t(10), Some(t(0)), 10 * H, true),
        None,
        H,
    )));
    lock(&run).tracker.found(0, "a");
    lock(&run).tracker.listed(0);
    let sink = Settlements::default();
    sink.register("us-east", run.clone());
    let ev = |region| ObjectEvent {
        region,
        id: "a",
        object_type: "t",
        object_name: "n",
        rec: None,
        outcome: Outcome::Present,
    };
    sink.object(&ev("eu-west"));
    assert_eq!(
        lock(&run).tracker.proposal(),
        None,
        "another region's event"
    );
    sink.object(&ev("us-east"));
    assert_eq!(lock(&run).tracker.proposal(), Some(t(10)));
}

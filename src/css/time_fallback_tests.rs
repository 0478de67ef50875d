//! issue 10 (css): the fallback decision and the client-side window, table-tested.

use super::*;
use chrono::TimeZone;
use futures::{stream, StreamExt};

fn at(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, h, 0, 0).unwrap()
}

fn http(status: u16) -> CssError {
    CssError::Http {
        endpoint: "objects",
        status,
        body_snippet: String::new(),
    }
}

fn window(since: Option<u32>, until: Option<u32>) -> SearchFilter {
    SearchFilter {
        types: vec!["callrecording".into()],
        since: since.map(at),
        until: until.map(at),
        states: vec![],
        extra: None,
    }
}

#[test]
fn only_a_5xx_on_a_windowed_search_sends_the_probe() {
    let timeout = CssError::Timeout {
        endpoint: "objects",
        timeout: std::time::Duration::from_secs(1),
    };
    let table: &[(SearchFilter, Result<(), CssError>, Step)] = &[
        (window(Some(1), Some(2)), Err(http(500)), Step::Probe),
        (window(Some(1), None), Err(http(503)), Step::Probe),
        (window(None, Some(2)), Err(http(502)), Step::Probe),
        // No time clause: nothing to fall back from.
        (window(None, None), Err(http(500)), Step::AsIs),
        // A filter the server reads and rejects, a rate limit left over, a timeout: as is.
        (window(Some(1), Some(2)), Err(http(400)), Step::AsIs),
        (window(Some(1), Some(2)), Err(http(429)), Step::AsIs),
        (window(Some(1), Some(2)), Err(timeout), Step::AsIs),
        (window(Some(1), Some(2)), Ok(()), Step::AsIs),
    ];
    for (filter, first, want) in table {
        let got = after_first_page(filter, first.as_ref().map(|_| ()));
        assert_eq!(got, *want, "{filter:?} {first:?}");
    }
}

#[test]
fn a_failing_probe_keeps_the_original_error() {
    assert_eq!(after_probe(Ok(())), Verdict::FallBack);
    assert_eq!(after_probe(Err(&http(500))), Verdict::OriginalError);
    assert_eq!(after_probe(Err(&http(400))), Verdict::OriginalError);
}

#[test]
fn the_probe_filter_drops_only_the_time_clauses() {
    let mut f = window(Some(1), Some(2));
    f.extra = Some("objectState==AVAILABLE".into());
    let probe = without_window(&f);
    assert!(!has_time_window(&probe));
    assert_eq!(
        probe.to_fiql().unwrap().unwrap(),
        "type==callrecording;(objectState==AVAILABLE)"
    );
    assert!(has_time_window(&f));
}

#[test]
fn place_keeps_since_inclusive_until_exclusive() {
    let (s, u) = (Some(at(10)), Some(at(12)));
    type At = Option<DateTime<Utc>>;
    let table: &[(At, At, At, Place)] = &[
        (Some(at(13)), s, u, Place::TooNew),
        (Some(at(12)), s, u, Place::TooNew),
        (Some(at(11)), s, u, Place::Keep),
        (Some(at(10)), s, u, Place::Keep),
        (Some(at(9)), s, u, Place::Stop),
        (Some(at(9)), None, u, Place::Keep),
        (Some(at(23)), s, None, Place::Keep),
        // Unreadable createdTime: kept, never a stop.
        (None, s, u, Place::Keep),
    ];
    for &(created, since, until, want) in table {
        assert_eq!(place(created, since, until), want, "{created:?}");
    }
}

fn rec(id: &str, created: &str) -> ObjectRecord {
    serde_json::from_value(serde_json::json!({
        "id": id, "type": "callrecording", "objectName": format!("{id}.mp3"),
        "storedBytes": 1, "createdTime": created,
    }))
    .unwrap()
}

#[test]
fn created_reads_the_guide_and_offset_forms() {
    assert_eq!(created(&rec("a", "2026-11-20T10:00:00")), Some(at(10)));
    assert_eq!(created(&rec("a", "2026-11-20T10:00:00.000")), Some(at(10)));
    assert_eq!(
        created(&rec("a", "2026-11-20T11:00:00+01:00")),
        Some(at(10))
    );
    assert_eq!(created(&rec("a", "yesterday")), None);
}

#[tokio::test]
async fn windowed_drops_the_new_and_stops_at_the_first_old_record() {
    let polled = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let p = polled.clone();
    let newest_first = vec![
        rec("n1", "2026-11-20T13:00:00"),
        rec("n2", "2026-11-20T12:00:00"),
        rec("k1", "2026-11-20T11:59:59"),
        rec("odd", "not a time"),
        rec("k2", "2026-11-20T10:00:00"),
        rec("o1", "2026-11-20T09:59:59"),
        rec("o2", "2026-11-20T08:00:00"),
    ];
    let source = stream::iter(newest_first).map(move |r| {
        p.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(r)
    });
    let got: Vec<String> = windowed(source, Some(at(10)), Some(at(12)))
        .map(|r| r.unwrap().id)
        .collect()
        .await;
    assert_eq!(got, ["k1", "odd", "k2"]);
    // o2 was never pulled: the listing ended at o1.
    assert_eq!(polled.load(std::sync::atomic::Ordering::SeqCst), 6);
}

#[tokio::test]
async fn windowed_passes_errors_through() {
    let source = stream::iter(vec![Ok(rec("k1", "2026-11-20T11:00:00")), Err(http(500))]);
    let got: Vec<Result<ObjectRecord, CssError>> =
        windowed(source, Some(at(10)), Some(at(12))).collect().await;
    assert_eq!(got.len(), 2);
    assert!(matches!(got[1], Err(CssError::Http { status: 500, .. })));
}

use super::*;
use chrono::TimeZone;

fn run_id() -> RunId {
    RunId::from_parts(
        chrono::Utc
            .with_ymd_and_hms(2026, 12, 1, 20, 15, 0)
            .unwrap(),
        0xabc,
    )
}

fn rec(id: &str, ty: &str, created: &str) -> ObjectRecord {
    serde_json::from_value(serde_json::json!({
        "id": id, "type": ty, "objectName": format!("{id}.mp3"), "mimeType": "audio/mpeg",
        "checksum": "922CE8066731381F4A843E0BCF013826", "customerId": "cust", "userId": "u1",
        "storedBytes": 1234, "createdTime": created,
        "tags": [
            {"key": "queueName", "value": "Support"}, {"key": "agentName", "value": "Alex"},
            {"key": "duration", "value": "67000"}, {"key": "queueName", "value": "second"}
        ]
    }))
    .unwrap()
}

fn row(id: &str, ty: &str, created: &str) -> IndexRow {
    IndexRow::new(
        &run_id(),
        "us-east",
        &rec(id, ty, created),
        &format!("lake/{id}.mp3"),
        Some("\"etag-1\""),
    )
}

#[test]
fn row_carries_record_commit_and_run() {
    let r = row("a1", "callcenterrecording", "2026-11-20T23:59:59");
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["run_id"], "20261201T201500Z-00000abc");
    assert_eq!(v["type"], "callcenterrecording");
    assert_eq!(v["object_name"], "a1.mp3");
    assert_eq!(v["created_time"], "2026-11-20T23:59:59");
    assert_eq!(v["duration"], 67000, "from the tag");
    assert_eq!(v["customer_id"], "cust");
    assert_eq!(v["tags"]["queueName"], "Support", "first value wins");
    assert_eq!(v["tags"]["agentName"], "Alex");
    assert_eq!(v["stored_bytes"], 1234);
    assert_eq!(v["checksum"], "922ce8066731381f4a843e0bcf013826");
    assert_eq!(v["mime_type"], "audio/mpeg");
    assert_eq!(v["s3_key"], "lake/a1.mp3");
    assert_eq!(v["etag"], "etag-1", "quotes dropped");
    let back: IndexRow = serde_json::from_value(v).unwrap();
    assert_eq!(back, r);
}

#[test]
fn duration_field_wins_and_junk_is_null() {
    let mut r = rec("a", "callrecording", "2026-11-20T10:00:00");
    r.extra.insert("duration".into(), serde_json::json!(42));
    assert_eq!(
        IndexRow::new(&run_id(), "uk", &r, "k", None).duration,
        Some(42)
    );
    r.extra.insert("duration".into(), serde_json::json!("43"));
    assert_eq!(
        IndexRow::new(&run_id(), "uk", &r, "k", None).duration,
        Some(43)
    );
    r.extra.clear();
    r.tags.clear();
    let none = IndexRow::new(&run_id(), "uk", &r, "k", None);
    assert_eq!((none.duration, none.etag), (None, None));
}

#[test]
fn partition_is_utc_date_and_key_safe() {
    let p = row("a", "voicemail", "2026-11-20T23:59:59.123").partition();
    assert_eq!(p.path(), "region=us-east/type=voicemail/date=2026-11-20/");
    // An explicit offset is converted to UTC before taking the date.
    let p = row("a", "voicemail", "2026-11-20T23:30:00-02:00").partition();
    assert_eq!(p.date, "2026-11-21");
    assert_eq!(row("a", "x", "yesterday").partition().date, UNKNOWN_DATE);
    let mut odd = row("a", "weird type/..", "2026-11-20T00:00:00");
    odd.region = "".into();
    let p = odd.partition();
    assert!(
        !p.path().contains(' ') && !p.path().contains("/../"),
        "{p:?}"
    );
}

#[test]
fn one_unnumbered_file_per_partition_at_the_end() {
    let mut b = IndexBuffer::new(Limits::default());
    assert!(b
        .push(&row("a", "voicemail", "2026-11-20T10:00:00"))
        .is_none());
    assert!(b
        .push(&row("b", "voicemail", "2026-11-20T11:00:00"))
        .is_none());
    assert!(b
        .push(&row("c", "voicemail", "2026-11-21T11:00:00"))
        .is_none());
    let batches = b.drain();
    assert_eq!(batches.len(), 2);
    assert_eq!(batches[0].rows, 2);
    assert_eq!(
        batches[0].key("lake/_index/", &run_id()),
        "lake/_index/region=us-east/type=voicemail/date=2026-11-20/part-20261201T201500Z-00000abc.jsonl"
    );
    let lines: Vec<IndexRow> = std::str::from_utf8(&batches[0].body)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[1].id, "b");
    assert_eq!(b.buffered_bytes(), 0);
    assert!(b.drain().is_empty());
}

#[test]
fn row_bound_flushes_numbered_files() {
    let mut b = IndexBuffer::new(Limits {
        file_rows: 2,
        ..Limits::default()
    });
    let t = "2026-11-20T10:00:00";
    assert!(b.push(&row("a", "voicemail", t)).is_none());
    let first = b
        .push(&row("b", "voicemail", t))
        .expect("second row fills the file");
    assert_eq!((first.seq, first.rows), (Some(1), 2));
    assert!(b.push(&row("c", "voicemail", t)).is_none());
    let last = b.drain();
    assert_eq!(last.len(), 1);
    assert_eq!(last[0].seq, Some(2), "numbered after an earlier file");
    assert!(last[0]
        .key("_index/", &run_id())
        .ends_with("-00000abc-0002.jsonl"));
}

#[test]
fn byte_bounds_flush_the_file_or_the_largest_partition() {
    let one = serde_json::to_vec(&row("a", "voicemail", "2026-11-20T10:00:00"))
        .unwrap()
        .len()
        + 1;
    let mut b = IndexBuffer::new(Limits {
        file_rows: 1000,
        file_bytes: one * 2,
        buffer_bytes: usize::MAX,
    });
    assert!(b
        .push(&row("a", "voicemail", "2026-11-20T10:00:00"))
        .is_none());
    assert_eq!(
        b.push(&row("b", "voicemail", "2026-11-20T10:00:00"))
            .unwrap()
            .rows,
        2
    );

    let mut b = IndexBuffer::new(Limits {
        file_rows: 1000,
        file_bytes: usize::MAX,
        buffer_bytes: one * 3,
    });
    assert!(b
        .push(&row("a", "voicemail", "2026-11-20T10:00:00"))
        .is_none());
    assert!(b
        .push(&row("b", "voicemail", "2026-11-20T10:00:00"))
        .is_none());
    let big = b
        .push(&row("c", "voicemail", "2026-11-21T10:00:00"))
        .unwrap();
    assert_eq!((big.partition.date.as_str(), big.rows), ("2026-11-20", 2));
    assert!(b.buffered_bytes() < one * 3);
}

#[test]
fn root_folds_the_s3_prefix_and_refuses_unsafe_prefixes() {
    assert_eq!(root("", "_index").unwrap(), "_index/");
    assert_eq!(root("/lake/", "/_index/").unwrap(), "lake/_index/");
    assert_eq!(root("lake", "meta/idx").unwrap(), "lake/meta/idx/");
    for bad in ["", "/", "a/../b", "a b", "a//b", "ü"] {
        assert!(root("lake", bad).is_err(), "{bad:?}");
    }
}

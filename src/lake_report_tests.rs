use super::*;
use crate::css::model::ObjectRecord;
use crate::failure::Stage;
use chrono::TimeZone;

fn run_id() -> RunId {
    RunId::from_parts(
        chrono::Utc
            .with_ymd_and_hms(2026, 12, 1, 20, 15, 0)
            .unwrap(),
        0x1a2b3c4d,
    )
}

fn record() -> ObjectRecord {
    serde_json::from_value(serde_json::json!({
        "id": "obj-1", "type": "callrecording", "objectName": "a.mp3", "storedBytes": 42,
        "createdTime": "2026-11-20T10:15:00", "checksum": "ABCDEF0123456789ABCDEF0123456789",
        "checksumType": "MD5"
    }))
    .unwrap()
}

fn event<'a>(rec: Option<&'a ObjectRecord>, outcome: Outcome<'a>) -> ObjectEvent<'a> {
    ObjectEvent {
        region: "uk",
        id: "obj-1",
        object_type: "callrecording",
        object_name: "a.mp3",
        rec,
        outcome,
    }
}

#[test]
fn modes_parse_and_refuse_the_rest() {
    let table = [
        ("errors", Some(Mode::Errors)),
        ("ALL", Some(Mode::All)),
        (" off ", Some(Mode::Off)),
        ("", None),
        ("failed", None),
    ];
    for (text, want) in table {
        assert_eq!(Mode::parse(text), want, "{text:?}");
    }
    assert_eq!(Mode::parse(DEFAULT_MODE), Some(Settings::default().mode));
}

#[test]
fn which_objects_get_a_line_in_each_mode() {
    let rec = record();
    let failed = Outcome::Failed {
        stage: Stage::Verify,
        reason: "md5 differs",
    };
    let exported = Outcome::Exported {
        e_tag: Some("\"0123\""),
    };
    // (mode, outcome, line outcome or None)
    let table = [
        (Mode::Errors, failed, Some("failed")),
        (Mode::Errors, exported, None),
        (Mode::Errors, Outcome::Present, None),
        (Mode::All, failed, Some("failed")),
        (Mode::All, exported, Some("exported")),
        (Mode::All, Outcome::Present, Some("present")),
        (Mode::Off, failed, None),
        (Mode::Off, exported, None),
    ];
    for (mode, outcome, want) in table {
        let line = line_for(mode, &run_id(), &event(Some(&rec), outcome), None);
        assert_eq!(
            line.map(|l| l.outcome),
            want.map(str::to_string),
            "{mode:?} {outcome:?}"
        );
    }
}

#[test]
fn a_line_carries_the_fields_of_its_outcome() {
    let rec = record();
    let key = Some("region=uk/obj-1.mp3".to_string());
    let exported = Outcome::Exported {
        e_tag: Some("\"0123abcd\""),
    };
    let line = line_for(
        Mode::All,
        &run_id(),
        &event(Some(&rec), exported),
        key.clone(),
    )
    .unwrap();
    assert_eq!(line.etag.as_deref(), Some("0123abcd"), "unquoted");
    assert_eq!(line.size, Some(42));
    assert_eq!(
        line.checksum.as_deref(),
        Some("abcdef0123456789abcdef0123456789")
    );
    assert_eq!(line.key, key);
    assert_eq!((line.stage, line.reason), (None, None));
    assert_eq!(line.run_id, "20261201T201500Z-1a2b3c4d");

    let failed = Outcome::Failed {
        stage: Stage::Interrupted,
        reason: "cut off",
    };
    let line = line_for(Mode::Errors, &run_id(), &event(None, failed), None).unwrap();
    assert_eq!(line.stage.as_deref(), Some("interrupted"));
    assert_eq!(line.reason.as_deref(), Some("cut off"));
    assert_eq!(
        (&line.size, &line.checksum, &line.key, &line.etag),
        (&None, &None, &None, &None)
    );
    let json: serde_json::Value = serde_json::to_value(&line).unwrap();
    assert_eq!(json["type"], "callrecording");
    assert_eq!(json["object_name"], "a.mp3");
    assert!(json.get("etag").is_none(), "no etag on a failure: {json}");
}

#[test]
fn file_names() {
    let id = run_id();
    let root = "raw/_css-sync/reports/";
    assert_eq!(
        summary_key(root, &id),
        "raw/_css-sync/reports/20261201T201500Z-1a2b3c4d.json"
    );
    assert_eq!(
        lines_key(root, &id, None),
        "raw/_css-sync/reports/20261201T201500Z-1a2b3c4d.jsonl"
    );
    assert_eq!(
        lines_key(root, &id, Some(12)),
        "raw/_css-sync/reports/20261201T201500Z-1a2b3c4d-0012.jsonl"
    );
}

#[test]
fn one_file_when_the_lines_fit() {
    let mut c = Chunker::new(3, 1000);
    assert_eq!(c.push(b"a"), None);
    assert_eq!(c.push(b"b"), None);
    let last = c.finish().unwrap();
    assert_eq!(
        (last.seq, last.lines, last.body.as_slice()),
        (None, 2, &b"a\nb\n"[..])
    );
    assert_eq!(c.finish(), None, "nothing left");
    assert_eq!(Chunker::new(3, 1000).finish(), None, "no line, no file");
}

#[test]
fn numbered_files_at_the_line_bound() {
    let mut c = Chunker::new(2, 1000);
    let mut out = vec![];
    for l in [&b"1"[..], b"2", b"3", b"4", b"5"] {
        out.extend(c.push(l));
    }
    out.extend(c.finish());
    let got: Vec<(Option<u32>, u64, &[u8])> = out
        .iter()
        .map(|c| (c.seq, c.lines, c.body.as_slice()))
        .collect();
    assert_eq!(
        got,
        vec![
            (Some(1), 2, &b"1\n2\n"[..]),
            (Some(2), 2, &b"3\n4\n"[..]),
            (Some(3), 1, &b"5\n"[..]),
        ]
    );
}

#[test]
fn a_file_never_passes_the_byte_bound_unless_one_line_does() {
    let mut c = Chunker::new(100, 10);
    assert_eq!(c.push(b"aaaa"), None); // 5 bytes
    let first = c
        .push(b"bbbbb")
        .expect("6 more bytes would pass 10: the file is cut first");
    assert_eq!(
        (first.seq, first.body.as_slice()),
        (Some(1), &b"aaaa\n"[..])
    );
    // A single line over the bound is a file of its own.
    let big = c.push(b"cccccccccccc").expect("cut");
    assert_eq!(big.body, b"bbbbb\n");
    let last = c.finish().unwrap();
    assert_eq!((last.seq, last.lines), (Some(3), 1));
    assert!(last.body.len() > 10);
}

/// Records what the tally tells its sink, as (id, outcome, stage).
#[derive(Debug, Default)]
struct Recorder(std::sync::Mutex<Vec<(String, String, Option<String>)>>);

impl ObjectSink for Recorder {
    fn object(&self, e: &ObjectEvent<'_>) {
        let line = line_for(Mode::All, &run_id(), e, None).unwrap();
        self.0
            .lock()
            .unwrap()
            .push((line.id, line.outcome, line.stage));
    }
}

#[test]
fn the_tally_tells_the_sink_every_settled_object_once_interrupts_included() {
    use crate::failure::{Cause, Rejection};
    use crate::report::Tally;
    use std::sync::Arc;
    let sink = Arc::new(Recorder::default());
    let tally = Tally::new(run_id()).with_sink(sink.clone());
    let rec = |id: &str| ObjectRecord {
        id: id.to_string(),
        ..record()
    };
    for id in ["a", "b", "c", "d"] {
        tally.found("uk", &rec(id));
    }
    tally.exported("uk", &rec("a"), Some("\"e\""));
    tally.present("uk", &rec("b"));
    let why = Rejection::new(Stage::Catalog, Cause::NotAvailable("REVOKED".into()));
    tally.failed("uk", &rec("c"), &why, 0);
    let report = tally.finish(vec!["uk".into()], vec![], true);
    let got = sink.0.lock().unwrap().clone();
    let s = |x: &str| x.to_string();
    assert_eq!(
        got,
        vec![
            (s("a"), s("exported"), None),
            (s("b"), s("present"), None),
            (s("c"), s("failed"), Some(s("catalog"))),
            (s("d"), s("failed"), Some(s("interrupted"))),
        ]
    );
    assert_eq!(
        report.totals.found,
        got.len() as u64,
        "one event per object found"
    );
}

#[test]
fn a_run_that_could_not_proceed_is_sealed_at_exit_3() {
    let started = chrono::Utc::now();
    let r = Report::could_not_run(
        &run_id(),
        started,
        std::time::Duration::from_millis(1500),
        "CSS API: token rejected".into(),
    );
    assert_eq!(r.exit_code, Some(crate::report::exit::FATAL));
    assert_eq!(r.errors, vec!["CSS API: token rejected".to_string()]);
    assert_eq!((r.totals.found, r.duration_secs), (0, 1.5));
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["exit_code"], 3);
    assert_eq!(json["run_id"], "20261201T201500Z-1a2b3c4d");
    // Sealed: an error added later (the bucket report not written) leaves the code alone.
    let mut ok = Report::could_not_run(&run_id(), started, Default::default(), "x".into());
    ok.errors.clear();
    ok.seal();
    ok.errors.push("run report not written".into());
    assert_eq!(ok.exit_code(), crate::report::exit::OK);
}

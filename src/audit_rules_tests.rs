use super::*;
use crate::s3::presence::Recorded;

const MD5: &str = "0123456789abcdef0123456789abcdef";
const OTHER: &str = "ffffffffffffffffffffffffffffffff";

fn want() -> Expected {
    Expected {
        region: "us-east".into(),
        id: "a".into(),
        object_type: "callrecording".into(),
        size: 100,
        checksum: MD5.into(),
    }
}

fn listed(size: u64, e_tag: Option<&str>) -> Listed {
    Listed {
        size,
        e_tag: e_tag.map(str::to_string),
    }
}

#[test]
fn own_files_are_never_judged() {
    let table = [
        ("p/region=x/a.mp3", false),
        ("p/region=x/a.mp3.metadata.json", true),
        ("p/_index/region=x/part-1.jsonl", true),
        ("p/_css-sync/reports/r.json", true),
        ("p/_css-sync/check/r", true),
        ("p/_css-sync/state/v1/us/all.json", true),
        ("q/_css-sync/x", false),
        ("p/region=x/_css-sync.mp3", false),
    ];
    for (key, own) in table {
        assert_eq!(is_own_file(key, "p/", "p/_index/"), own, "{key}");
    }
    assert!(is_own_file("_css-sync/x", "", "_index/"));
    assert!(!is_own_file("a", "", ""));
}

#[test]
fn the_listing_decides_size_and_md5_etags() {
    let mm = |what| move |v: &Verdict| matches!(v, Verdict::Mismatch { what: w, .. } if *w == what);
    let w = want();
    assert_eq!(
        judge_listed(&w, &listed(100, Some(MD5)), false),
        Verdict::Match
    );
    assert!(mm("size")(&judge_listed(&w, &listed(99, Some(MD5)), false)));
    assert!(mm("md5")(&judge_listed(
        &w,
        &listed(100, Some(OTHER)),
        false
    )));
    // SSE-KMS ETags only look like MD5s; multipart ETags are not MD5s; no ETag at all.
    assert_eq!(
        judge_listed(&w, &listed(100, Some(OTHER)), true),
        Verdict::NeedsHead
    );
    assert_eq!(
        judge_listed(&w, &listed(100, Some(MD5)), true),
        Verdict::NeedsHead
    );
    assert_eq!(
        judge_listed(&w, &listed(100, Some("abc-2")), false),
        Verdict::NeedsHead
    );
    assert_eq!(
        judge_listed(&w, &listed(100, None), false),
        Verdict::NeedsHead
    );
    // A size mismatch decides before anything else.
    assert!(mm("size")(&judge_listed(&w, &listed(1, None), true)));
}

#[test]
fn the_heads_decide_the_rest() {
    let w = want();
    let rec = |e: &str, md5: &str| Recorded {
        e_tag: Some(e.into()),
        size: Some(100),
        md5: Some(md5.into()),
    };
    let table = [
        (Some("m-2"), Some(MD5), Some(rec("m-2", MD5)), "match"),
        (Some("m-2"), Some(OTHER), Some(rec("m-2", MD5)), "css-md5"),
        (Some("m-2"), None, None, "css-md5"),
        (Some("n-2"), Some(MD5), Some(rec("m-2", MD5)), "etag"),
        (Some("m-2"), Some(MD5), None, "unverified"),
        (
            Some("m-2"),
            Some(MD5),
            Some(rec("m-2", OTHER)),
            "unverified",
        ),
    ];
    for (e_tag, css_md5, recorded, want_v) in table {
        let v = judge_headed(&w, e_tag, css_md5, recorded.as_ref());
        let got = match &v {
            Verdict::Match => "match",
            Verdict::Unverified => "unverified",
            Verdict::Mismatch { what, .. } => what,
            Verdict::NeedsHead => "needs_head",
        };
        assert_eq!(got, want_v, "{e_tag:?} {css_md5:?} {recorded:?}");
    }
}

#[test]
fn extras_are_judged_inside_the_selection_only() {
    let t = |s: &str| {
        chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
            .unwrap()
            .and_utc()
    };
    let whole = Scope {
        regions: vec!["us-east".into()],
        ..Default::default()
    };
    let window = Scope {
        regions: vec!["us-east".into()],
        types: vec!["callrecording".into()],
        since: Some(t("2026-11-01T00:00:00")),
        until: Some(t("2026-11-02T00:00:00")),
        filtered: false,
    };
    let filtered = Scope {
        filtered: true,
        ..whole.clone()
    };
    let w = |r: &str, ty: &str, c: &str| Written {
        region: Some(r.into()),
        object_type: Some(ty.into()),
        created_time: Some(c.into()),
    };
    let foreign = Written::default();
    let inside = w("us-east", "callrecording", "2026-11-01T10:00:00");
    let table = [
        (&whole, &foreign, true),
        (&whole, &inside, true),
        (
            &whole,
            &w("uk", "callrecording", "2026-11-01T10:00:00"),
            false,
        ),
        (&window, &foreign, false),
        (&window, &inside, true),
        (
            &window,
            &w("us-east", "callrecording", "2026-11-01T10:00:00.250"),
            true,
        ),
        (
            &window,
            &w("us-east", "voicemail", "2026-11-01T10:00:00"),
            false,
        ),
        (
            &window,
            &w("us-east", "callrecording", "2026-11-02T00:00:00"),
            false,
        ),
        (
            &window,
            &w("us-east", "callrecording", "2026-10-31T23:59:59"),
            false,
        ),
        (
            &window,
            &w("uk", "callrecording", "2026-11-01T10:00:00"),
            false,
        ),
        (&window, &w("us-east", "callrecording", "not a time"), false),
        (&filtered, &inside, false),
        (&filtered, &foreign, false),
    ];
    for (i, (scope, written, want)) in table.iter().enumerate() {
        assert_eq!(is_extra(scope, written), *want, "row {i}: {written:?}");
    }
}

//! Unit tests for key templates: parsing, sanitising hostile values, limits, determinism.

use super::*;

fn rec(name: &str) -> ObjectRecord {
    serde_json::from_value(serde_json::json!({
        "id": "58bc5748-339b-43c2-ad15-572a35dc3aad",
        "type": "callcenterrecording",
        "mimeType": "audio/mpeg",
        "objectName": name,
        "storedBytes": 10,
        "createdTime": "2022-06-24T05:22:35",
        "customerId": "0012J00002KTQJYQA5",
        "tags": [{"key": "callId", "value": "int-1819420cbe2"}]
    }))
    .unwrap()
}

fn default_key(name: &str) -> String {
    KeyTemplate::default()
        .render(&rec(name), "us-west")
        .unwrap()
}

#[test]
fn default_template_is_hive_style_and_unique_per_id() {
    assert_eq!(
        default_key("int-1819420cbe2-phone-00.mp3"),
        "region=us-west/type=callcenterrecording/date=2022-06-24/58bc5748-339b-43c2-ad15-572a35dc3aad.mp3"
    );
    assert!(default_key("x.JSON").ends_with("3aad.json"));
    assert!(default_key("noext").ends_with("3aad"));
}

#[test]
fn prefix_is_normalised() {
    let t = KeyTemplate::parse("{id}").unwrap();
    let r = rec("a.mp3");
    for p in ["lake", "/lake/", "lake/"] {
        let k = t.clone().with_prefix(p).unwrap().render(&r, "x").unwrap();
        assert_eq!(k, "lake/58bc5748-339b-43c2-ad15-572a35dc3aad");
    }
    let k = t.clone().with_prefix("").unwrap().render(&r, "x").unwrap();
    assert_eq!(k, "58bc5748-339b-43c2-ad15-572a35dc3aad");
    assert_eq!(t.clone().with_prefix("a//b"), Err(KeyError::BadSegment));
    assert_eq!(t.clone().with_prefix("a/../b"), Err(KeyError::BadSegment));
    assert_eq!(t.with_prefix("a\\b"), Err(KeyError::UnsafeLiteral('\\')));
}

#[test]
fn parse_errors() {
    assert_eq!(
        KeyTemplate::parse("{id}/{nope}"),
        Err(KeyError::UnknownPlaceholder("nope".into()))
    );
    assert_eq!(
        KeyTemplate::parse("{type}/{date}"),
        Err(KeyError::MissingId)
    );
    assert_eq!(KeyTemplate::parse("{id"), Err(KeyError::Unbalanced));
    assert_eq!(KeyTemplate::parse("id}"), Err(KeyError::Unbalanced));
    assert_eq!(KeyTemplate::parse("{{id}}"), Err(KeyError::Unbalanced));
    assert_eq!(
        KeyTemplate::parse("{tag:}/{id}"),
        Err(KeyError::UnknownPlaceholder("tag:".into()))
    );
    assert_eq!(
        KeyTemplate::parse("a b/{id}"),
        Err(KeyError::UnsafeLiteral(' '))
    );
    assert!(KeyTemplate::parse(DEFAULT_KEY_TEMPLATE).is_ok());
}

#[test]
fn all_placeholders_render() {
    let t = KeyTemplate::parse(
        "{region}/{type}/{year}/{month}/{day}/{hour}/{customerId}/{userId}/{mimeType}/{tag:callId}/{tag:none}/{objectName}/{id}{ext}",
    )
    .unwrap();
    let k = t.render(&rec("My Call.mp3"), "eu").unwrap();
    assert_eq!(
        k,
        "eu/callcenterrecording/2022/06/24/05/0012J00002KTQJYQA5/unknown/audio_mpeg/int-1819420cbe2/unknown/My_Call.mp3/58bc5748-339b-43c2-ad15-572a35dc3aad.mp3"
    );
}

#[test]
fn hostile_object_names_cannot_escape_or_inject_segments() {
    let t = KeyTemplate::parse("{objectName}/{id}{ext}").unwrap();
    let cases = [
        ("../../etc/passwd", ".._.._etc_passwd", ""),
        ("/abs/x.mp3", "_abs_x.mp3", ".mp3"),
        ("a\\b.mp3", "a_b.mp3", ".mp3"),
        ("a:b+c d@e.mp3", "a_b_c_d_e.mp3", ".mp3"),
        ("ré sumé.mp3", "r__sum_.mp3", ".mp3"),
        ("nul\0x.mp3", "nul_x.mp3", ".mp3"),
        ("..", "__", ""),
        (".", "_", ""),
        ("", "unknown", ""),
        ("x.mp3/../..", "x.mp3_.._..", ""),
        ("evil.mp3\n", "evil.mp3", ".mp3"),
        ("x.tar.gz", "x.tar.gz", ".gz"),
        (".hidden", ".hidden", ""),
        ("a.verylongextension", "a.verylongextension", ""),
        ("a.mp%33", "a.mp_33", ""),
    ];
    for (name, seg, ext) in cases {
        let k = t.render(&rec(name), "r").unwrap();
        let want = format!("{seg}/58bc5748-339b-43c2-ad15-572a35dc3aad{ext}");
        assert_eq!(k, want, "objectName {name:?}");
        assert!(!k.starts_with('/'));
        assert!(k.split('/').all(|s| !s.is_empty() && s != "." && s != ".."));
        assert!(!k.chars().any(|c| c.is_control() || c == '\\'));
    }
}

#[test]
fn hostile_ids_are_refused_not_rewritten() {
    let t = KeyTemplate::default();
    for id in ["../x", "a/b", "a b", "", "a.b", "é"] {
        let mut r = rec("a.mp3");
        r.id = id.to_string();
        assert_eq!(
            t.render(&r, "r"),
            Err(KeyError::UnsafeId(id.into())),
            "{id:?}"
        );
    }
}

#[test]
fn long_keys_are_an_error_not_a_truncation() {
    let t = KeyTemplate::parse("{objectName}/{id}").unwrap();
    let r = rec(&"a".repeat(2000));
    assert!(matches!(t.render(&r, "r"), Err(KeyError::TooLong(n)) if n > 2000));
    // right at the limit (sidecar suffix included) is fine, one more byte is not
    let id_part = 1 + r.id.len();
    let fits = MAX_KEY_BYTES - SIDECAR_SUFFIX.len() - id_part;
    let k = t.render(&rec(&"a".repeat(fits)), "r").unwrap();
    assert_eq!(sidecar_key(&k).len(), MAX_KEY_BYTES);
    assert!(t.render(&rec(&"a".repeat(fits + 1)), "r").is_err());
}

#[test]
fn dates_need_a_parseable_created_time() {
    let mut r = rec("a.mp3");
    r.created_time = "2022-06-24T23:59:59.123Z".into();
    let k = KeyTemplate::default().render(&r, "r").unwrap();
    assert!(k.contains("/date=2022-06-24/"), "{k}");
    r.created_time = "2022-06-24T23:30:00+02:00".into();
    let t = KeyTemplate::parse("{date}/{hour}/{id}").unwrap();
    assert!(t.render(&r, "r").unwrap().starts_with("2022-06-24/21/"));
    r.created_time = "yesterday".into();
    assert_eq!(
        KeyTemplate::default().render(&r, "r"),
        Err(KeyError::BadCreatedTime("yesterday".into()))
    );
    // a template without dates does not care
    assert!(KeyTemplate::parse("{id}").unwrap().render(&r, "r").is_ok());
}

#[test]
fn rendering_is_deterministic_and_region_is_sanitised() {
    let r = rec("a.mp3");
    let t = KeyTemplate::default();
    assert_eq!(
        t.render(&r, "us-west").unwrap(),
        t.render(&r, "us-west").unwrap()
    );
    let k = t.render(&r, "../x").unwrap();
    assert!(k.starts_with("region=.._x/"), "{k}");
    assert_eq!(sidecar_key("a/b.mp3"), "a/b.mp3.metadata.json");
}

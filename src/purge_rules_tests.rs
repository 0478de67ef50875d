//! The purge gate as a table: (catalog record, lake evidence, age) → Delete or Refuse(kind).

use super::*;
use md5::{Digest as _, Md5};

const DAY: u64 = 86_400;
const KEY: &str = "region=us-east/type=voicemail/date=2026-01-01/x.mp3";

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn md5(b: &[u8]) -> [u8; 16] {
    Md5::digest(b).into()
}

/// A record of `BYTES`, created `age_days` before [`now`], with `checksum`.
fn rec_with(age_days: i64, checksum: &str, state: Option<&str>) -> ObjectRecord {
    let created = (now() - chrono::Duration::days(age_days))
        .naive_utc()
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let mut v = serde_json::json!({
        "id": "id-1", "type": "voicemail", "objectName": "x.mp3", "checksumType": "MD5",
        "checksum": checksum, "storedBytes": BYTES.len(), "createdTime": created
    });
    if let Some(s) = state {
        v["objectState"] = serde_json::json!(s);
    }
    serde_json::from_value(v).unwrap()
}

const BYTES: &[u8] = b"the recording";

fn good_sum() -> String {
    hex::encode(md5(BYTES))
}

fn rec(age_days: i64) -> ObjectRecord {
    rec_with(age_days, &good_sum(), Some("AVAILABLE"))
}

fn lake(etag: &str) -> LakeObject {
    LakeObject {
        size: BYTES.len() as u64,
        css_md5: Some(good_sum()),
        etag: Some(etag.to_string()),
        etag_is_md5: true,
        read_back: None,
    }
}

fn found(o: LakeObject) -> LakeEvidence {
    LakeEvidence::Found(o)
}

fn hashed(b: &[u8]) -> Option<ReadBack> {
    Some(ReadBack::Hashed {
        size: b.len() as u64,
        md5: md5(b),
    })
}

/// Ok(proof kind) or Err(refusal kind).
type Want = Result<ProofKind, &'static str>;

fn run(rec: &ObjectRecord, ev: &LakeEvidence, min_days: u64) -> Result<ProofKind, &'static str> {
    match decide(rec, KEY, ev, now(), Duration::from_secs(min_days * DAY)) {
        Decision::Delete(p) => {
            assert_eq!(p.id(), rec.id);
            Ok(p.kind())
        }
        Decision::Refuse(r) => Err(r.kind()),
    }
}

#[test]
fn the_gate_as_a_table() {
    let tampered = b"the recordinG"; // same size, other bytes
    let good = good_sum();
    let part_style = format!("{}-1", hex::encode(Md5::digest(md5(BYTES))));
    let multipart_etag = "0123456789abcdef0123456789abcdef-2";
    let cases: Vec<(&str, ObjectRecord, LakeEvidence, Want)> = vec![
        // The happy paths.
        (
            "etag proves",
            rec(40),
            found(lake(&good)),
            Ok(ProofKind::Etag),
        ),
        (
            "quoted uppercase etag",
            rec(40),
            found(lake(&format!("\"{}\"", good.to_uppercase()))),
            Ok(ProofKind::Etag),
        ),
        (
            "multipart etag, read back good",
            rec(40),
            found(LakeObject {
                read_back: hashed(BYTES),
                ..lake(multipart_etag)
            }),
            Ok(ProofKind::ReadBack),
        ),
        (
            "kms etag, read back good",
            rec(40),
            found(LakeObject {
                etag_is_md5: false,
                read_back: hashed(BYTES),
                ..lake("ffffffffffffffffffffffffffffffff")
            }),
            Ok(ProofKind::ReadBack),
        ),
        (
            "no etag, read back good",
            rec(40),
            found(LakeObject {
                etag: None,
                read_back: hashed(BYTES),
                ..lake("")
            }),
            Ok(ProofKind::ReadBack),
        ),
        (
            "part-style catalog checksum, etag is the plain md5",
            rec_with(40, &part_style, None),
            found(LakeObject {
                css_md5: Some(part_style.clone()),
                ..lake(&good)
            }),
            Ok(ProofKind::Etag),
        ),
        (
            "exactly min-age old",
            rec(7),
            found(lake(&good)),
            Ok(ProofKind::Etag),
        ),
        // Catalog rules.
        ("too young", rec(6), found(lake(&good)), Err("too_young")),
        (
            "created in the future",
            rec(-1),
            found(lake(&good)),
            Err("too_young"),
        ),
        (
            "revoked",
            rec_with(40, &good, Some("REVOKED")),
            found(lake(&good)),
            Err("not_available"),
        ),
        (
            "pending",
            rec_with(40, &good, Some("PENDING")),
            found(lake(&good)),
            Err("not_available"),
        ),
        (
            "unverifiable checksum",
            rec_with(40, "abc-7", None),
            found(lake(&good)),
            Err("unverifiable_checksum"),
        ),
        (
            "no checksum",
            rec_with(40, "", None),
            found(LakeObject {
                css_md5: Some(String::new()),
                ..lake(&good)
            }),
            Err("unverifiable_checksum"),
        ),
        // Lake presence, size, metadata.
        ("missing", rec(40), LakeEvidence::Missing, Err("missing")),
        (
            "s3 error",
            rec(40),
            LakeEvidence::S3Error("HeadObject: 500".into()),
            Err("s3_error"),
        ),
        (
            "size differs",
            rec(40),
            found(LakeObject {
                size: 3,
                ..lake(&good)
            }),
            Err("size_mismatch"),
        ),
        (
            "no css-md5",
            rec(40),
            found(LakeObject {
                css_md5: None,
                ..lake(&good)
            }),
            Err("checksum_mismatch"),
        ),
        (
            "css-md5 differs",
            rec(40),
            found(LakeObject {
                css_md5: Some(hex::encode(md5(tampered))),
                ..lake(&good)
            }),
            Err("checksum_mismatch"),
        ),
        // The bytes: metadata alone never proves them.
        (
            "tampered: right metadata and size, etag of other bytes",
            rec(40),
            found(lake(&hex::encode(md5(tampered)))),
            Err("etag_mismatch"),
        ),
        (
            "tampered etag is not rescued by a good read-back",
            rec(40),
            found(LakeObject {
                read_back: hashed(BYTES),
                ..lake(&hex::encode(md5(tampered)))
            }),
            Err("etag_mismatch"),
        ),
        (
            "multipart etag, nothing read back",
            rec(40),
            found(lake(multipart_etag)),
            Err("not_proven"),
        ),
        (
            "multipart etag, read back other bytes",
            rec(40),
            found(LakeObject {
                read_back: hashed(tampered),
                ..lake(multipart_etag)
            }),
            Err("read_back_mismatch"),
        ),
        (
            "multipart etag, read back shorter",
            rec(40),
            found(LakeObject {
                read_back: hashed(b"the"),
                ..lake(multipart_etag)
            }),
            Err("read_back_mismatch"),
        ),
        (
            "multipart etag, read back failed",
            rec(40),
            found(LakeObject {
                read_back: Some(ReadBack::Failed("connection reset".into())),
                ..lake(multipart_etag)
            }),
            Err("read_back_failed"),
        ),
        (
            "kms etag equal to the md5 still needs a read-back",
            rec(40),
            found(LakeObject {
                etag_is_md5: false,
                ..lake(&good)
            }),
            Err("not_proven"),
        ),
        (
            "odd etag, nothing read back",
            rec(40),
            found(lake("W/\"zz\"")),
            Err("not_proven"),
        ),
    ];
    for (name, r, ev, want) in &cases {
        assert_eq!(run(r, ev, 7), *want, "case {name:?}");
    }
}

#[test]
fn read_back_is_asked_for_exactly_when_the_etag_cannot_prove() {
    let good = good_sum();
    let r = rec(40);
    assert_eq!(needs_read_back(&r, KEY, &found(lake(&good))), Ok(false));
    assert_eq!(
        needs_read_back(&r, KEY, &found(lake("0123456789abcdef0123456789abcdef-3"))),
        Ok(true)
    );
    let tampered = found(lake(&hex::encode(md5(b"x"))));
    assert_eq!(
        needs_read_back(&r, KEY, &tampered),
        Ok(false),
        "refused by decide"
    );
    assert!(matches!(
        needs_read_back(&r, KEY, &LakeEvidence::Missing),
        Err(Refusal::Missing { .. })
    ));
}

#[test]
fn planned_refusals_do_not_fail_the_run() {
    let planned = [
        Refusal::NotAvailable("REVOKED".into()),
        Refusal::TooYoung {
            age: "1d".into(),
            min_age: "7d".into(),
        },
        Refusal::OverMax(3),
    ];
    assert!(planned.iter().all(Refusal::is_planned));
    let failing = [
        Refusal::Missing { key: KEY.into() },
        Refusal::S3Error("x".into()),
        Refusal::Size {
            lake: 1,
            catalog: 2,
        },
        Refusal::Checksum {
            lake: None,
            catalog: "x".into(),
        },
        Refusal::EtagMismatch {
            etag: "x".into(),
            why: "y".into(),
        },
        Refusal::ReadBackMismatch("x".into()),
        Refusal::ReadBackFailed("x".into()),
        Refusal::NotProven,
        Refusal::Unverifiable("x".into()),
        Refusal::Key("x".into()),
        Refusal::BadCreatedTime("x".into()),
    ];
    assert!(failing.iter().all(|r| !r.is_planned()));
}

#[test]
fn created_time_forms() {
    let mut r = rec(0);
    r.created_time = "2022-06-24T05:22:35".into();
    assert_eq!(
        created_at(&r).unwrap().to_rfc3339(),
        "2022-06-24T05:22:35+00:00"
    );
    r.created_time = "2022-06-24T07:22:35+02:00".into();
    assert_eq!(
        created_at(&r).unwrap().to_rfc3339(),
        "2022-06-24T05:22:35+00:00"
    );
    r.created_time = "yesterday".into();
    assert_eq!(created_at(&r), None);
    assert!(matches!(
        catalog_gate(&r, now(), Duration::from_secs(7 * DAY)),
        Err(Refusal::BadCreatedTime(_))
    ));
}

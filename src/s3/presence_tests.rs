//! The presence decision table.

use super::*;

const MD5: &str = "5d41402abc4b2a76b9719d911017c592";
const MPU: &str = "8b0be7847da5564ae08e97af63b60885-2";

fn obj(size: u64, md5_meta: Option<&str>, e_tag: Option<&str>) -> ExistingObject {
    ExistingObject {
        md5_meta: md5_meta.map(str::to_string),
        size,
        e_tag: e_tag.map(str::to_string),
    }
}

fn rec(e_tag: Option<&str>, size: Option<u64>, md5: Option<&str>) -> Recorded {
    Recorded {
        e_tag: e_tag.map(str::to_string),
        size,
        md5: md5.map(str::to_string),
    }
}

#[test]
fn decision_table() {
    use Presence::*;
    let want = Want {
        size: 5,
        checksum: MD5,
        sidecar: true,
    };
    let no_sidecar = Want {
        sidecar: false,
        ..want
    };
    let good = rec(Some(MPU), Some(5), Some(MD5));
    let other_md5 = "0123456789abcdef0123456789abcdef";
    let table: Vec<(
        &str,
        Option<ExistingObject>,
        Option<Recorded>,
        Want,
        Presence,
    )> = vec![
        ("absent", None, Some(good.clone()), want, Absent),
        (
            "multipart, record holds",
            Some(obj(5, Some(MD5), Some(MPU))),
            Some(good.clone()),
            want,
            Present,
        ),
        (
            "size differs",
            Some(obj(6, Some(MD5), Some(MPU))),
            Some(good.clone()),
            want,
            NotOurs("size"),
        ),
        (
            "no css-md5",
            Some(obj(5, None, Some(MD5))),
            None,
            want,
            NotOurs("css_md5"),
        ),
        (
            "wrong css-md5",
            Some(obj(5, Some(other_md5), Some(MD5))),
            None,
            want,
            NotOurs("css_md5"),
        ),
        (
            "no etag",
            Some(obj(5, Some(MD5), None)),
            Some(good.clone()),
            want,
            NotOurs("no_etag"),
        ),
        // Rewritten by someone else: same size, right metadata, another ETag.
        (
            "rewritten multipart",
            Some(obj(
                5,
                Some(MD5),
                Some("11111111111111111111111111111111-2"),
            )),
            Some(good.clone()),
            want,
            NotOurs("etag_changed"),
        ),
        (
            "rewritten single",
            Some(obj(5, Some(MD5), Some(other_md5))),
            Some(rec(Some(MD5), Some(5), Some(MD5))),
            want,
            NotOurs("etag_changed"),
        ),
        (
            "rewritten single, no sidecar",
            Some(obj(5, Some(MD5), Some(other_md5))),
            None,
            want,
            ReadBack,
        ),
        (
            "single self-proving, sidecar missing",
            Some(obj(5, Some(MD5), Some(MD5))),
            None,
            want,
            RepairSidecar,
        ),
        (
            "single self-proving, sidecar stale",
            Some(obj(5, Some(MD5), Some(MD5))),
            Some(rec(Some(other_md5), Some(5), Some(MD5))),
            want,
            RepairSidecar,
        ),
        (
            "single self-proving, sidecar of old format",
            Some(obj(5, Some(MD5), Some(MD5))),
            Some(rec(None, None, Some(MD5))),
            want,
            RepairSidecar,
        ),
        (
            "single, sidecars off",
            Some(obj(5, Some(MD5), Some(MD5))),
            None,
            no_sidecar,
            Present,
        ),
        (
            "multipart, sidecars off",
            Some(obj(5, Some(MD5), Some(MPU))),
            Some(good.clone()),
            no_sidecar,
            ReadBack,
        ),
        (
            "multipart, sidecar missing",
            Some(obj(5, Some(MD5), Some(MPU))),
            None,
            want,
            ReadBack,
        ),
        (
            "multipart, sidecar of old format",
            Some(obj(5, Some(MD5), Some(MPU))),
            Some(rec(None, None, Some(MD5))),
            want,
            ReadBack,
        ),
        (
            "record size differs",
            Some(obj(5, Some(MD5), Some(MPU))),
            Some(rec(Some(MPU), Some(6), Some(MD5))),
            want,
            NotOurs("etag_changed"),
        ),
        (
            "record md5 differs",
            Some(obj(5, Some(MD5), Some(MPU))),
            Some(rec(Some(MPU), Some(5), Some(other_md5))),
            want,
            NotOurs("etag_changed"),
        ),
    ];
    for (name, o, r, w, expected) in table {
        assert_eq!(decide(o.as_ref(), r.as_ref(), w), expected, "{name}");
    }
}

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

/// name, object, sidecar record, what the catalog wants, decision.
type Row = (
    &'static str,
    Option<ExistingObject>,
    Option<Recorded>,
    Want<'static>,
    Presence,
);

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
    let table: Vec<Row> = vec![
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

/// Against the embedded s3s-fs: what a commit records, and what a rewrite does to it.
mod live {
    use super::super::Presence::*;
    use crate::css::model::ObjectRecord;
    use crate::s3::tests::{data, env_with, md5_hex, upload};
    use crate::s3::{S3Target, MIN_PART_SIZE};

    fn record(body: &[u8]) -> ObjectRecord {
        serde_json::from_value(serde_json::json!({
            "id": "x", "type": "voicemail", "objectName": "x.mp3", "checksumType": "MD5",
            "checksum": md5_hex(body), "storedBytes": body.len(),
            "createdTime": "2026-11-01T00:00:00"
        }))
        .unwrap()
    }

    /// Someone else's PutObject: other bytes, same size, the right `css-md5`.
    async fn rewrite(t: &S3Target, key: &str, body: &[u8]) {
        let mut other = body.to_vec();
        other[7] ^= 0xff;
        t.client()
            .put_object()
            .bucket("lake")
            .key(key)
            .metadata("css-md5", md5_hex(body))
            .body(other.into())
            .send()
            .await
            .unwrap();
    }

    async fn presence(t: &S3Target, key: &str, body: &[u8]) -> super::Presence {
        t.presence(key, &record(body)).await.unwrap().0
    }

    #[tokio::test]
    async fn a_rewritten_object_with_the_right_metadata_is_not_present() {
        let env = env_with(|_| {}).await;
        let t = &env.target;
        for (key, size) in [("t/single", 1000), ("t/multi", 2 * MIN_PART_SIZE + 1)] {
            let body = data(size);
            assert_eq!(presence(t, key, &body).await, Absent);
            let c = upload(t, key, &body).await.unwrap();
            t.put_sidecar(&c, &md5_hex(&body), bytes::Bytes::from_static(b"{}"))
                .await
                .unwrap();
            assert_eq!(presence(t, key, &body).await, Present, "{key}");
            rewrite(t, key, &body).await;
            assert_eq!(
                presence(t, key, &body).await,
                NotOurs("etag_changed"),
                "{key}"
            );
        }
    }

    #[tokio::test]
    async fn without_a_sidecar_single_objects_prove_themselves_and_others_are_read_back() {
        let env = env_with(|_| {}).await;
        let t = &env.target;
        let small = data(1000);
        upload(t, "t/single", &small).await.unwrap();
        assert_eq!(presence(t, "t/single", &small).await, RepairSidecar);
        let big = data(2 * MIN_PART_SIZE + 1);
        upload(t, "t/multi", &big).await.unwrap();
        assert_eq!(presence(t, "t/multi", &big).await, RepairSidecar);
        // After the repair, the recorded proof holds without a read-back.
        let seen = t.existing("t/multi").await.unwrap().unwrap();
        t.repair_sidecar(
            "t/multi",
            seen.e_tag.as_deref().unwrap(),
            seen.size,
            &md5_hex(&big),
            bytes::Bytes::from_static(b"{}"),
        )
        .await
        .unwrap();
        assert_eq!(presence(t, "t/multi", &big).await, Present);
        // A rewrite without a sidecar: the read-back tells.
        rewrite(t, "t/other", &small).await;
        assert_eq!(presence(t, "t/other", &small).await, NotOurs("read_back"));

        let off = S3Target::from_client(
            t.client().clone(),
            crate::s3::S3Settings {
                sidecar: false,
                ..t.settings().clone()
            },
        );
        assert_eq!(presence(&off, "t/single", &small).await, Present);
        assert_eq!(presence(&off, "t/multi", &big).await, Present);
        assert_eq!(
            presence(&off, "t/other", &small).await,
            NotOurs("read_back")
        );
    }
}

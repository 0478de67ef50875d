//! Unit tests for part sizing and header values, and checksum-mode and concurrency checks
//! against the embedded server (helpers from `s3::tests`).

use super::*;
use crate::s3::tests::{data, env_with, get, md5_hex, meta, pending_uploads, proof_for, upload};
use crate::s3::{ChecksumMode, MAX_OBJECT_SIZE, MAX_PARTS, MAX_PART_SIZE, MIN_PART_SIZE};

const MIB: u64 = 1024 * 1024;

#[test]
fn part_size_grows_to_fit_ten_thousand_parts() {
    assert_eq!(part_size_for(16 * MIB, 0).unwrap(), 16 * MIB as usize);
    assert_eq!(
        part_size_for(16 * MIB, 160_000 * MIB).unwrap(),
        16 * MIB as usize
    );
    let big = 160_000 * MIB + 1;
    let p = part_size_for(16 * MIB, big).unwrap() as u64;
    assert_eq!(p, 17 * MIB);
    assert!(big.div_ceil(p) <= MAX_PARTS);
    let max = part_size_for(MIN_PART_SIZE, MAX_OBJECT_SIZE).unwrap() as u64;
    assert!(MAX_OBJECT_SIZE.div_ceil(max) <= MAX_PARTS && max <= MAX_PART_SIZE);
    assert_eq!(
        part_size_for(16 * MIB, MAX_OBJECT_SIZE + 1)
            .unwrap_err()
            .kind(),
        "too_large"
    );
}

#[test]
fn header_values_are_sane() {
    let mut m = ObjectMeta {
        object_id: "id\n1".into(),
        md5_hex: "ABCDEF".into(),
        region: "r".into(),
        object_type: "t".into(),
        created_time: "2022".into(),
        content_type: Some("audio/mpeg".into()),
    };
    let md = user_metadata(&m);
    assert_eq!(md["css-object-id"], "id_1");
    assert_eq!(md["css-md5"], "abcdef");
    assert_eq!(content_type(&m), "audio/mpeg");
    for bad in [
        None,
        Some(""),
        Some("mpeg"),
        Some("audio/"),
        Some("a/b\r\nX: y"),
    ] {
        m.content_type = bad.map(str::to_string);
        assert_eq!(content_type(&m), "application/octet-stream", "{bad:?}");
    }
}

/// (i) The default `WhenRequired` works against s3s-fs for both paths; the facts for
/// `WhenSupported` are asserted in the next test.
#[tokio::test]
async fn when_required_checksums_work_against_s3s_fs() {
    let env = env_with(|s| s.checksum = ChecksumMode::WhenRequired).await;
    for size in [10, 2 * MIN_PART_SIZE + 3] {
        let body = data(size);
        upload(&env.target, "t/wr", &body).await.unwrap();
        assert_eq!(md5_hex(&get(&env.target, "t/wr").await.0), md5_hex(&body));
    }
}

/// Facts for `WhenSupported` against s3s-fs 0.14.1: uploads (CRC32 added by the SDK to
/// `PutObject` and `UploadPart`) succeed and read back with response validation on. But an
/// object overwritten by a multipart upload keeps the previous object's stored CRC32 (s3s-fs
/// updates only the ETag at `CompleteMultipartUpload`), so a validating `GetObject` then fails
/// with a checksum mismatch; under `WhenRequired` nothing validates it.
#[tokio::test]
async fn when_supported_checksums_against_s3s_fs() {
    let env = env_with(|s| s.checksum = ChecksumMode::WhenSupported).await;
    for size in [10, 2 * MIN_PART_SIZE + 3] {
        let body = data(size);
        let key = format!("t/ws-{size}");
        upload(&env.target, &key, &body).await.unwrap();
        assert_eq!(md5_hex(&get(&env.target, &key).await.0), md5_hex(&body));
    }
    assert!(pending_uploads(&env.root()).is_empty());

    // overwrite a single-part object with a multipart one
    let body = data(2 * MIN_PART_SIZE + 3);
    upload(&env.target, "t/ws-10", &body).await.unwrap();
    let out = env
        .target
        .client()
        .get_object()
        .bucket("lake")
        .key("t/ws-10")
        .send()
        .await;
    let read = match out {
        Ok(o) => o
            .body
            .collect()
            .await
            .map(|b| b.into_bytes())
            .map_err(|e| format!("{e:?}")),
        Err(e) => Err(e.to_string()),
    };
    eprintln!(
        "WhenSupported GetObject after multipart overwrite: {:?}",
        read.as_ref().map(|b| b.len())
    );
    assert!(read.unwrap_err().contains("ChecksumMismatch"));
    let settings = crate::s3::S3Settings {
        checksum: ChecksumMode::WhenRequired,
        ..env.target.settings().clone()
    };
    let relaxed = crate::s3::S3Target::from_client(env.target.client().clone(), settings);
    let o = relaxed
        .client()
        .get_object()
        .bucket("lake")
        .key("t/ws-10")
        .send()
        .await
        .unwrap();
    let bytes = o.body.collect().await.unwrap().into_bytes();
    assert_eq!(
        md5_hex(&bytes),
        md5_hex(&body),
        "the bytes themselves are right"
    );
}

#[tokio::test]
async fn concurrency_one_and_signed_payloads_still_upload() {
    let env = env_with(|s| {
        s.part_concurrency = 1;
        s.sign_payload = true;
    })
    .await;
    let body = data(3 * MIN_PART_SIZE + 1);
    let c = upload(&env.target, "t/c1", &body).await.unwrap();
    assert_eq!(c.parts, 4);
    assert_eq!(md5_hex(&get(&env.target, "t/c1").await.0), md5_hex(&body));
    let small = data(77);
    upload(&env.target, "t/c2", &small).await.unwrap();
    assert_eq!(md5_hex(&get(&env.target, "t/c2").await.0), md5_hex(&small));
}

/// issue 8 (overlap, speed): the upload hashes the bytes it buffers (one pass) and refuses a
/// proof made for other bytes before anything is sent, single PUT or multipart.
#[tokio::test]
async fn a_proof_for_other_bytes_is_refused_before_anything_is_sent() {
    let env = env_with(|_| {}).await;
    let body = data(100);
    let mut other = body.clone();
    other[7] ^= 1;
    let mut up = env.target.begin("t/hash-once".into(), meta(&body), 100);
    assert!(up.is_single());
    up.write(&other).await.unwrap();
    assert_eq!(hex::encode(up.md5()), md5_hex(&other));
    let err = up.commit(proof_for(100, &body)).await.unwrap_err();
    assert_eq!(err.kind(), "md5_mismatch", "{err}");
    assert!(env.target.existing("t/hash-once").await.unwrap().is_none());
    // multipart: parts went out, the upload is aborted, nothing becomes visible
    let big = data(2 * MIN_PART_SIZE + 5);
    let mut wrong = big.clone();
    wrong[MIN_PART_SIZE as usize + 3] ^= 1;
    let mut up = env
        .target
        .begin("t/hash-parts".into(), meta(&big), big.len() as u64);
    assert!(!up.is_single());
    up.write(&wrong).await.unwrap();
    let err = up
        .commit(proof_for(big.len() as u64, &big))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "md5_mismatch", "{err}");
    assert!(env.target.existing("t/hash-parts").await.unwrap().is_none());
    // and the right bytes go up with the same proof
    let mut up = env.target.begin("t/hash-twice".into(), meta(&body), 100);
    up.write(&body).await.unwrap();
    let c = up.commit(proof_for(100, &body)).await.unwrap();
    assert_eq!(c.size, 100);
    assert_eq!(
        md5_hex(&get(&env.target, "t/hash-twice").await.0),
        md5_hex(&body)
    );
}

/// issue 8 (overlap): a byte budget lowers the parts in flight, never below one, never above
/// `S3_PART_CONCURRENCY`, and the object still uploads intact.
#[tokio::test]
async fn fewer_parts_in_flight_still_upload() {
    let env = env_with(|s| s.part_concurrency = 3).await;
    let body = data(3 * MIN_PART_SIZE + 5);
    let mut up = env
        .target
        .begin("t/lim".into(), meta(&body), body.len() as u64);
    assert!(!up.is_single());
    assert_eq!(up.part_size(), MIN_PART_SIZE);
    up.limit_parts_in_flight(0);
    up.write(&body).await.unwrap();
    let c = up
        .commit(proof_for(body.len() as u64, &body))
        .await
        .unwrap();
    assert_eq!(c.parts, 4);
    assert_eq!(md5_hex(&get(&env.target, "t/lim").await.0), md5_hex(&body));
}

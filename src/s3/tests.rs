//! Upload tests against the embedded s3s-fs server, in-process: every object is read back and
//! compared by MD5, metadata and Content-Type; failure paths must leave nothing visible and no
//! pending multipart parts in the server's folder.

use std::path::{Path, PathBuf};

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use md5::{Digest, Md5};

use super::embedded::{serve_fs, EmbeddedS3};
use super::*;

const AK: &str = "test-access";
const SK: &str = "test-secret";
const BUCKET: &str = "lake";
const P: u64 = MIN_PART_SIZE;

pub(super) struct Env {
    pub dir: tempfile::TempDir,
    pub _server: EmbeddedS3,
    pub target: S3Target,
}

impl Env {
    pub fn root(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

pub(super) fn client(endpoint: &str, secret: &str) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(AK, secret, None, None, "test"))
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

pub(super) async fn env_with(tweak: impl FnOnce(&mut S3Settings)) -> Env {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(BUCKET)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = serve_fs(dir.path(), listener, AK, SK).await.unwrap();
    let mut settings = S3Settings {
        bucket: BUCKET.into(),
        force_path_style: true,
        part_size: P,
        max_attempts: 2,
        ..S3Settings::default()
    };
    tweak(&mut settings);
    let target = S3Target::from_client(client(&server.endpoint, SK), settings);
    target.healthcheck().await.unwrap();
    Env {
        dir,
        _server: server,
        target,
    }
}

/// Deterministic bytes that differ from part to part (xorshift).
pub(super) fn data(len: u64) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15 ^ len;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// A proof made the only way there is, by the verifier: `size` bytes whose MD5 is `md5_of`'s,
/// checked against a record claiming exactly that.
pub(super) fn proof_for(size: u64, md5_of: &[u8]) -> crate::verify::Verified {
    let md5: [u8; 16] = Md5::digest(md5_of).into();
    let rec: ObjectRecord = serde_json::from_value(serde_json::json!({
        "id": "x", "type": "voicemail", "objectName": "x.mp3", "checksumType": "MD5",
        "checksum": hex::encode(md5), "storedBytes": size, "createdTime": "2026-11-01T00:00:00"
    }))
    .unwrap();
    crate::verify::check(&rec, size, md5).unwrap()
}

pub(super) fn md5_hex(b: &[u8]) -> String {
    hex::encode(Md5::digest(b))
}

pub(super) fn meta(body: &[u8]) -> ObjectMeta {
    ObjectMeta {
        object_id: "58bc5748-339b-43c2-ad15-572a35dc3aad".into(),
        md5_hex: md5_hex(body),
        region: "us-west".into(),
        object_type: "callcenterrecording".into(),
        created_time: "2022-06-24T05:22:35".into(),
        content_type: Some("audio/mpeg".into()),
    }
}

/// Streams `body` in awkward chunk sizes, then commits with an honest proof.
pub(super) async fn upload(t: &S3Target, key: &str, body: &[u8]) -> Result<Committed, S3Error> {
    let mut up = t.begin(key.into(), meta(body), body.len() as u64);
    for chunk in body.chunks(1024 * 1024 + 7) {
        if let Err(e) = up.write(chunk).await {
            // As the exporter does: an explicit abort, awaited.
            up.abort().await;
            return Err(e);
        }
    }
    let proof = proof_for(body.len() as u64, body);
    up.commit(proof).await
}

pub(super) async fn get(
    t: &S3Target,
    key: &str,
) -> (Vec<u8>, Option<String>, HashMap<String, String>) {
    let out = t
        .client()
        .get_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .unwrap();
    let ct = out.content_type().map(str::to_string);
    let md = out.metadata().cloned().unwrap_or_default();
    let bytes = out.body.collect().await.unwrap().into_bytes().to_vec();
    (bytes, ct, md)
}

/// Files s3s-fs keeps for multipart uploads in progress.
pub(super) fn pending_uploads(root: &Path) -> Vec<String> {
    std::fs::read_dir(root)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(".upload"))
        .collect()
}

use std::collections::HashMap;

#[tokio::test]
async fn sizes_around_the_part_size_round_trip_with_metadata() {
    let env = env_with(|_| {}).await;
    let cases = [(0, 0), (P - 1, 0), (P, 1), (P + 1, 2), (P * 7 / 2, 4)];
    for (size, parts) in cases {
        let body = data(size);
        let key = format!("t/obj-{size}.mp3");
        let started = std::time::Instant::now();
        let c = upload(&env.target, &key, &body).await.unwrap();
        eprintln!("uploaded {size} bytes in {:?}", started.elapsed());
        assert_eq!((c.size, c.parts), (size, parts), "size {size}");
        let (got, ct, md) = get(&env.target, &key).await;
        assert_eq!(got.len() as u64, size);
        assert_eq!(md5_hex(&got), md5_hex(&body), "bytes of size {size}");
        assert_eq!(ct.as_deref(), Some("audio/mpeg"));
        assert_eq!(md.get("css-md5"), Some(&md5_hex(&body)));
        assert_eq!(md["css-object-id"], "58bc5748-339b-43c2-ad15-572a35dc3aad");
        assert_eq!(md["css-region"], "us-west");
        assert_eq!(md["css-type"], "callcenterrecording");
        assert_eq!(md["css-created-time"], "2022-06-24T05:22:35");
    }
    assert!(pending_uploads(&env.root()).is_empty());
}

#[tokio::test]
async fn abort_after_two_parts_leaves_nothing() {
    let env = env_with(|_| {}).await;
    let body = data(3 * P);
    let mut up = env.target.begin("t/aborted".into(), meta(&body), 3 * P);
    up.write(&body[..2 * P as usize]).await.unwrap();
    assert!(
        !pending_uploads(&env.root()).is_empty(),
        "a multipart upload was started"
    );
    up.abort().await;
    assert_eq!(env.target.existing("t/aborted").await.unwrap(), None);
    assert_eq!(pending_uploads(&env.root()), Vec::<String>::new());
}

#[tokio::test]
async fn dropping_an_uncommitted_upload_aborts_it() {
    let env = env_with(|_| {}).await;
    let body = data(3 * P);
    let mut up = env.target.begin("t/dropped".into(), meta(&body), 3 * P);
    up.write(&body[..2 * P as usize + 10]).await.unwrap();
    assert!(!pending_uploads(&env.root()).is_empty());
    drop(up);
    for _ in 0..100 {
        if pending_uploads(&env.root()).is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(pending_uploads(&env.root()), Vec::<String>::new());
    assert_eq!(env.target.existing("t/dropped").await.unwrap(), None);
}

#[tokio::test]
async fn commit_refuses_a_proof_that_disagrees() {
    let env = env_with(|_| {}).await;
    // multipart, size lie
    let body = data(P + 1);
    let mut up = env.target.begin("t/size".into(), meta(&body), P + 1);
    up.write(&body).await.unwrap();
    let proof = proof_for(P, &body);
    let err = up.commit(proof).await.unwrap_err();
    assert_eq!(err.kind(), "size_mismatch", "{err}");
    assert_eq!(env.target.existing("t/size").await.unwrap(), None);
    assert!(pending_uploads(&env.root()).is_empty());

    // single, MD5 differs from the catalog's
    let body = data(100);
    let mut up = env.target.begin("t/md5".into(), meta(&body), 100);
    up.write(&body).await.unwrap();
    // (a proof for other bytes: the verifier only vouches for what it hashed)
    let proof = proof_for(100, b"other");
    let err = up.commit(proof).await.unwrap_err();
    assert_eq!(err.kind(), "md5_mismatch", "{err}");
    assert_eq!(env.target.existing("t/md5").await.unwrap(), None);

    // stream shorter than announced, proof honest about it
    let body = data(2 * P);
    let mut up = env.target.begin("t/short".into(), meta(&body), 2 * P);
    up.write(&body[..P as usize + 5]).await.unwrap();
    let proof = proof_for(P + 5, &body);
    assert_eq!(up.commit(proof).await.unwrap_err().kind(), "size_mismatch");
    assert_eq!(env.target.existing("t/short").await.unwrap(), None);
    assert!(pending_uploads(&env.root()).is_empty());
}

#[tokio::test]
async fn bytes_beyond_the_announced_size_are_refused() {
    let env = env_with(|_| {}).await;
    let body = data(10);
    let mut up = env.target.begin("t/over".into(), meta(&body), 9);
    assert_eq!(up.write(&body).await.unwrap_err().kind(), "overrun");
    assert_eq!(up.write(b"").await.unwrap_err().kind(), "poisoned");
    let proof = proof_for(10, &body);
    assert!(up.commit(proof).await.is_err());
    assert_eq!(env.target.existing("t/over").await.unwrap(), None);
}

#[tokio::test]
async fn existing_reports_md5_metadata_and_size() {
    let env = env_with(|_| {}).await;
    assert_eq!(env.target.existing("t/none").await.unwrap(), None);
    let body = data(1234);
    upload(&env.target, "t/here", &body).await.unwrap();
    let e = env.target.existing("t/here").await.unwrap().unwrap();
    assert_eq!(e.md5_meta, Some(md5_hex(&body)));
    assert_eq!(e.size, 1234);
}

#[tokio::test]
async fn sidecar_round_trips() {
    let env = env_with(|_| {}).await;
    let json = serde_json::json!({"id": "x", "type": "t", "futureField": {"n": [1, 2]}});
    let bytes = bytes::Bytes::from(serde_json::to_vec(&json).unwrap());
    let body = data(P + 1);
    let object = upload(&env.target, "t/x.mp3", &body).await.unwrap();
    env.target
        .put_sidecar(&object, &md5_hex(&body), bytes)
        .await
        .unwrap();
    let (got, ct, md) = get(&env.target, "t/x.mp3.metadata.json").await;
    // The proof recorded at commit: the object's multipart ETag and size, and the catalog
    // checksum.
    let parts: Vec<[u8; 16]> = body
        .chunks(P as usize)
        .map(|c| Md5::digest(c).into())
        .collect();
    assert_eq!(md["css-sync-etag"], proof::multipart_etag(&parts));
    assert_eq!(
        object.e_tag.as_deref().map(proof::normalize),
        Some(md["css-sync-etag"].clone())
    );
    assert_eq!(md["css-sync-size"], (P + 1).to_string());
    assert_eq!(md["css-md5"], md5_hex(&body));
    let rec = env.target.recorded("t/x.mp3").await.unwrap().unwrap();
    assert_eq!(rec.size, Some(P + 1));
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&got).unwrap(),
        json
    );
    assert_eq!(ct.as_deref(), Some("application/json"));
}

#[tokio::test]
async fn healthcheck_maps_errors() {
    let env = env_with(|_| {}).await;
    let missing = S3Target::from_client(
        env.target.client().clone(),
        S3Settings {
            bucket: "nope".into(),
            ..env.target.settings().clone()
        },
    );
    let e = missing.healthcheck().await.unwrap_err();
    assert_eq!(e.kind(), "no_such_bucket", "{e}");

    let wrong = S3Target::from_client(
        client(&env._server.endpoint, "wrong-secret"),
        env.target.settings().clone(),
    );
    let e = wrong.healthcheck().await.unwrap_err();
    assert_eq!(e.kind(), "access_denied", "{e}");
    assert!(!e.to_string().contains("wrong-secret"));

    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let down = S3Target::from_client(
        client(&format!("http://127.0.0.1:{port}"), SK),
        env.target.settings().clone(),
    );
    let e = down.healthcheck().await.unwrap_err();
    assert_eq!(e.kind(), "unreachable", "{e}");
}

/// s3s-fs checks `Content-MD5` on `PutObject` (mapped to `bad_digest`), too late to keep the
/// bytes out, and not at all on `UploadPart`: against it, integrity rests on our own checks.
#[tokio::test]
async fn content_md5_is_checked_by_s3s_fs_on_put_only() {
    let env = env_with(|_| {}).await;
    let t = &env.target;
    let wrong = "AAAAAAAAAAAAAAAAAAAAAA==";
    let err = t
        .client()
        .put_object()
        .bucket(BUCKET)
        .key("t/bad")
        .content_md5(wrong)
        .body(b"hello".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(t.ctx.map("PutObject", err).kind(), "bad_digest");
    // s3s-fs 0.14.1 renames the file into place before comparing the digest: the rejected
    // bytes stay visible (without metadata). AWS stores nothing on BadDigest.
    let left = t.existing("t/bad").await.unwrap();
    assert_eq!(left.map(|o| (o.md5_meta, o.size)), Some((None, 5)));

    let mpu = t
        .client()
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("t/badpart");
    let id = mpu.send().await.unwrap().upload_id().unwrap().to_string();
    let part = t
        .client()
        .upload_part()
        .bucket(BUCKET)
        .key("t/badpart")
        .upload_id(&id)
        .part_number(1)
        .content_md5(wrong)
        .body(b"hello".to_vec().into())
        .send()
        .await;
    assert!(
        part.is_ok(),
        "s3s-fs 0.14.1 ignores Content-MD5 on UploadPart"
    );
    t.client()
        .abort_multipart_upload()
        .bucket(BUCKET)
        .key("t/badpart")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
}

/// `connect` takes endpoint, region and credentials from the environment (aws-config's chain).
/// The only test here that sets process environment; it sets nothing but `AWS_*` variables.
#[tokio::test]
async fn connect_uses_the_standard_chain_and_checks_the_bucket() {
    let env = env_with(|_| {}).await;
    let none = env.dir.path().join("no-such-file");
    for (k, v) in [
        ("AWS_ENDPOINT_URL", env._server.endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", AK),
        ("AWS_SECRET_ACCESS_KEY", SK),
        ("AWS_REGION", "us-east-1"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", none.to_str().unwrap()),
        ("AWS_SHARED_CREDENTIALS_FILE", none.to_str().unwrap()),
    ] {
        std::env::set_var(k, v);
    }
    let settings = env.target.settings().clone();
    let t = S3Target::connect(settings.clone()).await.unwrap();
    let body = data(321);
    upload(&t, "t/connected", &body).await.unwrap();
    assert_eq!(md5_hex(&get(&t, "t/connected").await.0), md5_hex(&body));
    let missing = S3Settings {
        bucket: "absent".into(),
        ..settings
    };
    let e = S3Target::connect(missing).await.unwrap_err();
    assert_eq!(e.kind(), "no_such_bucket", "{e}");
    assert!(e.to_string().contains("absent") && !e.to_string().contains(SK));
}

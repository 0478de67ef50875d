//! The proof against the embedded s3s-fs, with an SDK interceptor that corrupts what travels:
//! a byte flipped in an `UploadPart` body (s3s-fs ignores `Content-MD5` there), an ETag
//! rewritten or dropped from an answer, an HTML page answered instead of S3's reply. Each time
//! the commit must fail with a typed error and nothing may stay at the key.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_sdk_s3::config::interceptors::{
    BeforeDeserializationInterceptorContextMut, BeforeTransmitInterceptorContextMut,
};
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_s3::error::BoxError;
use aws_sdk_s3::primitives::SdkBody;

use crate::s3::tests::{data, env_with, get, md5_hex, pending_uploads, upload, Env};
use crate::s3::{ProvenBy, S3Settings, S3Target, VerifyMode, MIN_PART_SIZE};

const P: u64 = MIN_PART_SIZE;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Put,
    Part,
    Complete,
}

fn op_of(method: &str, uri: &str) -> Option<Op> {
    match (method, uri.contains("uploadId=")) {
        ("PUT", false) => Some(Op::Put),
        ("PUT", true) => Some(Op::Part),
        ("POST", true) => Some(Op::Complete),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy)]
enum What {
    /// Flip one byte of the body of the first request of this kind.
    Flip(Op),
    /// Flip one byte of the body of every request of this kind.
    FlipEvery(Op),
    /// Answer this ETag to every request of this kind.
    Etag(Op, &'static str),
    /// Drop the ETag from every answer of this kind.
    NoEtag(Op),
    /// Answer every request of this kind with `200 text/html`.
    Html(Op),
}

/// Requests in these tests that get answers rewritten (PutObject, Complete) never overlap
/// another request, so the last request sent is the one being answered.
#[derive(Debug, Clone)]
struct Fault {
    what: What,
    hits: Arc<AtomicUsize>,
    last: Arc<Mutex<Option<Op>>>,
}

impl Fault {
    fn new(what: What) -> Fault {
        Fault {
            what,
            hits: Arc::default(),
            last: Arc::default(),
        }
    }
}

impl Intercept for Fault {
    fn name(&self) -> &'static str {
        "Fault"
    }

    fn modify_before_transmit(
        &self,
        ctx: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let req = ctx.request_mut();
        *self.last.lock().unwrap() = op_of(req.method(), req.uri());
        let (op, once) = match self.what {
            What::Flip(op) => (op, true),
            What::FlipEvery(op) => (op, false),
            _ => return Ok(()),
        };
        if op_of(req.method(), req.uri()) != Some(op)
            || (once && self.hits.load(Ordering::SeqCst) > 0)
        {
            return Ok(());
        }
        let Some(mut bytes) = req.body().bytes().map(<[u8]>::to_vec) else {
            return Ok(());
        };
        if let Some(b) = bytes.get_mut(1000) {
            *b ^= 0x01;
            self.hits.fetch_add(1, Ordering::SeqCst);
            *req.body_mut() = SdkBody::from(bytes);
        }
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        ctx: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let op = *self.last.lock().unwrap();
        let resp = ctx.response_mut();
        match self.what {
            // CompleteMultipartUpload answers its ETag in the XML body.
            What::Etag(Op::Complete, tag) if op == Some(Op::Complete) => {
                *resp.body_mut() = SdkBody::from(complete_xml(Some(tag)));
            }
            What::NoEtag(Op::Complete) if op == Some(Op::Complete) => {
                *resp.body_mut() = SdkBody::from(complete_xml(None));
            }
            What::Etag(o, tag) if op == Some(o) => {
                resp.headers_mut().insert("etag", format!("\"{tag}\""));
            }
            What::NoEtag(o) if op == Some(o) => {
                resp.headers_mut().remove("etag");
            }
            What::Html(o) if op == Some(o) => {
                resp.headers_mut().remove("etag");
                resp.headers_mut().insert("content-type", "text/html");
                *resp.body_mut() = SdkBody::from("<html><body>Welcome</body></html>");
            }
            _ => return Ok(()),
        }
        self.hits.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

fn complete_xml(e_tag: Option<&str>) -> String {
    let tag = e_tag
        .map(|t| format!("<ETag>&quot;{t}&quot;</ETag>"))
        .unwrap_or_default();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CompleteMultipartUploadResult>\
         <Bucket>lake</Bucket><Key>t/bad</Key>{tag}</CompleteMultipartUploadResult>"
    )
}

/// The test server's target with `fault` on every request.
async fn faulty(env: &Env, what: What, tweak: impl FnOnce(&mut S3Settings)) -> (S3Target, Fault) {
    let fault = Fault::new(what);
    let conf = env
        .target
        .client()
        .config()
        .to_builder()
        .interceptor(fault.clone())
        .build();
    let mut settings = env.target.settings().clone();
    tweak(&mut settings);
    let t = S3Target::from_client(aws_sdk_s3::Client::from_conf(conf), settings);
    (t, fault)
}

#[tokio::test]
async fn honest_writes_are_proven_by_their_etag() {
    let env = env_with(|_| {}).await;
    for (key, size) in [("t/single", 100), ("t/multi", 2 * P + 5)] {
        let body = data(size);
        let c = upload(&env.target, key, &body).await.unwrap();
        assert_eq!(c.proven_by(), ProvenBy::Etag, "{key}");
    }
    let env = env_with(|s| s.verify = VerifyMode::ReadBack).await;
    for (key, size) in [("t/single", 100), ("t/multi", 2 * P + 5)] {
        let body = data(size);
        let c = upload(&env.target, key, &body).await.unwrap();
        assert_eq!(c.proven_by(), ProvenBy::ReadBack, "{key}");
        assert_eq!(md5_hex(&get(&env.target, key).await.0), md5_hex(&body));
    }
}

/// The "bytes changed in transit": s3s-fs stores the flipped part and answers its
/// ETag, which is not the MD5 of the part we sent. The part is sent again at once; a part
/// that keeps changing fails the upload (`etag_mismatch`) and leaves nothing.
#[tokio::test]
async fn a_part_corrupted_in_transit_never_ends_verified() {
    let env = env_with(|_| {}).await;
    let (t, fault) = faulty(&env, What::Flip(Op::Part), |_| {}).await;
    let body = data(2 * P + 5);
    let c = upload(&t, "t/resent", &body).await.unwrap();
    assert_eq!(fault.hits.load(Ordering::SeqCst), 1);
    assert_eq!(c.proven_by(), ProvenBy::Etag);
    assert_eq!(
        md5_hex(&get(&env.target, "t/resent").await.0),
        md5_hex(&body)
    );
    for verify in [VerifyMode::Auto, VerifyMode::ReadBack] {
        let (t, fault) = faulty(&env, What::FlipEvery(Op::Part), |s| s.verify = verify).await;
        let err = upload(&t, "t/flipped", &body).await.unwrap_err();
        assert!(fault.hits.load(Ordering::SeqCst) >= 3, "{verify:?}");
        assert_eq!(err.kind(), "etag_mismatch", "{verify:?}: {err}");
        assert_eq!(env.target.existing("t/flipped").await.unwrap(), None);
        // A part failing during `write` leaves the upload to its drop, which aborts it in the
        // background: wait for that abort as an exiting run does.
        assert_eq!(
            t.wait_for_aborts_within(std::time::Duration::from_secs(10))
                .await,
            0
        );
        assert!(pending_uploads(&env.root()).is_empty());
    }
}

#[tokio::test]
async fn wrong_missing_or_html_answers_fail_and_leave_nothing() {
    let env = env_with(|_| {}).await;
    let other = "0123456789abcdef0123456789abcdef";
    let cases = [
        (What::Etag(Op::Put, other), 100, "etag_mismatch"),
        (
            What::Etag(Op::Complete, "0123456789abcdef0123456789abcdef-3"),
            2 * P + 5,
            "etag_mismatch",
        ),
        (What::NoEtag(Op::Put), 100, "no_proof"),
        (What::NoEtag(Op::Complete), 2 * P + 5, "no_proof"),
        (What::Html(Op::Put), 100, "no_proof"),
    ];
    for (what, size, kind) in cases {
        let (t, fault) = faulty(&env, what, |_| {}).await;
        let body = data(size);
        let err = upload(&t, "t/bad", &body).await.unwrap_err();
        assert!(fault.hits.load(Ordering::SeqCst) > 0, "{what:?}");
        assert_eq!(err.kind(), kind, "{what:?}: {err}");
        assert_eq!(
            env.target.existing("t/bad").await.unwrap(),
            None,
            "{what:?}"
        );
        // A sidecar or index file is held to the same proof.
        if matches!(what, What::Etag(Op::Put, _) | What::NoEtag(Op::Put)) {
            let e = t
                .put_small(
                    "t/index.json",
                    bytes::Bytes::from_static(b"{}"),
                    "application/json",
                )
                .await
                .unwrap_err();
            assert_eq!(e.kind(), kind, "{what:?}");
            assert_eq!(env.target.existing("t/index.json").await.unwrap(), None);
        }
    }
    // An HTML page answering CompleteMultipartUpload does not parse: a failure too.
    let (t, _) = faulty(&env, What::Html(Op::Complete), |_| {}).await;
    assert!(upload(&t, "t/bad", &data(2 * P + 5)).await.is_err());
    assert_eq!(env.target.existing("t/bad").await.unwrap(), None);
    assert!(pending_uploads(&env.root()).is_empty());
}

/// An ETag that is not an MD5 form (as under SSE-KMS): `auto` reads the object back and
/// accepts the right bytes; `etag` refuses.
#[tokio::test]
async fn an_unprovable_etag_is_read_back_in_auto_and_refused_in_etag_mode() {
    let env = env_with(|_| {}).await;
    let body = data(2 * P + 5);
    for op in [Op::Put, Op::Complete] {
        let size = if op == Op::Put { 100 } else { 2 * P + 5 };
        let body = data(size);
        let (t, _) = faulty(&env, What::Etag(op, "opaque-kms-tag"), |_| {}).await;
        let c = upload(&t, "t/kms", &body).await.unwrap();
        assert_eq!(c.proven_by(), ProvenBy::ReadBack, "{op:?}");
        let (t, _) = faulty(&env, What::Etag(op, "opaque-kms-tag"), |s| {
            s.verify = VerifyMode::Etag
        })
        .await;
        let e = upload(&t, "t/kms2", &body).await.unwrap_err();
        assert_eq!(e.kind(), "no_proof", "{op:?}");
        assert_eq!(env.target.existing("t/kms2").await.unwrap(), None);
    }
    // Read-back catches bytes that are not ours even when no ETag proves anything (parts and
    // object answer opaque ETags, as under SSE-KMS). One part at a time, so the interceptor
    // rewrites the answer of the request it saw last.
    let (t, _) = faulty(&env, What::Flip(Op::Part), |s| s.part_concurrency = 1).await;
    let conf = t
        .client()
        .config()
        .to_builder()
        .interceptor(Fault::new(What::Etag(Op::Part, "opaque-part-tag")))
        .interceptor(Fault::new(What::Etag(Op::Complete, "opaque-kms-tag")))
        .build();
    let t = S3Target::from_client(aws_sdk_s3::Client::from_conf(conf), t.settings().clone());
    let e = upload(&t, "t/kms3", &body).await.unwrap_err();
    assert_eq!(e.kind(), "read_back_mismatch", "{e}");
    assert_eq!(env.target.existing("t/kms3").await.unwrap(), None);
}

//! The 412 decision table, the setting, and the probe against s3s-fs (which ignores
//! `If-None-Match`).

use super::*;
use crate::s3::tests::env_with;

fn md5(b: &[u8]) -> [u8; 16] {
    Md5::digest(b).into()
}

#[test]
fn after_a_412_only_the_same_bytes_count_present() {
    let d = md5(b"hello");
    let h = hex::encode(d);
    let single = Sent::Single { md5: d };
    assert_eq!(after_412(Some((5, Some(&h))), 5, single), After412::Same);
    assert_eq!(
        after_412(
            Some((5, Some(&format!("\"{}\"", h.to_uppercase())))),
            5,
            single
        ),
        After412::Same
    );
    assert!(matches!(after_412(None, 5, single), After412::Different(_)));
    assert!(matches!(
        after_412(Some((6, Some(&h))), 5, single),
        After412::Different(_)
    ));
    assert!(matches!(
        after_412(Some((5, None)), 5, single),
        After412::Different(_)
    ));
    let other = hex::encode(md5(b"hellp"));
    assert!(matches!(
        after_412(Some((5, Some(&other))), 5, single),
        After412::Different(_)
    ));
    assert_eq!(
        after_412(Some((5, Some("kms"))), 5, single),
        After412::ReadBack
    );
    let parts = [md5(b"a"), md5(b"b")];
    let multi = Sent::Multipart {
        parts: &parts,
        whole_md5: md5(b"ab"),
    };
    let tag = proof::multipart_etag(&parts);
    assert_eq!(after_412(Some((2, Some(&tag))), 2, multi), After412::Same);
    let three = proof::multipart_etag(&[md5(b"a"), md5(b"b"), md5(b"")]);
    assert!(matches!(
        after_412(Some((2, Some(&three))), 2, multi),
        After412::Different(_)
    ));
}

#[test]
fn setting_and_412_detection() {
    assert_eq!(
        ConditionalWrites::parse("AUTO"),
        Some(ConditionalWrites::Auto)
    );
    assert_eq!(ConditionalWrites::parse("on"), Some(ConditionalWrites::On));
    assert_eq!(
        ConditionalWrites::parse("off"),
        Some(ConditionalWrites::Off)
    );
    assert_eq!(ConditionalWrites::parse("maybe"), None);
    let e = |status, code: &str| S3Error::Request {
        operation: "PutObject",
        code: code.into(),
        status,
        message: String::new(),
    };
    assert!(is_precondition_failed(&e(412, "unknown")));
    assert!(is_precondition_failed(&e(400, "PreconditionFailed")));
    assert!(!is_precondition_failed(&e(
        409,
        "ConditionalRequestConflict"
    )));
    assert!(!is_precondition_failed(&e(500, "InternalError")));
}

/// s3s-fs 0.14.1 honours `If-None-Match: *` on `PutObject` (not on
/// `CompleteMultipartUpload`): the probe says so and leaves nothing behind.
#[tokio::test]
async fn the_probe_finds_s3s_fs_honours_if_none_match_and_leaves_nothing() {
    let env = env_with(|_| {}).await;
    assert!(env.target.probe_conditional_writes().await.unwrap());
    let left: Vec<_> = walk(&env.root().join("lake"));
    assert!(left.is_empty(), "{left:?}");
    let mut off = S3Target::from_client(
        env.target.client().clone(),
        crate::s3::S3Settings {
            conditional_writes: ConditionalWrites::Off,
            ..env.target.settings().clone()
        },
    );
    off.set_up_conditional_writes().await.unwrap();
    assert!(!off.if_none_match);
    let mut on = env.target.clone();
    on.set_up_conditional_writes().await.unwrap();
    assert!(on.if_none_match);
}

/// A 412 on our write: the same bytes count present (`AlreadyThere`), other bytes are a
/// `written_by_other` failure that leaves their object alone.
#[tokio::test]
async fn a_refused_write_is_present_when_the_bytes_match_and_a_conflict_otherwise() {
    use crate::s3::tests::{data, get, md5_hex, upload};
    use crate::s3::ProvenBy;
    let env = env_with(|_| {}).await;
    let mut ours = env.target.clone();
    ours.set_up_conditional_writes().await.unwrap();
    let body = data(1000);
    upload(&env.target, "t/once", &body).await.unwrap();
    let c = upload(&ours, "t/once", &body).await.unwrap();
    assert_eq!(c.proven_by(), ProvenBy::AlreadyThere);
    assert_eq!(c.e_tag.as_deref(), Some(md5_hex(&body).as_str()));

    let theirs = data(999);
    let mut other = body.clone();
    other[..999].copy_from_slice(&theirs);
    upload(&env.target, "t/conflict", &other).await.unwrap();
    let mut changed = other.clone();
    changed[0] ^= 1;
    let e = upload(&ours, "t/conflict", &changed).await.unwrap_err();
    assert_eq!(e.kind(), "written_by_other", "{e}");
    assert_eq!(
        md5_hex(&get(&env.target, "t/conflict").await.0),
        md5_hex(&other)
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

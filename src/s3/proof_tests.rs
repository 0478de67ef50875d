//! Table tests for the proof rules (vectors computed independently with Python's hashlib).

use super::*;

fn md5(b: &[u8]) -> [u8; 16] {
    Md5::digest(b).into()
}

#[test]
fn etags_normalise_and_classify() {
    let h = "5d41402abc4b2a76b9719d911017c592";
    for raw in [
        "\"5d41402abc4b2a76b9719d911017c592\"",
        "5D41402ABC4B2A76B9719D911017C592",
        " W/\"5d41402abc4b2a76b9719d911017c592\" ",
    ] {
        assert_eq!(normalize(raw), h, "{raw}");
        assert_eq!(form(raw), EtagForm::Md5(h.into()), "{raw}");
    }
    assert_eq!(
        form("\"8b0be7847da5564ae08e97af63b60885-2\""),
        EtagForm::Multipart {
            md5_hex: "8b0be7847da5564ae08e97af63b60885".into(),
            parts: 2
        }
    );
    for other in [
        "",
        "\"\"",
        "abc",
        "5d41402abc4b2a76b9719d911017c59",
        "5d41402abc4b2a76b9719d911017c592-",
        "5d41402abc4b2a76b9719d911017c592-0",
        "5d41402abc4b2a76b9719d911017c592-x",
        "zz41402abc4b2a76b9719d911017c592",
        "<html>",
        "5d41402abc4b2a76b9719d911017c592-99999999999",
    ] {
        assert_eq!(form(other), EtagForm::Other, "{other}");
    }
}

#[test]
fn multipart_etag_matches_known_vectors() {
    let p1 = vec![b'a'; 5 * 1024 * 1024];
    assert_eq!(
        multipart_etag(&[md5(&p1), md5(&[b'b'; 10])]),
        "8b0be7847da5564ae08e97af63b60885-2"
    );
    // One part: md5(md5(bytes))-1, the form some CSS records carry.
    assert_eq!(
        multipart_etag(&[md5(b"hello")]),
        "62109206880d38a4010a98e11243924a-1"
    );
}

#[test]
fn judge_compares_answers_with_what_was_sent() {
    let d = md5(b"hello");
    let single = Sent::Single { md5: d };
    assert_eq!(
        judge(Some("\"5D41402ABC4B2A76B9719D911017C592\""), single),
        Verdict::Proven
    );
    assert_eq!(judge(None, single), Verdict::Missing);
    assert_eq!(judge(Some("\"\""), single), Verdict::Missing);
    assert!(matches!(
        judge(Some(&hex::encode(md5(b"hellp"))), single),
        Verdict::Mismatch { .. }
    ));
    assert!(matches!(
        judge(Some("kms-opaque-tag"), single),
        Verdict::Unprovable { .. }
    ));
    let parts = [md5(b"p1"), md5(b"p2")];
    let whole = md5(b"p1p2");
    let multi = Sent::Multipart {
        parts: &parts,
        whole_md5: whole,
    };
    assert_eq!(judge(Some(&multipart_etag(&parts)), multi), Verdict::Proven);
    assert_eq!(judge(Some(&hex::encode(whole)), multi), Verdict::Proven);
    // Right digest, wrong part count; or one part changed.
    let wrong_n = multipart_etag(&parts).replace("-2", "-3");
    assert!(matches!(
        judge(Some(&wrong_n), multi),
        Verdict::Mismatch { .. }
    ));
    let tampered = multipart_etag(&[md5(b"p1"), md5(b"p3")]);
    assert!(matches!(
        judge(Some(&tampered), multi),
        Verdict::Mismatch { .. }
    ));
}

#[test]
fn policy_table() {
    use Next::{Accept, Reject};
    use VerifyMode::{Auto, Etag};
    let (rb, read) = (VerifyMode::ReadBack, Next::ReadBack);
    let proven = Verdict::Proven;
    let missing = Verdict::Missing;
    let mismatch = Verdict::Mismatch {
        expected: "a".into(),
        got: "b".into(),
    };
    let unprovable = Verdict::Unprovable { got: "x".into() };
    let table = [
        (Auto, false, &proven, Accept),
        (Auto, false, &missing, Reject),
        (Auto, false, &mismatch, Reject),
        (Auto, false, &unprovable, read),
        (Auto, true, &proven, read),
        (Auto, true, &missing, Reject),
        (Auto, true, &mismatch, read),
        (Auto, true, &unprovable, read),
        (Etag, false, &proven, Accept),
        (Etag, false, &missing, Reject),
        (Etag, false, &mismatch, Reject),
        (Etag, false, &unprovable, Reject),
        (Etag, true, &proven, Reject),
        (Etag, true, &unprovable, Reject),
        (rb, false, &proven, read),
        (rb, false, &missing, Reject),
        (rb, false, &mismatch, Reject),
        (rb, false, &unprovable, read),
        (rb, true, &mismatch, read),
    ];
    for (mode, kms, verdict, want) in table {
        assert_eq!(
            next(mode, kms, verdict),
            want,
            "{mode:?} kms={kms} {verdict:?}"
        );
    }
}

#[test]
fn modes_parse() {
    assert_eq!(VerifyMode::parse("AUTO"), Some(VerifyMode::Auto));
    assert_eq!(VerifyMode::parse("etag"), Some(VerifyMode::Etag));
    assert_eq!(VerifyMode::parse("read-back"), Some(VerifyMode::ReadBack));
    assert_eq!(VerifyMode::parse("md5"), None);
}

#[test]
fn an_etag_proves_the_catalog_only_in_md5_form() {
    let h = "5d41402abc4b2a76b9719d911017c592";
    assert!(etag_proves_catalog(&format!("\"{h}\""), h));
    assert!(etag_proves_catalog(h, &h.to_uppercase()));
    assert!(etag_proves_catalog(h, "62109206880d38a4010a98e11243924a-1"));
    assert!(!etag_proves_catalog(
        h,
        "62109206880d38a4010a98e11243924b-1"
    ));
    assert!(!etag_proves_catalog(h, &hex::encode(md5(b"other"))));
    assert!(!etag_proves_catalog(
        "8b0be7847da5564ae08e97af63b60885-2",
        h
    ));
    assert!(!etag_proves_catalog(
        "8b0be7847da5564ae08e97af63b60885-2",
        "8b0be7847da5564ae08e97af63b60885-2"
    ));
    assert!(!etag_proves_catalog("opaque", h));
    assert!(!etag_proves_catalog(h, ""));
}

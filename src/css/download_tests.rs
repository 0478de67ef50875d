//! Tests of the download answers that are not a zip (presigned URLs).
use super::*;

#[test]
fn presigned_url_from_either_shape() {
    let one = br#"{"zipName":"a.zip","status":"DONE","url":"https://s3.example/x?X-Amz-Security-Token=t"}"#;
    assert_eq!(presigned_url(one).unwrap().host_str(), Some("s3.example"));
    let many = br#"[{"zipName":"a.zip","status":"DONE","url":"http://h/x"}]"#;
    assert!(presigned_url(many).is_ok());
    let none = br#"[{"zipName":"a.zip","status":"IN_PROGRESS"}]"#;
    assert_eq!(presigned_url(none).unwrap_err().kind(), "unexpected_body");
    assert_eq!(
        presigned_url(br#"{"url":"file:///etc/passwd"}"#)
            .unwrap_err()
            .kind(),
        "unexpected_body"
    );
    assert_eq!(presigned_url(b"{oops").unwrap_err().kind(), "decode");
}

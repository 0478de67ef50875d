//! Object Lock: parsing, the retain-until computation, and the headers every request that
//! creates an object carries (recorded by an SDK interceptor against the embedded s3s-fs,
//! which ignores them: moto, which enforces them, does not apply them on multipart uploads,
//! so this is where the multipart path is checked; `tests/it/sync/object_lock.rs` checks what
//! a real sync stores in moto).

use std::sync::{Arc, Mutex};

use aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_s3::error::BoxError;
use bytes::Bytes;
use chrono::{DateTime, TimeZone, Utc};

use super::*;
use crate::s3::embedded::serve_fs;
use crate::s3::tests::{client, data, upload};
use crate::s3::{S3Settings, MIN_PART_SIZE};

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn retain_durations_parse() {
    assert_eq!(RetainFor::parse("7y"), Ok(RetainFor::Years(7)));
    assert_eq!(RetainFor::parse(" 2555d "), Ok(RetainFor::Days(2555)));
    assert_eq!(RetainFor::parse("30 days"), Ok(RetainFor::Days(30)));
    assert_eq!(RetainFor::parse("1 Year"), Ok(RetainFor::Years(1)));
    assert_eq!(RetainFor::parse("100y"), Ok(RetainFor::Years(100)));
    assert_eq!(RetainFor::parse("36525d"), Ok(RetainFor::Days(36_525)));
    for bad in [
        "",
        "y",
        "7",
        "0d",
        "0y",
        "-1d",
        "1.5y",
        "7w",
        "36h",
        "101y",
        "36526d",
        "99999999999d",
        "7y2d",
    ] {
        assert!(RetainFor::parse(bad).is_err(), "{bad:?} accepted");
    }
    assert!(RetainFor::parse("0d")
        .unwrap_err()
        .contains("more than zero"));
    assert!(RetainFor::parse("101y")
        .unwrap_err()
        .contains("at most 100y"));
    assert_eq!(RetainFor::Years(7).to_string(), "7y");
}

#[test]
fn modes_parse_in_any_case() {
    assert_eq!(LockMode::parse("GOVERNANCE"), Ok(LockMode::Governance));
    assert_eq!(LockMode::parse("compliance"), Ok(LockMode::Compliance));
    assert!(LockMode::parse("legal").is_err());
}

#[test]
fn retain_until_is_now_rounded_up_plus_the_duration() {
    let now = at("2026-11-28T12:00:00Z");
    assert_eq!(RetainFor::Days(1).until(now), at("2026-11-29T12:00:00Z"));
    assert_eq!(RetainFor::Days(2555).until(now), at("2033-11-26T12:00:00Z"));
    // Calendar years, not 365-day ones.
    assert_eq!(RetainFor::Years(7).until(now), at("2033-11-28T12:00:00Z"));
    assert_eq!(
        RetainFor::Years(1).until(at("2028-02-29T08:00:00Z")),
        at("2029-02-28T08:00:00Z")
    );
    // Never a moment shorter than asked: fractions of a second round up.
    let frac = Utc.timestamp_opt(now.timestamp(), 1).unwrap();
    assert_eq!(RetainFor::Days(1).until(frac), at("2026-11-29T12:00:01Z"));
    assert_eq!(
        RetainFor::Years(MAX_RETAIN_YEARS).until(now),
        at("2126-11-28T12:00:00Z")
    );
}

#[test]
fn headers_for_one_object() {
    let now = at("2026-11-28T12:00:00Z");
    assert_eq!(ObjectLock::default().at(now), LockHeaders::default());
    assert!(!ObjectLock::default().is_configured());
    let hold_only = ObjectLock {
        retention: None,
        legal_hold: true,
    };
    assert!(hold_only.is_configured());
    assert_eq!(hold_only.at(now).sdk_mode(), None);
    let lock = ObjectLock {
        retention: Some(Retention {
            mode: LockMode::Compliance,
            retain_for: RetainFor::Days(1),
        }),
        legal_hold: false,
    };
    let h = lock.at(now);
    assert_eq!(h.sdk_mode(), Some(ObjectLockMode::Compliance));
    assert_eq!(
        h.sdk_retain_until(),
        Some(SdkDateTime::from_secs(
            at("2026-11-29T12:00:00Z").timestamp()
        ))
    );
    assert!(!h.legal_hold);
}

/// One request as sent: method, path and query, the headers that matter here.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    uri: String,
    mode: Option<String>,
    until: Option<String>,
    hold: Option<String>,
    md5: Option<String>,
}

#[derive(Debug, Default, Clone)]
struct Recorder(Arc<Mutex<Vec<Seen>>>);

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "Recorder"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let r = context.request();
        let h = |n: &str| r.headers().get(n).map(str::to_string);
        self.0.lock().unwrap().push(Seen {
            method: r.method().to_string(),
            uri: r.uri().to_string(),
            mode: h("x-amz-object-lock-mode"),
            until: h("x-amz-object-lock-retain-until-date"),
            hold: h("x-amz-object-lock-legal-hold"),
            md5: h("content-md5"),
        });
        Ok(())
    }
}

/// Uploads a small object, a multipart one and a sidecar with `lock`; returns the requests.
async fn requests_with(lock: ObjectLock) -> Vec<Seen> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("lake")).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = serve_fs(dir.path(), listener, "test-access", "test-secret")
        .await
        .unwrap();
    let rec = Recorder::default();
    let plain = client(&server.endpoint, "test-secret");
    let conf = plain.config().to_builder().interceptor(rec.clone()).build();
    let settings = S3Settings {
        bucket: "lake".into(),
        force_path_style: true,
        part_size: MIN_PART_SIZE,
        max_attempts: 2,
        object_lock: lock,
        ..S3Settings::default()
    };
    let target = S3Target::from_client(aws_sdk_s3::Client::from_conf(conf), settings);
    upload(&target, "t/small", &data(10)).await.unwrap();
    let large = upload(&target, "t/large", &data(2 * MIN_PART_SIZE + 3))
        .await
        .unwrap();
    target
        .put_sidecar(&large, "ab", Bytes::from_static(b"{}"))
        .await
        .unwrap();
    let seen = rec.0.lock().unwrap().clone();
    seen
}

fn creates_object(s: &Seen) -> bool {
    let put_object = s.method == "PUT" && !s.uri.contains("uploadId=");
    let create_mpu = s.method == "POST" && s.uri.contains("uploads");
    put_object || create_mpu
}

#[tokio::test]
async fn every_object_and_sidecar_carries_the_lock_values_and_content_md5() {
    let lock = ObjectLock {
        retention: Some(Retention {
            mode: LockMode::Governance,
            retain_for: RetainFor::Days(1),
        }),
        legal_hold: true,
    };
    let before = Utc::now();
    let seen = requests_with(lock).await;
    let after = Utc::now();
    let creating: Vec<&Seen> = seen.iter().filter(|s| creates_object(s)).collect();
    // PutObject (small), CreateMultipartUpload (large), PutObject (sidecar).
    assert_eq!(creating.len(), 3, "{seen:#?}");
    for s in &creating {
        assert_eq!(s.mode.as_deref(), Some("GOVERNANCE"), "{s:?}");
        assert_eq!(s.hold.as_deref(), Some("ON"), "{s:?}");
        let until = at(s.until.as_deref().expect("retain-until"));
        let day = chrono::Duration::days(1);
        assert!(
            until >= before + day && until <= after + day + chrono::Duration::seconds(1),
            "{s:?}: {until} not a day after the upload"
        );
    }
    // S3 requires Content-MD5 (or a checksum) on a PutObject with a retention.
    for s in seen.iter().filter(|s| s.method == "PUT") {
        assert!(s.md5.is_some(), "PUT without Content-MD5: {s:?}");
    }
    assert!(
        seen.iter()
            .filter(|s| s.uri.contains("partNumber="))
            .count()
            >= 3,
        "the large object went up in parts: {seen:#?}"
    );
}

#[tokio::test]
async fn nothing_is_sent_when_not_configured() {
    let seen = requests_with(ObjectLock::default()).await;
    assert!(seen.iter().filter(|s| creates_object(s)).count() == 3);
    for s in &seen {
        assert!(
            s.mode.is_none() && s.until.is_none() && s.hold.is_none(),
            "lock header without configuration: {s:?}"
        );
    }
}

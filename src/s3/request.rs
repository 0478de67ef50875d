//! Request options shared by uploads: user metadata (`css-*`), `Content-Type`, the SSE,
//! storage-class and Object Lock settings (a macro, as `PutObject` and
//! `CreateMultipartUpload` builders are distinct types) and the part size for an object of a
//! given size. Pure; no I/O.

use std::collections::HashMap;

use super::{S3Error, MAX_OBJECT_SIZE, MAX_PARTS, MAX_PART_SIZE};

/// What is written as user metadata beside the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    pub object_id: String,
    /// The catalog checksum, lowercase: a plain MD5 in hex, or S3-style `<hex>-1` as some
    /// records carry it. Stored as `css-md5`; the "already exported?" check compares it.
    pub md5_hex: String,
    pub region: String,
    pub object_type: String,
    pub created_time: String,
    /// `Content-Type`; `application/octet-stream` when absent or not a valid media type.
    pub content_type: Option<String>,
}

/// Applies the SSE, storage-class and Object Lock settings to a `PutObject` or
/// `CreateMultipartUpload`: the one place every object css-sync writes gets them. With two
/// arguments the Object Lock values are computed now (`$settings.object_lock.at(now)`); an
/// upload passes the [`super::lock::LockHeaders`] it computed once when it began.
macro_rules! with_storage_options {
    ($req:expr, $settings:expr) => {
        with_storage_options!(
            $req,
            $settings,
            $settings.object_lock.at(chrono::Utc::now())
        )
    };
    ($req:expr, $settings:expr, $lock:expr) => {{
        let mut req = $req;
        match &$settings.sse {
            Some($crate::s3::Sse::Aes256) => {
                req = req.server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::Aes256)
            }
            Some($crate::s3::Sse::Kms { key_id }) => {
                req = req
                    .server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::AwsKms)
                    .set_ssekms_key_id(key_id.clone())
            }
            None => {}
        }
        if let Some(class) = &$settings.storage_class {
            req = req.storage_class(aws_sdk_s3::types::StorageClass::from(class.as_str()));
        }
        let lock: $crate::s3::LockHeaders = $lock;
        req = req
            .set_object_lock_mode(lock.sdk_mode())
            .set_object_lock_retain_until_date(lock.sdk_retain_until());
        if lock.legal_hold {
            req =
                req.object_lock_legal_hold_status(aws_sdk_s3::types::ObjectLockLegalHoldStatus::On);
        }
        req
    }};
}
pub(crate) use with_storage_options;

/// The part size for an object: the setting, grown (to a whole MiB) so that the object fits in
/// [`MAX_PARTS`] parts.
pub(crate) fn part_size_for(setting: u64, expected_size: u64) -> Result<usize, S3Error> {
    const MIB: u64 = 1024 * 1024;
    if expected_size > MAX_OBJECT_SIZE {
        return Err(S3Error::TooLarge {
            size: expected_size,
            max: MAX_OBJECT_SIZE,
        });
    }
    let needed = expected_size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
    let size = setting.max(needed).min(MAX_PART_SIZE);
    usize::try_from(size).map_err(|_| S3Error::Config(format!("part size {size} too large")))
}

/// User metadata (lower-case `css-*` keys); values limited to printable ASCII.
pub(crate) fn user_metadata(meta: &ObjectMeta) -> HashMap<String, String> {
    let clean = |s: &str| -> String {
        s.trim()
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() || c == ' ' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    HashMap::from([
        ("css-object-id".to_string(), clean(&meta.object_id)),
        (
            "css-md5".to_string(),
            clean(&meta.md5_hex).to_ascii_lowercase(),
        ),
        ("css-region".to_string(), clean(&meta.region)),
        ("css-type".to_string(), clean(&meta.object_type)),
        ("css-created-time".to_string(), clean(&meta.created_time)),
    ])
}

pub(crate) fn content_type(meta: &ObjectMeta) -> String {
    match meta.content_type.as_deref().map(str::trim) {
        Some(t)
            if t.split_once('/')
                .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
                && t.bytes().all(|b| b.is_ascii_graphic() || b == b' ') =>
        {
            t.to_string()
        }
        _ => "application/octet-stream".to_string(),
    }
}

//! The S3 layer's one error type, [`S3Error`], and the mapping from aws-sdk-s3 errors to it.
//! Messages name the S3 operation, bucket or endpoint host; never credentials, never request
//! signatures. Every mapped SDK failure is counted in [`S3_ERRORS`] by `operation` and the
//! bounded [`S3Error::kind`].

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

use super::keys::KeyError;
use crate::metrics::S3_ERRORS;

/// Anything that went wrong talking to S3 or preparing an upload.
#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    #[error("invalid S3 settings: {0}")]
    Config(String),
    #[error("object key")]
    Key(#[from] KeyError),
    #[error("bucket {bucket:?} does not exist")]
    NoSuchBucket { bucket: String },
    #[error(
        "bucket {bucket:?} does not have S3 Object Lock enabled, but S3_OBJECT_LOCK_MODE or \
         S3_OBJECT_LOCK_LEGAL_HOLD asks for it: write to a bucket created with Object Lock \
         enabled (aws s3api create-bucket --object-lock-enabled-for-bucket), enable it on the \
         versioned bucket (aws s3api put-object-lock-configuration \
         --object-lock-configuration ObjectLockEnabled=Enabled), or unset those settings"
    )]
    ObjectLockNotEnabled { bucket: String },
    #[error("access denied for S3 {operation} on bucket {bucket:?}")]
    AccessDenied {
        operation: &'static str,
        bucket: String,
    },
    #[error(
        "no AWS credentials: {detail} (the default chain: AWS_ACCESS_KEY_ID + \
         AWS_SECRET_ACCESS_KEY, AWS_PROFILE / ~/.aws, web identity AWS_WEB_IDENTITY_TOKEN_FILE + \
         AWS_ROLE_ARN, ECS or EC2 instance metadata)"
    )]
    NoCredentials { detail: String },
    #[error("S3 endpoint {host} unreachable during {operation}: {detail}")]
    Unreachable {
        operation: &'static str,
        host: String,
        detail: String,
    },
    #[error("S3 {operation} rejected the body's Content-MD5 ({code})")]
    BadDigest {
        operation: &'static str,
        code: String,
    },
    #[error("S3 {operation} failed: {code} (HTTP {status}): {message}")]
    Request {
        operation: &'static str,
        code: String,
        status: u16,
        message: String,
    },
    #[error("upload received {counted} bytes, more than the {expected} announced")]
    Overrun { expected: u64, counted: u64 },
    #[error("commit refused: counted {counted} bytes, verified {verified}, announced {expected}")]
    SizeMismatch {
        counted: u64,
        verified: u64,
        expected: u64,
    },
    #[error("commit refused: verified MD5 {verified} differs from the {against} MD5 {other}")]
    Md5Mismatch {
        verified: String,
        against: &'static str,
        other: String,
    },
    #[error("S3 {operation} answered ETag {got}, but the bytes sent make {expected}: the stored bytes are not ours")]
    EtagMismatch {
        operation: &'static str,
        expected: String,
        got: String,
    },
    #[error("S3 {operation} did not prove the stored bytes: {detail}")]
    NoProof {
        operation: &'static str,
        detail: String,
    },
    #[error("read-back of the stored object found {size} bytes with MD5 {md5}, not {want_size} bytes with MD5 {want_md5}")]
    ReadBackMismatch {
        size: u64,
        md5: String,
        want_size: u64,
        want_md5: String,
    },
    #[error("S3 {operation}: the key was written meanwhile by someone else, with other bytes ({detail}); not overwritten")]
    WrittenByOther {
        operation: &'static str,
        detail: String,
    },
    #[error("object of {size} bytes is over S3's limit of {max} bytes")]
    TooLarge { size: u64, max: u64 },
    #[error("upload unusable after an earlier failure or an interrupted write")]
    Poisoned,
    #[error("embedded S3 server: {0}")]
    Embedded(String),
    #[error("S3 {operation}: background task failed: {detail}")]
    Task {
        operation: &'static str,
        detail: String,
    },
}

impl S3Error {
    /// A bounded label for metrics and reports.
    pub fn kind(&self) -> &'static str {
        match self {
            S3Error::Config(_) => "config",
            S3Error::Key(_) => "key",
            S3Error::NoSuchBucket { .. } => "no_such_bucket",
            S3Error::ObjectLockNotEnabled { .. } => "object_lock_not_enabled",
            S3Error::AccessDenied { .. } => "access_denied",
            S3Error::NoCredentials { .. } => "no_credentials",
            S3Error::Unreachable { .. } => "unreachable",
            S3Error::BadDigest { .. } => "bad_digest",
            S3Error::Request { .. } => "request",
            S3Error::Overrun { .. } => "overrun",
            S3Error::SizeMismatch { .. } => "size_mismatch",
            S3Error::Md5Mismatch { .. } => "md5_mismatch",
            S3Error::EtagMismatch { .. } => "etag_mismatch",
            S3Error::NoProof { .. } => "no_proof",
            S3Error::ReadBackMismatch { .. } => "read_back_mismatch",
            S3Error::WrittenByOther { .. } => "written_by_other",
            S3Error::TooLarge { .. } => "too_large",
            S3Error::Poisoned => "poisoned",
            S3Error::Embedded(_) => "embedded",
            S3Error::Task { .. } => "task",
        }
    }
}

/// Where errors are attributed: the bucket and the endpoint host, for messages.
#[derive(Debug, Clone)]
pub(crate) struct ErrorContext {
    pub bucket: String,
    pub host: String,
}

impl ErrorContext {
    /// Maps an SDK failure of `operation` and counts it in [`S3_ERRORS`].
    pub(crate) fn map<E>(&self, operation: &'static str, err: SdkError<E, HttpResponse>) -> S3Error
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let e = self.classify(operation, err);
        record(operation, &e);
        e
    }

    fn classify<E>(&self, operation: &'static str, err: SdkError<E, HttpResponse>) -> S3Error
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let unreachable = |detail: String| S3Error::Unreachable {
            operation,
            host: self.host.clone(),
            detail,
        };
        let status = match &err {
            SdkError::DispatchFailure(d) => {
                let detail = match d.as_connector_error() {
                    Some(c) if c.is_timeout() => "timed out".to_string(),
                    Some(c) if c.is_io() => "connection failed".to_string(),
                    _ => "request could not be sent".to_string(),
                };
                return unreachable(detail);
            }
            SdkError::TimeoutError(_) => return unreachable("timed out".to_string()),
            SdkError::ServiceError(s) => s.raw().status().as_u16(),
            SdkError::ResponseError(r) => r.raw().status().as_u16(),
            _ => 0,
        };
        let code = err.code().unwrap_or("").to_string();
        let message = err.message().unwrap_or("").to_string();
        match (code.as_str(), status) {
            ("NoSuchBucket", _) => S3Error::NoSuchBucket {
                bucket: self.bucket.clone(),
            },
            ("AccessDenied" | "InvalidAccessKeyId" | "SignatureDoesNotMatch", _) | (_, 403) => {
                S3Error::AccessDenied {
                    operation,
                    bucket: self.bucket.clone(),
                }
            }
            ("BadDigest" | "InvalidDigest", _) => S3Error::BadDigest { operation, code },
            _ => S3Error::Request {
                operation,
                code: if code.is_empty() {
                    "unknown".to_string()
                } else {
                    code
                },
                status,
                message,
            },
        }
    }
}

/// Counts an error in [`S3_ERRORS`].
pub(crate) fn record(operation: &'static str, e: &S3Error) {
    metrics::counter!(S3_ERRORS, "operation" => operation, "error_type" => e.kind()).increment(1);
}

type HttpResponse = aws_sdk_s3::config::http::HttpResponse;

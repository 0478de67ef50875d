//! The state css-sync keeps in the destination bucket between runs: one JSON document per key
//! under `<prefix>/_css-sync/state/v1/` ([`keys`]), read and replaced by read-modify-write in
//! [`store::DocStore`], safe against two overlapping runs where the endpoint honours
//! `If-Match` (else a documented read-after-write fallback, [`rules`]). This module owns where
//! documents live and how they are written; what a document says is its caller's
//! (`src/incremental/format.rs`). It never writes outside `_css-sync/state/` (the one probe
//! of the conditional headers goes under `_css-sync/check/` and is deleted).

pub mod keys;
mod probe;
pub mod rules;
pub mod store;

pub use keys::{checkpoint_key, shard_scope, ALL_SCOPE};
pub use store::{DocStore, Versioned};

use crate::s3::S3Error;

/// Anything that went wrong reading or writing a state document.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("invalid checkpoint {what} {value:?}: {reason}")]
    BadKeyPart {
        what: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("state document {key}")]
    S3 {
        key: String,
        #[source]
        source: S3Error,
    },
    #[error("state document {key} is not valid JSON of the expected shape (fix or delete it: css-sync state reset)")]
    Corrupt {
        key: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("state document {key} could not be encoded")]
    Encode {
        key: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("state document {key} is {size} bytes, over the limit of {max} bytes")]
    TooLarge { key: String, size: u64, max: u64 },
    #[error("state document {key} read back with ETag {e_tag}, but its bytes have MD5 {md5}: the read is not the stored bytes")]
    ReadMismatch {
        key: String,
        e_tag: String,
        md5: String,
    },
    #[error("state document {key}: the answer carries no ETag, so it cannot be updated safely")]
    NoEtag { key: String },
    #[error("state document {key}: still changed by someone else after {attempts} attempts")]
    Conflict { key: String, attempts: u32 },
    #[error(
        "S3_CONDITIONAL_WRITES=on, but the endpoint does not honour If-Match and \
         If-None-Match: * on PutObject, so the state in the bucket is not safe against \
         overlapping runs (set auto or off)"
    )]
    NotHonoured,
}

impl StateError {
    /// A bounded label for metrics and reports.
    pub fn kind(&self) -> &'static str {
        match self {
            StateError::BadKeyPart { .. } => "bad_key",
            StateError::S3 { .. } => "s3",
            StateError::Corrupt { .. } => "corrupt",
            StateError::Encode { .. } => "encode",
            StateError::TooLarge { .. } => "too_large",
            StateError::ReadMismatch { .. } => "read_mismatch",
            StateError::NoEtag { .. } => "no_etag",
            StateError::Conflict { .. } => "conflict",
            StateError::NotHonoured => "not_honoured",
        }
    }
}

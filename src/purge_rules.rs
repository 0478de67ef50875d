//! The purge gate's rule, pure: may this catalog object be deleted at the source? Inputs are
//! the catalog record (from this run's search), the evidence about its lake copy gathered in
//! this run ([`LakeEvidence`]), the current time and `--min-age`; the answer is
//! [`Decision::Delete`] with a [`LakeProof`] (which nothing else can make) or
//! [`Decision::Refuse`] with the reason. No I/O here; the flow is [`crate::purge`].
//!
//! Rules, all required, in this order:
//! 1. the record is `AVAILABLE` (an absent state counts as AVAILABLE, as the API only lists
//!    AVAILABLE objects unless asked for others);
//! 2. its `createdTime` parses and is at least `min_age` before `now`;
//! 3. its checksum is verifiable (plain MD5, or S3 style `<hex>-1`, see [`crate::verify`]);
//! 4. the lake has an object at the key the sync would use (HEAD answered, not an error);
//! 5. its size equals `storedBytes`;
//! 6. its `css-md5` metadata equals the catalog checksum (normalised);
//! 7. the bytes are proven: a plain-hex ETag (single PUT, no SSE-KMS/SSE-C) whose value, as
//!    an MD5, passes [`crate::verify::check`] against the record; otherwise (multipart `…-N`,
//!    KMS, absent or odd ETag) a read-back in this run whose streamed size and MD5 pass
//!    [`crate::verify::check`]. A plain-hex ETag that does not match refuses at once: a
//!    single-PUT object's ETag is its MD5, so a mismatch means other bytes.
//!
//! Metadata alone never proves anything: rule 7 always looks at the bytes (via S3's own MD5
//! or ours).

use crate::css::model::ObjectRecord;
use crate::verify;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use std::time::Duration;

/// What a fresh look at the lake found at the object's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LakeEvidence {
    /// `HeadObject` answered 404.
    Missing,
    /// The lake could not be asked (`HeadObject` failed): nothing is known.
    S3Error(String),
    /// An object exists at the key.
    Found(LakeObject),
}

/// An object in the lake, as `HeadObject` (and possibly a read-back) described it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LakeObject {
    pub size: u64,
    /// The `css-md5` user metadata, if any.
    pub css_md5: Option<String>,
    /// The ETag without quotes, if any.
    pub etag: Option<String>,
    /// Whether S3 computes this object's ETag as the MD5 of its bytes: false under SSE-KMS
    /// and SSE-C, where a single-PUT ETag is not an MD5.
    pub etag_is_md5: bool,
    /// The bytes read back and hashed in this run, when the ETag proves nothing.
    pub read_back: Option<ReadBack>,
}

/// The result of streaming the lake object through MD5.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadBack {
    Hashed { size: u64, md5: [u8; 16] },
    Failed(String),
}

/// What the ETag alone says about the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EtagVerdict {
    /// A single-PUT MD5 ETag matching the catalog: the bytes are proven.
    Proven,
    /// A single-PUT MD5 ETag that does not match: other bytes.
    Mismatch(String),
    /// Multipart, KMS, absent or unparseable: only a read-back can prove the bytes.
    NotComparable,
}

/// How the bytes were proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProofKind {
    /// S3's ETag (the MD5 of a single PUT) matched the catalog.
    Etag,
    /// The object was read back in this run and its MD5 matched the catalog.
    ReadBack,
}

/// Proof that one object's lake copy was verified in this run: only [`decide`] makes one
/// (private fields), and the purge flow deletes only ids carried by one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LakeProof {
    id: String,
    kind: ProofKind,
}

impl LakeProof {
    pub fn id(&self) -> &str {
        &self.id
    }
    pub fn kind(&self) -> ProofKind {
        self.kind
    }
}

/// Why an object is not deleted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("object state is {0}, not AVAILABLE")]
    NotAvailable(String),
    #[error("createdTime {0:?} is not an ISO 8601 date-time")]
    BadCreatedTime(String),
    #[error("created {age} ago, younger than --min-age {min_age}")]
    TooYoung { age: String, min_age: String },
    #[error("over --max {0}: left for a later run")]
    OverMax(usize),
    #[error("catalog checksum cannot be verified: {0}")]
    Unverifiable(String),
    #[error("S3 key: {0}")]
    Key(String),
    #[error("not in the lake (no object at {key})")]
    Missing { key: String },
    #[error("S3 could not be asked: {0}")]
    S3Error(String),
    #[error("lake size {lake} differs from catalog storedBytes {catalog}")]
    Size { lake: u64, catalog: u64 },
    #[error("lake css-md5 {lake:?} differs from catalog checksum {catalog:?}")]
    Checksum {
        lake: Option<String>,
        catalog: String,
    },
    #[error("lake ETag {etag} (MD5 of the stored bytes) does not match the catalog: {why}")]
    EtagMismatch { etag: String, why: String },
    #[error("read back: {0}")]
    ReadBackMismatch(String),
    #[error("read back failed: {0}")]
    ReadBackFailed(String),
    #[error("bytes not proven: the ETag is not comparable and nothing was read back")]
    NotProven,
}

impl Refusal {
    /// A bounded label for reports and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Refusal::NotAvailable(_) => "not_available",
            Refusal::BadCreatedTime(_) => "bad_created_time",
            Refusal::TooYoung { .. } => "too_young",
            Refusal::OverMax(_) => "over_max",
            Refusal::Unverifiable(_) => "unverifiable_checksum",
            Refusal::Key(_) => "key",
            Refusal::Missing { .. } => "missing",
            Refusal::S3Error(_) => "s3_error",
            Refusal::Size { .. } => "size_mismatch",
            Refusal::Checksum { .. } => "checksum_mismatch",
            Refusal::EtagMismatch { .. } => "etag_mismatch",
            Refusal::ReadBackMismatch(_) => "read_back_mismatch",
            Refusal::ReadBackFailed(_) => "read_back_failed",
            Refusal::NotProven => "not_proven",
        }
    }

    /// True when the refusal is part of the plan (the object was not meant to go in this run:
    /// too young, over `--max`, not AVAILABLE); false when the lake copy could not be verified,
    /// which makes the run exit 1.
    pub fn is_planned(&self) -> bool {
        matches!(
            self,
            Refusal::NotAvailable(_) | Refusal::TooYoung { .. } | Refusal::OverMax(_)
        )
    }
}

/// The gate's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Delete(LakeProof),
    Refuse(Refusal),
}

/// `createdTime` (ISO 8601 without offset = UTC, or with an offset) as an instant.
pub fn created_at(rec: &ObjectRecord) -> Option<DateTime<Utc>> {
    let t = rec.created_time.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
        .map(|n| n.and_utc())
}

/// Rules 1–3, which need only the catalog: checked before the lake is asked at all.
pub fn catalog_gate(
    rec: &ObjectRecord,
    now: DateTime<Utc>,
    min_age: Duration,
) -> Result<(), Refusal> {
    if let Some(state) = rec.object_state.as_deref() {
        if state.trim() != "AVAILABLE" {
            return Err(Refusal::NotAvailable(state.to_string()));
        }
    }
    let created =
        created_at(rec).ok_or_else(|| Refusal::BadCreatedTime(rec.created_time.clone()))?;
    let min = chrono::Duration::from_std(min_age).unwrap_or(chrono::Duration::MAX);
    let age = now.signed_duration_since(created);
    if age < min {
        let shown = match age.to_std() {
            Ok(d) => humantime::format_duration(Duration::from_secs(d.as_secs())).to_string(),
            Err(_) => "0s (createdTime is in the future)".to_string(),
        };
        return Err(Refusal::TooYoung {
            age: shown,
            min_age: humantime::format_duration(min_age).to_string(),
        });
    }
    // Rule 3: a checksum form verify::check can use (plain MD5, or `<hex>-1`).
    if rec.md5_hex().is_none() && !verify::catalog_checksum(rec).ends_with("-1") {
        return Err(Refusal::Unverifiable(format!(
            "{:?} ({})",
            verify::catalog_checksum(rec),
            rec.checksum_type.as_deref().unwrap_or("no type")
        )));
    }
    Ok(())
}

/// Rule 7 from the ETag alone.
pub fn etag_verdict(rec: &ObjectRecord, lake: &LakeObject) -> EtagVerdict {
    let Some(etag) = lake.etag.as_deref().map(|e| e.trim().trim_matches('"')) else {
        return EtagVerdict::NotComparable;
    };
    let plain = etag.len() == 32 && etag.bytes().all(|b| b.is_ascii_hexdigit());
    if !plain || !lake.etag_is_md5 {
        return EtagVerdict::NotComparable;
    }
    let mut md5 = [0u8; 16];
    if hex::decode_to_slice(etag, &mut md5).is_err() {
        return EtagVerdict::NotComparable;
    }
    match verify::check(rec, lake.size, md5) {
        Ok(_) => EtagVerdict::Proven,
        Err(why) => EtagVerdict::Mismatch(why.to_string()),
    }
}

/// Rules 4–6 and whether rule 7 needs a read-back: `Ok(true)` = read the object back before
/// [`decide`]; `Ok(false)` = the ETag settles it; `Err` = refused already.
pub fn needs_read_back(rec: &ObjectRecord, key: &str, ev: &LakeEvidence) -> Result<bool, Refusal> {
    let lake = lake_matches_catalog(rec, key, ev)?;
    Ok(etag_verdict(rec, lake) == EtagVerdict::NotComparable)
}

fn lake_matches_catalog<'a>(
    rec: &ObjectRecord,
    key: &str,
    ev: &'a LakeEvidence,
) -> Result<&'a LakeObject, Refusal> {
    let lake = match ev {
        LakeEvidence::Missing => {
            return Err(Refusal::Missing {
                key: key.to_string(),
            })
        }
        LakeEvidence::S3Error(e) => return Err(Refusal::S3Error(e.clone())),
        LakeEvidence::Found(o) => o,
    };
    if lake.size != rec.stored_bytes {
        return Err(Refusal::Size {
            lake: lake.size,
            catalog: rec.stored_bytes,
        });
    }
    let want = verify::catalog_checksum(rec);
    let got = lake
        .css_md5
        .as_deref()
        .map(|s| s.trim().to_ascii_lowercase());
    if want.is_empty() || got.as_deref() != Some(want.as_str()) {
        return Err(Refusal::Checksum {
            lake: lake.css_md5.clone(),
            catalog: want,
        });
    }
    Ok(lake)
}

/// The whole gate (rules 1–7). `key` is the S3 key the evidence is about (for messages).
pub fn decide(
    rec: &ObjectRecord,
    key: &str,
    ev: &LakeEvidence,
    now: DateTime<Utc>,
    min_age: Duration,
) -> Decision {
    match decide_inner(rec, key, ev, now, min_age) {
        Ok(kind) => Decision::Delete(LakeProof {
            id: rec.id.clone(),
            kind,
        }),
        Err(r) => Decision::Refuse(r),
    }
}

fn decide_inner(
    rec: &ObjectRecord,
    key: &str,
    ev: &LakeEvidence,
    now: DateTime<Utc>,
    min_age: Duration,
) -> Result<ProofKind, Refusal> {
    catalog_gate(rec, now, min_age)?;
    let lake = lake_matches_catalog(rec, key, ev)?;
    match etag_verdict(rec, lake) {
        EtagVerdict::Proven => Ok(ProofKind::Etag),
        EtagVerdict::Mismatch(why) => Err(Refusal::EtagMismatch {
            etag: lake.etag.clone().unwrap_or_default(),
            why,
        }),
        EtagVerdict::NotComparable => match &lake.read_back {
            None => Err(Refusal::NotProven),
            Some(ReadBack::Failed(e)) => Err(Refusal::ReadBackFailed(e.clone())),
            Some(ReadBack::Hashed { size, md5 }) => match verify::check(rec, *size, *md5) {
                Ok(_) => Ok(ProofKind::ReadBack),
                Err(m) => Err(Refusal::ReadBackMismatch(m.to_string())),
            },
        },
    }
}

#[cfg(test)]
#[path = "purge_rules_tests.rs"]
mod tests;

//! The rules, pure, by which S3's answer proves the bytes it stored: ETag normalising and
//! classifying, the multipart ETag computed locally from the MD5 of every part we sent
//! (`hex(md5(concat(part md5s)))-N`), and the comparison of an answer with what we computed.
//! Also the [`VerifyMode`] setting and when `auto` must fall back to a read-back. No I/O here:
//! [`super::upload`] sends the requests and reads objects back; this module only judges.

use md5::{Digest as _, Md5};

/// How a commit proves what S3 stored (`S3_VERIFY`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum VerifyMode {
    /// The ETag proves the bytes; where it cannot be an MD5 (SSE-KMS, SSE-C) or the server
    /// answers an ETag of another form, the object is read back instead. The default.
    #[default]
    Auto,
    /// Only the ETag: an ETag that is not an MD5 form is a failure.
    Etag,
    /// Always read the object back (GetObject through MD5), whatever the ETag says. Costs one
    /// more transfer of every byte.
    ReadBack,
}

impl VerifyMode {
    /// Parses `auto`, `etag` or `read-back` (case-insensitive).
    pub fn parse(s: &str) -> Option<VerifyMode> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(VerifyMode::Auto),
            "etag" => Some(VerifyMode::Etag),
            "read-back" | "readback" => Some(VerifyMode::ReadBack),
            _ => None,
        }
    }
}

/// An ETag as S3 answered it, quotes (and a weak `W/`) stripped, lowercase.
pub fn normalize(e_tag: &str) -> String {
    let t = e_tag.trim();
    let t = t.strip_prefix("W/").unwrap_or(t);
    t.trim_matches('"').trim().to_ascii_lowercase()
}

/// What an ETag looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EtagForm {
    /// 32 hex digits: the MD5 of the bytes (single `PutObject` without SSE-KMS/SSE-C).
    Md5(String),
    /// `<32 hex>-N`: the multipart form over N parts.
    Multipart { md5_hex: String, parts: u32 },
    /// Anything else (SSE-KMS, unusual servers): proves nothing.
    Other,
}

/// Classifies a (raw or normalised) ETag.
pub fn form(e_tag: &str) -> EtagForm {
    let t = normalize(e_tag);
    let is_md5 = |s: &str| s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit());
    match t.split_once('-') {
        None if is_md5(&t) => EtagForm::Md5(t),
        Some((h, n)) if is_md5(h) && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            match n.parse::<u32>() {
                Ok(parts) if parts >= 1 => EtagForm::Multipart {
                    md5_hex: h.to_string(),
                    parts,
                },
                _ => EtagForm::Other,
            }
        }
        _ => EtagForm::Other,
    }
}

/// S3's multipart ETag for parts with these MD5s, in part order: `hex(md5(concat))-N`.
pub fn multipart_etag(part_md5s: &[[u8; 16]]) -> String {
    let mut h = Md5::new();
    for d in part_md5s {
        h.update(d);
    }
    format!("{}-{}", hex::encode(h.finalize()), part_md5s.len())
}

/// What we know about the bytes we sent, to compare S3's answer with.
#[derive(Debug, Clone, Copy)]
pub enum Sent<'a> {
    /// One `PutObject` of bytes with this MD5.
    Single { md5: [u8; 16] },
    /// A multipart upload: the MD5 of every part, in order, and the MD5 of all the bytes
    /// (some servers, e.g. s3s-fs, answer the whole object's MD5 instead of the multipart form).
    Multipart {
        parts: &'a [[u8; 16]],
        whole_md5: [u8; 16],
    },
}

/// The verdict on one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The ETag proves the stored bytes are the ones sent.
    Proven,
    /// The ETag contradicts what was sent: the stored bytes are not ours.
    Mismatch { expected: String, got: String },
    /// The answer has no ETag at all (not an S3 answer): a failure in every mode.
    Missing,
    /// The ETag is not an MD5 form: it proves nothing either way.
    Unprovable { got: String },
}

/// Compares S3's ETag with what we computed.
pub fn judge(e_tag: Option<&str>, sent: Sent<'_>) -> Verdict {
    let Some(raw) = e_tag.filter(|t| !normalize(t).is_empty()) else {
        return Verdict::Missing;
    };
    let got = normalize(raw);
    let (expected, also) = match sent {
        Sent::Single { md5 } => (hex::encode(md5), None),
        Sent::Multipart { parts, whole_md5 } => {
            (multipart_etag(parts), Some(hex::encode(whole_md5)))
        }
    };
    match form(&got) {
        EtagForm::Other => Verdict::Unprovable { got },
        _ if got == expected || also.as_deref() == Some(got.as_str()) => Verdict::Proven,
        _ => Verdict::Mismatch { expected, got },
    }
}

/// What to do after a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Done: the ETag proved it.
    Accept,
    /// Read the object back and compare size and MD5.
    ReadBack,
    /// Fail (and remove the object), with the verdict as reason.
    Reject,
}

/// The policy: `mode`, and whether SSE-KMS makes ETags something other than an MD5 (`kms`),
/// decide what a verdict leads to. A missing ETag is always rejected; without SSE-KMS a
/// contradicting ETag is rejected and a read-back never overrules it.
pub fn next(mode: VerifyMode, kms: bool, verdict: &Verdict) -> Next {
    match (verdict, mode, kms) {
        (Verdict::Missing, _, _) => Next::Reject,
        (_, VerifyMode::Etag, true) => Next::Reject,
        (_, _, true) => Next::ReadBack,
        (Verdict::Mismatch { .. }, _, false) => Next::Reject,
        (Verdict::Proven, VerifyMode::ReadBack, false) => Next::ReadBack,
        (Verdict::Proven, _, false) => Next::Accept,
        (Verdict::Unprovable { .. }, VerifyMode::Etag, false) => Next::Reject,
        (Verdict::Unprovable { .. }, _, false) => Next::ReadBack,
    }
}

/// Whether the ETag of an object proves on its own that it holds the catalog's bytes: a plain
/// MD5 ETag equal to the catalog MD5, or (for a catalog checksum `<hex>-1`, = md5(md5(bytes)))
/// the md5 of the ETag's digest. A multipart ETag never does: it depends on the part size.
pub fn etag_proves_catalog(e_tag: &str, catalog_checksum: &str) -> bool {
    let sum = normalize(catalog_checksum);
    match form(e_tag) {
        EtagForm::Md5(h) if form(&sum) == EtagForm::Md5(sum.clone()) => h == sum,
        EtagForm::Md5(h) => match (sum.strip_suffix("-1"), hex::decode(&h)) {
            (Some(outer), Ok(d)) => hex::encode(Md5::digest(d)) == outer,
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
#[path = "proof_tests.rs"]
mod tests;

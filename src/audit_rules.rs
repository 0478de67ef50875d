//! Pure rules of `css-sync audit`: which listed keys are css-sync's own files (never judged),
//! whether a listed object matches its catalog record from the listing alone (size, and an
//! MD5 ETag where the ETag is the MD5) or needs a `HeadObject`, the verdict from the HEADs
//! (the `css-md5` metadata and the sidecar's recorded ETag, as in [`crate::s3::presence`]),
//! whether an unmatched object is in the selection's scope (an extra) from its `css-*`
//! metadata, and the exit code. No I/O here.

use crate::s3::proof::{self, EtagForm};
use chrono::{DateTime, NaiveDateTime, Utc};

/// What the catalog says an object at a key must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub region: String,
    pub id: String,
    pub object_type: String,
    pub size: u64,
    /// The catalog checksum, normalised ([`crate::verify::catalog_checksum`]).
    pub checksum: String,
}

/// What the listing says is at a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub size: u64,
    /// Normalised ([`proof::normalize`]).
    pub e_tag: Option<String>,
}

/// The verdict on one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Match,
    /// `what` differs: the catalog's value, then what S3 holds.
    Mismatch {
        what: &'static str,
        expected: String,
        found: String,
    },
    /// The listing cannot decide: HEAD the object (and its sidecar).
    NeedsHead,
    /// Right size and `css-md5`, but nothing proves the bytes (a multipart object with no
    /// recorded ETag): listed, not counted as mismatched.
    Unverified,
}

/// Whether `key` is one of css-sync's own files: a sidecar, the metadata index, or anything
/// under `<prefix>_css-sync/` (probes, reports).
pub fn is_own_file(key: &str, prefix: &str, index_root: &str) -> bool {
    key.ends_with(crate::s3::keys::SIDECAR_SUFFIX)
        || (!index_root.is_empty() && key.starts_with(index_root))
        || key
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with("_css-sync/"))
}

/// From the listing: size first, then an ETag that is the MD5 of the bytes (not under
/// SSE-KMS, whose ETags only look like MD5s) against a catalog checksum that is an MD5.
pub fn judge_listed(want: &Expected, got: &Listed, kms: bool) -> Verdict {
    if got.size != want.size {
        return Verdict::Mismatch {
            what: "size",
            expected: want.size.to_string(),
            found: got.size.to_string(),
        };
    }
    let Some(e_tag) = got.e_tag.as_deref() else {
        return Verdict::NeedsHead;
    };
    if !kms && proof::etag_proves_catalog(e_tag, &want.checksum) {
        return Verdict::Match;
    }
    let plain_md5 = |s: &str| matches!(proof::form(s), EtagForm::Md5(_));
    if !kms && plain_md5(e_tag) && plain_md5(&want.checksum) {
        return Verdict::Mismatch {
            what: "md5",
            expected: want.checksum.clone(),
            found: e_tag.to_string(),
        };
    }
    Verdict::NeedsHead
}

/// From the HEADs: the object's `css-md5` and the sidecar's recorded ETag and MD5.
pub fn judge_headed(
    want: &Expected,
    e_tag: Option<&str>,
    css_md5: Option<&str>,
    recorded: Option<&crate::s3::presence::Recorded>,
) -> Verdict {
    if css_md5 != Some(want.checksum.as_str()) {
        return Verdict::Mismatch {
            what: "css-md5",
            expected: want.checksum.clone(),
            found: css_md5.unwrap_or("(none)").to_string(),
        };
    }
    match (recorded.and_then(|r| r.e_tag.as_deref()), e_tag) {
        (Some(rec), Some(now)) if rec == now => match recorded.and_then(|r| r.md5.as_deref()) {
            Some(md5) if md5 == want.checksum => Verdict::Match,
            _ => Verdict::Unverified,
        },
        (Some(rec), now) => Verdict::Mismatch {
            what: "etag",
            expected: rec.to_string(),
            found: now.unwrap_or("(none)").to_string(),
        },
        (None, _) => Verdict::Unverified,
    }
}

/// The selection an audit covers, for judging unmatched objects.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub regions: Vec<String>,
    /// Empty: every type.
    pub types: Vec<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// CSS_FILTER is set: the scope cannot be judged from metadata.
    pub filtered: bool,
}

impl Scope {
    /// No type, time or filter restriction: every unmatched object is an extra.
    pub fn is_whole_lake(&self) -> bool {
        self.types.is_empty() && self.since.is_none() && self.until.is_none() && !self.filtered
    }
}

/// The `css-*` metadata of an unmatched object (`None` each when absent).
#[derive(Debug, Clone, Default)]
pub struct Written {
    pub region: Option<String>,
    pub object_type: Option<String>,
    pub created_time: Option<String>,
}

/// Whether an unmatched object is an extra: for a whole-lake audit always (unless its
/// `css-region` is a region outside the selection); otherwise only
/// when its `css-*` metadata puts it inside the selection (region, type, createdTime in
/// `[since, until)`). With CSS_FILTER nothing narrower can be judged: never.
pub fn is_extra(scope: &Scope, written: &Written) -> bool {
    let other_region = written
        .region
        .as_deref()
        .is_some_and(|r| !scope.regions.iter().any(|x| x == r));
    if scope.is_whole_lake() {
        // A css-sync object of a region outside the selection is not this audit's.
        return !other_region;
    }
    if scope.filtered {
        return false;
    }
    let (Some(region), Some(t), Some(created)) = (
        written.region.as_deref(),
        written.object_type.as_deref(),
        written.created_time.as_deref(),
    ) else {
        return false;
    };
    let Ok(created) = NaiveDateTime::parse_from_str(created, "%Y-%m-%dT%H:%M:%S%.f") else {
        return false;
    };
    let created = created.and_utc();
    scope.regions.iter().any(|r| r == region)
        && (scope.types.is_empty() || scope.types.iter().any(|x| x == t))
        && scope.since.is_none_or(|s| created >= s)
        && scope.until.is_none_or(|u| created < u)
}

#[cfg(test)]
#[path = "audit_rules_tests.rs"]
mod tests;

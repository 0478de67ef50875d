//! Whether an object is already exported, from what S3 holds now: `HeadObject` of the object
//! and (with sidecars on) of its sidecar, at most two HEADs per object. The object counts as
//! present only when its bytes are proven to be what css-sync committed: its ETag and size equal
//! those recorded in the sidecar at commit ([`super::small::META_ETAG`], `META_SIZE`) and the
//! catalog's, or its plain-MD5 ETag is the catalog MD5 itself. Without either (a multipart
//! object with no recorded proof), it is read back once. Metadata alone (`css-md5`) never
//! proves anything. The rules are [`decide`], pure; this module never writes.

use aws_sdk_s3::operation::head_object::HeadObjectOutput;

use super::error::S3Error;
use super::proof;
use super::small::{META_ETAG, META_MD5, META_SIZE};
use super::{sidecar_key, S3Target};

/// An object already at a key (`HeadObject`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingObject {
    /// The `css-md5` user metadata, lowercased, if present.
    pub md5_meta: Option<String>,
    pub size: u64,
    /// The ETag, normalised ([`proof::normalize`]).
    pub e_tag: Option<String>,
}

/// What a sidecar records about its object (its user metadata).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    pub e_tag: Option<String>,
    pub size: Option<u64>,
    pub md5: Option<String>,
}

/// What the catalog says the object must be.
#[derive(Debug, Clone, Copy)]
pub struct Want<'a> {
    pub size: u64,
    /// The catalog checksum, normalised ([`crate::verify::catalog_checksum`]).
    pub checksum: &'a str,
    /// Sidecars are written (`S3_SIDECAR`): one is looked at and repaired.
    pub sidecar: bool,
}

/// The decision for one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presence {
    /// Nothing at the key: export.
    Absent,
    /// Proven present; nothing to do.
    Present,
    /// Proven present by its own ETag, but its sidecar is missing or stale: rewrite it.
    RepairSidecar,
    /// There, but nothing cheap proves it: read it back and compare with the catalog.
    ReadBack,
    /// There, but not what css-sync committed: export again (overwriting it).
    NotOurs(&'static str),
}

/// The presence rules. `sidecar` is `None` when there is no sidecar (or sidecars are off).
pub fn decide(object: Option<&ExistingObject>, sidecar: Option<&Recorded>, want: Want) -> Presence {
    let Some(o) = object else {
        return Presence::Absent;
    };
    if o.size != want.size {
        return Presence::NotOurs("size");
    }
    if o.md5_meta.as_deref() != Some(want.checksum) {
        return Presence::NotOurs("css_md5");
    }
    let Some(e_tag) = o.e_tag.as_deref().filter(|t| !t.is_empty()) else {
        return Presence::NotOurs("no_etag");
    };
    let recorded = sidecar.filter(|_| want.sidecar);
    let record_holds = recorded.is_some_and(|r| {
        r.e_tag.as_deref() == Some(e_tag)
            && r.size == Some(want.size)
            && r.md5.as_deref() == Some(want.checksum)
    });
    if record_holds {
        return Presence::Present;
    }
    if proof::etag_proves_catalog(e_tag, want.checksum) {
        return if want.sidecar {
            Presence::RepairSidecar
        } else {
            Presence::Present
        };
    }
    match recorded.and_then(|r| r.e_tag.as_deref()) {
        // A proof was recorded at commit, and the object is no longer the one it names.
        Some(_) => Presence::NotOurs("etag_changed"),
        None => Presence::ReadBack,
    }
}

impl S3Target {
    /// `HeadObject`: `None` when no object has this key (404), the mapped error otherwise.
    pub(crate) async fn head(&self, key: &str) -> Result<Option<HeadObjectOutput>, S3Error> {
        let res = self
            .client
            .head_object()
            .bucket(&self.settings.bucket)
            .key(key)
            .send()
            .await;
        match res {
            Ok(o) => Ok(Some(o)),
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => Ok(None),
            Err(e) => Err(self.ctx.map("HeadObject", e)),
        }
    }

    /// The object at `key` (size, `css-md5`, ETag), `None` when there is none.
    pub async fn existing(&self, key: &str) -> Result<Option<ExistingObject>, S3Error> {
        Ok(self.head(key).await?.map(|o| ExistingObject {
            md5_meta: css_md5(&o),
            size: o
                .content_length()
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0),
            e_tag: o.e_tag().map(proof::normalize),
        }))
    }

    /// What the sidecar of `object_key` records, `None` when it has no sidecar.
    pub async fn recorded(&self, object_key: &str) -> Result<Option<Recorded>, S3Error> {
        Ok(self.head(&sidecar_key(object_key)).await?.map(|o| {
            let get = |k: &str| o.metadata().and_then(|m| m.get(k)).map(|s| s.trim());
            Recorded {
                e_tag: get(META_ETAG).map(proof::normalize),
                size: get(META_SIZE).and_then(|s| s.parse().ok()),
                md5: get(META_MD5).map(str::to_ascii_lowercase),
            }
        }))
    }

    /// The presence decision for the object at `key`, a read-back included when the rules ask
    /// for one (then `Present` or `RepairSidecar` if the bytes are the catalog's, else
    /// `NotOurs`). `rec` is the catalog record. Never writes. Returns the object seen too.
    pub async fn presence(
        &self,
        key: &str,
        rec: &crate::css::model::ObjectRecord,
    ) -> Result<(Presence, Option<ExistingObject>), S3Error> {
        let checksum = crate::verify::catalog_checksum(rec);
        let want = Want {
            size: rec.stored_bytes,
            checksum: &checksum,
            sidecar: self.settings.sidecar,
        };
        let (object, recorded) = if want.sidecar {
            count("head"); // issue 10 (presence)
            count("head");
            tokio::try_join!(self.existing(key), self.recorded(key))?
        } else {
            count("head"); // issue 10 (presence)
            (self.existing(key).await?, None)
        };
        let decision = decide(object.as_ref(), recorded.as_ref(), want);
        if decision != Presence::ReadBack {
            return Ok((decision, object));
        }
        count("get"); // issue 10 (presence)
        let (size, md5) = self.read_back_inner(key, rec.stored_bytes).await?;
        let decision = match crate::verify::check(rec, size, md5) {
            Ok(_) if want.sidecar => Presence::RepairSidecar,
            Ok(_) => Presence::Present,
            Err(_) => Presence::NotOurs("read_back"),
        };
        Ok((decision, object))
    }
}

/// issue 10 (presence): `css_sync_presence_requests_total{kind}` (list, head, get).
pub(crate) fn count(kind: &'static str) {
    metrics::counter!(crate::metrics::PRESENCE_REQUESTS, "kind" => kind).increment(1);
}

/// The `css-md5` user metadata of a `HeadObject` answer, lowercased.
pub(crate) fn css_md5(o: &HeadObjectOutput) -> Option<String> {
    o.metadata()
        .and_then(|m| m.get(META_MD5))
        .map(|s| s.trim().to_ascii_lowercase())
}

#[cfg(test)]
#[path = "presence_tests.rs"]
mod tests;

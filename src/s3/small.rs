//! Small objects written whole with one `PutObject`: the metadata sidecar beside an object
//! (written only after its object committed, carrying that object's committed ETag and size so
//! the next run can tell the object is still the one css-sync wrote), index files and the
//! checkpoint documents of [`crate::state`] (written with a [`Precondition`]). Every write
//! carries `Content-MD5` and is proven like an object ([`super::confirm`]). Never writes a
//! sidecar for an object that did not commit.

use std::collections::HashMap;

use aws_sdk_s3::primitives::ByteStream;
use base64::Engine as _;
use bytes::Bytes;

use super::confirm::Written;
use super::error::S3Error;
use super::multipart::md5_of;
use super::proof::{self, Sent};
use super::request::with_storage_options;
use super::{sidecar_key, Committed, S3Target};

/// Sidecar user metadata: the object's ETag as committed, normalised ([`proof::normalize`]).
pub const META_ETAG: &str = "css-sync-etag";
/// Sidecar user metadata: the object's size in bytes as committed.
pub const META_SIZE: &str = "css-sync-size";
/// Object and sidecar user metadata: the catalog checksum, lowercase.
pub const META_MD5: &str = "css-md5";

/// issue 10 (store): the condition a small write is sent under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// Unconditional.
    None,
    /// `If-Match: <etag>`: only over the version read (read-modify-write).
    IfMatch(String),
    /// `If-None-Match: *`: only where no object is.
    IfAbsent,
}

impl Precondition {
    /// The condition of a send after our own write was disproved: [`super::confirm`] deleted
    /// it, so the key is absent unless someone wrote meanwhile (then 412, and the caller
    /// reloads). Unconditional stays unconditional.
    fn after_disproved(&self) -> Precondition {
        match self {
            Precondition::None => Precondition::None,
            _ => Precondition::IfAbsent,
        }
    }
}

impl S3Target {
    /// Writes the catalog record JSON beside a committed object, at [`sidecar_key`], with the
    /// object's committed ETag and size ([`META_ETAG`], [`META_SIZE`]) and the catalog checksum
    /// ([`META_MD5`]) as user metadata. Its Object Lock retain-until is computed at this
    /// `PutObject`, so it is never earlier than that of its object.
    pub async fn put_sidecar(
        &self,
        object: &Committed,
        catalog_checksum: &str,
        record_json: Bytes,
    ) -> Result<(), S3Error> {
        self.repair_sidecar(
            &object.key,
            object.e_tag.as_deref().unwrap_or(""),
            object.size,
            catalog_checksum,
            record_json,
        )
        .await
    }

    /// Writes the sidecar of the object at `object_key` recording `e_tag` and `size`: after
    /// its commit ([`S3Target::put_sidecar`]), or to repair one found missing or stale beside
    /// an object the presence check proved, from what that check saw.
    pub async fn repair_sidecar(
        &self,
        object_key: &str,
        e_tag: &str,
        size: u64,
        catalog_checksum: &str,
        record_json: Bytes,
    ) -> Result<(), S3Error> {
        let meta = sidecar_metadata(e_tag, size, catalog_checksum);
        self.put_small_with(
            &sidecar_key(object_key),
            record_json,
            "application/json",
            Some(meta),
        )
        .await
        .map(drop)
    }

    /// One small object (an index file) with one `PutObject`, carrying `Content-MD5` so S3
    /// refuses bytes that changed on the way, plus the SSE and storage-class settings; the
    /// answer must prove the stored bytes. Returns the ETag S3 answered.
    pub async fn put_small(
        &self,
        key: &str,
        body: Bytes,
        content_type: &str,
    ) -> Result<Option<String>, S3Error> {
        self.put_small_with(key, body, content_type, None).await
    }

    /// issue 10 (store): [`S3Target::put_small`] under a [`Precondition`]. A refused condition
    /// is the mapped 412 ([`super::conditional::is_precondition_failed`]); nothing is deleted
    /// then. Returns the ETag S3 answered.
    pub async fn put_small_if(
        &self,
        key: &str,
        body: Bytes,
        content_type: &str,
        pre: Precondition,
    ) -> Result<Option<String>, S3Error> {
        let mut sends = 0u32;
        super::confirm::resend_while_disproved(key, || {
            sends += 1;
            let pre = if sends == 1 {
                pre.clone()
            } else {
                pre.after_disproved()
            };
            self.put_small_once(key, body.clone(), content_type, None, pre)
        })
        .await
    }

    /// A write whose answer disproves the stored bytes is sent again
    /// ([`super::confirm::resend_while_disproved`]), as the bytes are at hand.
    async fn put_small_with(
        &self,
        key: &str,
        body: Bytes,
        content_type: &str,
        metadata: Option<HashMap<String, String>>,
    ) -> Result<Option<String>, S3Error> {
        super::confirm::resend_while_disproved(key, || {
            self.put_small_once(
                key,
                body.clone(),
                content_type,
                metadata.clone(),
                Precondition::None, // issue 10 (store)
            )
        })
        .await
    }

    async fn put_small_once(
        &self,
        key: &str,
        body: Bytes,
        content_type: &str,
        metadata: Option<HashMap<String, String>>,
        pre: Precondition, // issue 10 (store)
    ) -> Result<Option<String>, S3Error> {
        let digest = md5_of(body.clone()).await?;
        let size = body.len() as u64;
        let req = self
            .client
            .put_object()
            .bucket(&self.settings.bucket)
            .key(key)
            .content_type(content_type)
            .content_md5(base64::engine::general_purpose::STANDARD.encode(digest))
            .set_metadata(metadata)
            .set_if_match(match &pre {
                Precondition::IfMatch(e_tag) => Some(e_tag.clone()),
                _ => None,
            })
            .set_if_none_match((pre == Precondition::IfAbsent).then(|| "*".to_string()))
            .body(ByteStream::from(body));
        let out = with_storage_options!(req, self.settings)
            .send()
            .await
            .map_err(|e| self.ctx.map("PutObject", e))?;
        self.confirm(Written {
            operation: "PutObject",
            key,
            e_tag: out.e_tag(),
            sent: Sent::Single { md5: digest },
            size,
            md5: digest,
        })
        .await?;
        Ok(out.e_tag().map(str::to_string))
    }
}

/// The sidecar's user metadata for an object committed with `e_tag` and `size`.
pub(crate) fn sidecar_metadata(
    e_tag: &str,
    size: u64,
    catalog_checksum: &str,
) -> HashMap<String, String> {
    HashMap::from([
        (META_ETAG.to_string(), proof::normalize(e_tag)),
        (META_SIZE.to_string(), size.to_string()),
        (
            META_MD5.to_string(),
            catalog_checksum.trim().to_ascii_lowercase(),
        ),
    ])
}

//! Streaming uploads behind a verification gate. [`S3Target::begin`] returns an [`Upload`] fed
//! chunk by chunk with [`Upload::write`]. An object announced smaller than the part size is
//! buffered and sent with one `PutObject` at [`Upload::commit`], so nothing exists in S3
//! before verification. A larger one becomes a multipart upload, created at the first full
//! part; parts go out concurrently with `Content-MD5`, and `CompleteMultipartUpload` is sent
//! only by `commit`, which first cross-checks the caller's [`Verified`] proof against the bytes
//! this upload counted, the announced size and the catalog MD5. Any failure, an explicit
//! [`Upload::abort`], or dropping the upload uncommitted aborts the multipart upload (on drop,
//! from a task spawned on the current Tokio runtime; see `super::multipart`). An in-flight `write` must not be
//! cancelled half-way: if it is, the upload refuses to commit and can only be aborted.

use aws_sdk_s3::primitives::ByteStream;
use bytes::{Bytes, BytesMut};

use super::error::S3Error;
use super::multipart::{md5_base64, md5_of, Multipart};
use super::request::{
    content_type, part_size_for, user_metadata, with_storage_options, ObjectMeta,
};
use super::{sidecar_key, LockHeaders, S3Target};
use crate::verify::Verified;

/// An object already at a key (`HeadObject`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingObject {
    /// The `css-md5` user metadata, lowercased, if present.
    pub md5_meta: Option<String>,
    pub size: u64,
}

/// A committed object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    pub key: String,
    pub size: u64,
    pub e_tag: Option<String>,
    /// 0 for a single `PutObject`.
    pub parts: usize,
}

/// One object being uploaded; see the module docs.
pub struct Upload {
    target: S3Target,
    key: String,
    meta: ObjectMeta,
    expected_size: u64,
    part_size: usize,
    /// `expected_size < part_size`: one `PutObject` at commit.
    single: bool,
    buf: BytesMut,
    counted: u64,
    mpu: Option<Multipart>,
    /// Set while a write runs and after any failure: commit then refuses.
    poisoned: bool,
    setup_error: Option<S3Error>,
    /// Object Lock values, computed once when the upload began (retain-until = then + the
    /// duration), for whichever request creates the object.
    lock: LockHeaders,
}

impl S3Target {
    /// `HeadObject`: `None` when no object has this key (404), the mapped error otherwise.
    pub(crate) async fn head(
        &self,
        key: &str,
    ) -> Result<Option<aws_sdk_s3::operation::head_object::HeadObjectOutput>, S3Error> {
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

    /// The object at `key` (size and `css-md5`), `None` when there is none.
    pub async fn existing(&self, key: &str) -> Result<Option<ExistingObject>, S3Error> {
        Ok(self.head(key).await?.map(|o| ExistingObject {
            md5_meta: css_md5(&o),
            size: o
                .content_length()
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0),
        }))
    }

    /// Starts an upload of `expected_size` bytes to `key`. Nothing is sent yet.
    pub fn begin(&self, key: String, meta: ObjectMeta, expected_size: u64) -> Upload {
        let (part_size, setup_error) = match part_size_for(self.settings.part_size, expected_size) {
            Ok(p) => (p, None),
            Err(e) => (0, Some(e)),
        };
        let single = setup_error.is_none() && expected_size < part_size as u64;
        let capacity = if single {
            expected_size as usize
        } else {
            part_size
        };
        Upload {
            target: self.clone(),
            key,
            meta,
            expected_size,
            part_size,
            single,
            buf: BytesMut::with_capacity(capacity),
            counted: 0,
            mpu: None,
            poisoned: false,
            setup_error,
            lock: self.settings.object_lock.at(chrono::Utc::now()),
        }
    }

    /// Writes the catalog record JSON beside an object, at [`sidecar_key`]`(object_key)`. Its
    /// Object Lock retain-until is computed at this `PutObject`, so it is never earlier than
    /// that of its object (whose upload began before).
    pub async fn put_sidecar(&self, object_key: &str, record_json: Bytes) -> Result<(), S3Error> {
        self.put_small(&sidecar_key(object_key), record_json, "application/json")
            .await
            .map(drop)
    }

    /// One small object (a sidecar, an index file) with one `PutObject`, carrying
    /// `Content-MD5` so S3 refuses bytes that changed on the way, plus the SSE and
    /// storage-class settings. Returns the ETag S3 answered.
    pub async fn put_small(
        &self,
        key: &str,
        body: Bytes,
        content_type: &str,
    ) -> Result<Option<String>, S3Error> {
        let md5 = md5_base64(body.clone()).await?;
        let req = self
            .client
            .put_object()
            .bucket(&self.settings.bucket)
            .key(key)
            .content_type(content_type)
            .content_md5(md5)
            .body(ByteStream::from(body));
        let out = with_storage_options!(req, self.settings)
            .send()
            .await
            .map_err(|e| self.ctx.map("PutObject", e))?;
        Ok(out.e_tag().map(str::to_string))
    }
}

/// The `css-md5` user metadata of a `HeadObject` answer, lowercased.
pub(crate) fn css_md5(o: &aws_sdk_s3::operation::head_object::HeadObjectOutput) -> Option<String> {
    o.metadata()
        .and_then(|m| m.get("css-md5"))
        .map(|s| s.trim().to_ascii_lowercase())
}

impl Upload {
    /// Adds bytes. Full parts are sent in the background; this waits while
    /// `part_concurrency` parts are in flight. More bytes than announced is an error.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), S3Error> {
        if let Some(e) = self.setup_error.take() {
            self.poisoned = true;
            return Err(e);
        }
        if self.poisoned {
            return Err(S3Error::Poisoned);
        }
        self.poisoned = true;
        let counted = self.counted + chunk.len() as u64;
        if counted > self.expected_size {
            return Err(S3Error::Overrun {
                expected: self.expected_size,
                counted,
            });
        }
        if self.single {
            self.buf.extend_from_slice(chunk);
        } else {
            let mut rest = chunk;
            while !rest.is_empty() {
                let take = (self.part_size - self.buf.len()).min(rest.len());
                self.buf.extend_from_slice(&rest[..take]);
                rest = &rest[take..];
                if self.buf.len() == self.part_size {
                    let part =
                        std::mem::replace(&mut self.buf, BytesMut::with_capacity(self.part_size));
                    self.send_part(part.freeze()).await?;
                }
            }
        }
        self.counted = counted;
        self.poisoned = false;
        Ok(())
    }

    async fn send_part(&mut self, part: Bytes) -> Result<(), S3Error> {
        if self.mpu.is_none() {
            let req = self
                .target
                .client
                .create_multipart_upload()
                .bucket(&self.target.settings.bucket)
                .key(&self.key)
                .content_type(content_type(&self.meta))
                .set_metadata(Some(user_metadata(&self.meta)));
            let req = with_storage_options!(req, self.target.settings, self.lock);
            self.mpu = Some(Multipart::create(&self.target, &self.key, req).await?);
        }
        let limit = self.target.settings.part_concurrency;
        match self.mpu.as_mut() {
            Some(mpu) => mpu.push(part, limit).await,
            None => Err(S3Error::Poisoned),
        }
    }

    /// Makes the object visible, after cross-checking `verified` against the bytes counted,
    /// the announced size and the catalog MD5. On any disagreement or failure the upload is
    /// aborted and nothing becomes visible.
    pub async fn commit(mut self, verified: Verified) -> Result<Committed, S3Error> {
        match self.try_commit(&verified).await {
            Ok(c) => Ok(c),
            Err(e) => {
                if let Some(mpu) = self.mpu.take() {
                    mpu.abort().await;
                }
                Err(e)
            }
        }
    }

    async fn try_commit(&mut self, verified: &Verified) -> Result<Committed, S3Error> {
        if let Some(e) = self.setup_error.take() {
            return Err(e);
        }
        if self.poisoned {
            return Err(S3Error::Poisoned);
        }
        if self.counted != verified.size() || self.counted != self.expected_size {
            return Err(S3Error::SizeMismatch {
                counted: self.counted,
                verified: verified.size(),
                expected: self.expected_size,
            });
        }
        if !verified
            .catalog_checksum()
            .eq_ignore_ascii_case(self.meta.md5_hex.trim())
        {
            return Err(S3Error::Md5Mismatch {
                verified: verified.catalog_checksum().to_string(),
                against: "catalog",
                other: self.meta.md5_hex.clone(),
            });
        }
        let Some(mut mpu) = self.mpu.take() else {
            return self.put_single(verified).await;
        };
        let last = std::mem::take(&mut self.buf);
        let res = async {
            if !last.is_empty() {
                let limit = self.target.settings.part_concurrency;
                mpu.push(last.freeze(), limit).await?;
            }
            mpu.complete().await
        }
        .await;
        let e_tag = match res {
            Ok(t) => t,
            Err(e) => {
                mpu.abort().await;
                return Err(e);
            }
        };
        let parts = mpu.parts();
        self.check_visible_size().await?;
        Ok(Committed {
            key: self.key.clone(),
            size: self.counted,
            e_tag,
            parts,
        })
    }

    async fn put_single(&mut self, verified: &Verified) -> Result<Committed, S3Error> {
        let body = std::mem::take(&mut self.buf).freeze();
        let digest = md5_of(body.clone()).await?;
        if !hex::encode(digest).eq_ignore_ascii_case(verified.md5_hex()) {
            return Err(S3Error::Md5Mismatch {
                verified: verified.md5_hex().to_string(),
                against: "uploaded bytes'",
                other: hex::encode(digest),
            });
        }
        use base64::Engine as _;
        let req = self
            .target
            .client
            .put_object()
            .bucket(&self.target.settings.bucket)
            .key(&self.key)
            .content_type(content_type(&self.meta))
            .set_metadata(Some(user_metadata(&self.meta)))
            .content_md5(base64::engine::general_purpose::STANDARD.encode(digest))
            .content_length(i64::try_from(body.len()).unwrap_or(i64::MAX))
            .body(ByteStream::from(body));
        let req = with_storage_options!(req, self.target.settings, self.lock).customize();
        let req = if self.target.settings.sign_payload {
            req
        } else {
            req.disable_payload_signing()
        };
        let out = req
            .send()
            .await
            .map_err(|e| self.target.ctx.map("PutObject", e))?;
        Ok(Committed {
            key: self.key.clone(),
            size: self.counted,
            e_tag: out.e_tag().map(str::to_string),
            parts: 0,
        })
    }

    /// After `CompleteMultipartUpload`: the visible object must have the counted size, or it
    /// is deleted (it would otherwise carry a valid-looking `css-md5`). In a versioned (e.g.
    /// Object Lock) bucket this delete, sent without a version id, only adds a delete marker:
    /// the key reads as absent (the next run exports it again) while the bad version stays,
    /// locked until its retain-until date or legal hold ends.
    async fn check_visible_size(&self) -> Result<(), S3Error> {
        let seen = self.target.existing(&self.key).await?.map(|o| o.size);
        if seen == Some(self.counted) {
            return Ok(());
        }
        let _ = self
            .target
            .client
            .delete_object()
            .bucket(&self.target.settings.bucket)
            .key(&self.key)
            .send()
            .await
            .map_err(|e| self.target.ctx.map("DeleteObject", e));
        Err(S3Error::SizeMismatch {
            counted: self.counted,
            verified: seen.unwrap_or(0),
            expected: self.expected_size,
        })
    }

    /// Drops the upload: aborts the multipart upload if one was created. Never fails loudly.
    pub async fn abort(mut self) {
        if let Some(mpu) = self.mpu.take() {
            mpu.abort().await;
        }
    }
}

#[cfg(test)]
#[path = "upload_tests.rs"]
mod tests;

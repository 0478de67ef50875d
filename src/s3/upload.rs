//! Streaming uploads behind a verification gate. [`S3Target::begin`] returns an [`Upload`] fed
//! chunk by chunk with [`Upload::write`]. An object announced smaller than the part size is
//! buffered and sent with one `PutObject` at [`Upload::commit`], so nothing exists in S3
//! before verification. A larger one becomes a multipart upload, created at the first full
//! part; parts go out concurrently with `Content-MD5` (hashed as the part's bytes are copied
//! in: no second pass), and `CompleteMultipartUpload` is sent only by `commit`, which first cross-checks the caller's [`Verified`] proof against the bytes
//! this upload counted, the announced size and the catalog MD5. After the write, S3's answer
//! must prove the stored bytes (ETag, or a read-back: `super::confirm`), or the object is
//! deleted and the commit fails; a [`Committed`] exists only for a proven object. Any failure, an explicit
//! [`Upload::abort`], or dropping the upload uncommitted aborts the multipart upload (on drop,
//! from a task spawned on the current Tokio runtime; see `super::multipart`). An in-flight `write` must not be
//! cancelled half-way: if it is, the upload refuses to commit and can only be aborted.

use crate::md5_pair::Md5Pair;
use aws_sdk_s3::primitives::ByteStream;
use bytes::{Bytes, BytesMut};

use super::confirm::{Proven, ProvenBy, Written};
use super::error::S3Error;
use super::multipart::Multipart;
use super::proof::Sent;
use super::request::{
    content_type, part_size_for, user_metadata, with_storage_options, ObjectMeta,
};
use super::{LockHeaders, S3Target};
use crate::verify::Verified;

/// A committed object whose stored bytes were proven ([`Proven`]): nothing else makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    pub key: String,
    pub size: u64,
    /// The ETag S3 answered, as answered.
    pub e_tag: Option<String>,
    /// 0 for a single `PutObject`.
    pub parts: usize,
    proven: Proven,
}

impl Committed {
    /// A commit for unit tests elsewhere in the crate (bookkeeping, index rows): never built
    /// outside `cfg(test)`.
    #[cfg(test)]
    pub(crate) fn for_tests(key: &str, size: u64, e_tag: Option<&str>) -> Committed {
        Committed {
            key: key.to_string(),
            size,
            e_tag: e_tag.map(str::to_string),
            parts: 0,
            proven: super::confirm::Proven::for_tests(),
        }
    }

    /// How the stored bytes were proven.
    pub fn proven_by(&self) -> ProvenBy {
        self.proven.by()
    }
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
    /// issue 8 (speed): the MD5 of every byte written and of the part buffering in `buf`, both
    /// in one pass as the bytes are copied in ([`Md5Pair`]): a part's `Content-MD5` costs no
    /// second pass, and `commit` checks the caller's proof against the bytes buffered.
    md5: Md5Pair,
    counted: u64,
    /// issue 8 (overlap): parts in flight while the next buffers (`S3_PART_CONCURRENCY`, or
    /// less when a byte budget says so: [`Upload::limit_parts_in_flight`]).
    part_limit: usize,
    mpu: Option<Multipart>,
    /// Set while a write runs and after any failure: commit then refuses.
    poisoned: bool,
    setup_error: Option<S3Error>,
    /// Object Lock values, computed once when the upload began (retain-until = then + the
    /// duration), for whichever request creates the object.
    lock: LockHeaders,
    /// issue 7 (metrics): this upload in `css_sync_uploads_in_flight` and its buffer in
    /// `css_sync_buffered_bytes`, until it is committed, aborted or dropped.
    _gauges: (crate::metrics::InFlight, crate::metrics::Held),
}

impl S3Target {
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
            md5: if single {
                Md5Pair::whole_only()
            } else {
                Md5Pair::with_parts()
            },
            counted: 0,
            part_limit: self.settings.part_concurrency,
            mpu: None,
            poisoned: false,
            setup_error,
            lock: self.settings.object_lock.at(chrono::Utc::now()),
            _gauges: (
                crate::metrics::InFlight::new(
                    metrics::gauge!(crate::metrics::UPLOADS_IN_FLIGHT),
                    1,
                ),
                crate::metrics::Held::new(
                    metrics::gauge!(crate::metrics::BUFFERED_BYTES),
                    capacity as u64,
                ),
            ),
        }
    }
}

impl Upload {
    // issue 8 (overlap)
    /// Whether this upload is one `PutObject` (its whole body buffered until commit).
    pub fn is_single(&self) -> bool {
        self.single
    }

    /// The part size of this upload (the configured one, grown to fit 10,000 parts).
    pub fn part_size(&self) -> u64 {
        self.part_size as u64
    }

    /// issue 8 (speed): the MD5 of every byte written so far, hashed as the bytes were
    /// buffered (the one MD5 pass over an entry's bytes: the caller verifies it against the
    /// catalog, and `commit` refuses a proof made for other bytes).
    pub fn md5(&self) -> [u8; 16] {
        self.md5.whole()
    }

    fn end_part(&mut self) -> Result<[u8; 16], S3Error> {
        self.md5.end_part().ok_or_else(|| S3Error::Task {
            operation: "md5",
            detail: "a part of an upload announced as one PutObject".into(),
        })
    }

    /// Lowers the parts in flight while the next buffers to `n` (at least 1), so the upload
    /// fits a byte budget; never raises it above `S3_PART_CONCURRENCY`.
    pub fn limit_parts_in_flight(&mut self, n: usize) {
        self.part_limit = self.part_limit.min(n).max(1);
    }
    // end issue 8 (overlap)

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
            self.md5.update(chunk);
        } else {
            let mut rest = chunk;
            while !rest.is_empty() {
                let take = (self.part_size - self.buf.len()).min(rest.len());
                self.buf.extend_from_slice(&rest[..take]);
                self.md5.update(&rest[..take]);
                rest = &rest[take..];
                if self.buf.len() == self.part_size {
                    let part =
                        std::mem::replace(&mut self.buf, BytesMut::with_capacity(self.part_size));
                    let digest = self.end_part()?;
                    self.send_part(part.freeze(), digest).await?;
                }
            }
        }
        self.counted = counted;
        self.poisoned = false;
        Ok(())
    }

    async fn send_part(&mut self, part: Bytes, digest: [u8; 16]) -> Result<(), S3Error> {
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
        let limit = self.part_limit;
        match self.mpu.as_mut() {
            Some(mpu) => mpu.push(part, digest, limit).await,
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
        // issue 8 (speed): the proof must be of the bytes this upload buffered.
        if !verified
            .md5_hex()
            .eq_ignore_ascii_case(&hex::encode(self.md5.whole()))
        {
            return Err(S3Error::Md5Mismatch {
                verified: verified.md5_hex().to_string(),
                against: "bytes buffered",
                other: hex::encode(self.md5.whole()),
            });
        }
        let Some(mut mpu) = self.mpu.take() else {
            return self.put_single(verified).await;
        };
        let last = std::mem::take(&mut self.buf);
        let res = async {
            if !last.is_empty() {
                let (limit, digest) = (self.part_limit, self.end_part()?);
                mpu.push(last.freeze(), digest, limit).await?;
            }
            mpu.complete(self.target.if_none_match).await
        }
        .await;
        let whole = whole_md5(verified)?;
        let (e_tag, digests) = match res {
            Ok(t) => t,
            Err(e) if super::conditional::is_precondition_failed(&e) => {
                // Someone else completed this key first: never delete theirs.
                let (digests, parts) = (mpu.digests().to_vec(), mpu.parts());
                mpu.abort().await;
                let w = Written {
                    operation: "CompleteMultipartUpload",
                    key: &self.key,
                    e_tag: None,
                    sent: Sent::Multipart {
                        parts: &digests,
                        whole_md5: whole,
                    },
                    size: self.counted,
                    md5: whole,
                };
                let (proven, e_tag) = self.target.confirm_theirs(w).await?;
                return Ok(Committed {
                    key: self.key.clone(),
                    size: self.counted,
                    e_tag,
                    parts,
                    proven,
                });
            }
            Err(e) => {
                // An unusable answer (an HTML page, a cut connection) may follow a completed
                // upload: the object, with its valid-looking `css-md5`, must not stay.
                if mpu.complete_sent() {
                    self.target.delete_unproven(&self.key).await;
                }
                mpu.abort().await;
                return Err(e);
            }
        };
        let proven = self
            .target
            .confirm(Written {
                operation: "CompleteMultipartUpload",
                key: &self.key,
                e_tag: e_tag.as_deref(),
                sent: Sent::Multipart {
                    parts: &digests,
                    whole_md5: whole,
                },
                size: self.counted,
                md5: whole,
            })
            .await?;
        Ok(Committed {
            key: self.key.clone(),
            size: self.counted,
            e_tag,
            parts: mpu.parts(),
            proven,
        })
    }

    async fn put_single(&mut self, verified: &Verified) -> Result<Committed, S3Error> {
        let body = std::mem::take(&mut self.buf).freeze();
        // issue 8 (overlap): hashed once. The MD5 streamed while the bytes were read (and
        // verified against the catalog) is the Content-MD5: S3 refuses the PUT if the buffered
        // bytes differ from the streamed ones, and `confirm` checks the answered ETag against
        // it for a server that ignores Content-MD5. No second pass over the bytes.
        let digest = whole_md5(verified)?;
        // Bytes disproved by S3's answer (changed on the way to a server that ignores
        // Content-MD5) were deleted by `confirm`: send them again while they are at hand.
        super::confirm::resend_while_disproved(&self.key, || {
            self.put_single_once(body.clone(), digest)
        })
        .await
    }

    async fn put_single_once(&self, body: Bytes, digest: [u8; 16]) -> Result<Committed, S3Error> {
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
            .set_if_none_match(self.target.if_none_match.then(|| "*".to_string()))
            .body(ByteStream::from(body));
        let req = with_storage_options!(req, self.target.settings, self.lock).customize();
        let req = if self.target.settings.sign_payload {
            req
        } else {
            req.disable_payload_signing()
        };
        let written = |e_tag| Written {
            operation: "PutObject",
            key: &self.key,
            e_tag,
            sent: Sent::Single { md5: digest },
            size: self.counted,
            md5: digest,
        };
        let out = match req.send().await {
            Ok(out) => out,
            Err(e) => match self.target.ctx.map("PutObject", e) {
                e if super::conditional::is_precondition_failed(&e) => {
                    let (proven, e_tag) = self.target.confirm_theirs(written(None)).await?;
                    return Ok(Committed {
                        key: self.key.clone(),
                        size: self.counted,
                        e_tag,
                        parts: 0,
                        proven,
                    });
                }
                e => return Err(e),
            },
        };
        let proven = self.target.confirm(written(out.e_tag())).await?;
        Ok(Committed {
            key: self.key.clone(),
            size: self.counted,
            e_tag: out.e_tag().map(str::to_string),
            parts: 0,
            proven,
        })
    }

    /// Drops the upload: aborts the multipart upload if one was created. Never fails loudly.
    pub async fn abort(mut self) {
        if let Some(mpu) = self.mpu.take() {
            mpu.abort().await;
        }
    }
}

/// The MD5 of all the bytes, from the verifier's proof (hex it made itself).
fn whole_md5(verified: &Verified) -> Result<[u8; 16], S3Error> {
    hex::decode(verified.md5_hex())
        .ok()
        .and_then(|v| <[u8; 16]>::try_from(v).ok())
        .ok_or_else(|| S3Error::Task {
            operation: "md5",
            detail: "verified MD5 is not 16 bytes of hex".into(),
        })
}

#[cfg(test)]
#[path = "upload_tests.rs"]
mod tests;

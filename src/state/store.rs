//! [`DocStore`]: one JSON document per key in the destination bucket, loaded whole (bounded by
//! [`rules::MAX_DOC_BYTES`]) and replaced by read-modify-write. Writes go through the one
//! small-object write path ([`crate::s3::S3Target::put_small_if`]), so each is proven from
//! S3's answer like every object css-sync writes, and carries `If-Match: <etag read>` (or
//! `If-None-Match: *` for a new key) where the endpoint honours it; the first update probes
//! that once ([`super::probe`]). Every write is then read back (`HeadObject`) and a foreign
//! ETag means a race: reload, merge again ([`rules::after_write`]) — the only guard where the
//! headers are ignored, and a second one where a server checks them non-atomically (s3s-fs). A document that does not
//! parse is an error, never "absent". Timeouts are the S3 client's (`S3Timeouts`). Never
//! decides what a document contains.

use std::sync::Arc;

use base64::Engine as _;
use md5::{Digest as _, Md5};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::OnceCell;

use super::rules::{self, Step, WriteMode, Written};
use super::StateError;
use crate::s3::conditional::is_precondition_failed;
use crate::s3::proof::{self, EtagForm};
use crate::s3::{Precondition, S3Error, S3Target, Sse};

/// A document and the ETag of the version it was read from (or written as), as S3 answered it.
#[derive(Debug, Clone)]
pub struct Versioned<T> {
    pub doc: T,
    pub etag: String,
}

/// The state documents of one bucket: the target, and the write mode found at first use.
#[derive(Clone, Debug)]
pub struct DocStore {
    pub(super) s3: S3Target,
    mode: Arc<OnceCell<WriteMode>>,
}

/// One listed document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub key: String,
    pub size: u64,
}

impl DocStore {
    pub fn new(s3: S3Target) -> DocStore {
        DocStore {
            s3,
            mode: Arc::new(OnceCell::new()),
        }
    }

    /// None when the key does not exist. A document that does not parse is an error (never
    /// silently treated as absent: that would restart a backfill or forget failures).
    pub async fn load<T: DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<Versioned<T>>, StateError> {
        let Some((bytes, etag)) = self.read(key).await? else {
            return Ok(None);
        };
        let doc = serde_json::from_slice(&bytes).map_err(|source| StateError::Corrupt {
            key: key.to_string(),
            source,
        })?;
        Ok(Some(Versioned { doc, etag }))
    }

    /// Read-modify-write: `f` gets the current document (None if absent) and returns the new one.
    /// Written with `If-Match: <etag>` (or `If-None-Match: *` when absent); on 412 it reloads
    /// and applies `f` again, up to a bounded, named number of attempts; then StateError::Conflict.
    pub async fn update<T, F>(&self, key: &str, mut f: F) -> Result<Versioned<T>, StateError>
    where
        T: Serialize + DeserializeOwned + Send,
        F: FnMut(Option<T>) -> T + Send,
    {
        let mode = self.mode().await?;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let (before, etag) = match self.load::<T>(key).await? {
                Some(v) => (Some(v.doc), Some(v.etag)),
                None => (None, None),
            };
            let doc = f(before);
            let body = serde_json::to_vec_pretty(&doc).map_err(|source| StateError::Encode {
                key: key.to_string(),
                source,
            })?;
            self.check_size(key, body.len() as u64)?;
            let pre = match (mode, etag) {
                (WriteMode::Conditional, Some(e_tag)) => Precondition::IfMatch(e_tag),
                (WriteMode::Conditional, None) => Precondition::IfAbsent,
                (WriteMode::ReadAfterWrite, _) => Precondition::None,
            };
            let sent = self
                .s3
                .put_small_if(key, body.into(), "application/json", pre)
                .await;
            let written = match sent {
                Ok(Some(ours)) => {
                    let seen = self.seen_e_tag(key).await?;
                    Written::Stored { ours, seen }
                }
                Ok(None) => return Err(StateError::NoEtag { key: key.into() }),
                Err(e) if is_precondition_failed(&e) => Written::Refused,
                Err(e) => return Err(self.s3_error(key, e)),
            };
            match (rules::after_write(&written, attempt), written) {
                (Step::Done, Written::Stored { ours, .. }) => {
                    return Ok(Versioned { doc, etag: ours })
                }
                (Step::Retry, _) => {
                    tracing::info!(
                        key,
                        attempt,
                        "state document changed meanwhile; merging again"
                    );
                    let jitter: f64 = rand::random();
                    tokio::time::sleep(rules::retry_pause(attempt, jitter)).await;
                }
                _ => {
                    return Err(StateError::Conflict {
                        key: key.to_string(),
                        attempts: attempt,
                    })
                }
            }
        }
    }

    /// Deletes the document (for `css-sync state reset`).
    pub async fn delete(&self, key: &str) -> Result<(), StateError> {
        self.s3
            .client
            .delete_object()
            .bucket(&self.s3.settings.bucket)
            .key(key)
            .send()
            .await
            .map(drop)
            .map_err(|e| self.s3_error(key, self.s3.ctx.map("DeleteObject", e)))
    }

    /// Every document key under `under` (a folder of [`super::keys`]), in key order.
    pub async fn list(&self, under: &str) -> Result<Vec<Listed>, StateError> {
        let mut found = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .s3
                .client
                .list_objects_v2()
                .bucket(&self.s3.settings.bucket)
                .prefix(under)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| self.s3_error(under, self.s3.ctx.map("ListObjectsV2", e)))?;
            found.extend(out.contents().iter().filter_map(|o| {
                Some(Listed {
                    key: o.key()?.to_string(),
                    size: o.size().and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
                })
            }));
            match out.next_continuation_token() {
                Some(t) if out.is_truncated() == Some(true) => token = Some(t.to_string()),
                _ => break,
            }
        }
        found.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(found)
    }

    /// The write mode: probed once, at the first call (`S3_CONDITIONAL_WRITES` decides whether
    /// to probe). The fallback logs one warning per store.
    pub async fn mode(&self) -> Result<WriteMode, StateError> {
        self.mode
            .get_or_try_init(|| async {
                let setting = self.s3.settings.conditional_writes;
                let honoured = match rules::probes(setting) {
                    true => Some(self.probe_if_match().await?),
                    false => None,
                };
                let mode = rules::write_mode(setting, honoured).ok_or(StateError::NotHonoured)?;
                tracing::info!(?honoured, ?mode, "state document writes (If-Match) probed");
                if mode == WriteMode::ReadAfterWrite {
                    tracing::warn!(
                        "the endpoint does not honour If-Match (or S3_CONDITIONAL_WRITES=off): \
                         state documents are checked by reading them back after each write, so \
                         overlapping runs are not safe; run one at a time (the Helm CronJob \
                         uses concurrencyPolicy: Forbid)"
                    );
                }
                Ok(mode)
            })
            .await
            .copied()
    }

    /// The document's bytes and ETag, bounded and checked against the ETag where it is an MD5.
    async fn read(&self, key: &str) -> Result<Option<(Vec<u8>, String)>, StateError> {
        use aws_sdk_s3::error::ProvideErrorMetadata as _;
        let res = self
            .s3
            .client
            .get_object()
            .bucket(&self.s3.settings.bucket)
            .key(key)
            .send()
            .await;
        let out = match res {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            Err(e)
                if e.raw_response().is_some_and(|r| r.status().as_u16() == 404)
                    && e.code() != Some("NoSuchBucket") =>
            {
                return Ok(None)
            }
            Err(e) => return Err(self.s3_error(key, self.s3.ctx.map("GetObject", e))),
        };
        let etag = out
            .e_tag()
            .map(str::to_string)
            .ok_or_else(|| StateError::NoEtag { key: key.into() })?;
        if let Some(n) = out.content_length().and_then(|n| u64::try_from(n).ok()) {
            self.check_size(key, n)?;
        }
        let mut body = out.body;
        let mut bytes = Vec::new();
        while let Some(chunk) = body.try_next().await.map_err(|e| {
            let e = S3Error::Request {
                operation: "GetObject",
                code: "body".into(),
                status: 0,
                message: e.to_string(),
            };
            self.s3_error(key, e)
        })? {
            self.check_size(key, (bytes.len() + chunk.len()) as u64)?;
            bytes.extend_from_slice(&chunk);
        }
        self.check_read(key, &etag, &bytes)?;
        Ok(Some((bytes, etag)))
    }

    /// A plain-MD5 ETag (not under SSE-KMS, whose ETags only look like MD5s) must be the MD5
    /// of the bytes read; other forms prove nothing and pass.
    fn check_read(&self, key: &str, etag: &str, bytes: &[u8]) -> Result<(), StateError> {
        let kms = matches!(self.s3.settings.sse, Some(Sse::Kms { .. }));
        let md5 = hex::encode(Md5::digest(bytes));
        match proof::form(etag) {
            EtagForm::Md5(h) if !kms && h != md5 => Err(StateError::ReadMismatch {
                key: key.to_string(),
                e_tag: h,
                md5,
            }),
            _ => Ok(()),
        }
    }

    fn check_size(&self, key: &str, size: u64) -> Result<(), StateError> {
        match rules::size_ok(size) {
            true => Ok(()),
            false => Err(StateError::TooLarge {
                key: key.to_string(),
                size,
                max: rules::MAX_DOC_BYTES,
            }),
        }
    }

    /// The ETag now stored at `key` (`None`: gone), read after each write.
    async fn seen_e_tag(&self, key: &str) -> Result<Option<String>, StateError> {
        let seen = self.s3.existing(key).await;
        seen.map(|o| o.and_then(|o| o.e_tag))
            .map_err(|e| self.s3_error(key, e))
    }

    pub(super) fn s3_error(&self, key: &str, source: S3Error) -> StateError {
        StateError::S3 {
            key: key.to_string(),
            source,
        }
    }
}

/// `Content-MD5` of `body`, for the probe's raw writes.
pub(super) fn content_md5(body: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(body))
}

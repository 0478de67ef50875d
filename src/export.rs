//! One object's bytes → one verified S3 object, or nothing. The bytes come from a zip entry
//! (bulk download) or a single-object download; they are streamed into an S3 upload while the
//! size and MD5 are computed, then checked against the catalog record. Only a match completes
//! the upload, S3's answer must prove the stored bytes, and only then is the sidecar written;
//! anything else aborts (or deletes) it, so a bad object never remains in S3 looking valid. This module decides nothing about retries: it reports what
//! happened to each object and whether the zip stream can go on.

use crate::css::model::ObjectRecord;
use crate::failure::{Cause, Rejection, Stage};
use crate::metrics as m;
use crate::s3::{Committed, ExistingObject, ObjectMeta, S3Error, S3Target, Upload};
use crate::unzip::UnzipError;
use crate::verify;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt};
use tracing::{debug, info, warn};

pub mod budget; // issue 8 (overlap)
mod zip; // issue 8 (overlap)

/// Read buffer for moving bytes from a zip entry or download into an upload.
const CHUNK: usize = 256 * 1024;

/// Everything needed to turn bytes into verified S3 objects.
#[derive(Clone)]
pub struct Exporter {
    pub s3: S3Target,
    pub sidecar: bool,
    /// Every commit is recorded here the moment S3 confirms it (an interrupt counts them).
    pub commits: crate::commits::CommitLog,
    /// issue 8 (overlap): `S3_ZIP_BYTES_IN_FLIGHT`, the byte budget of one zip stream's
    /// overlapping uploads ([`budget`]).
    pub zip_bytes_in_flight: u64,
}

/// The result of streaming one zip.
#[derive(Debug, Default)]
pub struct ZipOutcome {
    /// Object id → what S3 answered at commit (key, ETag).
    pub exported: HashMap<String, Committed>,
    pub rejected: HashMap<String, Rejection>,
    /// Why the zip stream stopped early (truncated, reset, corrupt): the objects not yet seen
    /// are missing and must be requested again.
    pub broken: Option<Arc<UnzipError>>,
}

impl Exporter {
    /// The S3 key of a record.
    pub fn key(&self, region: &str, rec: &ObjectRecord) -> Result<String, Rejection> {
        self.s3
            .key_for(rec, region)
            .map_err(|e| Rejection::new(Stage::Key, e))
    }

    /// Streams one object's bytes (a single-object download) into S3 and verifies them.
    pub async fn export_single<R>(
        &self,
        region: &str,
        rec: &ObjectRecord,
        mut body: R,
    ) -> Result<Committed, Rejection>
    where
        R: AsyncRead + Send + Unpin,
    {
        let key = self.key(region, rec)?;
        let mut upload = self
            .s3
            .begin(key.clone(), meta(region, rec), rec.stored_bytes);
        let mut size = 0u64;
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = match body.read(&mut buf).await {
                Ok(n) => n,
                Err(e) => {
                    upload.abort().await;
                    return Err(Rejection::new(Stage::Download, Cause::Read(e)));
                }
            };
            if n == 0 {
                break;
            }
            size += n as u64;
            if size > rec.stored_bytes {
                upload.abort().await;
                let too_long = verify::Mismatch::Size {
                    got: size,
                    want: rec.stored_bytes,
                };
                return Err(Rejection::new(Stage::Verify, too_long));
            }
            if let Err(e) = upload.write(&buf[..n]).await {
                upload.abort().await;
                return Err(Rejection::new(Stage::S3, e));
            }
        }
        // issue 8 (speed): the upload hashed the bytes as it buffered them (one pass).
        let md5 = upload.md5();
        self.settle(region, rec, &key, upload, size, md5).await
    }

    /// The gate: check, then complete (S3's answer proving the stored bytes), then the
    /// sidecar; abort on anything else.
    async fn settle(
        &self,
        region: &str,
        rec: &ObjectRecord,
        key: &str,
        upload: Upload,
        size: u64,
        md5: [u8; 16],
    ) -> Result<Committed, Rejection> {
        let proof = match verify::check(rec, size, md5) {
            Ok(proof) => proof,
            Err(mismatch) => {
                upload.abort().await;
                reject_metric("verify");
                warn!(region, id = %rec.id, reason = %mismatch, "object failed verification; upload aborted");
                return Err(Rejection::new(Stage::Verify, mismatch));
            }
        };
        // Built before the commit, so a record that cannot be serialised writes nothing.
        let json = if self.sidecar {
            match serde_json::to_vec_pretty(rec) {
                Ok(j) => Some(j),
                Err(e) => {
                    upload.abort().await;
                    return Err(Rejection::new(Stage::Sidecar, Cause::Sidecar(e)));
                }
            }
        } else {
            None
        };
        let committed = upload
            .commit(proof)
            .await
            .map_err(|e| Rejection::new(Stage::S3, e))?;
        // Written already with the same bytes (a 412 on our conditional write: another worker,
        // or our own earlier attempt whose sidecar failed): its writer owns the sidecar, so
        // two writers never both write it. Should that writer stop before writing it, the
        // next run's presence check repairs it.
        let theirs = committed.proven_by() == crate::s3::ProvenBy::AlreadyThere;
        if let Some(json) = json.filter(|_| !theirs) {
            // Written after its object is proven, carrying the object's committed ETag and
            // size: a sidecar never claims an object that is not there. If it fails, the
            // object is reported failed and exported again (the retry overwrites it); a run
            // that stops first leaves a proven object without sidecar, which the next run's
            // presence check repairs.
            let checksum = verify::catalog_checksum(rec);
            if let Err(e) = self
                .s3
                .put_sidecar(&committed, &checksum, json.into())
                .await
            {
                return Err(Rejection::new(Stage::S3, e));
            }
        }
        self.commits.committed(region, rec, &committed);
        debug!(region, id = %rec.id, key, size, "object exported");
        Ok(committed)
    }
}

impl Exporter {
    /// Rewrites the sidecar of an object the presence check proved (its own ETag is the
    /// catalog MD5, or a read-back matched), recording what that check saw. A failure is only
    /// logged: the object stays present and the next run tries again.
    pub async fn repair_sidecar(&self, region: &str, rec: &ObjectRecord, object: &ExistingObject) {
        let (Ok(json), Some(e_tag), Ok(key)) = (
            serde_json::to_vec_pretty(rec),
            object.e_tag.as_deref(),
            self.key(region, rec),
        ) else {
            return;
        };
        let checksum = verify::catalog_checksum(rec);
        match self
            .s3
            .repair_sidecar(&key, e_tag, object.size, &checksum, json.into())
            .await
        {
            Ok(()) => {
                metrics::counter!(m::SIDECARS_REPAIRED).increment(1);
                info!(region, id = %rec.id, key, "sidecar repaired beside a present object");
            }
            Err(e) => {
                warn!(region, id = %rec.id, key, error = %crate::failure::error_chain(&e),
                    "sidecar not repaired; the next run tries again");
            }
        }
    }
}

enum Step {
    Zip(UnzipError),
    S3(S3Error),
}

/// Upload metadata for a record.
pub fn meta(region: &str, rec: &ObjectRecord) -> ObjectMeta {
    ObjectMeta {
        object_id: rec.id.clone(),
        // The verified catalog checksum, as the idempotency check will compare it.
        md5_hex: verify::catalog_checksum(rec),
        region: region.to_string(),
        object_type: rec.object_type.clone(),
        created_time: rec.created_time.clone(),
        content_type: rec.mime_type.clone(),
    }
}

fn reject_metric(kind: &str) {
    metrics::counter!(m::ENTRIES_REJECTED, "error_type" => kind.to_string()).increment(1);
}

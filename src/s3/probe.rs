//! The write probes of `css-sync check`: a small object put and deleted under
//! `<prefix>_css-sync/check/`, and a multipart upload created, given one part and aborted.
//! They carry the run's SSE and storage class (so a missing KMS permission shows here) but
//! never Object Lock values: a locked probe could not be deleted. Each probe cleans up after
//! itself even when a later request of it fails; none is used by `sync`.

use aws_sdk_s3::primitives::ByteStream;
use base64::Engine as _;
use md5::{Digest as _, Md5};

use super::error::S3Error;
use super::request::with_storage_options;
use super::LockHeaders;
use super::S3Target;

const BODY: &[u8] = b"css-sync check probe: safe to delete";

/// What the put-and-delete probe saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteProbe {
    /// Written, deleted (in a versioned bucket: its version deleted), gone on a HEAD.
    Clean,
    /// Versioned bucket: the version could not be deleted (e.g. default retention, no
    /// s3:DeleteObjectVersion), so a delete marker hides it; a noncurrent version remains.
    VersionKept(String),
    /// Written and deleted, but a HEAD still finds it.
    StillThere,
}

fn content_md5() -> String {
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(BODY))
}

impl S3Target {
    /// The key prefix every probe lives under: `<prefix>_css-sync/check/`.
    pub fn check_prefix(&self) -> String {
        format!("{}_css-sync/check/", self.settings.keys.prefix())
    }

    /// `PutObject` then `DeleteObject` at `key` (of the version written, when the bucket is
    /// versioned), then `HeadObject` to see it gone.
    pub async fn probe_write_delete(&self, key: &str) -> Result<WriteProbe, S3Error> {
        let s = &self.settings;
        // No Object Lock values (LockHeaders::default()): the probe must stay deletable.
        let put = with_storage_options!(
            self.client
                .put_object()
                .bucket(&s.bucket)
                .key(key)
                .content_md5(content_md5())
                .body(ByteStream::from_static(BODY)),
            s,
            LockHeaders::default()
        );
        let put = put.send().await.map_err(|e| self.ctx.map("PutObject", e))?;
        // In a versioned bucket a plain delete only adds a marker: delete the version itself.
        let kept = match put.version_id() {
            Some(v) => match self.delete_key(key, Some(v)).await {
                Ok(()) => None,
                Err(e) => {
                    self.delete_key(key, None).await?;
                    Some(crate::chain::error_chain(&e))
                }
            },
            None => {
                self.delete_key(key, None).await?;
                None
            }
        };
        Ok(match (self.head(key).await?, kept) {
            (Some(_), _) => WriteProbe::StillThere,
            (None, Some(why)) => WriteProbe::VersionKept(why),
            (None, None) => WriteProbe::Clean,
        })
    }

    async fn delete_key(&self, key: &str, version: Option<&str>) -> Result<(), S3Error> {
        self.client
            .delete_object()
            .bucket(&self.settings.bucket)
            .key(key)
            .set_version_id(version.map(str::to_string))
            .send()
            .await
            .map(drop)
            .map_err(|e| self.ctx.map("DeleteObject", e))
    }

    /// `CreateMultipartUpload`, one `UploadPart`, `AbortMultipartUpload` at `key`: the abort
    /// is sent whenever the create succeeded.
    pub async fn probe_multipart(&self, key: &str) -> Result<(), S3Error> {
        let s = &self.settings;
        let create = with_storage_options!(
            self.client
                .create_multipart_upload()
                .bucket(&s.bucket)
                .key(key),
            s,
            LockHeaders::default()
        );
        let created = create
            .send()
            .await
            .map_err(|e| self.ctx.map("CreateMultipartUpload", e))?;
        let Some(upload_id) = created.upload_id().map(str::to_string) else {
            return Err(S3Error::NoProof {
                operation: "CreateMultipartUpload",
                detail: "the answer carries no UploadId".into(),
            });
        };
        let part = self
            .client
            .upload_part()
            .bucket(&s.bucket)
            .key(key)
            .upload_id(&upload_id)
            .part_number(1)
            .content_md5(content_md5())
            .body(ByteStream::from_static(BODY))
            .send()
            .await
            .map(drop)
            .map_err(|e| self.ctx.map("UploadPart", e));
        let abort = self
            .client
            .abort_multipart_upload()
            .bucket(&s.bucket)
            .key(key)
            .upload_id(&upload_id)
            .send()
            .await
            .map(drop)
            .map_err(|e| self.ctx.map("AbortMultipartUpload", e));
        part.and(abort)
    }
}

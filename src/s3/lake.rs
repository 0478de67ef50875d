//! Reading the lake for `css-sync purge`: `HeadObject` with everything the purge gate needs
//! (size, `css-md5`, ETag, whether the ETag is an MD5), and a bounded read-back that streams
//! an object through MD5 chunk by chunk (never whole in memory). It only reads; the decision
//! is [`crate::purge_rules`]'s.

use aws_sdk_s3::types::ServerSideEncryption;
use md5::{Digest as _, Md5};

use super::{S3Error, S3Target};
use crate::purge_rules::{LakeEvidence, LakeObject, ReadBack};

impl S3Target {
    /// A fresh `HeadObject` of `key`: [`LakeEvidence::Missing`] on 404,
    /// [`LakeEvidence::S3Error`] on any other failure (never a guess).
    pub async fn lake_evidence(&self, key: &str) -> LakeEvidence {
        let o = match self.head(key).await {
            Ok(Some(o)) => o,
            Ok(None) => return LakeEvidence::Missing,
            Err(e) => return LakeEvidence::S3Error(crate::chain::error_chain(&e)),
        };
        let Some(size) = o.content_length().and_then(|n| u64::try_from(n).ok()) else {
            return LakeEvidence::S3Error("HeadObject answered without a size".into());
        };
        // SSE-KMS and SSE-C objects have ETags that are not the MD5 of their bytes.
        let kms = matches!(
            o.server_side_encryption(),
            Some(ServerSideEncryption::AwsKms | ServerSideEncryption::AwsKmsDsse)
        );
        let sse_c = o.sse_customer_algorithm().is_some();
        LakeEvidence::Found(LakeObject {
            size,
            css_md5: super::presence::css_md5(&o),
            etag: o.e_tag().map(|e| e.trim().trim_matches('"').to_string()),
            etag_is_md5: !kms && !sse_c,
            read_back: None,
        })
    }

    /// Streams the object at `key` through MD5, reading at most `limit + 1` bytes (a longer
    /// body is cut there: its size already proves it is not the catalog's object). Memory is
    /// one SDK chunk at a time.
    pub async fn read_back(&self, key: &str, limit: u64) -> ReadBack {
        match self.read_back_inner(key, limit).await {
            Ok((size, md5)) => ReadBack::Hashed { size, md5 },
            Err(e) => ReadBack::Failed(crate::chain::error_chain(&e)),
        }
    }

    pub(crate) async fn read_back_inner(
        &self,
        key: &str,
        limit: u64,
    ) -> Result<(u64, [u8; 16]), S3Error> {
        let got = self
            .client
            .get_object()
            .bucket(&self.settings.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| self.ctx.map("GetObject", e))?;
        let mut body = got.body;
        let mut hasher = Md5::new();
        let mut size = 0u64;
        while let Some(chunk) = body.try_next().await.map_err(|e| S3Error::Request {
            operation: "GetObject",
            code: "body".into(),
            status: 0,
            message: e.to_string(),
        })? {
            let room = (limit + 1).saturating_sub(size);
            let take = (chunk.len() as u64).min(room) as usize;
            hasher.update(&chunk[..take]);
            size += take as u64;
            if size > limit {
                break;
            }
        }
        Ok((size, hasher.finalize().into()))
    }
}

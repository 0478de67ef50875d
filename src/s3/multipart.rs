//! One multipart upload's S3 side: `CreateMultipartUpload`, parts uploaded concurrently with
//! `Content-MD5` (bounded: [`Multipart::push`] waits while `limit` parts are in flight),
//! `CompleteMultipartUpload` with every part in order, and `AbortMultipartUpload`. Each part's
//! MD5 comes with its bytes (hashed by the caller as they streamed in: no second pass). Each part's
//! bytes live in one `Bytes` until that part succeeded, so the SDK's retries re-send exactly
//! the same bytes. The MD5 of every part is kept by part number, so the caller can compare the
//! multipart ETag S3 answers with the one computed locally ([`super::proof`]). Policy (when to
//! create, when to complete, whether the answer proves the bytes) belongs to [`super::upload`].

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use base64::Engine as _;
use bytes::Bytes;
use md5::{Digest, Md5};
use tokio::task::JoinSet;

use super::error::{record, S3Error};
use super::S3Target;
use crate::metrics::{MULTIPART_ABORTED, PARTS_RESENT};

/// How long an explicit abort lets the parts already in flight finish before cancelling them.
const IN_FLIGHT_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Pure: `Some(answered)` when a part's ETag is an MD5 and not the MD5 of the bytes sent (the
/// part changed on the way); `None` when it matches or proves nothing either way (SSE-KMS and
/// other non-MD5 ETags, left to the object's proof).
pub(crate) fn part_etag_disproves(e_tag: &str, sent_md5: &[u8; 16]) -> Option<String> {
    match super::proof::form(e_tag) {
        super::proof::EtagForm::Md5(hex) if hex != hex::encode(sent_md5) => Some(hex),
        _ => None,
    }
}

/// An open multipart upload and its parts.
pub(crate) struct Multipart {
    target: S3Target,
    key: String,
    upload_id: String,
    next_part: i32,
    in_flight: JoinSet<Result<(CompletedPart, [u8; 16]), S3Error>>,
    /// Parts S3 accepted, with the MD5 of the bytes we sent for each.
    done: Vec<(CompletedPart, [u8; 16])>,
    /// Completed or aborted: nothing left to clean up on drop.
    closed: bool,
    /// `CompleteMultipartUpload` was sent: the object may exist even if the answer failed.
    complete_sent: bool,
    /// The part MD5s in order, once `complete` gathered them.
    digests: Vec<[u8; 16]>,
}

impl Multipart {
    /// Starts the upload; `request` is a prepared `CreateMultipartUpload` (metadata, SSE …).
    pub(crate) async fn create(
        target: &S3Target,
        key: &str,
        request: aws_sdk_s3::operation::create_multipart_upload::builders::CreateMultipartUploadFluentBuilder,
    ) -> Result<Multipart, S3Error> {
        const OP: &str = "CreateMultipartUpload";
        // Sent from a tracked task: a caller cancelled while the request is in flight (a
        // SIGTERM) must not leave an upload S3 created but nobody knows the id of. When the
        // caller is gone by the time S3 answers, the task aborts the upload itself, and the
        // run's exit waits for it like any other abort.
        let (tx, rx) = tokio::sync::oneshot::channel();
        let (owner, owned_key) = (target.clone(), key.to_string());
        tokio::spawn(target.aborts.track_future(async move {
            if let Err(Ok(orphan)) = tx.send(request.send().await) {
                if let Some(id) = orphan.upload_id().filter(|id| !id.is_empty()) {
                    send_abort(&owner, &owned_key, id).await;
                }
            }
        }));
        let out = rx
            .await
            .map_err(|e| S3Error::Task {
                operation: OP,
                detail: e.to_string(),
            })?
            .map_err(|e| target.ctx.map(OP, e))?;
        let Some(upload_id) = out.upload_id().filter(|id| !id.is_empty()) else {
            let e = missing(OP, "UploadId");
            record(OP, &e);
            return Err(e);
        };
        Ok(Multipart {
            target: target.clone(),
            key: key.to_string(),
            upload_id: upload_id.to_string(),
            next_part: 1,
            in_flight: JoinSet::new(),
            done: Vec::new(),
            closed: false,
            complete_sent: false,
            digests: Vec::new(),
        })
    }

    /// Sends the next part in the background, first waiting while `limit` parts are in flight.
    /// `digest` is the MD5 of `body`, computed by the caller as the bytes arrived (the part's
    /// `Content-MD5`; S3 refuses the part if the bytes sent differ from the bytes hashed).
    /// A failure of any earlier part is returned here.
    pub(crate) async fn push(
        &mut self,
        body: Bytes,
        digest: [u8; 16],
        limit: usize,
    ) -> Result<(), S3Error> {
        while self.in_flight.len() >= limit.max(1) {
            self.join_one().await?;
        }
        let part_number = self.next_part;
        self.next_part += 1;
        let client = self.target.client.clone();
        let ctx = self.target.ctx.clone();
        let bucket = self.target.settings.bucket.clone();
        let sign_payload = self.target.settings.sign_payload;
        let (key, upload_id) = (self.key.clone(), self.upload_id.clone());
        self.in_flight.spawn(async move {
            const OP: &str = "UploadPart";
            let len = body.len();
            // issue 7 (metrics): the part's bytes, held until it is sent (or cancelled).
            let _held = crate::metrics::Held::new(
                metrics::gauge!(crate::metrics::BUFFERED_BYTES),
                len as u64,
            );
            let md5 = base64::engine::general_purpose::STANDARD.encode(digest);
            // A part whose answered ETag is an MD5 other than ours changed on the way (a
            // server that ignores Content-MD5): re-send it now, while its bytes are at hand,
            // rather than fail the whole object at CompleteMultipartUpload.
            let mut attempt = 1;
            let e_tag = loop {
                let req = client
                    .upload_part()
                    .bucket(&bucket)
                    .key(&key)
                    .upload_id(&upload_id)
                    .part_number(part_number)
                    .content_md5(&md5)
                    .content_length(i64::try_from(len).unwrap_or(i64::MAX))
                    .body(ByteStream::from(body.clone()))
                    .customize();
                let req = if sign_payload {
                    req
                } else {
                    req.disable_payload_signing()
                };
                let out = req.send().await.map_err(|e| ctx.map(OP, e))?;
                let Some(e_tag) = out.e_tag() else {
                    let e = missing(OP, "ETag");
                    record(OP, &e);
                    return Err(e);
                };
                match part_etag_disproves(e_tag, &digest) {
                    None => break e_tag.to_string(),
                    Some(got) if attempt < super::confirm::PROOF_SENDS => {
                        metrics::counter!(PARTS_RESENT).increment(1);
                        tracing::warn!(part_number, attempt, answered = %got, "part ETag is not the MD5 sent; re-sending the part");
                        attempt += 1;
                    }
                    Some(got) => {
                        let e = S3Error::EtagMismatch {
                            operation: OP,
                            expected: hex::encode(digest),
                            got,
                        };
                        record(OP, &e);
                        return Err(e);
                    }
                }
            };
            let part = CompletedPart::builder()
                .part_number(part_number)
                .e_tag(e_tag)
                .build();
            Ok((part, digest))
        });
        Ok(())
    }

    /// The MD5 of every part in order, once `complete` was called.
    pub(crate) fn digests(&self) -> &[[u8; 16]] {
        &self.digests
    }

    /// Whether `CompleteMultipartUpload` was sent (answered or not).
    pub(crate) fn complete_sent(&self) -> bool {
        self.complete_sent
    }

    /// Number of parts handed to [`push`](Self::push) so far.
    pub(crate) fn parts(&self) -> usize {
        usize::try_from(self.next_part - 1).unwrap_or(0)
    }

    async fn join_one(&mut self) -> Result<(), S3Error> {
        match self.in_flight.join_next().await {
            Some(Ok(Ok(part))) => {
                self.done.push(part);
                Ok(())
            }
            Some(Ok(Err(e))) => Err(e),
            Some(Err(join)) => Err(S3Error::Task {
                operation: "UploadPart",
                detail: join.to_string(),
            }),
            None => Ok(()),
        }
    }

    /// Waits for every part, then `CompleteMultipartUpload` with the parts in order. Returns
    /// the object's ETag as answered and the MD5 of every part in part order. On error the
    /// caller still owns the upload and must abort it.
    pub(crate) async fn complete(
        &mut self,
        if_none_match: bool,
    ) -> Result<(Option<String>, Vec<[u8; 16]>), S3Error> {
        const OP: &str = "CompleteMultipartUpload";
        while !self.in_flight.is_empty() {
            self.join_one().await?;
        }
        let mut done = std::mem::take(&mut self.done);
        done.sort_by_key(|(p, _)| p.part_number());
        let (parts, digests): (Vec<CompletedPart>, Vec<[u8; 16]>) = done.into_iter().unzip();
        self.digests = digests.clone();
        let numbered_in_order = parts
            .iter()
            .enumerate()
            .all(|(i, p)| p.part_number() == i32::try_from(i + 1).ok());
        if parts.is_empty() || !numbered_in_order || parts.len() != self.parts() {
            return Err(S3Error::Task {
                operation: OP,
                detail: format!("{} parts sent, {} accounted for", self.parts(), parts.len()),
            });
        }
        self.complete_sent = true;
        let out = self
            .target
            .client
            .complete_multipart_upload()
            .bucket(&self.target.settings.bucket)
            .key(&self.key)
            .upload_id(&self.upload_id)
            .set_if_none_match(if_none_match.then(|| "*".to_string()))
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| self.target.ctx.map(OP, e))?;
        self.closed = true;
        Ok((out.e_tag().map(str::to_string), digests))
    }

    /// Lets parts in flight finish (or cancels them after [`IN_FLIGHT_GRACE`]), then
    /// `AbortMultipartUpload`. Never
    /// fails loudly: a failed abort is logged and counted (a bucket lifecycle rule for
    /// incomplete multipart uploads is the backstop).
    pub(crate) async fn abort(mut self) {
        // Parts already on the wire are let finish first (up to `IN_FLIGHT_GRACE`): a part
        // the server is still writing when the abort arrives can outlive the abort and leave
        // the upload open. Whatever is still running then is cancelled.
        let settle = async { while self.in_flight.join_next().await.is_some() {} };
        if tokio::time::timeout(IN_FLIGHT_GRACE, settle).await.is_err() {
            self.in_flight.abort_all();
            while self.in_flight.join_next().await.is_some() {}
        }
        send_abort(&self.target, &self.key, &self.upload_id).await;
        self.closed = true;
    }
}

impl Drop for Multipart {
    /// Dropped neither completed nor aborted (an `Upload` dropped uncommitted, a cancelled
    /// commit): parts in flight are cancelled with the `JoinSet`, and the abort request is
    /// sent from a task spawned on the current runtime. Outside a runtime it is only logged.
    fn drop(&mut self) {
        if self.closed {
            return;
        }
        self.in_flight.abort_all();
        let (target, key, id) = (
            self.target.clone(),
            self.key.clone(),
            self.upload_id.clone(),
        );
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                let tracker = target.aborts.clone();
                rt.spawn(tracker.track_future(async move { send_abort(&target, &key, &id).await }));
            }
            Err(_) => tracing::warn!(key = %key,
                "multipart upload dropped outside a runtime; left for a lifecycle rule"),
        }
    }
}

pub(crate) async fn send_abort(target: &S3Target, key: &str, upload_id: &str) {
    const OP: &str = "AbortMultipartUpload";
    let res = target
        .client
        .abort_multipart_upload()
        .bucket(&target.settings.bucket)
        .key(key)
        .upload_id(upload_id)
        .send()
        .await;
    match res {
        Ok(_) => {
            metrics::counter!(MULTIPART_ABORTED).increment(1);
            tracing::info!(key = %key, "multipart upload aborted");
        }
        Err(e) => {
            let e = target.ctx.map(OP, e);
            tracing::warn!(key = %key, upload_id = %upload_id, error = %e,
                "could not abort multipart upload; a lifecycle rule must clean it up");
        }
    }
}

/// Bodies up to this size are hashed in place: cheaper than a hop to a blocking thread.
const INLINE_MD5_MAX: usize = 64 * 1024;

/// MD5 of `body`, hashed off the async workers (in place when it is small: sidecars, index
/// files).
pub(crate) async fn md5_of(body: Bytes) -> Result<[u8; 16], S3Error> {
    if body.len() <= INLINE_MD5_MAX {
        return Ok(Md5::digest(&body).into());
    }
    tokio::task::spawn_blocking(move || Md5::digest(&body).into())
        .await
        .map_err(|e| S3Error::Task {
            operation: "md5",
            detail: e.to_string(),
        })
}

fn missing(operation: &'static str, what: &str) -> S3Error {
    S3Error::Request {
        operation,
        code: "MalformedResponse".to_string(),
        status: 200,
        message: format!("answer lacks {what}"),
    }
}

#[cfg(test)]
mod part_proof_tests {
    use super::part_etag_disproves;

    #[test]
    fn a_part_etag_disproves_only_as_an_other_md5() {
        let sent = [0xab_u8; 16];
        let ours = format!("\"{}\"", hex::encode(sent));
        let other = format!("\"{}\"", hex::encode([0xcd_u8; 16]));
        let table: &[(&str, Option<String>)] = &[
            (&ours, None),
            (&ours.to_uppercase(), None),
            (&other, Some(hex::encode([0xcd_u8; 16]))),
            // SSE-KMS and other non-MD5 ETags prove nothing either way.
            ("\"kms-opaque-etag\"", None),
            ("\"0123\"", None),
            ("", None),
        ];
        for (e_tag, want) in table {
            assert_eq!(&part_etag_disproves(e_tag, &sent), want, "{e_tag}");
        }
    }
}

//! After every write that creates an object (`PutObject`, `CompleteMultipartUpload`): S3's
//! answer is judged by the rules of [`super::proof`] under `S3_VERIFY`, the object is read back
//! (GetObject through MD5, size and digest compared) where the ETag cannot prove it, and an
//! object that is not proven is deleted before the typed failure is returned, so it never
//! stays looking verified. Success is a [`Proven`], which only this module makes; a
//! [`super::Committed`] cannot exist without one. Decides nothing about retries.

use super::error::{record, S3Error};
use super::proof::{self, Next, Sent, Verdict};
use super::{S3Target, Sse};

/// How the stored bytes were proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProvenBy {
    /// S3's ETag equals the one computed from the bytes sent.
    Etag,
    /// The object was read back and its size and MD5 are the bytes sent.
    ReadBack,
    /// Our conditional write was refused (412): someone else wrote the key, and what is there
    /// is proven to be the same bytes. It counts present, not exported.
    AlreadyThere,
}

/// Evidence that the bytes S3 stored at a key are the bytes sent: made only here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proven {
    by: ProvenBy,
}

impl Proven {
    pub fn by(&self) -> ProvenBy {
        self.by
    }

    #[cfg(test)]
    pub(crate) fn for_tests() -> Proven {
        Proven { by: ProvenBy::Etag }
    }
}

/// Sends of one write (a part, a `PutObject`) whose stored bytes S3's answer disproved,
/// before it fails: the bytes changed on the way to a server that ignores `Content-MD5`.
pub const PROOF_SENDS: u32 = 3;

/// Runs `send` (one `PutObject` whose bytes are at hand) again while its answer disproves the
/// stored bytes — [`S3Target::confirm`] has deleted them by then — up to [`PROOF_SENDS`] sends.
pub(crate) async fn resend_while_disproved<T, F, Fut>(key: &str, mut send: F) -> Result<T, S3Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, S3Error>>,
{
    let mut attempt = 1;
    loop {
        match send().await {
            Err(e @ (S3Error::EtagMismatch { .. } | S3Error::ReadBackMismatch { .. }))
                if attempt < PROOF_SENDS =>
            {
                tracing::warn!(key, attempt, error = %e, "stored bytes disproved; sending them again");
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// What was written, for the proof.
pub(crate) struct Written<'a> {
    pub operation: &'static str,
    pub key: &'a str,
    pub e_tag: Option<&'a str>,
    pub sent: Sent<'a>,
    pub size: u64,
    pub md5: [u8; 16],
}

impl S3Target {
    /// Proves `w` or deletes the object and fails; see the module docs.
    pub(crate) async fn confirm(&self, w: Written<'_>) -> Result<Proven, S3Error> {
        let verdict = proof::judge(w.e_tag, w.sent);
        let kms = matches!(self.settings.sse, Some(Sse::Kms { .. }));
        let res = match proof::next(self.settings.verify, kms, &verdict) {
            Next::Accept => Ok(Proven { by: ProvenBy::Etag }),
            Next::ReadBack => self
                .prove_by_reading(w.key, w.size, w.md5)
                .await
                .map(|()| Proven {
                    by: ProvenBy::ReadBack,
                }),
            Next::Reject => {
                let e = rejected(w.operation, verdict);
                record(w.operation, &e);
                Err(e)
            }
        };
        if let Err(e) = &res {
            tracing::warn!(key = %w.key, error = %e, "stored object not proven; deleting it");
            self.delete_unproven(w.key).await;
        }
        res
    }

    /// GetObject, streamed through MD5 ([`S3Target::read_back_inner`], never whole in
    /// memory): `size` bytes with MD5 `md5`, or a typed failure.
    pub(crate) async fn prove_by_reading(
        &self,
        key: &str,
        size: u64,
        md5: [u8; 16],
    ) -> Result<(), S3Error> {
        let (got, got_md5) = self.read_back_inner(key, size).await?;
        if got == size && got_md5 == md5 {
            return Ok(());
        }
        let e = S3Error::ReadBackMismatch {
            size: got,
            md5: if got > size {
                "(not computed: too long)".into()
            } else {
                hex::encode(got_md5)
            },
            want_size: size,
            want_md5: hex::encode(md5),
        };
        record("GetObject", &e);
        Err(e)
    }

    /// After a 412 on our conditional write of `w`: proves the object someone else wrote is
    /// the same bytes ([`super::conditional::after_412`], a read-back where the ETag cannot
    /// tell), or fails with [`S3Error::WrittenByOther`]. Never deletes or overwrites it.
    /// Returns the ETag of the object there.
    pub(crate) async fn confirm_theirs(
        &self,
        w: Written<'_>,
    ) -> Result<(Proven, Option<String>), S3Error> {
        use super::conditional::{after_412, After412};
        let theirs = self.existing(w.key).await?;
        let seen = theirs.as_ref().map(|o| (o.size, o.e_tag.as_deref()));
        let detail = match after_412(seen, w.size, w.sent) {
            After412::Same => None,
            After412::ReadBack => match self.prove_by_reading(w.key, w.size, w.md5).await {
                Ok(()) => None,
                Err(e) => Some(e.to_string()),
            },
            After412::Different(why) => Some(why),
        };
        match detail {
            None => {
                tracing::info!(key = %w.key, "key already written with the same bytes; present");
                let proven = Proven {
                    by: ProvenBy::AlreadyThere,
                };
                Ok((proven, theirs.and_then(|o| o.e_tag)))
            }
            Some(detail) => {
                let e = S3Error::WrittenByOther {
                    operation: w.operation,
                    detail,
                };
                record(w.operation, &e);
                Err(e)
            }
        }
    }

    /// Deletes an object that must not stay looking verified. In a versioned (e.g. Object
    /// Lock) bucket this adds a delete marker: the key reads as absent and the next run
    /// exports it again, while the bad version stays until its retention ends.
    pub(crate) async fn delete_unproven(&self, key: &str) {
        let res = self
            .client
            .delete_object()
            .bucket(&self.settings.bucket)
            .key(key)
            .send()
            .await;
        if let Err(e) = res {
            let e = self.ctx.map("DeleteObject", e);
            tracing::warn!(key = %key, error = %e,
                "could not delete an unproven object; the next run's presence check will not count it");
        }
    }
}

fn rejected(operation: &'static str, verdict: Verdict) -> S3Error {
    match verdict {
        Verdict::Mismatch { expected, got } => S3Error::EtagMismatch {
            operation,
            expected,
            got,
        },
        Verdict::Missing => S3Error::NoProof {
            operation,
            detail: "the answer carries no ETag (not an S3 answer?)".into(),
        },
        Verdict::Unprovable { got } => S3Error::NoProof {
            operation,
            detail: format!(
                "ETag {got:?} is not an MD5 form; set S3_VERIFY=auto or read-back for this endpoint"
            ),
        },
        Verdict::Proven => S3Error::NoProof {
            operation,
            detail: "the ETag cannot prove bytes under SSE-KMS; set S3_VERIFY=auto or read-back"
                .into(),
        },
    }
}

#[cfg(test)]
#[path = "confirm_tests.rs"]
mod tests;

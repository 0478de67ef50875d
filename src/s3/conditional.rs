//! Each key written once: `If-None-Match: *` on the `PutObject` and `CompleteMultipartUpload`
//! that create objects, where the endpoint honours it (`S3_CONDITIONAL_WRITES`). Honouring is
//! probed once per run at connect: a small probe object under `<prefix>_css-sync/` is put twice
//! with `If-None-Match: *` (the second must answer 412), then deleted. A 412 on our own write
//! means someone already wrote the key: [`after_412`] decides, from what is there now, whether
//! it is the same bytes (then the object counts present, not exported twice) or not (then it
//! is a typed failure: it is not ours to overwrite blindly). Sidecars and index files are
//! written unconditionally (a sidecar is rewritten on repair; index keys are unique per run).

use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_s3::primitives::ByteStream;
use base64::Engine as _;
use md5::{Digest as _, Md5};

use super::error::S3Error;
use super::proof::{self, Sent, Verdict};
use super::S3Target;

/// `S3_CONDITIONAL_WRITES`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ConditionalWrites {
    /// Used when the probe shows the endpoint honours them (default).
    #[default]
    Auto,
    /// Required: the run stops at start (exit 3) when the endpoint does not honour them.
    On,
    /// Never sent.
    Off,
}

impl ConditionalWrites {
    pub fn parse(s: &str) -> Option<ConditionalWrites> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(ConditionalWrites::Auto),
            "on" | "true" => Some(ConditionalWrites::On),
            "off" | "false" => Some(ConditionalWrites::Off),
            _ => None,
        }
    }
}

/// Whether an S3 failure is a 412 Precondition Failed (the key exists).
pub fn is_precondition_failed(e: &S3Error) -> bool {
    matches!(e, S3Error::Request { status: 412, .. })
        || matches!(e, S3Error::Request { code, .. } if code == "PreconditionFailed")
}

/// What to do after a 412 on our write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum After412 {
    /// The object there is the one we would have written: present.
    Same,
    /// Its ETag proves nothing (SSE-KMS): read it back to decide.
    ReadBack,
    /// Someone else's different object (or it vanished): fail, never overwrite blindly.
    Different(String),
}

/// Decides after a 412 from the object now at the key (`None`: gone again) and what we sent.
pub fn after_412(theirs: Option<(u64, Option<&str>)>, size: u64, sent: Sent<'_>) -> After412 {
    let Some((their_size, e_tag)) = theirs else {
        return After412::Different("the object that refused our write is gone".into());
    };
    if their_size != size {
        return After412::Different(format!("{their_size} bytes there, {size} sent"));
    }
    match proof::judge(e_tag, sent) {
        Verdict::Proven => After412::Same,
        Verdict::Unprovable { .. } => After412::ReadBack,
        Verdict::Missing => After412::Different("the object there has no ETag".into()),
        Verdict::Mismatch { expected, got } => {
            After412::Different(format!("ETag {got} there, {expected} sent"))
        }
    }
}

impl S3Target {
    /// A fresh key for a probe object under `<prefix>_css-sync/`: `<stem>-<nanos hex><ext>`.
    pub(crate) fn probe_key(&self, stem: &str, ext: &str) -> String {
        let nonce = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        format!(
            "{}_css-sync/{stem}-{nonce:x}{ext}",
            self.settings.keys.prefix()
        )
    }

    /// Probes whether the endpoint honours `If-None-Match: *` on `PutObject`, leaving nothing
    /// behind (the probe is deleted; in a versioned bucket a delete marker hides it).
    pub async fn probe_conditional_writes(&self) -> Result<bool, S3Error> {
        const OP: &str = "PutObject";
        let key = self.probe_key("conditional-write-probe", "");
        let body = b"css-sync conditional write probe";
        let md5 = base64::engine::general_purpose::STANDARD.encode(Md5::digest(body));
        let put = || {
            self.client
                .put_object()
                .bucket(&self.settings.bucket)
                .key(&key)
                .if_none_match("*")
                .content_md5(md5.clone())
                .body(ByteStream::from_static(body))
                .send()
        };
        put().await.map_err(|e| self.ctx.map(OP, e))?;
        let second = put().await.map_err(|e| self.ctx.map(OP, e));
        self.delete_unproven(&key).await;
        match second {
            Ok(_) => Ok(false),
            Err(e) if is_precondition_failed(&e) => Ok(true),
            // 501 / NotImplemented: a server that rejects the header outright.
            Err(S3Error::Request { status: 501, .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Before re-exporting an object found not proven at presence time: with conditional
    /// writes on, deletes it (our `If-None-Match: *` write would otherwise be refused by it);
    /// without, the write simply overwrites it.
    pub async fn clear_for_rewrite(&self, key: &str) {
        if self.if_none_match {
            self.delete_unproven(key).await;
        }
    }

    /// Applies `S3_CONDITIONAL_WRITES`: probes (unless `off`) and enables the header when
    /// honoured; with `on`, an endpoint that does not honour it is an error.
    pub async fn set_up_conditional_writes(&mut self) -> Result<(), S3Error> {
        let mode = self.settings.conditional_writes;
        if mode == ConditionalWrites::Off {
            return Ok(());
        }
        let honoured = self.probe_conditional_writes().await?;
        tracing::info!(honoured, "conditional writes (If-None-Match) probed");
        if !honoured && mode == ConditionalWrites::On {
            return Err(S3Error::Config(
                "S3_CONDITIONAL_WRITES=on, but the endpoint does not honour If-None-Match: * \
                 on PutObject (set auto or off)"
                    .into(),
            ));
        }
        self.if_none_match = honoured;
        Ok(())
    }
}

#[cfg(test)]
#[path = "conditional_tests.rs"]
mod tests;

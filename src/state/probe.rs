//! The once-per-store probe of `If-Match`: a probe document under `<prefix>_css-sync/check/`
//! is written, then written again with a wrong `If-Match` and with `If-None-Match: *`; both
//! must answer 412 ([`super::rules::honoured`]). The probe is deleted whatever the answers (in
//! a versioned bucket a delete marker hides it). Never touches a state document.

use aws_sdk_s3::primitives::ByteStream;

use super::rules::{self, ProbeAnswer};
use super::store::{content_md5, DocStore};
use super::StateError;
use crate::s3::conditional::is_precondition_failed;
use crate::s3::S3Error;

/// An ETag no object has: the probe's wrong `If-Match`.
const WRONG_E_TAG: &str = "\"00000000000000000000000000000000\"";

impl DocStore {
    /// Whether the endpoint honours `If-Match` and `If-None-Match: *` on `PutObject`.
    pub(super) async fn probe_if_match(&self) -> Result<bool, StateError> {
        const OP: &str = "PutObject";
        let key = self.s3.probe_key("check/state-if-match-probe", ".json");
        let body: &'static [u8] = b"{\"probe\":\"css-sync If-Match\"}";
        let md5 = content_md5(body);
        let put = |if_match: Option<&str>, if_none_match: Option<&str>| {
            self.s3
                .client
                .put_object()
                .bucket(&self.s3.settings.bucket)
                .key(&key)
                .content_md5(md5.clone())
                .set_if_match(if_match.map(str::to_string))
                .set_if_none_match(if_none_match.map(str::to_string))
                .body(ByteStream::from_static(body))
                .send()
        };
        let answer = |r: Result<_, S3Error>| match r {
            Ok(_) => Ok(ProbeAnswer::Accepted),
            Err(e) if is_precondition_failed(&e) => Ok(ProbeAnswer::Refused),
            Err(S3Error::Request { status: 501, .. }) => Ok(ProbeAnswer::NotImplemented),
            Err(e) => Err(e),
        };
        let first = put(None, None).await.map_err(|e| self.s3.ctx.map(OP, e));
        if let Err(e) = first {
            return Err(self.s3_error(&key, e));
        }
        let wrong = answer(
            put(Some(WRONG_E_TAG), None)
                .await
                .map_err(|e| self.s3.ctx.map(OP, e)),
        );
        let absent = answer(
            put(None, Some("*"))
                .await
                .map_err(|e| self.s3.ctx.map(OP, e)),
        );
        self.s3.delete_unproven(&key).await;
        let (wrong, absent) = match (wrong, absent) {
            (Ok(w), Ok(a)) => (w, a),
            (Err(e), _) | (_, Err(e)) => return Err(self.s3_error(&key, e)),
        };
        tracing::debug!(?wrong, ?absent, "If-Match probe answers");
        Ok(rules::honoured(wrong, absent))
    }
}

//! Bulk download jobs: start (JSON array of ids), status by zip name, cancel. Both documented
//! answer shapes are accepted (the guide's object, the spec's one-element array). Downloading
//! the finished zip lives in `download`; deciding when to poll or give up is the caller's.

use bytes::Bytes;
use reqwest::Method;
use tracing::debug;

use super::model::{self, JobStatus};
use super::retry::Idempotency;
use super::{CssClient, CssError};

impl CssClient {
    /// Starts a bulk download job for `ids` (JSON array body). Retried on 429/503 and on
    /// transport errors before a response, never on other 5xx; a connection lost after the
    /// server accepted the request can orphan a job (see `retry::Idempotency::NotIdempotent`).
    pub async fn start_bulk(&self, region: &str, ids: &[String]) -> Result<JobStatus, CssError> {
        const EP: &str = "start";
        if ids.is_empty() {
            return Err(CssError::Config(
                "start_bulk needs at least one object id".into(),
            ));
        }
        let mut req = self.json_req(EP, region, Method::POST, &["bulk", "download", "start"])?;
        req.mode = Idempotency::NotIdempotent;
        let body = serde_json::to_vec(ids).map_err(|source| CssError::Decode {
            endpoint: EP,
            source,
        })?;
        req.json_body = Some(Bytes::from(body));
        let body = self.fetch_bytes(&req).await?;
        let status = parse_status(EP, &body)?;
        debug!(region, endpoint = EP, objects = ids.len(), status = ?status.status, "bulk job started");
        Ok(status)
    }

    /// The status of one bulk job. A job the server does not know is [`CssError::NotFound`].
    pub async fn bulk_status(&self, region: &str, zip_name: &str) -> Result<JobStatus, CssError> {
        const EP: &str = "status";
        let segs = ["bulk", "download", "status", zip_name];
        let req = self.json_req(EP, region, Method::GET, &segs)?;
        let status = parse_status(EP, &self.fetch_bytes(&req).await?)?;
        if status.zip_name != zip_name {
            return Err(CssError::UnexpectedBody {
                endpoint: EP,
                detail: "status is for a different zipName".into(),
            });
        }
        Ok(status)
    }

    /// Cancels a bulk job. Any 2xx (with or without a body) counts as cancelled.
    pub async fn cancel_bulk(&self, region: &str, zip_name: &str) -> Result<(), CssError> {
        let segs = ["bulk", "download", "cancel", zip_name];
        let req = self.json_req("cancel", region, Method::POST, &segs)?;
        self.fetch_bytes(&req).await.map(drop)
    }
}

fn parse_status(endpoint: &'static str, body: &[u8]) -> Result<JobStatus, CssError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(CssError::UnexpectedBody {
            endpoint,
            detail: "empty body where a job status was expected".into(),
        });
    }
    let status =
        model::parse_job_status(body).map_err(|source| CssError::Decode { endpoint, source })?;
    if status.zip_name.trim().is_empty() {
        return Err(CssError::UnexpectedBody {
            endpoint,
            detail: "job status without a zipName".into(),
        });
    }
    Ok(status)
}

//! Bulk download jobs: start (JSON array of ids), status by zip name, cancel. Both documented
//! answer shapes are accepted (the guide's object, the spec's array): a start may answer
//! several zips, each its own job; an empty array or an answer without a body is a typed
//! error. The all-jobs status (`GET …/bulk/download/status`, issue 8) is accepted as the spec's
//! array (empty = no jobs), the guide's single object, or an empty body (no jobs). Downloading
//! the finished zip lives in `download`; deciding when to poll or give up is the caller's.

use bytes::Bytes;
use reqwest::Method;
use tracing::debug;

use super::model::{self, JobStatus, StatusShapeError};
use super::retry::Idempotency;
use super::{CssClient, CssError};

impl CssClient {
    /// Starts a bulk download job for `ids` (JSON array body); the answer names one zip or
    /// several (never none, never one twice), each to be polled and downloaded. Retried on 429/503 and on
    /// transport errors before a response, never on other 5xx; a connection lost after the
    /// server accepted the request can orphan a job (see `retry::Idempotency::NotIdempotent`).
    pub async fn start_bulk(
        &self,
        region: &str,
        ids: &[String],
    ) -> Result<Vec<JobStatus>, CssError> {
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
        let body = self.fetch_json(&req).await?;
        let jobs = parse_statuses(EP, &body)?;
        let mut names = std::collections::HashSet::new();
        if let Some(twice) = jobs.iter().find(|j| !names.insert(j.zip_name.as_str())) {
            return Err(CssError::UnexpectedBody {
                endpoint: EP,
                detail: format!("zipName {:?} answered twice", twice.zip_name),
            });
        }
        debug!(
            region,
            endpoint = EP,
            objects = ids.len(),
            zips = jobs.len(),
            "bulk job started"
        );
        Ok(jobs)
    }

    /// The status of one bulk job. A job the server does not know is [`CssError::NotFound`];
    /// an array answer must hold this zip's status (others in it are ignored).
    pub async fn bulk_status(&self, region: &str, zip_name: &str) -> Result<JobStatus, CssError> {
        const EP: &str = "status";
        let segs = ["bulk", "download", "status", zip_name];
        let req = self.json_req(EP, region, Method::GET, &segs)?;
        let jobs = parse_statuses(EP, &self.fetch_json(&req).await?)?;
        jobs.into_iter()
            .find(|s| s.zip_name == zip_name)
            .ok_or_else(|| CssError::UnexpectedBody {
                endpoint: EP,
                detail: "status is for a different zipName".into(),
            })
    }

    // issue 8 (polling)
    /// The status of every bulk job of the region (one request for all jobs in flight); counted
    /// under the same `status` endpoint as [`CssClient::bulk_status`]. Entries without a
    /// zipName cannot be matched to a job and are dropped.
    pub async fn bulk_statuses(&self, region: &str) -> Result<Vec<JobStatus>, CssError> {
        const EP: &str = "status";
        let req = self.json_req(EP, region, Method::GET, &["bulk", "download", "status"])?;
        parse_all_statuses(EP, &self.fetch_bytes(&req).await?)
    }
    // end issue 8 (polling)

    /// Cancels a bulk job. Any 2xx (with or without a body) counts as cancelled.
    pub async fn cancel_bulk(&self, region: &str, zip_name: &str) -> Result<(), CssError> {
        let segs = ["bulk", "download", "cancel", zip_name];
        let req = self.json_req("cancel", region, Method::POST, &segs)?;
        self.fetch_bytes(&req).await.map(drop)
    }
}

fn parse_statuses(endpoint: &'static str, body: &[u8]) -> Result<Vec<JobStatus>, CssError> {
    let jobs = model::parse_job_statuses(body).map_err(|e| match e {
        StatusShapeError::EmptyArray => CssError::EmptyJobList { endpoint },
        StatusShapeError::Json(source) => CssError::Decode { endpoint, source },
    })?;
    if jobs.iter().any(|s| s.zip_name.trim().is_empty()) {
        return Err(CssError::UnexpectedBody {
            endpoint,
            detail: "job status without a zipName".into(),
        });
    }
    Ok(jobs)
}

// issue 8 (polling)
/// An all-jobs answer: whitespace or `[]` is no jobs; otherwise either documented shape.
pub(crate) fn parse_all_statuses(
    endpoint: &'static str,
    body: &[u8],
) -> Result<Vec<JobStatus>, CssError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    match model::parse_job_statuses(body) {
        Ok(jobs) => Ok(jobs
            .into_iter()
            .filter(|s| !s.zip_name.trim().is_empty())
            .collect()),
        Err(StatusShapeError::EmptyArray) => Ok(Vec::new()),
        Err(StatusShapeError::Json(source)) => Err(CssError::Decode { endpoint, source }),
    }
}

#[cfg(test)]
mod all_statuses_tests {
    use super::*;
    use crate::css::model::JobState;

    #[test]
    fn every_documented_all_jobs_shape_is_accepted() {
        let names = |b: &[u8]| -> Vec<(String, JobState)> {
            parse_all_statuses("status", b)
                .unwrap()
                .into_iter()
                .map(|s| (s.zip_name, s.status))
                .collect()
        };
        assert!(names(b"").is_empty());
        assert!(names(b"  \n").is_empty());
        assert!(names(b"[]").is_empty());
        assert_eq!(
            names(br#"{"zipName":"a.zip","status":"DONE"}"#),
            vec![("a.zip".into(), JobState::Done)]
        );
        assert_eq!(
            names(
                br#"[{"zipName":"a.zip","status":"IN_PROGRESS","content":["x"]},
                {"zipName":" ","status":"DONE"},{"zipName":"b.zip","status":"PARTIAL_DONE","url":"u"}]"#
            ),
            vec![
                ("a.zip".into(), JobState::InProgress),
                ("b.zip".into(), JobState::PartialDone)
            ]
        );
        for bad in [&b"<html>"[..], b"{}", b"7", b"[1]"] {
            assert!(matches!(
                parse_all_statuses("status", bad),
                Err(CssError::Decode { .. })
            ));
        }
    }
}
// end issue 8 (polling)

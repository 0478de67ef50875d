//! The completion webhook (`CSS_SYNC_WEBHOOK_URL`): at the end of every run that produced a
//! report — success, failed objects, a fatal report (exit 3 with a report), an interrupt — one
//! `POST` of the run [`Summary`] as `application/json`: run id, start, duration, exit code,
//! regions, totals, per-group counts, error and failure counts, the index summary; never the
//! per-object list, sent by [`crate::delivery`] (a timeout per attempt, bounded attempts, only
//! the host ever logged). A webhook failure is logged as an error and returned; it never changes the exit
//! code. This module only sends; it never reads the report file or decides the exit code.

use crate::index::IndexSummary;
use crate::report::{Counts, GroupReport, Report};
use crate::secret::Secret;
use serde::Serialize;
use tracing::{error, info};

/// The JSON body: the report without the per-object failure list.
#[derive(Debug, Serialize)]
pub struct Summary<'a> {
    pub run_id: &'a str,
    pub started_at: &'a str,
    pub duration_secs: f64,
    pub exit_code: u8,
    pub regions: &'a [String],
    pub totals: &'a Counts,
    pub groups: &'a [GroupReport],
    /// Objects that failed (the report lists them; the webhook does not).
    pub failed_objects: usize,
    pub unaccounted: u64,
    pub errors: &'a [String],
    pub interrupted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<IndexCounts>,
}

/// [`IndexSummary`] as counts (the file list can be long).
#[derive(Debug, Serialize)]
pub struct IndexCounts {
    pub files: usize,
    pub rows: u64,
    pub rows_not_written: u64,
}

impl<'a> Summary<'a> {
    /// The summary of `report`, which ends the process with `exit_code`.
    pub fn of(report: &'a Report, exit_code: u8) -> Summary<'a> {
        Summary {
            run_id: &report.run_id,
            started_at: &report.started_at,
            duration_secs: report.duration_secs,
            exit_code,
            regions: &report.regions,
            totals: &report.totals,
            groups: &report.groups,
            failed_objects: report.failed.len(),
            unaccounted: report.unaccounted,
            errors: &report.errors,
            interrupted: report.interrupted,
            index: report.index.as_ref().map(|i: &IndexSummary| IndexCounts {
                files: i.files.len(),
                rows: i.rows,
                rows_not_written: i.rows_not_written,
            }),
        }
    }
}

/// Why the webhook was not delivered.
pub type WebhookError = crate::delivery::DeliveryError;

/// Posts `summary` to `url`; logs the outcome (host only). See the module docs.
pub async fn notify(url: &Secret, summary: &Summary<'_>) -> Result<(), WebhookError> {
    let host = crate::delivery::host_of(url);
    let res = post(url.expose(), &host, summary).await;
    match &res {
        Ok(()) => info!(host, "completion webhook delivered"),
        Err(e) => {
            error!(host, error = %crate::failure::error_chain(e), "completion webhook failed; the exit code is unchanged")
        }
    }
    res
}

async fn post(url: &str, host: &str, summary: &Summary<'_>) -> Result<(), WebhookError> {
    crate::delivery::send("completion webhook", host, |c| c.post(url).json(summary)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_host_is_shown() {
        let url = Secret::new("https://user:pw@hooks.example.com:8443/t/SECRET?token=abc");
        assert_eq!(crate::delivery::host_of(&url), "hooks.example.com:8443");
        assert_eq!(format!("{url:?}"), "[redacted]");
    }

    #[test]
    fn summary_leaves_out_the_object_list() {
        let t = crate::report::Tally::default();
        let r = t.finish(vec!["uk".into()], vec![], false);
        let v = serde_json::to_value(Summary::of(&r, 0)).unwrap();
        assert_eq!(v["run_id"], r.run_id.as_str());
        assert_eq!(v["exit_code"], 0);
        assert_eq!(v["totals"]["found"], 0);
        assert!(v.get("failed").is_none() && v["failed_objects"] == 0);
    }

    #[tokio::test]
    async fn unreachable_host_fails_after_bounded_attempts_without_the_url() {
        tokio::time::pause();
        let url = Secret::new("http://127.0.0.1:9/hook?token=SECRET");
        let t = crate::report::Tally::default();
        let r = t.finish(vec![], vec![], false);
        let err = notify(&url, &Summary::of(&r, 0)).await.unwrap_err();
        let text = crate::failure::error_chain(&err);
        assert!(
            !text.contains("SECRET") && !text.contains("/hook"),
            "{text}"
        );
        assert!(text.contains("127.0.0.1:9"), "{text}");
    }
}

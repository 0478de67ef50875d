//! Prometheus metric names in one place, and the exporter's installation (HELP text on every
//! family, the job-wait histogram's buckets). Names follow `css_sync_<name>_<unit>_total`;
//! labels are bounded (`region`, `type`, `stage`, `outcome`, `endpoint`, `status_class`,
//! `error_type`) — never an object id, key or URL. Its sub-modules own the in-flight gauge
//! guards ([`InFlight`], [`Held`]), the retention-risk window ([`Window`]), the end-of-run
//! gauges and file ([`end`]) and the Pushgateway push ([`push`]); none of them decides
//! anything about objects.

use std::net::SocketAddr;

/// CSS API requests, by `endpoint` (token, regions, objects, start, status, download, content)
/// and `status_class` (2xx, 4xx, 5xx, network).
pub const CSS_REQUESTS: &str = "css_sync_css_requests_total";
/// CSS API retries, by `endpoint` and `reason` (429, 5xx, network, 401).
pub const CSS_RETRIES: &str = "css_sync_css_retries_total";
/// OAuth tokens fetched.
pub const TOKENS_FETCHED: &str = "css_sync_tokens_fetched_total";
/// Catalog records seen, by `region` and `type`.
pub const OBJECTS_FOUND: &str = "css_sync_objects_found_total";
/// Objects already in S3 with the catalog MD5, skipped, by `region` and `type`.
pub const OBJECTS_PRESENT: &str = "css_sync_objects_already_present_total";
/// Objects exported and verified, by `region` and `type`.
pub const OBJECTS_EXPORTED: &str = "css_sync_objects_exported_total";
/// Objects that failed for good in this run, by `region`, `type` and `stage`.
pub const OBJECTS_FAILED: &str = "css_sync_objects_failed_total";
/// Verified bytes written to S3, by `region` and `type`.
pub const BYTES_EXPORTED: &str = "css_sync_exported_bytes_total";
/// Bytes received from CSS download bodies (zips and single objects, resumes included), by
/// `region` and `endpoint` (download, content).
pub const BYTES_DOWNLOADED: &str = "css_sync_downloaded_bytes_total";
/// Bulk jobs started, by `region`: one per zip a start answered (a start split over several
/// zips counts each), so started − finished is the jobs in flight.
pub const JOBS_STARTED: &str = "css_sync_bulk_jobs_started_total";
/// Bulk jobs finished, by `region` and `outcome` (done, partial_done, failed, cancelled, deadline).
pub const JOBS_FINISHED: &str = "css_sync_bulk_jobs_finished_total";
/// Zip entries rejected, by `error_type` (size, crc, md5, unexpected_name, ambiguous_name,
/// duplicate, …).
pub const ENTRIES_REJECTED: &str = "css_sync_zip_entries_rejected_total";
/// S3 requests that failed, by `operation` and `error_type`.
pub const S3_ERRORS: &str = "css_sync_s3_errors_total";
/// Multipart uploads aborted after a failed check or error.
pub const MULTIPART_ABORTED: &str = "css_sync_multipart_aborted_total";
/// Parts re-sent because S3 answered an MD5 ETag other than the MD5 of the bytes sent.
pub const PARTS_RESENT: &str = "css_sync_parts_resent_total";
/// Objects found in S3 at presence time but not proven to be what css-sync committed (so
/// exported again), by `reason` (size, css_md5, no_etag, etag_changed, read_back).
pub const PRESENCE_REFUSED: &str = "css_sync_presence_refused_total";
/// issue 10 (presence): S3 requests made to learn presence, by `kind` (list, head, get).
pub const PRESENCE_REQUESTS: &str = "css_sync_presence_requests_total";
/// Sidecars rewritten beside a proven present object (missing or stale).
pub const SIDECARS_REPAIRED: &str = "css_sync_sidecars_repaired_total";
/// Incomplete multipart uploads older than `S3_ABORT_UPLOADS_OLDER_THAN` aborted at start.
pub const STALE_UPLOADS_ABORTED: &str = "css_sync_stale_uploads_aborted_total";
/// Seconds a bulk job spent between start and a terminal state, by `region`.
pub const JOB_WAIT_SECONDS: &str = "css_sync_bulk_job_wait_seconds";
/// Duration of the whole run in seconds.
pub const RUN_SECONDS: &str = "css_sync_run_duration_seconds";

// issue 7 (metrics): gauges of the run in progress and of its end.
/// Bulk jobs (zips) started and not yet terminal, by `region`.
pub const JOBS_PREPARING: &str = "css_sync_jobs_preparing";
/// Downloads (zips and single objects) being streamed, by `region`.
pub const DOWNLOADS_IN_FLIGHT: &str = "css_sync_downloads_in_flight";
/// Uploads begun and not yet committed or aborted.
pub const UPLOADS_IN_FLIGHT: &str = "css_sync_uploads_in_flight";
/// Bytes held in upload buffers and in parts being sent.
pub const BUFFERED_BYTES: &str = "css_sync_buffered_bytes";
/// Objects found in this run and not settled yet, by `region`.
pub const OBJECTS_LEFT: &str = "css_sync_objects_left";
/// Catalog bytes of the objects found and not settled yet, by `region`.
pub const BYTES_LEFT: &str = "css_sync_bytes_left";
/// Objects of this run not exported or present whose CSS deletion date falls within the
/// risk window, by `region`.
pub const AT_RISK: &str = "css_sync_objects_at_retention_risk";
/// Age of the oldest object of this run not exported or present (0 when none), by `region`.
pub const OLDEST_UNEXPORTED: &str = "css_sync_oldest_unexported_age_seconds";
/// Exit code of the run (set at its end).
pub const LAST_EXIT_CODE: &str = "css_sync_last_exit_code";
/// Unix time the run ended.
pub const LAST_RUN: &str = "css_sync_last_run_timestamp_seconds";
/// Unix time of the last run that ended with exit code 0.
pub const LAST_SUCCESS: &str = "css_sync_last_success_timestamp_seconds";

// issue 10 (css): time-filter fallback, objects not AVAILABLE, restores.
/// 1 for a region whose server refused `createdTime` filters in this run (listed newest first
/// with the window applied client-side), by `region`.
pub const TIME_FILTER_FALLBACK: &str = "css_sync_time_filter_fallback";
/// Catalog records not AVAILABLE (not exported, not failures), by `region` and `state`.
pub const OBJECTS_NOT_AVAILABLE: &str = "css_sync_objects_not_available_total";
/// ARCHIVED objects whose restore CSS accepted (`CSS_RESTORE_ARCHIVED`), by `region`.
pub const RESTORES_REQUESTED: &str = "css_sync_restores_requested_total";
// end issue 10 (css)

/// Bucket bounds of [`JOB_WAIT_SECONDS`], seconds: bulk jobs take from a few seconds to the
/// hour of the default `CSS_JOB_DEADLINE`.
pub const JOB_WAIT_BUCKETS: [f64; 12] = [
    3.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1200.0, 1800.0, 2700.0, 3600.0,
];

#[path = "metrics/describe.rs"]
mod describe;
pub use describe::{describe_all, init_regions};

#[path = "metrics/guard.rs"]
mod guard;
pub use guard::{Held, InFlight};

#[path = "metrics/window.rs"]
mod window;
pub use window::{RiskPolicy, Window};

#[path = "metrics/end.rs"]
pub mod end;

#[path = "metrics/push.rs"]
pub mod push;
// end issue 7 (metrics)

/// Installs the Prometheus recorder. With `listen`, serves `/metrics` there for the length of
/// the run; the handle renders the final state for the report either way.
pub fn install(
    listen: Option<SocketAddr>,
) -> Result<metrics_exporter_prometheus::PrometheusHandle, metrics_exporter_prometheus::BuildError>
{
    let mut builder = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets_for_metric(
            metrics_exporter_prometheus::Matcher::Full(JOB_WAIT_SECONDS.to_string()),
            &JOB_WAIT_BUCKETS,
        )?;
    if let Some(addr) = listen {
        builder = builder.with_http_listener(addr);
        let (recorder, exporter) = builder.build()?;
        let handle = recorder.handle();
        metrics::set_global_recorder(recorder)
            .map_err(metrics_exporter_prometheus::BuildError::FailedToSetGlobalRecorder)?;
        tokio::spawn(exporter);
        describe_all();
        Ok(handle)
    } else {
        let handle = builder.install_recorder()?;
        describe_all();
        Ok(handle)
    }
}

//! Prometheus metric names in one place, and the exporter's installation. Names follow
//! `css_sync_<name>_<unit>_total`; labels are bounded (`region`, `type`, `stage`, `outcome`,
//! `endpoint`, `status_class`, `error_type`) — never an object id, key or URL.

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
/// Sidecars rewritten beside a proven present object (missing or stale).
pub const SIDECARS_REPAIRED: &str = "css_sync_sidecars_repaired_total";
/// Incomplete multipart uploads older than `S3_ABORT_UPLOADS_OLDER_THAN` aborted at start.
pub const STALE_UPLOADS_ABORTED: &str = "css_sync_stale_uploads_aborted_total";
/// Seconds a bulk job spent between start and a terminal state, by `region`.
pub const JOB_WAIT_SECONDS: &str = "css_sync_bulk_job_wait_seconds";
/// Duration of the whole run in seconds.
pub const RUN_SECONDS: &str = "css_sync_run_duration_seconds";

/// Installs the Prometheus recorder. With `listen`, serves `/metrics` there for the length of
/// the run; the handle renders the final state for the report either way.
pub fn install(
    listen: Option<SocketAddr>,
) -> Result<metrics_exporter_prometheus::PrometheusHandle, metrics_exporter_prometheus::BuildError>
{
    let mut builder = metrics_exporter_prometheus::PrometheusBuilder::new();
    if let Some(addr) = listen {
        builder = builder.with_http_listener(addr);
        let (recorder, exporter) = builder.build()?;
        let handle = recorder.handle();
        metrics::set_global_recorder(recorder)
            .map_err(metrics_exporter_prometheus::BuildError::FailedToSetGlobalRecorder)?;
        tokio::spawn(exporter);
        Ok(handle)
    } else {
        builder.install_recorder()
    }
}

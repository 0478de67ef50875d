//! HELP text (with its unit) for every metric family css-sync exposes, and the label sets known
//! in advance set to 0 — so a scrape or the end-of-run file shows "0 exported" rather than no
//! series, and `promtool check metrics` finds a HELP line on every family. It never counts an
//! event; the counting sites are the stage modules and the tally.

use super::*;
use crate::failure::Stage;
use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};

/// CSS endpoints as counted in [`CSS_REQUESTS`].
const CSS_ENDPOINTS: [&str; 8] = [
    "token", "regions", "objects", "start", "status", "cancel", "download", "content",
];
/// Bulk-job outcomes as counted in [`JOBS_FINISHED`].
pub(super) const JOB_OUTCOMES: [&str; 5] =
    ["done", "partial_done", "failed", "cancelled", "deadline"];
/// Reasons counted in [`PRESENCE_REFUSED`].
const PRESENCE_REASONS: [&str; 5] = ["size", "css_md5", "no_etag", "etag_changed", "read_back"];

/// Registers the HELP text of every family and sets the label-free series to 0. Called once,
/// right after the recorder is installed.
pub fn describe_all() {
    describe_counter!(
        CSS_REQUESTS,
        Unit::Count,
        "CSS API requests, by endpoint and status_class (2xx, 4xx, 5xx, network)."
    );
    describe_counter!(
        CSS_RETRIES,
        Unit::Count,
        "CSS API retries, by endpoint and reason (429, 5xx, network, 401)."
    );
    describe_counter!(
        TOKENS_FETCHED,
        Unit::Count,
        "OAuth tokens fetched from CSS."
    );
    describe_counter!(
        OBJECTS_FOUND,
        Unit::Count,
        "Catalog records found in this run, by region and type."
    );
    describe_counter!(
        OBJECTS_PRESENT,
        Unit::Count,
        "Objects already in S3 as css-sync committed them (skipped), by region and type."
    );
    describe_counter!(
        OBJECTS_EXPORTED,
        Unit::Count,
        "Objects exported and verified in this run, counted as each is proven, by region and type."
    );
    describe_counter!(
        OBJECTS_FAILED,
        Unit::Count,
        "Objects that failed for good in this run, by region, type and stage."
    );
    describe_counter!(
        BYTES_EXPORTED,
        Unit::Bytes,
        "Catalog bytes of the objects exported and verified, by region and type."
    );
    describe_counter!(
        BYTES_DOWNLOADED,
        Unit::Bytes,
        "Bytes received from CSS download bodies, by region and endpoint (download, content)."
    );
    describe_counter!(
        JOBS_STARTED,
        Unit::Count,
        "Bulk jobs (zips) started, by region."
    );
    describe_counter!(JOBS_FINISHED, Unit::Count, "Bulk jobs (zips) ended, by region and outcome (done, partial_done, failed, cancelled, deadline).");
    describe_counter!(
        ENTRIES_REJECTED,
        Unit::Count,
        "Zip entries rejected, by error_type."
    );
    describe_counter!(
        S3_ERRORS,
        Unit::Count,
        "S3 requests that failed, by operation and error_type."
    );
    describe_counter!(
        MULTIPART_ABORTED,
        Unit::Count,
        "Multipart uploads aborted after a failed check or error."
    );
    describe_counter!(
        PARTS_RESENT,
        Unit::Count,
        "Upload parts re-sent because the ETag S3 answered was not the MD5 of the bytes sent."
    );
    describe_counter!(PRESENCE_REFUSED, Unit::Count, "Objects found in S3 but not proven to be what css-sync committed (exported again), by reason.");
    // issue 10 (presence)
    describe_counter!(PRESENCE_REQUESTS, Unit::Count, "S3 requests made to learn whether objects are already exported, by kind (list: ListObjectsV2 pages, head: HeadObject, get: read-backs).");
    describe_counter!(
        SIDECARS_REPAIRED,
        Unit::Count,
        "Sidecars rewritten beside a proven present object."
    );
    describe_counter!(
        STALE_UPLOADS_ABORTED,
        Unit::Count,
        "Stale incomplete multipart uploads aborted at start."
    );
    describe_histogram!(
        JOB_WAIT_SECONDS,
        Unit::Seconds,
        "Seconds a bulk job spent between start and a terminal state, by region."
    );
    describe_gauge!(
        RUN_SECONDS,
        Unit::Seconds,
        "Duration of the run, seconds (set at its end)."
    );
    describe_gauge!(
        JOBS_PREPARING,
        Unit::Count,
        "Bulk jobs (zips) started and not yet terminal, by region."
    );
    describe_gauge!(
        DOWNLOADS_IN_FLIGHT,
        Unit::Count,
        "Downloads (zips and single objects) being streamed, by region."
    );
    describe_gauge!(
        UPLOADS_IN_FLIGHT,
        Unit::Count,
        "S3 uploads begun and not yet committed or aborted."
    );
    describe_gauge!(
        BUFFERED_BYTES,
        Unit::Bytes,
        "Bytes held in upload buffers and in parts being sent."
    );
    describe_gauge!(
        OBJECTS_LEFT,
        Unit::Count,
        "Objects found in this run and not yet settled (exported, present or failed), by region."
    );
    describe_gauge!(
        BYTES_LEFT,
        Unit::Bytes,
        "Catalog bytes of the objects found in this run and not yet settled, by region."
    );
    describe_gauge!(AT_RISK, Unit::Count, "Objects of this run not exported or present (failed included) whose CSS deletion date (createdTime + CSS_RETENTION_DAYS) falls within CSS_RISK_WINDOW from now, by region.");
    describe_gauge!(OLDEST_UNEXPORTED, Unit::Seconds, "Age of the oldest object of this run not exported or present, seconds (0 when none), by region.");
    describe_gauge!(LAST_EXIT_CODE, Unit::Count, "Exit code of the run (0 ok, 1 objects failed, 2 bad configuration, 3 could not proceed, 130 interrupted).");
    describe_gauge!(LAST_RUN, Unit::Seconds, "Unix time the run ended.");
    describe_gauge!(
        LAST_SUCCESS,
        Unit::Seconds,
        "Unix time of the last run that ended with exit code 0."
    );
    // issue 10 (css)
    describe_gauge!(TIME_FILTER_FALLBACK, Unit::Count, "1 for a region whose CSS server refused createdTime filters in this run: listed newest first without them, the window applied by css-sync (stopping at its start), by region.");
    describe_counter!(OBJECTS_NOT_AVAILABLE, Unit::Count, "Catalog records not AVAILABLE (ARCHIVED, REVOKED, ...): not exported and not failures, by region and state.");
    describe_counter!(
        RESTORES_REQUESTED,
        Unit::Count,
        "ARCHIVED objects whose restore CSS accepted (CSS_RESTORE_ARCHIVED), by region."
    );
    // end issue 10 (css)
    for counter in [
        TOKENS_FETCHED,
        MULTIPART_ABORTED,
        PARTS_RESENT,
        SIDECARS_REPAIRED,
        STALE_UPLOADS_ABORTED,
    ] {
        metrics::counter!(counter).increment(0);
    }
    for endpoint in CSS_ENDPOINTS {
        for class in ["2xx", "4xx", "5xx", "network"] {
            metrics::counter!(CSS_REQUESTS, "endpoint" => endpoint, "status_class" => class)
                .increment(0);
        }
    }
    for kind in ["list", "head", "get"] {
        metrics::counter!(PRESENCE_REQUESTS, "kind" => kind).increment(0); // issue 10 (presence)
    }
    for reason in PRESENCE_REASONS {
        metrics::counter!(PRESENCE_REFUSED, "reason" => reason).increment(0);
    }
    metrics::gauge!(UPLOADS_IN_FLIGHT).increment(0.0);
    metrics::gauge!(BUFFERED_BYTES).increment(0.0);
}

/// Once the regions are known: every per-region series at 0, and each (region, type) of
/// `types` (the selected types; more are added as the catalog shows them, [`init_group`]).
pub fn init_regions(regions: &[String], types: &[String]) {
    for region in regions {
        let r = || region.to_string();
        metrics::counter!(JOBS_STARTED, "region" => r()).increment(0);
        metrics::counter!(RESTORES_REQUESTED, "region" => r()).increment(0); // issue 10 (css)
        for outcome in JOB_OUTCOMES {
            metrics::counter!(JOBS_FINISHED, "region" => r(), "outcome" => outcome).increment(0);
        }
        // Registered without a sample: rendered as an empty histogram.
        let _ = metrics::histogram!(JOB_WAIT_SECONDS, "region" => r());
        for endpoint in ["download", "content"] {
            metrics::counter!(BYTES_DOWNLOADED, "region" => r(), "endpoint" => endpoint)
                .increment(0);
        }
        for gauge in [
            JOBS_PREPARING,
            DOWNLOADS_IN_FLIGHT,
            OBJECTS_LEFT,
            BYTES_LEFT,
            AT_RISK,
            OLDEST_UNEXPORTED,
        ] {
            metrics::gauge!(gauge, "region" => r()).increment(0.0);
        }
        for ty in types {
            init_group(region, ty);
        }
    }
}

/// The counters of one (region, type) group at 0, every failure stage included.
pub(super) fn init_group(region: &str, ty: &str) {
    let labels = [("region", region.to_string()), ("type", ty.to_string())];
    for counter in [
        OBJECTS_FOUND,
        OBJECTS_PRESENT,
        OBJECTS_EXPORTED,
        BYTES_EXPORTED,
    ] {
        metrics::counter!(counter, &labels).increment(0);
    }
    for stage in Stage::ALL {
        metrics::counter!(OBJECTS_FAILED, "region" => region.to_string(), "type" => ty.to_string(), "stage" => stage.as_str())
            .increment(0);
    }
}

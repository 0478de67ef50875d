//! Every default of `css-sync sync`, in one place: clap shows and applies these, and where a
//! lower layer owns a default (the S3 part size, the key template, the API base) this module
//! names that layer's constant instead of repeating its value. Durations are typed (clap shows
//! them as `15s`, `1h`); byte sizes are the text clap shows and parses (`"16MiB"`), and a test
//! checks each against the typed value the library uses. Nothing here is computed or
//! validated (see [`crate::config`]).

use std::time::Duration;

use crate::{css, s3};

// CSS API
pub const API_BASE: &str = css::DEFAULT_API_BASE;
pub const DISCOVERY_REGION: &str = css::DEFAULT_DISCOVERY_REGION;
/// Records per catalog page: the most the API allows.
pub const PAGE_SIZE: u32 = css::MAX_PAGE_SIZE;
pub const HTTP_TIMEOUT: Duration = css::retry::DEFAULT_HTTP_TIMEOUT;
pub const MAX_ATTEMPTS: u32 = css::retry::DEFAULT_MAX_ATTEMPTS;
pub const CALL_DEADLINE: Duration = css::retry::DEFAULT_CALL_DEADLINE;

// Bulk jobs
/// Between polls of one job; the vendor's guide asks for 15–30 s.
pub const POLL_INTERVAL: Duration = Duration::from_secs(15);
/// One job not DONE after this long is cancelled and retried.
pub const JOB_DEADLINE: Duration = Duration::from_secs(3600);
/// Attempts per object across bulk jobs before it is reported failed.
pub const OBJECT_ATTEMPTS: u32 = 4;
pub const BATCH_MAX_OBJECTS: usize = 500;
/// Well below the 2 GB zip limit ([`crate::config::MAX_ZIP_BYTES`]).
pub const BATCH_MAX_BYTES: &str = "1GiB";

// Concurrency
pub const REGION_CONCURRENCY: usize = 2;
// issue 8 (polling): jobs in flight hold no bytes (downloads are bounded by
// DOWNLOADS_PER_REGION) and one all-jobs status round serves them all, so enough of them run
// for the server's preparation to overlap our transfer: 8 jobs × 3 s preparation finish in
// ~1.3× a client that starts all 8 at once (46 s with 3).
pub const JOBS_PER_REGION: usize = 8;
pub const DOWNLOADS_PER_REGION: usize = 2;
pub const CHECK_CONCURRENCY: usize = 16;
/// Object lookups by id (`--ids`) at once.
pub const LOOKUP_CONCURRENCY: usize = 8;

// S3
pub const KEY_TEMPLATE: &str = s3::DEFAULT_KEY_TEMPLATE;
/// [`s3::DEFAULT_PART_SIZE`] as text.
pub const PART_SIZE: &str = "16MiB";
pub const PART_CONCURRENCY: usize = s3::DEFAULT_PART_CONCURRENCY;
// issue 8 (overlap)
/// `S3_ZIP_BYTES_IN_FLIGHT`: [`s3::DEFAULT_ZIP_BYTES_IN_FLIGHT`] as text.
pub const ZIP_BYTES_IN_FLIGHT: &str = "96MiB";
// end issue 8 (overlap)
pub const CHECKSUM: &str = "when-required";
// issue 11 (proof)
/// `S3_VERIFY`: ETag proof, read-back where ETags cannot be MD5s.
pub const VERIFY: &str = "auto";
/// `S3_ABORT_UPLOADS_OLDER_THAN`: [`s3::hygiene::DEFAULT_ABORT_OLDER_THAN`] as text.
pub const ABORT_UPLOADS_OLDER_THAN: &str = "24h";
/// `S3_PRESENCE` (issue 10, presence): listings where they pay, HEADs elsewhere.
pub const PRESENCE: &str = "auto";
/// `S3_CONDITIONAL_WRITES`: used where the start-up probe shows they are honoured.
pub const CONDITIONAL_WRITES: &str = "auto";
// end issue 11 (proof)

// Time bounds (issue 11: bounds); the S3 ones are owned by [`s3::S3Timeouts`].
/// S3 TCP/TLS connect.
pub const S3_CONNECT_TIMEOUT: Duration = s3::DEFAULT_CONNECT_TIMEOUT;
/// S3 request start → first byte of the answer, the request body included.
pub const S3_READ_TIMEOUT: Duration = s3::DEFAULT_READ_TIMEOUT;
/// One S3 attempt, both bodies included.
pub const S3_ATTEMPT_TIMEOUT: Duration = s3::DEFAULT_ATTEMPT_TIMEOUT;
/// One S3 request with its retries.
pub const S3_CALL_DEADLINE: Duration = s3::DEFAULT_CALL_DEADLINE;
/// SIGTERM → exit; the chart's terminationGracePeriodSeconds (30) stays above it.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

// issue 7 (metrics)
/// `PUSHGATEWAY_JOB`: the `job` of the Pushgateway grouping key.
pub const PUSHGATEWAY_JOB: &str = "css-sync";
/// `CSS_RETENTION_DAYS`: CSS deletes objects this many days after they were created.
pub const RETENTION_DAYS: u32 = 30;
/// `CSS_RISK_WINDOW`: deletion within this from now counts as at retention risk.
pub const RISK_WINDOW: Duration = Duration::from_secs(3 * 24 * 3600);
// end issue 7 (metrics)
// issue 7 (progress)
/// `CSS_SYNC_PROGRESS`: bars on a terminal, log events otherwise.
pub const PROGRESS: &str = "auto";
/// `CSS_SYNC_PROGRESS_INTERVAL`: between two `progress` log events.
pub const PROGRESS_INTERVAL: Duration = Duration::from_secs(30);
// end issue 7 (progress)

// Lake
pub const INDEX_PREFIX: &str = crate::index::DEFAULT_PREFIX;
pub const INDEX_FILE_MAX_ROWS: usize = crate::index::DEFAULT_FILE_MAX_ROWS;
// issue 7 (lakereport)
/// `CSS_SYNC_BUCKET_REPORT`: the summary, and a line per failed object.
pub const BUCKET_REPORT: &str = crate::lake_report::DEFAULT_MODE;
/// `CSS_SYNC_BUCKET_REPORT_FILE_MAX_LINES`: lines per `.jsonl` file of the bucket report.
pub const BUCKET_REPORT_FILE_MAX_LINES: usize = crate::lake_report::DEFAULT_FILE_MAX_LINES;
// end issue 7 (lakereport)
// Purge
/// `--min-age`: objects younger than this are never deleted at the source (floor: 7 days).
pub const PURGE_MIN_AGE: &str = "30d";
/// `--max`: objects deleted per run at most.
pub const PURGE_MAX: usize = 1000;

// issue 7 (commands)
/// `CSS_AUDIT_MAX_OBJECTS`: catalog objects one `css-sync audit` holds in memory.
pub const AUDIT_MAX_OBJECTS: usize = 1_000_000;
// end issue 7 (commands)

/// issue 10 (css): `CSS_RESTORE_ARCHIVED`: ARCHIVED objects are neither listed nor restored.
pub const RESTORE_ARCHIVED: bool = false;

// issue 10 (incr)
/// `CSS_INCREMENTAL`: keep a checkpoint and sync incrementally.
pub const INCREMENTAL: bool = true;
/// `CSS_LOOKBACK`: listed again below the watermark, for late arrivals.
pub const LOOKBACK: Duration = Duration::from_secs(24 * 3600);
/// `CSS_SETTLE`: objects younger than this wait for the next run.
pub const SETTLE: Duration = Duration::from_secs(600);
/// `CSS_SLICE`: width of one retention-first slice.
pub const SLICE: Duration = Duration::from_secs(24 * 3600);
/// `CSS_CHECKPOINT_INTERVAL`: most time between checkpoint writes during a run.
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(30);
// issue 10 (shard)
/// `CSS_SHARD_COUNT`: one shard, every object (no split).
pub const SHARD_COUNT: u32 = 1;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{parse_bytes, MAX_ZIP_BYTES};

    #[test]
    fn texts_parse_to_the_library_values() {
        assert_eq!(parse_bytes(PART_SIZE).unwrap(), s3::DEFAULT_PART_SIZE);
        // issue 8 (overlap)
        assert_eq!(
            parse_bytes(ZIP_BYTES_IN_FLIGHT).unwrap(),
            s3::DEFAULT_ZIP_BYTES_IN_FLIGHT
        );
        assert!(parse_bytes(BATCH_MAX_BYTES).unwrap() < MAX_ZIP_BYTES);
        assert_eq!(
            crate::config::parse_duration(ABORT_UPLOADS_OLDER_THAN).unwrap(),
            s3::hygiene::DEFAULT_ABORT_OLDER_THAN
        );
        assert_eq!(
            s3::VerifyMode::parse(VERIFY),
            Some(s3::VerifyMode::default())
        );
        assert_eq!(
            s3::ConditionalWrites::parse(CONDITIONAL_WRITES),
            Some(s3::ConditionalWrites::default())
        );
    }
}

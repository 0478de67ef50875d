//! Raw arguments → validated [`Settings`]. Everything a run needs is checked here, before any
//! network call: durations, byte sizes, time windows, the key template, the secret source and
//! the bounds. A problem is a [`ConfigError`] (exit code 2) naming the variable to fix. This
//! module never performs I/O beyond reading the secret file and the id list (`CSS_IDS_FILE`).

use crate::cli::SyncArgs;
use crate::css::fiql::SearchFilter;
use crate::css::retry::RetryPolicy;
use crate::css::{CssConfig, PageSize, MAX_PAGE_SIZE};
use crate::ids::IdList;
use crate::s3::keys::KeyTemplate;
use crate::s3::{ChecksumMode, S3Settings, MAX_PART_SIZE, MIN_PART_SIZE};
use crate::secret::Secret;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;

/// The documented bulk-download zip limit: "the limit on bulk file downloads is 2 GB" (the
/// vendor's OpenAPI description), read as 2 × 10^9 bytes, the smaller of the two readings.
pub const MAX_ZIP_BYTES: u64 = 2_000_000_000;

/// Longest accepted `CSS_HTTP_TIMEOUT`: an hour without a byte is an outage, not a slow server.
pub const MAX_HTTP_TIMEOUT: Duration = Duration::from_secs(3600);
/// Longest accepted `CSS_CALL_DEADLINE` (a day: longer than any run).
pub const MAX_CALL_DEADLINE: Duration = Duration::from_secs(24 * 3600);
/// Longest accepted `CSS_POLL_INTERVAL`: a job polled less than hourly is not being watched.
pub const MAX_POLL_INTERVAL: Duration = Duration::from_secs(3600);
/// Longest accepted `CSS_JOB_DEADLINE`: a week, far beyond any run.
pub const MAX_JOB_DEADLINE: Duration = Duration::from_secs(7 * 24 * 3600);
/// Largest `CSS_IDS_FILE` read (far above [`crate::ids::MAX_IDS`] ids with comments): a
/// bigger file is refused rather than read into memory.
pub const MAX_IDS_FILE_BYTES: u64 = 512 << 20;
/// issue 8 (overlap): the largest `S3_ZIP_BYTES_IN_FLIGHT`, far above any sane memory limit.
pub const MAX_ZIP_BYTES_IN_FLIGHT: u64 = 64 << 30;

/// A bad flag or environment variable; the message names it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name}: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("{name} is required")]
    Missing { name: &'static str },
    #[error("reading CSS_CLIENT_SECRET_FILE {path}")]
    SecretFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

fn invalid(name: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        name,
        reason: reason.into(),
    }
}

/// Bounds and policies of one run that are neither CSS-client nor S3-client settings.
#[derive(Debug, Clone)]
pub struct RunSettings {
    pub regions: Vec<String>,
    pub discovery_region: String,
    pub filter: SearchFilter,
    pub poll_interval: Duration,
    pub job_deadline: Duration,
    pub object_attempts: u32,
    pub batch_max_objects: usize,
    pub batch_max_bytes: u64,
    pub region_concurrency: usize,
    pub jobs_per_region: usize,
    pub downloads_per_region: usize,
    pub check_concurrency: usize,
    /// `--ids`: export exactly these objects (looked up by id) instead of searching the
    /// catalog. Never combined with a search filter.
    pub ids: Option<Arc<IdList>>,
    pub lookup_concurrency: usize,
    /// issue 10 (css): `CSS_RESTORE_ARCHIVED`: ARCHIVED objects are listed and restored.
    pub restore_archived: bool,
    /// `CSS_SHARD_INDEX` / `CSS_SHARD_COUNT`: the objects this worker owns.
    pub shard: crate::shard::Shard, // issue 10 (shard)
}

/// Everything a sync needs, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    pub css: CssConfig,
    pub s3: S3Settings,
    pub run: RunSettings,
    pub report_path: Option<std::path::PathBuf>,
    pub metrics_file: Option<std::path::PathBuf>,
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// The metadata index (`CSS_SYNC_INDEX*`).
    pub index: crate::index::IndexSettings,
    /// `CSS_SYNC_WEBHOOK_URL`: may carry credentials, so it never prints itself.
    pub webhook_url: Option<Secret>,
    /// `SHUTDOWN_GRACE`: signal → exit, at most.
    pub shutdown_grace: Duration,
    // issue 7 (metrics)
    /// `PUSHGATEWAY_URL` / `PUSHGATEWAY_JOB`.
    pub push: Option<crate::metrics::push::PushSettings>,
    /// `CSS_RETENTION_DAYS` / `CSS_RISK_WINDOW`.
    pub risk: crate::metrics::RiskPolicy,
    /// Issue 7 (progress): `CSS_SYNC_PROGRESS*`, `--quiet`.
    pub progress: crate::progress::ProgressSettings,
    /// issue 7 (lakereport): the run report in the bucket (`CSS_SYNC_BUCKET_REPORT*`).
    pub bucket_report: crate::lake_report::Settings,
    /// issue 10 (incr): `CSS_INCREMENTAL`, `CSS_LOOKBACK`, `CSS_SETTLE`, `CSS_SLICE`, ….
    pub incremental: incremental::IncrementalSettings,
    /// issue 10 (wire): `S3_PREFIX`, where the checkpoints live (`crate::state::checkpoint_key`).
    pub state_prefix: String,
}

impl Settings {
    /// Validates parsed arguments. `now` anchors relative times such as `CSS_SINCE=48h`.
    pub fn from_args(a: &SyncArgs, now: DateTime<Utc>) -> Result<Settings, ConfigError> {
        let t = &a.tuning;
        let api_base =
            url::Url::parse(&a.css.api_base).map_err(|e| invalid("CSS_API_BASE", e.to_string()))?;
        if !matches!(api_base.scheme(), "http" | "https") {
            return Err(invalid("CSS_API_BASE", "must be an http(s) URL"));
        }
        let client_id = a
            .css
            .client_id
            .clone()
            .filter(|s| !s.trim().is_empty())
            .ok_or(ConfigError::Missing {
                name: "CSS_CLIENT_ID",
            })?;
        let client_secret = read_secret(a)?;
        let http_timeout = bounded_duration("CSS_HTTP_TIMEOUT", &t.http_timeout, MAX_HTTP_TIMEOUT)?;
        let call_deadline =
            bounded_duration("CSS_CALL_DEADLINE", &t.call_deadline, MAX_CALL_DEADLINE)?;
        if t.max_attempts == 0 {
            return Err(invalid("CSS_MAX_ATTEMPTS", "must be at least 1"));
        }
        let page_size = PageSize::new(t.page_size).ok_or_else(|| {
            invalid(
                "CSS_PAGE_SIZE",
                format!("must be between 1 and {MAX_PAGE_SIZE}"),
            )
        })?;
        let css = CssConfig {
            api_base,
            client_id,
            client_secret,
            http_timeout,
            retry: RetryPolicy {
                max_attempts: t.max_attempts,
                call_deadline,
                ..RetryPolicy::default()
            },
            page_size,
        };

        time::endpoint_urls(|name| std::env::var(name).ok())?;
        let bucket =
            a.s3.bucket
                .clone()
                .filter(|b| !b.trim().is_empty())
                .ok_or(ConfigError::Missing { name: "S3_BUCKET" })?;
        names::bucket(&bucket)?;
        if let Some(class) = a.s3.storage_class.as_deref().filter(|s| !s.is_empty()) {
            names::storage_class(class)?;
        }
        names::output_file("CSS_SYNC_REPORT", a.output.report.as_deref())?;
        names::output_file("CSS_SYNC_METRICS_FILE", a.output.metrics_file.as_deref())?;
        names::region("CSS_DISCOVERY_REGION", &a.css.discovery_region)?;
        for r in clean_list(&a.selection.regions) {
            names::region("CSS_REGIONS", &r)?;
        }
        // Parsed once, here; the S3 layer renders keys with it and never re-parses.
        if time::template_escapes(&a.s3.key_template) {
            return Err(invalid(
                "S3_KEY_TEMPLATE",
                "a '.' or '..' segment or a leading '/' would leave S3_PREFIX",
            ));
        }
        let keys = KeyTemplate::parse(&a.s3.key_template)
            .map_err(|e| invalid("S3_KEY_TEMPLATE", e.to_string()))?
            .with_prefix(&a.s3.prefix)
            .map_err(|e| invalid("S3_PREFIX", e.to_string()))?;
        let part_size = parse_bytes(&t.part_size).map_err(|r| invalid("S3_PART_SIZE", r))?;
        if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&part_size) {
            return Err(invalid(
                "S3_PART_SIZE",
                "must be between 5MiB and 5GiB (S3's part size limits)",
            ));
        }
        // issue 8 (overlap)
        let zip_bytes_in_flight = parse_bytes(&t.zip_bytes_in_flight)
            .map_err(|r| invalid("S3_ZIP_BYTES_IN_FLIGHT", r))?;
        if !(2 * part_size..=MAX_ZIP_BYTES_IN_FLIGHT).contains(&zip_bytes_in_flight) {
            return Err(invalid(
                "S3_ZIP_BYTES_IN_FLIGHT",
                "must be between 2 × S3_PART_SIZE (one part buffering, one on the wire) and 64GiB",
            ));
        }
        // end issue 8 (overlap)
        let s3 = S3Settings {
            zip_bytes_in_flight, // issue 8 (overlap)
            bucket,
            force_path_style: a.s3.force_path_style,
            keys,
            sidecar: a.s3.sidecar,
            sse: parse_sse(a.s3.sse.as_deref(), a.s3.sse_kms_key_id.clone())?,
            storage_class: a.s3.storage_class.clone().filter(|s| !s.is_empty()),
            checksum: match a.s3.checksum.as_str() {
                "when-required" => ChecksumMode::WhenRequired,
                "when-supported" => ChecksumMode::WhenSupported,
                other => {
                    return Err(invalid(
                        "S3_CHECKSUM",
                        format!("{other:?}: expected when-required or when-supported"),
                    ))
                }
            },
            part_size,
            part_concurrency: at_least_one("S3_PART_CONCURRENCY", t.part_concurrency)?,
            object_lock: parse_object_lock(&a.s3)?,
            timeouts: time::s3_timeouts(&t.time)?,
            ..S3Settings::default()
        };

        // issue 11 (proof): how writes are proven, and the crash hygiene at start.
        let s3 = S3Settings {
            verify: crate::s3::VerifyMode::parse(&a.s3.verify).ok_or_else(|| {
                invalid(
                    "S3_VERIFY",
                    format!("{:?}: expected auto, etag or read-back", a.s3.verify),
                )
            })?,
            abort_uploads_older_than: crate::s3::hygiene::parse_older_than(
                &a.s3.abort_uploads_older_than,
                parse_duration,
            )
            .map_err(|r| invalid("S3_ABORT_UPLOADS_OLDER_THAN", r))?,
            conditional_writes: crate::s3::ConditionalWrites::parse(&a.s3.conditional_writes)
                .ok_or_else(|| {
                    invalid(
                        "S3_CONDITIONAL_WRITES",
                        format!("{:?}: expected auto, on or off", a.s3.conditional_writes),
                    )
                })?,
            presence: presence::presence(&a.s3)?, // issue 10 (presence)
            ..s3
        };
        if s3.verify == crate::s3::VerifyMode::Etag
            && matches!(s3.sse, Some(crate::s3::Sse::Kms { .. }))
        {
            return Err(invalid(
                "S3_VERIFY",
                "etag cannot prove SSE-KMS objects (their ETags are not MD5s): use auto or read-back",
            ));
        }
        // end issue 11 (proof)

        let ids = read_ids(a)?;
        let since = a
            .selection
            .since
            .as_deref()
            .map(|s| parse_instant(s, now).map_err(|r| invalid("CSS_SINCE", r)))
            .transpose()?;
        let until = a
            .selection
            .until
            .as_deref()
            .map(|s| parse_instant(s, now).map_err(|r| invalid("CSS_UNTIL", r)))
            .transpose()?;
        if let (Some(s), Some(u)) = (since, until) {
            if s >= u {
                return Err(invalid("CSS_UNTIL", "must be later than CSS_SINCE"));
            }
        }
        let extra = a.selection.filter.clone().filter(|f| !f.trim().is_empty());
        // issue 10 (css)
        let states = states::search_states(a.selection.restore_archived, extra.as_deref())
            .map_err(|r| invalid("CSS_RESTORE_ARCHIVED", r))?;
        let filter = SearchFilter {
            types: clean_list(&a.selection.types),
            since,
            until,
            states,
            extra,
        };
        // The types alone first, so the message names the variable that is wrong.
        let types_only = SearchFilter {
            types: filter.types.clone(),
            since: None,
            until: None,
            states: vec![],
            extra: None,
        };
        types_only
            .to_fiql()
            .map_err(|e| invalid("CSS_TYPES", e.to_string()))?;
        filter
            .to_fiql()
            .map_err(|e| invalid("CSS_FILTER", e.to_string()))?;

        let batch_max_bytes =
            parse_bytes(&t.batch_max_bytes).map_err(|r| invalid("CSS_BATCH_MAX_BYTES", r))?;
        if batch_max_bytes == 0 || batch_max_bytes > MAX_ZIP_BYTES {
            return Err(invalid(
                "CSS_BATCH_MAX_BYTES",
                "must be between 1 byte and 2GB (2000000000 bytes, the bulk-download zip limit)",
            ));
        }
        let run = RunSettings {
            regions: clean_list(&a.selection.regions),
            discovery_region: a.css.discovery_region.clone(),
            filter,
            poll_interval: bounded_duration(
                "CSS_POLL_INTERVAL",
                &t.poll_interval,
                MAX_POLL_INTERVAL,
            )?,
            job_deadline: bounded_duration("CSS_JOB_DEADLINE", &t.job_deadline, MAX_JOB_DEADLINE)?,
            object_attempts: at_least_one("CSS_OBJECT_ATTEMPTS", t.object_attempts as usize)?
                as u32,
            batch_max_objects: at_least_one("CSS_BATCH_MAX_OBJECTS", t.batch_max_objects)?,
            batch_max_bytes,
            region_concurrency: at_least_one("CSS_REGION_CONCURRENCY", t.region_concurrency)?,
            jobs_per_region: at_least_one("CSS_JOBS_PER_REGION", t.jobs_per_region)?,
            downloads_per_region: at_least_one("CSS_DOWNLOADS_PER_REGION", t.downloads_per_region)?,
            check_concurrency: at_least_one("S3_CHECK_CONCURRENCY", t.check_concurrency)?,
            ids,
            lookup_concurrency: at_least_one("CSS_LOOKUP_CONCURRENCY", t.lookup_concurrency)?,
            restore_archived: a.selection.restore_archived, // issue 10 (css)
            shard: read::shard(&a.selection)?,              // issue 10 (shard)
        };
        // issue 7 (metrics)
        let push = metrics::push_settings(&a.metrics, &run.regions)?;
        // issue 10 (shard)
        let push = push.map(|p| crate::metrics::push::PushSettings {
            shard: run.shard.is_split().then(|| run.shard.scope()),
            ..p
        });
        Ok(Settings {
            css,
            s3,
            run,
            report_path: a.output.report.clone(),
            metrics_file: a.output.metrics_file.clone(),
            metrics_listen: a.output.metrics_listen,
            index: index_settings(a)?,
            webhook_url: webhook_url(a.lake.webhook_url.as_deref())?,
            shutdown_grace: time::shutdown_grace(&t.time)?,
            // issue 7 (metrics)
            push,
            risk: metrics::risk_policy(&a.metrics)?,
            progress: progress::settings(&a.output.progress)?, // issue 7 (progress)
            bucket_report: bucket_report_settings(a)?,
            incremental: incremental::settings(&a.incremental)?, // issue 10 (incr)
            state_prefix: a.s3.prefix.clone(),                   // issue 10 (wire)
        })
    }
}

#[path = "config/read.rs"]
mod read;
use read::{
    at_least_one, bounded_duration, bucket_report_settings, clean_list, index_settings,
    parse_object_lock, parse_sse, read_ids, read_secret, webhook_url,
};
pub use read::{parse_bytes, parse_duration, parse_instant};

// issue 10 (incr)
#[path = "config/incremental.rs"]
pub mod incremental;

#[path = "config/names.rs"]
pub mod names;

// issue 7 (metrics)
#[path = "config/metrics.rs"]
mod metrics;

#[path = "config/time.rs"]
pub mod time;

#[path = "config/purge.rs"]
pub mod purge;
// issue 7 (commands)
#[path = "config/commands.rs"]
pub mod commands;

// issue 7 (progress)
#[path = "config/presence.rs"]
pub mod presence; // issue 10 (presence)

#[path = "config/progress.rs"]
mod progress;

// issue 10 (css)
#[path = "config/states.rs"]
mod states;

#[cfg(test)]
#[path = "config/tests.rs"]
mod tests;

// issue 10 (shard)
#[cfg(test)]
#[path = "config/shard_tests.rs"]
mod shard_tests;

#[cfg(test)]
#[path = "config/bounds_tests.rs"]
mod bounds_tests;

// issue 11 (proof)
#[cfg(test)]
#[path = "config/proof_tests.rs"]
mod proof_tests;

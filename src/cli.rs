//! The command line: every option of `css-sync sync` is a flag with an environment variable
//! (operators and the Helm chart set the variables). This module only declares and parses
//! text; [`crate::config`] turns it into validated settings.

use crate::defaults;

#[path = "cli/env_errors.rs"]
pub mod env_errors;
#[path = "cli/outputs.rs"]
mod outputs;
// issue 10 (incr)
#[path = "cli/incremental.rs"]
mod incremental;
pub use incremental::IncrementalArgs;
pub use outputs::{LakeArgs, MetricsArgs, OutputArgs, ProgressArgs};
// issue 7 (commands)
#[path = "cli/commands.rs"]
mod commands;
pub use commands::{AuditArgs, AuditOptions, AUDIT_EXIT_CODES, CHECK_EXIT_CODES, PLAN_EXIT_CODES};
// end issue 7 (commands)
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

/// A default duration as its flag text (`1m`, `5m`): the value lives once, in [`defaults`].
fn default_duration(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

/// Exit codes, shown in `--help` and the README.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  every selected object is in S3 (exported now or already there)
  1  some objects failed (the report lists them); with --ids also: an id failed or was
     found in no region
  2  bad configuration or usage
  3  the run could not proceed (CSS auth rejected, no AWS credentials, bucket unreachable,
     catalog unreadable, Object Lock asked for on a bucket without it)
  130 interrupted (SIGINT/SIGTERM, start-up included; exits within SHUTDOWN_GRACE): work in
     flight was aborted, nothing half-written remains (the report's aborts_unconfirmed says
     otherwise when an abort could not be confirmed)";

#[derive(Debug, Parser)]
#[command(name = "css-sync", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Log format on stderr.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Copy every selected CSS object into S3, verified against the catalog's size and MD5.
    #[command(after_help = EXIT_CODES)]
    Sync(Box<SyncArgs>),
    /// Delete from CSS only objects whose lake copy this run verifies (dry run unless --confirm).
    ///
    /// Sends DELETE …/bulk only for objects whose S3 copy at the sync's key exists with the
    /// catalog's size and css-md5, and whose bytes are proven by the MD5 ETag of a single PUT
    /// or by reading them back; only objects older than --min-age (at least 7 days); at most
    /// --max per run.
    #[command(after_help = PURGE_EXIT_CODES)]
    Purge(Box<PurgeArgs>),
    // issue 7 (commands)
    /// Dry run of `sync`: per region and type found, present, to export, bytes, bulk jobs.
    ///
    /// Takes the same options as `sync`; also counts objects not AVAILABLE. Starts no bulk job and writes nothing: S3 is opened read-only (no probe write, no
    /// abort of stale uploads). The JSON plan goes to --report / CSS_SYNC_REPORT.
    #[command(after_help = PLAN_EXIT_CODES)]
    Plan(Box<SyncArgs>),
    /// Preflight of `sync`: token, regions, bucket, probe write, multipart, conditional writes.
    ///
    /// Takes the same options as `sync`; also checks Object Lock when asked for. Each step is printed ✓ or ✗ with what was checked and, on ✗, the fix; steps after a
    /// failed prerequisite are shown as skipped. Leaves nothing under the prefix.
    #[command(after_help = CHECK_EXIT_CODES)]
    Check(Box<SyncArgs>),
    /// Catalog vs lake: objects missing, mismatched (size, checksum) and extra, as a report.
    ///
    /// Takes the same options as `sync`, per region and type. Lists the bucket under S3_PREFIX (ListObjectsV2) and HEADs only what the listing
    /// cannot decide. Never writes. The JSON report goes to --audit-report / CSS_AUDIT_REPORT.
    #[command(after_help = AUDIT_EXIT_CODES)]
    Audit(Box<AuditArgs>),
    // end issue 7 (commands)
    /// Run a real sync against an in-process css-sim and an embedded S3 server over a local
    /// folder: zero accounts, nothing but cargo.
    #[cfg(feature = "sim")]
    Demo(DemoArgs),
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    #[command(flatten)]
    pub css: CssArgs,
    #[command(flatten)]
    pub selection: SelectionArgs,
    #[command(flatten)]
    pub s3: S3Args,
    #[command(flatten)]
    pub tuning: TuningArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub lake: LakeArgs,
    // issue 7 (metrics)
    #[command(flatten)]
    pub metrics: MetricsArgs,
    #[command(flatten)]
    pub incremental: IncrementalArgs, // issue 10 (incr)
}

/// Exit codes of `css-sync purge`.
pub const PURGE_EXIT_CODES: &str = "\
Safety rules: nothing is deleted without --confirm; an object is deleted only if, in this run,
its S3 copy at the sync's key has the catalog's size and css-md5 AND its bytes are proven (the
ETag of a single PUT equals the catalog MD5, or the object is read back and its MD5 matches);
never objects younger than --min-age (at least 7d) or beyond --max; after each DELETE every
id's state is read again and reported as found.

Exit codes:
  0  every selected object was deleted, would be deleted (dry run) or was refused as planned
     (too young, over --max, not AVAILABLE)
  1  some selected object could not be verified, or a delete failed or has an unknown outcome
  2  bad configuration or usage (e.g. --min-age below 7d)
  3  the run could not proceed (CSS auth rejected, bucket unreachable, catalog unreadable)
  130 interrupted (SIGINT/SIGTERM): no further DELETE is started";

/// `css-sync purge`: the sync's options (the same selection, key template and S3 settings)
/// plus the purge gates.
#[derive(Debug, Args)]
pub struct PurgeArgs {
    #[command(flatten)]
    pub sync: SyncArgs,
    #[command(flatten)]
    pub purge: PurgeOptions,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Purge (deleting at the source)")]
pub struct PurgeOptions {
    /// Really delete. Without it the run is a dry run: it verifies and reports what it would
    /// delete, and sends no DELETE. A flag only, on purpose: no environment variable can turn
    /// a dry run into deletion.
    #[arg(long, default_value_t = false)]
    pub confirm: bool,
    /// Only objects created at least this long ago (createdTime), e.g. 30d; at least 7d.
    #[arg(long, env = "CSS_PURGE_MIN_AGE", default_value = defaults::PURGE_MIN_AGE)]
    pub min_age: String,
    /// Most objects deleted (or, in a dry run, listed as would-delete) per run; at least 1.
    #[arg(long, env = "CSS_PURGE_MAX", default_value_t = defaults::PURGE_MAX)]
    pub max: usize,
    /// Write the JSON purge report here ("-" for stdout); default: --report / CSS_SYNC_REPORT.
    #[arg(long, env = "CSS_PURGE_REPORT")]
    pub purge_report: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "CSS API")]
pub struct CssArgs {
    /// API base: token at {base}/oauth/v2/token, storage at {base}/storage/{region}/v3/.
    #[arg(long, env = "CSS_API_BASE", default_value = defaults::API_BASE)]
    pub api_base: String,
    /// OAuth client id (the API key from 8x8 Admin Console).
    #[arg(long, env = "CSS_CLIENT_ID")]
    pub client_id: Option<String>,
    /// OAuth client secret. Prefer --client-secret-file (a mounted Kubernetes secret).
    #[arg(long, env = "CSS_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,
    /// File holding the OAuth client secret (trailing newline ignored).
    #[arg(long, env = "CSS_CLIENT_SECRET_FILE", conflicts_with = "client_secret")]
    pub client_secret_file: Option<PathBuf>,
    /// Region used for region discovery (any valid region answers it).
    #[arg(long, env = "CSS_DISCOVERY_REGION", default_value = defaults::DISCOVERY_REGION)]
    pub discovery_region: String,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Selection")]
pub struct SelectionArgs {
    /// Regions to sync, comma-separated (default: discovered from the account).
    #[arg(long, env = "CSS_REGIONS", value_delimiter = ',')]
    pub regions: Vec<String>,
    /// Object types, comma-separated, e.g. callrecording,callcenterrecording (default: all).
    #[arg(long, env = "CSS_TYPES", value_delimiter = ',')]
    pub types: Vec<String>,
    /// Extra FIQL filter, ANDed with the type and time filters.
    #[arg(long, env = "CSS_FILTER")]
    pub filter: Option<String>,
    /// Only objects created at or after this: RFC 3339 (2026-11-01T00:00:00Z) or a duration
    /// ago (48h, 7d).
    #[arg(long, env = "CSS_SINCE")]
    pub since: Option<String>,
    /// Only objects created before this: RFC 3339 or a duration ago.
    #[arg(long, env = "CSS_UNTIL")]
    pub until: Option<String>,
    /// Export exactly the objects listed in this file ("-" reads stdin), whatever their age:
    /// one id per line, blank lines and `#` comments ignored, duplicates collapsed, at most
    /// 1000000 ids. Each id is looked up in every region (GET …/objects/{id}); the report's
    /// `ids` section gives each id's outcome. Refused with CSS_TYPES, CSS_SINCE, CSS_UNTIL
    /// and CSS_FILTER.
    #[arg(long, env = "CSS_IDS_FILE")]
    pub ids: Option<PathBuf>,
    // issue 10 (css)
    /// Also list ARCHIVED objects (objectState AVAILABLE or ARCHIVED) and ask CSS to restore
    /// each one (POST …/objects/{id}/restore); they are reported `not_available.ARCHIVED` and
    /// `restore_requested`, never failures, and a later run exports them once AVAILABLE.
    /// Refused with a CSS_FILTER that names objectState.
    #[arg(long, env = "CSS_RESTORE_ARCHIVED", default_value_t = defaults::RESTORE_ARCHIVED, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub restore_archived: bool,
    // issue 10 (shard)
    /// This worker's shard, 0-based (default: JOB_COMPLETION_INDEX, which Kubernetes sets in
    /// an Indexed Job's pods). Objects are split by a stable hash of their id, so each belongs
    /// to exactly one of CSS_SHARD_COUNT shards; the others' are counted as other_shards.
    #[arg(long, env = "CSS_SHARD_INDEX")]
    pub shard_index: Option<String>,
    /// How many shards split the objects (1..=1024; 1: no split). Above 1 an index is required.
    #[arg(long, env = "CSS_SHARD_COUNT", default_value_t = defaults::SHARD_COUNT)]
    pub shard_count: u32,
    /// Set by Kubernetes in an Indexed Job's pods: the shard index when CSS_SHARD_INDEX is unset.
    #[arg(long, env = "JOB_COMPLETION_INDEX", hide = true)]
    pub job_completion_index: Option<String>,
    // end issue 10 (shard)
}

#[derive(Debug, Args)]
#[command(next_help_heading = "S3 destination (endpoint, credentials, region: AWS_* chain)")]
pub struct S3Args {
    /// Destination bucket.
    #[arg(long, env = "S3_BUCKET")]
    pub bucket: Option<String>,
    /// Key prefix inside the bucket.
    #[arg(long, env = "S3_PREFIX", default_value = "")]
    pub prefix: String,
    /// Path-style addressing (MinIO and most S3-compatible servers need it).
    #[arg(long, env = "S3_FORCE_PATH_STYLE", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub force_path_style: bool,
    /// Key template. Placeholders: {region} {type} {id} {objectName} {ext} {date} {year}
    /// {month} {day} {hour} {customerId} {userId} {mimeType} {tag:NAME}; must contain {id}.
    #[arg(long, env = "S3_KEY_TEMPLATE", default_value = defaults::KEY_TEMPLATE)]
    pub key_template: String,
    /// Write a JSON sidecar with the full catalog record beside each object.
    #[arg(long, env = "S3_SIDECAR", default_value_t = true, action = clap::ArgAction::Set)]
    pub sidecar: bool,
    /// Server-side encryption: AES256 or aws:kms.
    #[arg(long, env = "S3_SSE")]
    pub sse: Option<String>,
    /// KMS key id for --sse aws:kms (default: the bucket's AWS-managed key).
    #[arg(long, env = "S3_SSE_KMS_KEY_ID")]
    pub sse_kms_key_id: Option<String>,
    /// Storage class, e.g. STANDARD_IA, GLACIER_IR.
    #[arg(long, env = "S3_STORAGE_CLASS")]
    pub storage_class: Option<String>,
    /// Extra SDK checksums: when-required (default; accepted by MinIO, s3s, moto, Garage) or
    /// when-supported (the SDK's CRC on every upload; AWS S3 only). Every upload carries
    /// Content-MD5 either way.
    #[arg(long, env = "S3_CHECKSUM", default_value = defaults::CHECKSUM)]
    pub checksum: String,
    /// Object Lock retention on every object and sidecar: GOVERNANCE or COMPLIANCE (default:
    /// none). Needs --object-lock-retain and a bucket with Object Lock enabled (checked at
    /// start: exit 3 otherwise). COMPLIANCE: no one, root included, can delete or overwrite a
    /// stored version before its date (an overwrite adds a version; the old one stays).
    #[arg(long, env = "S3_OBJECT_LOCK_MODE")]
    pub object_lock_mode: Option<String>,
    /// Retention from each object's upload: whole days or years, e.g. 2555d or 7y (calendar
    /// years); at most 100y. Required with --object-lock-mode.
    #[arg(long, env = "S3_OBJECT_LOCK_RETAIN")]
    pub object_lock_retain: Option<String>,
    /// Put a legal hold (ON) on every object and sidecar: no deletion until it is removed
    /// (s3:PutObjectLegalHold). Needs a bucket with Object Lock enabled.
    #[arg(long, env = "S3_OBJECT_LOCK_LEGAL_HOLD", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub object_lock_legal_hold: bool,
    // issue 11 (proof)
    /// How every write's stored bytes are proven: auto (default: the ETag must equal the MD5,
    /// or the multipart ETag, computed from the bytes sent; a read-back where ETags are not
    /// MD5s, e.g. SSE-KMS), etag (the ETag only; anything else fails) or read-back (always read
    /// the object back through MD5: one more transfer of every byte).
    #[arg(long, env = "S3_VERIFY", default_value = defaults::VERIFY)]
    pub verify: String,
    /// At start, abort incomplete multipart uploads under the prefix initiated longer ago than
    /// this (left by killed runs); younger ones are never touched. At least 1s (under 1h is
    /// logged as risky with several workers per prefix); off disables.
    #[arg(long, env = "S3_ABORT_UPLOADS_OLDER_THAN", default_value = defaults::ABORT_UPLOADS_OLDER_THAN)]
    pub abort_uploads_older_than: String,
    /// If-None-Match: * on the writes that create objects, so each key is written once: auto
    /// (default: used when a probe at start shows the endpoint honours it), on (required:
    /// exit 3 otherwise) or off.
    #[arg(long, env = "S3_CONDITIONAL_WRITES", default_value = defaults::CONDITIONAL_WRITES)]
    pub conditional_writes: String,
    // end issue 11 (proof)
    // issue 10 (presence)
    /// How a re-run learns which objects are already exported: auto (default: list each
    /// directory of keys once, 1,000 keys per request, once it has shown 2 objects; a HEAD per
    /// object where the key template gives every object its own directory), list (always list)
    /// or head (a HEAD, plus one of the sidecar, per object).
    #[arg(long, env = "S3_PRESENCE", default_value = defaults::PRESENCE)]
    pub presence: String,
    /// Listed keys kept in memory for presence, at most (least recently used directories are
    /// dropped past it; at least 1000).
    #[arg(long, env = "S3_PRESENCE_CACHE_KEYS", default_value_t = crate::s3::listing::DEFAULT_CACHE_KEYS)]
    pub presence_cache_keys: usize,
    /// Listing pages (1,000 keys each) read per directory before its objects are HEADed one by
    /// one instead.
    #[arg(long, env = "S3_PRESENCE_MAX_PAGES", default_value_t = crate::s3::listing::DEFAULT_MAX_PAGES)]
    pub presence_max_pages: u32,
    // end issue 10 (presence)
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Tuning (each bound exists to keep memory, load or time in check)")]
pub struct TuningArgs {
    /// Bulk job status polling interval: seconds (15) or a duration (15s); jittered ±20%.
    #[arg(long, env = "CSS_POLL_INTERVAL", default_value_t = default_duration(defaults::POLL_INTERVAL))]
    pub poll_interval: String,
    /// Give up on one bulk job that is not DONE after this long (it is then retried).
    #[arg(long, env = "CSS_JOB_DEADLINE", default_value_t = default_duration(defaults::JOB_DEADLINE))]
    pub job_deadline: String,
    /// Attempts per object across bulk jobs (FAILED, missing entries, bad bytes) before it is
    /// reported as failed.
    #[arg(long, env = "CSS_OBJECT_ATTEMPTS", default_value_t = defaults::OBJECT_ATTEMPTS)]
    pub object_attempts: u32,
    /// Catalog page size (the API allows 1..=100).
    #[arg(long, env = "CSS_PAGE_SIZE", default_value_t = defaults::PAGE_SIZE)]
    pub page_size: u32,
    /// Most objects in one bulk job.
    #[arg(long, env = "CSS_BATCH_MAX_OBJECTS", default_value_t = defaults::BATCH_MAX_OBJECTS)]
    pub batch_max_objects: usize,
    /// Most stored bytes in one bulk job (the server's zip limit is 2 GB); larger objects go
    /// through single-object download. Units: KB/MB/GB = 1000^n, KiB/MiB/GiB = 1024^n.
    #[arg(long, env = "CSS_BATCH_MAX_BYTES", default_value = defaults::BATCH_MAX_BYTES)]
    pub batch_max_bytes: String,
    /// Regions processed at once.
    #[arg(long, env = "CSS_REGION_CONCURRENCY", default_value_t = defaults::REGION_CONCURRENCY)]
    pub region_concurrency: usize,
    /// Bulk jobs in flight per region, so the server's preparation overlaps our transfer.
    #[arg(long, env = "CSS_JOBS_PER_REGION", default_value_t = defaults::JOBS_PER_REGION)]
    pub jobs_per_region: usize,
    /// Zip downloads streaming at once per region (each holds at most one entry's parts).
    #[arg(long, env = "CSS_DOWNLOADS_PER_REGION", default_value_t = defaults::DOWNLOADS_PER_REGION)]
    pub downloads_per_region: usize,
    /// Object lookups by id at once (--ids: GET …/objects/{id}, each id region by region).
    #[arg(long, env = "CSS_LOOKUP_CONCURRENCY", default_value_t = defaults::LOOKUP_CONCURRENCY)]
    pub lookup_concurrency: usize,
    /// S3 HEAD requests at once (the "already exported?" check).
    #[arg(long, env = "S3_CHECK_CONCURRENCY", default_value_t = defaults::CHECK_CONCURRENCY)]
    pub check_concurrency: usize,
    /// Multipart part size (5MiB..=5GiB; KB/MB/GB = 1000^n, KiB/MiB/GiB = 1024^n); entries
    /// smaller than this go up as one PutObject.
    #[arg(long, env = "S3_PART_SIZE", default_value = defaults::PART_SIZE)]
    pub part_size: String,
    /// Parts uploading at once per object: memory per upload ≤ part size × (this + 1).
    #[arg(long, env = "S3_PART_CONCURRENCY", default_value_t = defaults::PART_CONCURRENCY)]
    pub part_concurrency: usize,
    // issue 8 (overlap)
    /// Bytes the overlapping uploads of one zip stream may hold at once (entry bodies and
    /// part buffers): the next entries stream while earlier ones' PUTs and sidecars complete,
    /// within this. At least 2 × S3_PART_SIZE (one part buffering, one on the wire).
    #[arg(long, env = "S3_ZIP_BYTES_IN_FLIGHT", default_value = defaults::ZIP_BYTES_IN_FLIGHT)]
    pub zip_bytes_in_flight: String,
    // end issue 8 (overlap)
    /// CSS HTTP connect/response-header timeout, and the idle timeout on download bodies.
    #[arg(long, env = "CSS_HTTP_TIMEOUT", default_value_t = default_duration(defaults::HTTP_TIMEOUT))]
    pub http_timeout: String,
    /// Attempts per CSS request (429/5xx/network), with jittered backoff and Retry-After
    /// (honoured up to 2m); also the most resumes of one download body.
    #[arg(long, env = "CSS_MAX_ATTEMPTS", default_value_t = defaults::MAX_ATTEMPTS)]
    pub max_attempts: u32,
    /// Overall time of one CSS request, its retries and waits included: a wait that would
    /// pass it ends the request at once. For a download, it bounds each outage (the resume
    /// and its retries), never a body that keeps flowing.
    #[arg(long, env = "CSS_CALL_DEADLINE", default_value_t = default_duration(defaults::CALL_DEADLINE))]
    pub call_deadline: String,
    #[command(flatten)]
    pub time: TimeArgs,
}

/// Issue 11 (bounds): every S3 request's time limits and the shutdown grace.
#[derive(Debug, Args)]
pub struct TimeArgs {
    /// S3: most time to open a TCP (and TLS) connection.
    #[arg(long, env = "S3_CONNECT_TIMEOUT", default_value_t = default_duration(defaults::S3_CONNECT_TIMEOUT))]
    pub s3_connect_timeout: String,
    /// S3: most time from a request's start to its answer's first byte, the request body
    /// included: an UploadPart of S3_PART_SIZE must fit (16MiB in 60s needs ≥ 280 KB/s; raise
    /// it for slower links). The start-up HeadBucket gets S3_CONNECT_TIMEOUT + this, once.
    #[arg(long, env = "S3_READ_TIMEOUT", default_value_t = default_duration(defaults::S3_READ_TIMEOUT))]
    pub s3_read_timeout: String,
    /// S3: most time of one attempt of a request, both bodies included. At least
    /// S3_READ_TIMEOUT.
    #[arg(long, env = "S3_ATTEMPT_TIMEOUT", default_value_t = default_duration(defaults::S3_ATTEMPT_TIMEOUT))]
    pub s3_attempt_timeout: String,
    /// S3: most time of one request, its retries included. At least S3_ATTEMPT_TIMEOUT.
    #[arg(long, env = "S3_CALL_DEADLINE", default_value_t = default_duration(defaults::S3_CALL_DEADLINE))]
    pub s3_call_deadline: String,
    /// After SIGTERM/SIGINT the process exits within this: half of it waits for multipart
    /// aborts, a quarter for the metadata index, then the report, an eighth for the metrics
    /// push and the webhook (side by side).
    /// Keep the chart's terminationGracePeriodSeconds above it.
    #[arg(long, env = "SHUTDOWN_GRACE", default_value_t = default_duration(defaults::SHUTDOWN_GRACE))]
    pub shutdown_grace: String,
}

#[cfg(feature = "sim")]
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder the embedded S3 server stores buckets in (default: ./css-sync-demo).
    #[arg(long, default_value = "css-sync-demo")]
    pub dir: PathBuf,
    /// Objects in the simulated catalog.
    #[arg(long, default_value_t = 60)]
    pub objects: u32,
    /// Catalog seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

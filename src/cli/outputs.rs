//! The options of `sync` about what a run leaves behind and shows while it runs: the local
//! report and metrics, live progress, the Pushgateway and retention risk, the metadata index,
//! the bucket report and the webhook. Declarations only, like [`super`]; validated in
//! [`crate::config`].

use super::default_duration;
use crate::defaults;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Write the JSON run report here ("-" for stdout). The human summary goes to stderr.
    #[arg(long, env = "CSS_SYNC_REPORT")]
    pub report: Option<PathBuf>,
    /// Write the final Prometheus metrics (text format) here at every end of the sync (exit 0,
    /// 1, 3, 130), e.g. for node-exporter's textfile collector.
    #[arg(long, env = "CSS_SYNC_METRICS_FILE")]
    pub metrics_file: Option<PathBuf>,
    /// Serve Prometheus metrics on this address (e.g. 0.0.0.0:9090) during the run.
    #[arg(long, env = "METRICS_LISTEN")]
    pub metrics_listen: Option<std::net::SocketAddr>,
    // issue 7 (progress)
    #[command(flatten)]
    pub progress: ProgressArgs,
}

/// Issue 7 (progress): the progress and quiet options (in src/cli.rs, where `helm/check.py`
/// reads the env var names).
#[derive(Debug, Args)]
pub struct ProgressArgs {
    /// Progress while the run goes: auto (live bars per region when stderr is a terminal and
    /// logs are text, else a `progress` log event every interval), bars, log or off.
    #[arg(long, env = "CSS_SYNC_PROGRESS", default_value = defaults::PROGRESS)]
    pub progress: String,
    /// Between two `progress` log events (1s..1h); bars redraw several times a second.
    #[arg(long, env = "CSS_SYNC_PROGRESS_INTERVAL", default_value_t = default_duration(defaults::PROGRESS_INTERVAL))]
    pub progress_interval: String,
    /// No progress and no summary on stderr: warnings and errors only (RUST_LOG, if set,
    /// still chooses the log level).
    #[arg(long, env = "CSS_SYNC_QUIET", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub quiet: bool,
}

// issue 7 (metrics)
#[derive(Debug, Args)]
#[command(next_help_heading = "Metrics: Pushgateway and retention risk")]
pub struct MetricsArgs {
    /// Push the run's final metrics to this Prometheus Pushgateway at the end of every sync
    /// (success, failure, exit 3, interrupt): PUT to <url>/metrics/job/<PUSHGATEWAY_JOB>/
    /// regions/<regions>; css_sync_last_success_timestamp_seconds goes to its own group
    /// (…/kind/last_success) on success only, so a failed run never erases it. 3 attempts, 10 s
    /// each; after a signal an eighth of SHUTDOWN_GRACE. A failed push is logged and does not
    /// change the exit code. Only the host is ever logged (basic-auth userinfo allowed).
    #[arg(long, env = "PUSHGATEWAY_URL", hide_env_values = true)]
    pub pushgateway_url: Option<String>,
    /// The `job` of the Pushgateway grouping key.
    #[arg(long, env = "PUSHGATEWAY_JOB", default_value = defaults::PUSHGATEWAY_JOB)]
    pub pushgateway_job: String,
    /// CSS deletes an object this many days after its createdTime (the account's retention),
    /// for css_sync_objects_at_retention_risk.
    #[arg(long, env = "CSS_RETENTION_DAYS", default_value_t = defaults::RETENTION_DAYS)]
    pub retention_days: u32,
    /// An object not exported whose deletion date falls within this from now is counted in
    /// css_sync_objects_at_retention_risk.
    #[arg(long, env = "CSS_RISK_WINDOW", default_value_t = default_duration(defaults::RISK_WINDOW))]
    pub risk_window: String,
}
// end issue 7 (metrics)

#[derive(Debug, Args)]
#[command(next_help_heading = "Lake: metadata index and completion webhook")]
pub struct LakeArgs {
    /// Write the metadata index: one JSON Lines row per object exported in this run, under
    /// <S3_PREFIX>/<index prefix>/region=<r>/type=<t>/date=<YYYY-MM-DD>/part-<run-id>.jsonl.
    #[arg(long, env = "CSS_SYNC_INDEX", default_value_t = true, action = clap::ArgAction::Set)]
    pub index: bool,
    /// Folder of the metadata index inside S3_PREFIX.
    #[arg(long, env = "CSS_SYNC_INDEX_PREFIX", default_value = defaults::INDEX_PREFIX)]
    pub index_prefix: String,
    /// Most rows in one index file (~1 KB each): a partition with more this run gets several
    /// files (part-<run-id>-<seq>.jsonl), and rows in memory stay bounded.
    #[arg(long, env = "CSS_SYNC_INDEX_FILE_MAX_ROWS", default_value_t = defaults::INDEX_FILE_MAX_ROWS)]
    pub index_file_max_rows: usize,
    /// POST the JSON run summary here at the end of every run that has a report (3 attempts,
    /// 10 s timeout each). A failed webhook is logged and does not change the exit code. Only
    /// the host is ever logged.
    #[arg(long, env = "CSS_SYNC_WEBHOOK_URL", hide_env_values = true)]
    pub webhook_url: Option<String>,
    // issue 7 (lakereport)
    /// The run report in the bucket, under <S3_PREFIX>/_css-sync/reports/: <run-id>.json (the
    /// summary, every run that reached S3) and <run-id>.jsonl with one line per failed object
    /// ("errors"), or per object found ("all"); "off": none. Never changes the exit code.
    #[arg(long, env = "CSS_SYNC_BUCKET_REPORT", default_value = defaults::BUCKET_REPORT)]
    pub bucket_report: String,
    /// Most lines in one .jsonl file of the bucket report (~430 bytes each; files also stop at
    /// 16 MiB): a run with more writes <run-id>-0001.jsonl, -0002 …, and lines in memory stay
    /// bounded.
    #[arg(long, env = "CSS_SYNC_BUCKET_REPORT_FILE_MAX_LINES", default_value_t = defaults::BUCKET_REPORT_FILE_MAX_LINES)]
    pub bucket_report_file_max_lines: usize,
    // end issue 7 (lakereport)
}

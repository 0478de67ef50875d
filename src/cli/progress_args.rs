//! Issue 7 (progress): the progress and quiet options (`CSS_SYNC_PROGRESS`,
//! `CSS_SYNC_PROGRESS_INTERVAL`, `--quiet`), flattened into the sync's output options. Text
//! only; [`crate::config`] validates it.

use crate::defaults;
use clap::Args;

#[derive(Debug, Args)]
pub struct ProgressArgs {
    /// Progress while the run goes: auto (live bars per region when stderr is a terminal and
    /// logs are text, else a `progress` log event every interval), bars, log or off.
    #[arg(long, env = "CSS_SYNC_PROGRESS", default_value = defaults::PROGRESS)]
    pub progress: String,
    /// Between two `progress` log events (1s..1h); bars redraw several times a second.
    #[arg(long, env = "CSS_SYNC_PROGRESS_INTERVAL", default_value_t = super::default_duration(defaults::PROGRESS_INTERVAL))]
    pub progress_interval: String,
    /// No progress and no summary on stderr: warnings and errors only (RUST_LOG, if set,
    /// still chooses the log level).
    #[arg(long, env = "CSS_SYNC_QUIET", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub quiet: bool,
}

//! Issue 10 (incr): the options of `sync` about its memory between runs — the checkpoint in
//! the bucket, the incremental window and the retention-first slices. Declarations only, like
//! [`super`]; validated in `crate::config` (`config/incremental.rs`).

use super::default_duration;
use crate::defaults;
use clap::Args;

#[derive(Debug, Args)]
#[command(next_help_heading = "Incremental sync (checkpoint in the bucket)")]
pub struct IncrementalArgs {
    /// Keep a checkpoint per region under <S3_PREFIX>/_css-sync/state/ and cover only
    /// [watermark − CSS_LOOKBACK, now − CSS_SETTLE) when neither CSS_SINCE nor CSS_UNTIL is
    /// set (the first run is a backfill, oldest first). false: every run lists its whole
    /// window and no state is read or written.
    #[arg(long, env = "CSS_INCREMENTAL", default_value_t = defaults::INCREMENTAL, action = clap::ArgAction::Set)]
    pub incremental: bool,
    /// How far below the watermark a run lists again, for objects that reach the catalog
    /// late with an older createdTime.
    #[arg(long, env = "CSS_LOOKBACK", default_value_t = default_duration(defaults::LOOKBACK))]
    pub lookback: String,
    /// Objects younger than this are left to the next run (they may still change).
    #[arg(long, env = "CSS_SETTLE", default_value_t = default_duration(defaults::SETTLE))]
    pub settle: String,
    /// Width of one retention-first time slice: a backfill lists and exports slice by slice
    /// from the oldest object, and the watermark advances per slice.
    #[arg(long, env = "CSS_SLICE", default_value_t = default_duration(defaults::SLICE))]
    pub slice: String,
    /// Most time between two checkpoint writes while slices finish (bounds the S3 cost).
    #[arg(long, env = "CSS_CHECKPOINT_INTERVAL", default_value_t = default_duration(defaults::CHECKPOINT_INTERVAL))]
    pub checkpoint_interval: String,
}

//! Issue 10 (incr): `CSS_INCREMENTAL`, `CSS_LOOKBACK`, `CSS_SETTLE`, `CSS_SLICE` and
//! `CSS_CHECKPOINT_INTERVAL` → [`IncrementalSettings`], each bounded, the message naming the
//! variable. Pure.

use super::read::bounded_duration;
use super::ConfigError;
use crate::cli::IncrementalArgs;
use std::time::Duration;

/// Longest accepted `CSS_LOOKBACK` (the longest retention CSS offers is far below it).
pub const MAX_LOOKBACK: Duration = Duration::from_secs(365 * 24 * 3600);
/// Longest accepted `CSS_SETTLE`.
pub const MAX_SETTLE: Duration = Duration::from_secs(7 * 24 * 3600);
/// Longest accepted `CSS_SLICE`.
pub const MAX_SLICE: Duration = Duration::from_secs(365 * 24 * 3600);
/// Longest accepted `CSS_CHECKPOINT_INTERVAL`.
pub const MAX_CHECKPOINT_INTERVAL: Duration = Duration::from_secs(3600);

/// The incremental sync's knobs, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncrementalSettings {
    pub enabled: bool,
    pub lookback: Duration,
    pub settle: Duration,
    pub slice: Duration,
    pub checkpoint_interval: Duration,
}

impl Default for IncrementalSettings {
    fn default() -> Self {
        use crate::defaults as d;
        IncrementalSettings {
            enabled: d::INCREMENTAL,
            lookback: d::LOOKBACK,
            settle: d::SETTLE,
            slice: d::SLICE,
            checkpoint_interval: d::CHECKPOINT_INTERVAL,
        }
    }
}

pub(super) fn settings(a: &IncrementalArgs) -> Result<IncrementalSettings, ConfigError> {
    Ok(IncrementalSettings {
        enabled: a.incremental,
        lookback: bounded_duration("CSS_LOOKBACK", &a.lookback, MAX_LOOKBACK)?,
        settle: bounded_duration("CSS_SETTLE", &a.settle, MAX_SETTLE)?,
        slice: bounded_duration("CSS_SLICE", &a.slice, MAX_SLICE)?,
        checkpoint_interval: bounded_duration(
            "CSS_CHECKPOINT_INTERVAL",
            &a.checkpoint_interval,
            MAX_CHECKPOINT_INTERVAL,
        )?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(lookback: &str, settle: &str, slice: &str) -> IncrementalArgs {
        IncrementalArgs {
            incremental: true,
            lookback: lookback.into(),
            settle: settle.into(),
            slice: slice.into(),
            checkpoint_interval: "30s".into(),
        }
    }

    #[test]
    fn knobs_are_bounded_and_errors_name_the_variable() {
        let ok = settings(&args("24h", "10m", "1d")).unwrap();
        assert_eq!(ok.lookback, Duration::from_secs(86_400));
        assert_eq!(ok.settle, Duration::from_secs(600));
        let cases = [
            (args("nope", "10m", "1d"), "CSS_LOOKBACK"),
            (args("400d", "10m", "1d"), "CSS_LOOKBACK"),
            (args("24h", "8d", "1d"), "CSS_SETTLE"),
            (args("24h", "10m", "0s"), "CSS_SLICE"),
        ];
        for (a, name) in cases {
            let e = settings(&a).unwrap_err().to_string();
            assert!(e.starts_with(name), "{e}");
        }
    }
}

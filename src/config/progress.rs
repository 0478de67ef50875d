//! Issue 7 (progress): `CSS_SYNC_PROGRESS`, `CSS_SYNC_PROGRESS_INTERVAL` and `--quiet` →
//! [`ProgressSettings`], or a [`ConfigError`] naming the variable. Pure.

use super::read::parse_duration;
use super::{invalid, ConfigError};
use crate::cli::ProgressArgs;
use crate::progress::{Mode, ProgressSettings, MAX_INTERVAL, MIN_INTERVAL};

pub(super) fn settings(a: &ProgressArgs) -> Result<ProgressSettings, ConfigError> {
    let mode = Mode::parse(&a.progress).ok_or_else(|| {
        invalid(
            "CSS_SYNC_PROGRESS",
            format!("{:?}: expected auto, bars, log or off", a.progress),
        )
    })?;
    let name = "CSS_SYNC_PROGRESS_INTERVAL";
    let interval = parse_duration(&a.progress_interval).map_err(|r| invalid(name, r))?;
    if !(MIN_INTERVAL..=MAX_INTERVAL).contains(&interval) {
        return Err(invalid(name, "must be between 1s and 1h"));
    }
    Ok(ProgressSettings {
        mode,
        interval,
        quiet: a.quiet,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn args(progress: &str, interval: &str) -> ProgressArgs {
        ProgressArgs {
            progress: progress.into(),
            progress_interval: interval.into(),
            quiet: false,
        }
    }

    #[test]
    fn modes_and_bounded_intervals() {
        let ok = settings(&args("log", "1s")).unwrap();
        assert_eq!((ok.mode, ok.interval), (Mode::Log, Duration::from_secs(1)));
        assert_eq!(
            settings(&args("auto", "1h")).unwrap().interval,
            MAX_INTERVAL
        );
        let table = [
            ("loud", "30s", "CSS_SYNC_PROGRESS"),
            ("", "30s", "CSS_SYNC_PROGRESS"),
            ("auto", "0", "CSS_SYNC_PROGRESS_INTERVAL"),
            ("auto", "500ms", "CSS_SYNC_PROGRESS_INTERVAL"),
            ("auto", "2h", "CSS_SYNC_PROGRESS_INTERVAL"),
            ("auto", "1e30", "CSS_SYNC_PROGRESS_INTERVAL"),
            ("auto", "soon", "CSS_SYNC_PROGRESS_INTERVAL"),
        ];
        for (p, i, name) in table {
            let e = settings(&args(p, i)).unwrap_err().to_string();
            assert!(e.starts_with(name), "{p:?} {i:?}: {e}");
        }
    }
}

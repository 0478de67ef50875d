//! The end of a sync, whatever the end (success, failed objects, exit 3, interrupt): the run's
//! last gauges (exit code, duration, end time, and the last-success time on exit 0 only), the
//! metrics file (`CSS_SYNC_METRICS_FILE`) and the Pushgateway push ([`super::push`]). A failed
//! run's file keeps the last-success time the previous file showed, so a textfile collector
//! never loses it. It never decides the exit code; `main` hands it in.

use super::push::{self, Group, PushSettings};
use super::{LAST_EXIT_CODE, LAST_RUN, LAST_SUCCESS, RUN_SECONDS};
use metrics_exporter_prometheus::PrometheusHandle;
use std::path::Path;
use std::time::Duration;

/// How the run ended.
#[derive(Debug, Clone, Copy)]
pub struct RunEnd {
    pub exit_code: u8,
    /// The run's duration (the report's when there is one).
    pub duration: Duration,
    /// Unix time of the end.
    pub ended_at: f64,
}

/// Sets the end-of-run gauges. The last-success time only on exit 0.
pub fn record(end: &RunEnd) {
    metrics::gauge!(LAST_EXIT_CODE).set(f64::from(end.exit_code));
    metrics::gauge!(RUN_SECONDS).set(end.duration.as_secs_f64());
    metrics::gauge!(LAST_RUN).set(end.ended_at);
    if end.exit_code == 0 {
        metrics::gauge!(LAST_SUCCESS).set(end.ended_at);
    }
}

/// The value of `name` (a label-free sample) in a text-format rendering.
pub fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        let rest = l.strip_prefix(name)?;
        rest.strip_prefix(' ')?.trim().parse().ok()
    })
}

/// `text` split into (every family but `name`, the family `name` alone), HELP and TYPE lines
/// included. A family's samples are `name`, `name{…}`, or with a histogram/summary suffix.
pub fn split_family(text: &str, name: &str) -> (String, String) {
    let of_family = |line: &str| {
        let line = line
            .strip_prefix("# HELP ")
            .or_else(|| line.strip_prefix("# TYPE "))
            .unwrap_or(line);
        line.strip_prefix(name).is_some_and(|rest| {
            let rest = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| rest.strip_prefix(s))
                .unwrap_or(rest);
            rest.starts_with([' ', '{'])
        })
    };
    let (mut rest, mut family) = (String::new(), String::new());
    for line in text.lines() {
        let out = if of_family(line) {
            &mut family
        } else {
            &mut rest
        };
        out.push_str(line);
        out.push('\n');
    }
    (rest, family)
}

/// Writes the file and pushes; returns the file error if the file could not be written (the
/// caller makes that exit 3). After a signal the push is bounded by `push_within`.
pub async fn finish(
    end: &RunEnd,
    handle: &PrometheusHandle,
    file: Option<&Path>,
    push: Option<&PushSettings>,
    push_within: Option<Duration>,
) -> Result<(), std::io::Error> {
    record(end);
    let mut written = Ok(());
    if let Some(path) = file {
        if end.exit_code != 0 {
            // Carried over so a textfile collector keeps showing the last success.
            let previous = std::fs::read_to_string(path).ok();
            if let Some(t) = previous.and_then(|t| sample(&t, LAST_SUCCESS)) {
                metrics::gauge!(LAST_SUCCESS).set(t);
            }
        }
        written = std::fs::write(path, handle.render());
        if written.is_err() {
            record(&RunEnd {
                exit_code: crate::report::exit::FATAL,
                ..*end
            });
        }
    }
    if let Some(settings) = push {
        let sends = send(settings, handle, end.exit_code == 0 && written.is_ok());
        match push_within {
            Some(limit) => {
                if tokio::time::timeout(limit, sends).await.is_err() {
                    tracing::warn!("metrics not pushed: shutdown grace ran out");
                }
            }
            None => sends.await,
        }
    }
    written
}

/// The run group, then (on success, and only once the run group is in) the last-success
/// group: a last success is never shown without its run. Errors are logged by `push`.
async fn send(settings: &PushSettings, handle: &PrometheusHandle, success: bool) {
    let (run, last_success) = split_family(&handle.render(), LAST_SUCCESS);
    let pushed = push::push(settings, Group::Run, run).await;
    if success && pushed.is_ok() {
        let _ = push::push(settings, Group::LastSuccess, last_success).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
# HELP css_sync_last_success_timestamp_seconds Unix time.
# TYPE css_sync_last_success_timestamp_seconds gauge
css_sync_last_success_timestamp_seconds 1700000000
# TYPE css_sync_last_success_timestamp_seconds_extra gauge
css_sync_last_success_timestamp_seconds_extra 1
# TYPE css_sync_bulk_job_wait_seconds histogram
css_sync_bulk_job_wait_seconds_bucket{region=\"uk\",le=\"3\"} 0
css_sync_bulk_job_wait_seconds_sum{region=\"uk\"} 0
css_sync_bulk_job_wait_seconds_count{region=\"uk\"} 0
css_sync_objects_found_total{region=\"uk\",type=\"voicemail\"} 4
";

    #[test]
    fn a_family_is_split_off_whole_and_alone() {
        let (rest, fam) = split_family(TEXT, "css_sync_last_success_timestamp_seconds");
        assert_eq!(fam.lines().count(), 3);
        assert!(fam.ends_with("css_sync_last_success_timestamp_seconds 1700000000\n"));
        assert_eq!(rest.lines().count(), TEXT.lines().count() - 3);
        assert!(rest.contains("_extra 1"));
        let (rest, hist) = split_family(TEXT, "css_sync_bulk_job_wait_seconds");
        assert_eq!((hist.lines().count(), rest.lines().count()), (4, 6));
    }

    #[test]
    fn samples_are_read_by_exact_name() {
        assert_eq!(sample(TEXT, LAST_SUCCESS), Some(1_700_000_000.0));
        assert_eq!(sample(TEXT, "css_sync_last_success_timestamp"), None);
        assert_eq!(sample(TEXT, "css_sync_objects_found_total"), None); // labelled
        assert_eq!(sample("", LAST_SUCCESS), None);
    }
}

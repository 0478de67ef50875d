//! The pure rules of bulk job polling (issue 8, polling): when a job's first status check
//! comes (sized by its stored bytes), when its next one is due, when the region's next
//! all-jobs round may run, and which waiting job an all-jobs answer serves. No I/O, no clock:
//! every instant is passed in, so each rule is table-tested.

use crate::css::model::JobStatus;
use std::time::Duration;
use tokio::time::Instant;

/// Fixed part of the first-check estimate: a job is rarely ready sooner (css-sim's default
/// queue is 1 s; a 3 s preparation is ready before a 4 s first check).
pub const FIRST_CHECK_BASE: Duration = Duration::from_secs(4);
/// Preparation speed assumed for the estimate, bytes per second (25 MB/s: 40 ms per MB).
pub const FIRST_CHECK_RATE: u64 = 25_000_000;
/// The earliest first check (and the least gap between two all-jobs rounds), unless the poll
/// interval is shorter still.
pub const FIRST_CHECK_MIN: Duration = Duration::from_secs(2);

/// How long after its start a job of `stored_bytes` gets its first status check: the
/// estimate `FIRST_CHECK_BASE + stored_bytes / FIRST_CHECK_RATE`, clamped to
/// `[min(FIRST_CHECK_MIN, interval), interval]` — never later than the regular interval.
pub fn first_check_after(stored_bytes: u64, interval: Duration) -> Duration {
    let prep = Duration::from_secs_f64(stored_bytes as f64 / FIRST_CHECK_RATE as f64);
    let estimate = FIRST_CHECK_BASE.saturating_add(prep);
    estimate.clamp(FIRST_CHECK_MIN.min(interval), interval)
}

/// When a job still running is next checked, after a status reached it at `now` (its check
/// was `due`; `checked` says whether it had its first check already; `step` is the jittered
/// interval). A status served for free by a round before the job's own sized first check does
/// not push that first check back; any other status counts as a check, so the job is not asked
/// again (by itself) before `now + step`. The answer: the next due, and whether it has been
/// checked now.
pub fn next_due(due: Instant, now: Instant, checked: bool, step: Duration) -> (Instant, bool) {
    if now < due && !checked {
        (due, false)
    } else {
        (now + step, true)
    }
}

/// When the region's next all-jobs round runs: at the earliest due of the waiting jobs, but
/// never sooner than `gap` after the previous round (which serves everyone, so rounds need not
/// come closer). `None` with no job waiting.
pub fn round_at(
    dues: impl IntoIterator<Item = Instant>,
    last_round: Option<Instant>,
    gap: Duration,
) -> Option<Instant> {
    let earliest = dues.into_iter().min()?;
    Some(match last_round {
        Some(last) => earliest.max(last + gap),
        None => earliest,
    })
}

/// What one waiting job gets from a round.
#[derive(Debug, Clone, PartialEq)]
pub enum Serve {
    /// Its status is in the all-jobs answer (whether due or not: it costs nothing).
    Status(JobStatus),
    /// Due, but the all-jobs request failed or is off, or the answer does not list it: it asks
    /// `status/{zip}` itself (bounded: only when due, i.e. once per interval per job).
    AskYourself,
    /// Not due and not in the answer: keeps waiting.
    Wait,
}

/// Which waiting job (`zip`, `due`) gets which status from a round at `now` whose all-jobs
/// answer is `answer` (`None`: not asked or failed). One decision per waiter, in order.
pub fn assign(
    waiters: &[(&str, Instant)],
    answer: Option<&[JobStatus]>,
    now: Instant,
) -> Vec<Serve> {
    waiters
        .iter()
        .map(|(zip, due)| {
            let listed = answer.and_then(|a| a.iter().find(|s| s.zip_name == *zip));
            match listed {
                Some(s) => Serve::Status(s.clone()),
                None if *due <= now => Serve::AskYourself,
                None => Serve::Wait,
            }
        })
        .collect()
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;

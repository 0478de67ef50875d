//! The one retry mechanism of every CSS call, and the CSS client's defaults.
//!
//! [`RetryPolicy`] says how patiently a call is retried; `RetryState` is one call's progress
//! under it: attempts made, the call's deadline, and the single decision
//! (`RetryState::next_delay`) of whether and how long to wait before the next attempt
//! (full-jitter exponential backoff, or the server's `Retry-After` capped at
//! [`MAX_RETRY_AFTER`]). `RetryState::pause` makes that decision, counts it in
//! `CSS_RETRIES`, logs it and sleeps. Storage calls (`CssClient::send`, which also serves
//! `fetch_bytes`), the token endpoint (`auth`) and download resumes (`download`) all go
//! through it; none has a loop of its own beyond "attempt, then `pause`".
//!
//! The deadline (`CSS_CALL_DEADLINE`) bounds one call, attempts and waits included: each
//! attempt waits for response headers at most `min(http_timeout, time left)`, and a wait that
//! would reach the deadline is not started: the call ends at once with
//! [`CssError::Deadline`]. For a download body the deadline bounds one *outage*: the clock
//! starts when the body breaks and covers the backoff, the `Range` re-request and its own
//! retries; once bytes flow again the next break starts a new clock. A long healthy download
//! is never cut by it (only the idle timeout applies to a body that is flowing). Resumes are
//! counted per body, at most `max_attempts` of them, as before.
//!
//! This module never sends a request.

use std::time::Duration;

use rand::Rng;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;
use tokio::time::Instant;
use tracing::warn;

use super::CssError;
use crate::metrics::CSS_RETRIES;

/// Connect timeout, time to response headers, and idle-read timeout of bodies
/// (`CSS_HTTP_TIMEOUT`).
pub const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(60);
/// Attempts per call, the first included; also the most resumes of one body
/// (`CSS_MAX_ATTEMPTS`).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 6;
/// Overall budget of one call, retries and waits included (`CSS_CALL_DEADLINE`).
///
/// Five minutes: the default backoff ladder (6 attempts, ceilings 0.5 s … 8 s) fits many
/// times over, as do two full [`MAX_RETRY_AFTER`] waits plus an attempt, so a briefly
/// overloaded server is ridden out; a server that keeps answering "come back in 2 minutes"
/// for longer than that is treated as down. Before, one call could wait 5 × 120 s; now a
/// stuck call gives its worker slot back after at most 5 minutes (the object is retried by
/// the pipeline or the next hourly run), well inside the CronJob's 50-minute deadline.
pub const DEFAULT_CALL_DEADLINE: Duration = Duration::from_secs(5 * 60);
/// Backoff ceiling of the first retry; doubles per retry.
pub const DEFAULT_BASE_DELAY: Duration = Duration::from_millis(500);
/// The backoff ceiling never exceeds this.
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(30);
/// A server-sent `Retry-After` is honoured up to this long, never longer.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// How often and how patiently a failing call is retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts per call, the first included (0 is treated as 1). Also the maximum
    /// number of resumes of one download body.
    pub max_attempts: u32,
    /// Backoff ceiling of the first retry; doubles per retry.
    pub base_delay: Duration,
    /// Backoff ceiling never exceeds this.
    pub max_delay: Duration,
    /// Overall budget of one call (of one outage, for a download body): see the module doc.
    pub call_deadline: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            base_delay: DEFAULT_BASE_DELAY,
            max_delay: DEFAULT_MAX_DELAY,
            call_deadline: DEFAULT_CALL_DEADLINE,
        }
    }
}

impl RetryPolicy {
    /// Full-jitter backoff before retry number `attempt` (1 = first retry): uniform in
    /// `[0, min(max_delay, base_delay * 2^(attempt-1))]`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self.ceiling(attempt);
        if ceiling.is_zero() {
            return Duration::ZERO;
        }
        ceiling.mul_f64(rand::thread_rng().gen::<f64>())
    }

    /// The upper bound of [`RetryPolicy::backoff`] for this retry.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let shift = attempt.saturating_sub(1).min(31);
        self.base_delay
            .checked_mul(1u32 << shift)
            .unwrap_or(Duration::MAX)
            .min(self.max_delay)
    }

    /// The wait before retry number `attempt`: the server's `Retry-After` (capped at
    /// [`MAX_RETRY_AFTER`]) when it sent one, the jittered backoff otherwise.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        match retry_after {
            Some(d) => d.min(MAX_RETRY_AFTER),
            None => self.backoff(attempt),
        }
    }

    /// `max_attempts`, at least 1.
    pub fn attempts(&self) -> u32 {
        self.max_attempts.max(1)
    }
}

/// Why [`RetryState::next_delay`] says "no further attempt".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// Every allowed retry was used: the call ends with its last error.
    Attempts,
    /// The wait before the next attempt (`wait`) would reach the deadline (`left` remains):
    /// the call ends now with [`CssError::Deadline`].
    Deadline { wait: Duration, left: Duration },
}

/// One call's progress under a [`RetryPolicy`]: the single retry mechanism of the client.
#[derive(Debug, Clone)]
pub(crate) struct RetryState {
    policy: RetryPolicy,
    endpoint: &'static str,
    /// Retries (or resumes) made so far.
    retries: u32,
    max_retries: u32,
    deadline: Instant,
}

impl RetryState {
    /// A call starting now: `max_attempts` attempts within `call_deadline`.
    pub(crate) fn call(policy: &RetryPolicy, endpoint: &'static str) -> Self {
        RetryState {
            policy: policy.clone(),
            endpoint,
            retries: 0,
            max_retries: policy.attempts() - 1,
            deadline: deadline_after(policy.call_deadline),
        }
    }

    /// The resumes of one download body: at most `max_attempts` resumes per body; the
    /// deadline is set per outage by [`RetryState::start_outage`].
    pub(crate) fn body(policy: &RetryPolicy, endpoint: &'static str) -> Self {
        RetryState {
            max_retries: policy.attempts(),
            ..RetryState::call(policy, endpoint)
        }
    }

    /// This call, but ending no later than `deadline` (a re-request inside an outage).
    pub(crate) fn until(mut self, deadline: Instant) -> Self {
        self.deadline = self.deadline.min(deadline);
        self
    }

    /// A download body broke: its outage gets a full `call_deadline` from now.
    pub(crate) fn start_outage(&mut self) {
        self.deadline = deadline_after(self.policy.call_deadline);
    }

    /// The attempt about to be made (1 = the first).
    pub(crate) fn attempt(&self) -> u32 {
        self.retries + 1
    }

    /// Retries (resumes) made so far.
    pub(crate) fn retries(&self) -> u32 {
        self.retries
    }

    pub(crate) fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Time left before the deadline.
    pub(crate) fn left(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// How long the next attempt may wait for response headers: `min(http_timeout, left)`.
    pub(crate) fn attempt_timeout(&self, http_timeout: Duration) -> Duration {
        http_timeout.min(self.left())
    }

    /// The one retry decision: the wait before the next attempt, or why there is none.
    /// Attempts are checked first (their end keeps the last error), then the deadline.
    pub(crate) fn next_delay(&self, retry_after: Option<Duration>) -> Result<Duration, Stop> {
        if self.retries >= self.max_retries {
            return Err(Stop::Attempts);
        }
        let wait = self.policy.delay(self.retries + 1, retry_after);
        let left = self.left();
        if wait >= left {
            return Err(Stop::Deadline { wait, left });
        }
        Ok(wait)
    }

    /// After a failed attempt whose error is `err` (retryable for `reason`, the metrics
    /// label): waits and returns `Ok` for another attempt, or returns the error that ends
    /// the call (`err` itself once attempts are used up, [`CssError::Deadline`] around it
    /// when the wait would reach the deadline). `what` names the step in the log line; `region` is `None` for the token endpoint.
    pub(crate) async fn pause(
        &mut self,
        region: Option<&str>,
        what: &'static str,
        reason: &'static str,
        retry_after: Option<Duration>,
        err: CssError,
    ) -> Result<(), CssError> {
        let endpoint = self.endpoint;
        let attempt = self.attempt();
        match self.next_delay(retry_after) {
            Ok(delay) => {
                record_retry(endpoint, reason);
                warn!(region, endpoint, attempt, reason, ?delay, error = %err, "{what}");
                tokio::time::sleep(delay).await;
                self.retries += 1;
                Ok(())
            }
            Err(Stop::Attempts) => Err(err),
            Err(Stop::Deadline { wait, left }) => {
                warn!(region, endpoint, attempt, reason, ?wait, ?left, error = %err, "CSS call deadline reached; giving up");
                Err(CssError::Deadline {
                    endpoint,
                    attempts: attempt,
                    deadline: self.policy.call_deadline,
                    wait,
                    source: Box::new(err),
                })
            }
        }
    }
}

/// `now + d`, saturating (a library caller may pass an absurd deadline; config.rs bounds it).
fn deadline_after(d: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(d)
        .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 86_400))
}

/// Parses `Retry-After` as delay-seconds or an HTTP-date (a past date means "now").
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    retry_after_at(headers, chrono::Utc::now())
}

fn retry_after_at(headers: &HeaderMap, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - now;
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

/// Whether a request may be repeated after an unclear outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Idempotency {
    /// GETs, status, cancel: repeat on 429, 5xx gateway/server errors and transport errors.
    Idempotent,
    /// `POST bulk/download/start`: repeat only on 429/503 (the server refused before doing
    /// work) and transport errors before any response. Caveat: a connection that breaks after
    /// the server accepted the request can leave an orphan job we never learn the zipName of;
    /// it expires server-side and its objects are simply requested again in a new job.
    NotIdempotent,
    /// `DELETE bulk`: a repeat after an unknown outcome is never sent. Repeated only when the
    /// server provably did not act: 429 (rate limited before any work) and a connection that
    /// was never established. Timeouts, resets after sending, 5xx (503 included) and broken
    /// bodies end the call; the caller re-reads each id's state instead (see `css::delete`).
    NoRepeat,
}

/// The metrics `reason` if this status is retried under `mode`, `None` if it is final.
pub(crate) fn status_retry_reason(status: StatusCode, mode: Idempotency) -> Option<&'static str> {
    match (status.as_u16(), mode) {
        (429, _) => Some("429"),
        (503, Idempotency::Idempotent | Idempotency::NotIdempotent) => Some("5xx"),
        (500 | 502 | 504, Idempotency::Idempotent) => Some("5xx"),
        _ => None,
    }
}

/// Whether a transport failure (already judged transient) may be retried under `mode`:
/// always, except for [`Idempotency::NoRepeat`], which repeats only a request that never
/// left (the connection was not established).
pub(crate) fn transport_retry_allowed(e: &CssError, mode: Idempotency) -> bool {
    match mode {
        Idempotency::Idempotent | Idempotency::NotIdempotent => true,
        Idempotency::NoRepeat => {
            matches!(e, CssError::Network { source, .. } if source.is_connect())
        }
    }
}

/// Transport errors worth another attempt: connect, timeout, reset/IO, truncated bodies.
/// Request-building and redirect-policy errors are final.
pub(crate) fn error_is_retryable(e: &reqwest::Error) -> bool {
    !(e.is_builder() || e.is_redirect() || e.is_status())
}

/// `status_class` label for `CSS_REQUESTS`.
pub(crate) fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() {
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// Counts one retry (`endpoint` and `reason` are bounded labels).
pub(crate) fn record_retry(endpoint: &'static str, reason: &'static str) {
    metrics::counter!(CSS_RETRIES, "endpoint" => endpoint, "reason" => reason).increment(1);
}

#[cfg(test)]
#[path = "retry_tests.rs"]
mod tests;

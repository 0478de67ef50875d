//! Retry policy for CSS calls: full-jitter exponential backoff, `Retry-After` parsing, and the
//! classification of which statuses and transport errors are worth another attempt. Pure
//! decisions plus one metrics helper; it never sends a request or sleeps by itself.

use std::time::Duration;

use rand::Rng;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;

use crate::metrics::CSS_RETRIES;

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
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
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
}

/// The metrics `reason` if this status is retried under `mode`, `None` if it is final.
pub(crate) fn status_retry_reason(status: StatusCode, mode: Idempotency) -> Option<&'static str> {
    match (status.as_u16(), mode) {
        (429, _) => Some("429"),
        (503, _) => Some("5xx"),
        (500 | 502 | 504, Idempotency::Idempotent) => Some("5xx"),
        _ => None,
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
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
        }
    }

    #[test]
    fn backoff_stays_within_exponential_ceiling() {
        let p = policy();
        assert_eq!(p.ceiling(1), Duration::from_millis(100));
        assert_eq!(p.ceiling(3), Duration::from_millis(400));
        assert_eq!(p.ceiling(10), Duration::from_secs(2));
        assert_eq!(p.ceiling(u32::MAX), Duration::from_secs(2));
        for attempt in 1..12 {
            for _ in 0..200 {
                assert!(p.backoff(attempt) <= p.ceiling(attempt));
            }
        }
    }

    #[test]
    fn backoff_is_jittered_across_the_whole_range() {
        let p = policy();
        let samples: Vec<Duration> = (0..2000).map(|_| p.backoff(4)).collect();
        let mean = samples.iter().sum::<Duration>().as_secs_f64() / samples.len() as f64;
        // Uniform on [0, 0.8 s]: mean 0.4 s; both halves of the range are hit.
        assert!((0.34..0.46).contains(&mean), "mean {mean}");
        assert!(samples.iter().any(|d| *d < Duration::from_millis(100)));
        assert!(samples.iter().any(|d| *d > Duration::from_millis(700)));
        let zero = RetryPolicy {
            base_delay: Duration::ZERO,
            ..policy()
        };
        assert_eq!(zero.backoff(3), Duration::ZERO);
    }

    #[test]
    fn retry_after_seconds_and_http_date() {
        let now = chrono::DateTime::parse_from_rfc3339("2015-10-21T07:27:30Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let mut h = HeaderMap::new();
        assert_eq!(retry_after_at(&h, now), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static(" 7 "));
        assert_eq!(retry_after_at(&h, now), Some(Duration::from_secs(7)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after_at(&h, now), Some(Duration::from_secs(30)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:00:00 GMT"),
        );
        assert_eq!(retry_after_at(&h, now), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after_at(&h, now), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static("-3"));
        assert_eq!(retry_after_at(&h, now), None);
    }

    #[test]
    fn retry_after_is_capped() {
        let p = policy();
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(1))),
            Duration::from_secs(1)
        );
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(86_400))),
            MAX_RETRY_AFTER
        );
        assert!(p.delay(1, None) <= p.ceiling(1));
    }

    #[test]
    fn which_statuses_are_retried() {
        use Idempotency::*;
        let s = |c| StatusCode::from_u16(c).unwrap();
        for c in [429, 500, 502, 503, 504] {
            assert!(status_retry_reason(s(c), Idempotent).is_some(), "{c}");
        }
        for c in [400, 401, 403, 404, 409, 501] {
            assert!(status_retry_reason(s(c), Idempotent).is_none(), "{c}");
        }
        assert_eq!(status_retry_reason(s(429), NotIdempotent), Some("429"));
        assert_eq!(status_retry_reason(s(503), NotIdempotent), Some("5xx"));
        assert_eq!(status_retry_reason(s(500), NotIdempotent), None);
        assert_eq!(status_retry_reason(s(504), NotIdempotent), None);
    }
}

//! Tests of the retry decisions (on a paused clock) and of `Retry-After` parsing.
use super::*;
use reqwest::header::HeaderValue;

fn policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 5,
        base_delay: Duration::from_millis(100),
        max_delay: Duration::from_secs(2),
        call_deadline: Duration::from_secs(60),
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
    assert_eq!(status_retry_reason(s(429), NoRepeat), Some("429"));
    for c in [500, 502, 503, 504, 400, 404] {
        assert_eq!(status_retry_reason(s(c), NoRepeat), None, "{c}");
    }
    let timeout = CssError::Timeout {
        endpoint: "delete",
        timeout: Duration::from_secs(1),
    };
    assert!(!transport_retry_allowed(&timeout, NoRepeat));
    assert!(transport_retry_allowed(&timeout, NotIdempotent));
}

fn state(max_attempts: u32, deadline_s: u64) -> RetryState {
    let p = RetryPolicy {
        max_attempts,
        call_deadline: Duration::from_secs(deadline_s),
        ..policy()
    };
    RetryState::call(&p, "objects")
}

fn http_503() -> CssError {
    CssError::Http {
        endpoint: "objects",
        status: 503,
        body_snippet: "busy".into(),
    }
}

/// The retry decision as a table: (attempts, deadline s, retries already made, seconds
/// already spent, Retry-After) → wait or stop.
#[tokio::test(start_paused = true)]
async fn retry_decisions() {
    let s = Duration::from_secs;
    type Case = (u32, u64, u32, u64, Option<Duration>, Result<Duration, Stop>);
    let cases: &[Case] = &[
        // Retry-After honoured as sent.
        (5, 600, 0, 0, Some(s(7)), Ok(s(7))),
        (5, 600, 3, 0, Some(Duration::ZERO), Ok(Duration::ZERO)),
        // Retry-After capped at MAX_RETRY_AFTER.
        (5, 600, 0, 0, Some(s(86_400)), Ok(MAX_RETRY_AFTER)),
        // Retry-After beyond the time left: stop now, do not sleep past the deadline.
        (
            5,
            60,
            0,
            0,
            Some(s(90)),
            Err(Stop::Deadline {
                wait: s(90),
                left: s(60),
            }),
        ),
        (
            5,
            60,
            0,
            0,
            Some(s(86_400)),
            Err(Stop::Deadline {
                wait: MAX_RETRY_AFTER,
                left: s(60),
            }),
        ),
        (
            5,
            60,
            1,
            50,
            Some(s(10)),
            Err(Stop::Deadline {
                wait: s(10),
                left: s(10),
            }),
        ),
        (5, 60, 1, 50, Some(s(9)), Ok(s(9))),
        // Deadline already used up: even a zero wait stops.
        (
            5,
            60,
            1,
            60,
            Some(Duration::ZERO),
            Err(Stop::Deadline {
                wait: Duration::ZERO,
                left: Duration::ZERO,
            }),
        ),
        // Attempts used up: checked first, the call keeps its last error.
        (5, 600, 4, 0, Some(s(1)), Err(Stop::Attempts)),
        (1, 600, 0, 0, None, Err(Stop::Attempts)),
        (0, 600, 0, 0, None, Err(Stop::Attempts)),
        (3, 60, 2, 60, None, Err(Stop::Attempts)),
    ];
    for (i, (attempts, deadline, retries, spent, after, want)) in cases.iter().enumerate() {
        let mut st = state(*attempts, *deadline);
        st.retries = *retries;
        tokio::time::advance(s(*spent)).await;
        assert_eq!(st.next_delay(*after), *want, "case {i}");
    }
}

#[tokio::test(start_paused = true)]
async fn backoff_is_used_without_retry_after_and_checked_against_the_deadline() {
    let mut st = state(10, 60);
    for retries in 0..9 {
        st.retries = retries;
        let d = st.next_delay(None).unwrap();
        assert!(d <= policy().ceiling(retries + 1), "{d:?}");
    }
    // Full jitter draws the wait from [0, 5 s] here; with 4 s left it either fits or
    // stops the call now, never sleeps past the deadline.
    let p = RetryPolicy {
        max_attempts: 5,
        base_delay: Duration::from_secs(5),
        max_delay: Duration::from_secs(5),
        call_deadline: Duration::from_secs(4),
    };
    let fixed = RetryPolicy {
        base_delay: Duration::ZERO,
        ..p.clone()
    };
    assert_eq!(
        RetryState::call(&fixed, "x").next_delay(None),
        Ok(Duration::ZERO)
    );
    for _ in 0..200 {
        match RetryState::call(&p, "x").next_delay(None) {
            Ok(d) => assert!(d < Duration::from_secs(4), "{d:?}"),
            Err(Stop::Deadline { wait, left }) => assert!(wait >= left),
            Err(Stop::Attempts) => panic!("attempts are left"),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn pause_sleeps_the_wait_then_counts_the_retry() {
    let mut st = state(3, 600);
    let t0 = Instant::now();
    st.pause(
        Some("us-east"),
        "retrying CSS call",
        "5xx",
        Some(Duration::from_secs(7)),
        http_503(),
    )
    .await
    .unwrap();
    assert_eq!(t0.elapsed(), Duration::from_secs(7));
    assert_eq!((st.retries(), st.attempt()), (1, 2));
    st.pause(
        None,
        "retrying",
        "5xx",
        Some(Duration::from_secs(1)),
        http_503(),
    )
    .await
    .unwrap();
    // Third attempt failed: attempts exhausted, the last error comes back unchanged.
    let err = st
        .pause(
            None,
            "retrying",
            "5xx",
            Some(Duration::from_secs(1)),
            http_503(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, CssError::Http { status: 503, .. }), "{err:?}");
    assert_eq!(
        t0.elapsed(),
        Duration::from_secs(8),
        "no wait once exhausted"
    );
}

#[tokio::test(start_paused = true)]
async fn a_wait_past_the_deadline_ends_the_call_now_with_a_typed_error() {
    let mut st = state(6, 60);
    tokio::time::advance(Duration::from_secs(20)).await;
    let t0 = Instant::now();
    let err = st
        .pause(
            Some("us-east"),
            "retrying CSS call",
            "429",
            Some(Duration::from_secs(45)),
            http_503(),
        )
        .await
        .unwrap_err();
    assert_eq!(t0.elapsed(), Duration::ZERO, "did not sleep");
    assert_eq!(err.kind(), "deadline");
    let CssError::Deadline {
        endpoint,
        attempts,
        deadline,
        wait,
        source,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        (*endpoint, *attempts, *deadline, *wait),
        (
            "objects",
            1,
            Duration::from_secs(60),
            Duration::from_secs(45)
        )
    );
    assert!(matches!(**source, CssError::Http { status: 503, .. }));
    assert!(err.to_string().contains("call deadline"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn attempt_timeouts_shrink_to_the_time_left() {
    let st = state(6, 60);
    let http = Duration::from_secs(30);
    assert_eq!(st.attempt_timeout(http), http);
    tokio::time::advance(Duration::from_secs(45)).await;
    assert_eq!(st.attempt_timeout(http), Duration::from_secs(15));
    tokio::time::advance(Duration::from_secs(60)).await;
    assert_eq!(st.attempt_timeout(http), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn a_body_counts_resumes_per_body_and_its_deadline_per_outage() {
    let p = RetryPolicy {
        max_attempts: 2,
        call_deadline: Duration::from_secs(60),
        ..policy()
    };
    let mut body = RetryState::body(&p, "download");
    // A healthy body streams for hours: the outage clock starts only at a break.
    tokio::time::advance(Duration::from_secs(3 * 3600)).await;
    body.start_outage();
    assert_eq!(body.left(), Duration::from_secs(60));
    body.pause(None, "resuming", "network", None, http_503())
        .await
        .unwrap();
    // Bytes flowed again for an hour; the next break gets a fresh minute.
    tokio::time::advance(Duration::from_secs(3600)).await;
    body.start_outage();
    assert_eq!(body.left(), Duration::from_secs(60));
    // A re-request inside the outage shares its deadline.
    tokio::time::advance(Duration::from_secs(50)).await;
    let rereq = RetryState::call(&p, "download").until(body.deadline());
    assert_eq!(rereq.left(), Duration::from_secs(10));
    // max_attempts resumes per body (as before), then the last error.
    body.pause(None, "resuming", "network", None, http_503())
        .await
        .unwrap();
    assert_eq!(body.retries(), 2);
    assert_eq!(body.next_delay(None), Err(Stop::Attempts));
}

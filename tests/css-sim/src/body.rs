//! Download bodies: HTTP `Range` parsing (`bytes=a-b`, `bytes=a-`, `bytes=-n`), the
//! 200/206/416 response heads, and the stream shaping that carries out transport faults —
//! a bandwidth cap and a connection reset part-way through. It never decides whether a fault
//! happens and never produces the bytes itself.

use axum::body::Body;
use axum::http::{header, HeaderValue, Response, StatusCode};
use bytes::Bytes;
use futures::{Stream, StreamExt};
use std::pin::Pin;
use std::time::Duration;
use tokio::time::Instant;

/// Chunk size for generated bodies.
pub const CHUNK: usize = 64 * 1024;

/// The part of a `total`-byte body a request asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeSpec {
    /// No (usable) Range header: the whole body, 200.
    Full,
    /// `[start, end)`, answered 206.
    Part(u64, u64),
    /// Answered 416.
    Unsatisfiable,
}

/// Parses a Range header against a body of `total` bytes. Headers this server does not
/// understand (other units, several ranges, garbage) are ignored, as RFC 9110 allows.
pub fn parse_range(h: Option<&str>, total: u64) -> RangeSpec {
    let Some(spec) = h.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return RangeSpec::Full;
    };
    if spec.contains(',') {
        return RangeSpec::Full;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return RangeSpec::Full;
    };
    let (a, b) = (a.trim(), b.trim());
    let num = |s: &str| s.parse::<u64>().ok();
    match (a.is_empty(), b.is_empty()) {
        (true, true) => RangeSpec::Full,
        (true, false) => match num(b) {
            None => RangeSpec::Full,
            Some(0) => RangeSpec::Unsatisfiable,
            Some(_) if total == 0 => RangeSpec::Unsatisfiable,
            Some(n) => RangeSpec::Part(total.saturating_sub(n), total),
        },
        (false, _) => {
            let Some(start) = num(a) else {
                return RangeSpec::Full;
            };
            let end = if b.is_empty() { Some(u64::MAX) } else { num(b) };
            match end {
                None => RangeSpec::Full,
                Some(e) if e < start => RangeSpec::Full,
                Some(_) if start >= total => RangeSpec::Unsatisfiable,
                Some(e) => RangeSpec::Part(start, e.saturating_add(1).min(total)),
            }
        }
    }
}

/// Transport faults applied to one body.
#[derive(Clone, Copy, Debug, Default)]
pub struct Shaping {
    /// Bytes per second; 0 = unlimited.
    pub bandwidth: u64,
    /// Fail the stream (connection reset) after this many bytes.
    pub reset_after: Option<u64>,
}

type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

/// Applies [`Shaping`] to a body stream.
pub fn shape(inner: ByteStream, s: Shaping) -> ByteStream {
    if s.bandwidth == 0 && s.reset_after.is_none() {
        return inner;
    }
    let piece = if s.bandwidth == 0 {
        usize::MAX
    } else {
        ((s.bandwidth / 20) as usize).clamp(1024, CHUNK)
    };
    // Split chunks so throttling is smooth, then pace and cut.
    let split = inner.flat_map(move |item| {
        let parts: Vec<std::io::Result<Bytes>> = match item {
            Ok(b) if b.len() > piece => (0..b.len())
                .step_by(piece)
                .map(|i| Ok(b.slice(i..(i + piece).min(b.len()))))
                .collect(),
            other => vec![other],
        };
        futures::stream::iter(parts)
    });
    let split: ByteStream = Box::pin(split);
    let state = (split, 0u64, Instant::now(), false);
    Box::pin(futures::stream::unfold(
        state,
        move |(mut st, sent, start, done)| async move {
            if done {
                return None;
            }
            let item = st.next().await?;
            let Ok(chunk) = item else {
                return Some((item, (st, sent, start, true)));
            };
            if let Some(limit) = s.reset_after {
                if sent + chunk.len() as u64 > limit {
                    let keep = (limit - sent) as usize;
                    if keep > 0 {
                        // Deliver the bytes before the cut, then fail on the next poll.
                        let part = chunk.slice(0..keep);
                        // The pause lets the server flush what was sent before the cut.
                        let cut: ByteStream = Box::pin(futures::stream::once(async {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            Err(reset())
                        }));
                        return Some((Ok(part), (cut, limit, start, false)));
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    return Some((Err(reset()), (st, sent, start, true)));
                }
            }
            let sent = sent + chunk.len() as u64;
            if s.bandwidth > 0 {
                let due = start + Duration::from_secs_f64(sent as f64 / s.bandwidth as f64);
                tokio::time::sleep_until(due).await;
            }
            Some((Ok(chunk), (st, sent, start, false)))
        },
    ))
}

fn reset() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::ConnectionReset,
        "css-sim: injected connection reset",
    )
}

/// A 200/206 response head + streamed body.
pub fn respond(
    range: RangeSpec,
    total: u64,
    content_type: &str,
    filename: Option<&str>,
    body: ByteStream,
) -> Response<Body> {
    let (status, len, content_range) = match range {
        RangeSpec::Part(a, b) => (
            StatusCode::PARTIAL_CONTENT,
            b - a,
            Some(format!("bytes {a}-{}/{total}", b - 1)),
        ),
        _ => (StatusCode::OK, total, None),
    };
    let mut r = Response::new(Body::from_stream(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    let ct = HeaderValue::from_str(content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CONTENT_TYPE, ct);
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(cr) = content_range.and_then(|c| HeaderValue::from_str(&c).ok()) {
        h.insert(header::CONTENT_RANGE, cr);
    }
    if let Some(v) =
        filename.and_then(|f| HeaderValue::from_str(&format!("attachment; filename=\"{f}\"")).ok())
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// The 416 answer.
/// The request's Range against a `total`-byte body: the spec and its `[start, end)` window,
/// or `None` when it cannot be satisfied (answer [`unsatisfiable`]).
pub fn requested(headers: &axum::http::HeaderMap, total: u64) -> Option<(RangeSpec, u64, u64)> {
    let range = parse_range(
        headers
            .get(axum::http::header::RANGE)
            .and_then(|v| v.to_str().ok()),
        total,
    );
    match range {
        RangeSpec::Unsatisfiable => None,
        RangeSpec::Part(a, b) => Some((range, a, b)),
        RangeSpec::Full => Some((range, 0, total)),
    }
}

pub fn unsatisfiable(total: u64) -> Response<Body> {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
    if let Ok(v) = HeaderValue::from_str(&format!("bytes */{total}")) {
        r.headers_mut().insert(header::CONTENT_RANGE, v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        use RangeSpec::*;
        assert_eq!(parse_range(None, 100), Full);
        assert_eq!(parse_range(Some("bytes=0-9"), 100), Part(0, 10));
        assert_eq!(parse_range(Some("bytes=90-"), 100), Part(90, 100));
        assert_eq!(parse_range(Some("bytes=90-500"), 100), Part(90, 100));
        assert_eq!(parse_range(Some("bytes=-10"), 100), Part(90, 100));
        assert_eq!(parse_range(Some("bytes=-500"), 100), Part(0, 100));
        assert_eq!(parse_range(Some("bytes=100-"), 100), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=-0"), 100), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=0-0"), 0), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=5-2"), 100), Full);
        assert_eq!(parse_range(Some("bytes=0-1,5-6"), 100), Full);
        assert_eq!(parse_range(Some("items=0-1"), 100), Full);
        assert_eq!(parse_range(Some("bytes=x-1"), 100), Full);
    }

    fn body(n: usize) -> ByteStream {
        let chunks: Vec<std::io::Result<Bytes>> = (0..n)
            .map(|i| Ok(Bytes::from(vec![i as u8; 1000])))
            .collect();
        Box::pin(futures::stream::iter(chunks))
    }

    #[tokio::test]
    async fn reset_delivers_prefix_then_fails() {
        let mut s = shape(
            body(5),
            Shaping {
                bandwidth: 0,
                reset_after: Some(2500),
            },
        );
        let mut got = 0;
        let mut err = None;
        while let Some(item) = s.next().await {
            match item {
                Ok(b) => got += b.len(),
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
        }
        assert_eq!(got, 2500);
        assert_eq!(err.unwrap().kind(), std::io::ErrorKind::ConnectionReset);
    }

    #[tokio::test(start_paused = true)]
    async fn bandwidth_paces_the_body() {
        let start = Instant::now();
        let s = shape(
            body(10),
            Shaping {
                bandwidth: 5000,
                reset_after: None,
            },
        );
        let total: usize = s
            .map(|b| b.map(|b| b.len()).unwrap_or(0))
            .collect::<Vec<_>>()
            .await
            .iter()
            .sum();
        assert_eq!(total, 10_000);
        let took = Instant::now() - start;
        assert!(
            took >= Duration::from_millis(1900) && took <= Duration::from_millis(2100),
            "{took:?}"
        );
    }
}

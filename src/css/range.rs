//! HTTP range helpers for resumable downloads: the `If-Range` validator to send and the
//! `Content-Range` of a 206 to check. Pure parsing; it never sends a request.

use reqwest::header::{HeaderMap, HeaderValue, ETAG, LAST_MODIFIED};

/// `If-Range` value: a strong ETag, else Last-Modified (weak ETags are not allowed there).
pub(crate) fn validator(headers: &HeaderMap) -> Option<HeaderValue> {
    let strong_etag = headers
        .get(ETAG)
        .filter(|v| v.to_str().is_ok_and(|s| s.starts_with('"')));
    strong_etag.or_else(|| headers.get(LAST_MODIFIED)).cloned()
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ContentRange {
    pub start: u64,
    pub end: u64,
    pub total: Option<u64>,
}

/// Parses `bytes <start>-<end>/<total|*>`.
pub(crate) fn parse_content_range(v: &str) -> Option<ContentRange> {
    let rest = v.trim().strip_prefix("bytes")?.trim_start();
    let (span, total) = rest.split_once('/')?;
    let (start, end) = span.trim().split_once('-')?;
    let (start, end) = (start.trim().parse().ok()?, end.trim().parse().ok()?);
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    (start <= end && total.is_none_or(|t| end < t)).then_some(ContentRange { start, end, total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_parsing() {
        let cr = |start, end, total| Some(ContentRange { start, end, total });
        assert_eq!(
            parse_content_range("bytes 100-199/200"),
            cr(100, 199, Some(200))
        );
        assert_eq!(parse_content_range("bytes 5-9/*"), cr(5, 9, None));
        assert_eq!(parse_content_range("bytes 5-9/9"), None);
        assert_eq!(parse_content_range("bytes 9-5/20"), None);
        assert_eq!(parse_content_range("bytes */200"), None);
        assert_eq!(parse_content_range("items 0-1/2"), None);
        assert_eq!(parse_content_range(""), None);
    }

    #[test]
    fn if_range_prefers_strong_etag() {
        let mut h = HeaderMap::new();
        h.insert(
            LAST_MODIFIED,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        h.insert(ETAG, HeaderValue::from_static("W/\"weak\""));
        assert_eq!(validator(&h).unwrap(), "Wed, 21 Oct 2015 07:28:00 GMT");
        h.insert(ETAG, HeaderValue::from_static("\"strong\""));
        assert_eq!(validator(&h).unwrap(), "\"strong\"");
        assert_eq!(validator(&HeaderMap::new()), None);
    }
}

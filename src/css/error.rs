//! `CssError`, the one error type of the CSS API stage, and its bounded `kind()` label for
//! metrics and reports. Each message describes this layer only (the cause is the `source()`),
//! and nothing here ever carries a URL, a header or a secret: reqwest errors are stored with
//! their URL stripped, and response-body snippets are truncated and scrubbed by the caller.

use std::time::Duration;

/// Everything that can go wrong talking to CSS.
#[derive(Debug, thiserror::Error)]
pub enum CssError {
    /// The client configuration is unusable (bad base URL, empty credentials, bad path segment).
    #[error("CSS client configuration: {0}")]
    Config(String),
    /// A non-success HTTP status that is not retried (or stayed failing after the retries).
    #[error("CSS {endpoint}: HTTP {status}: {body_snippet}")]
    Http {
        endpoint: &'static str,
        status: u16,
        /// At most ~200 characters of the response body, secrets scrubbed.
        body_snippet: String,
    },
    /// Connect, reset, TLS or read failure (URL stripped from the source). `url` is where
    /// it was sent, reduced to scheme, host, port and path ([`safe_url`]): an operator can
    /// see which address failed (CSS_API_BASE) without a query or user info ever printed.
    #[error("CSS {endpoint}: network error reaching {url}")]
    Network {
        endpoint: &'static str,
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// No response headers within the configured HTTP timeout.
    #[error("CSS {endpoint}: no response within {timeout:?}")]
    Timeout {
        endpoint: &'static str,
        timeout: Duration,
    },
    /// A 2xx answer whose JSON body does not match either documented shape.
    #[error("CSS {endpoint}: response body does not match the documented shape")]
    Decode {
        endpoint: &'static str,
        #[source]
        source: serde_json::Error,
    },
    /// A 2xx answer that is well-formed but not what the call needs (e.g. no zip, no zipName).
    #[error("CSS {endpoint}: unexpected response: {detail}")]
    UnexpectedBody {
        endpoint: &'static str,
        detail: String,
    },
    /// A 2xx answer (`200`, `201`, `204` …) without the body the call needs: the server
    /// accepted the request but said nothing we can act on.
    #[error("CSS {endpoint}: HTTP {status} answer without a body where one is required")]
    EmptyBody { endpoint: &'static str, status: u16 },
    /// A start/status answer in the spec's array form holding no job at all.
    #[error("CSS {endpoint}: answered an empty array of bulk jobs")]
    EmptyJobList { endpoint: &'static str },
    /// The token endpoint refused the client credentials (HTTP 400/401).
    #[error(
        "CSS token request rejected (HTTP {status}): check CSS_CLIENT_ID / CSS_CLIENT_SECRET \
         and that the key has the Cloud Storage API assignment"
    )]
    AuthRejected { status: u16 },
    /// A storage call answered 401 again after one token refresh.
    #[error("CSS {endpoint}: unauthorized (HTTP 401) even with a freshly fetched token")]
    Unauthorized { endpoint: &'static str },
    /// HTTP 404: the object, zip or job does not exist (or no longer exists).
    #[error("CSS {endpoint}: not found (HTTP 404)")]
    NotFound { endpoint: &'static str },
    /// The search pages are inconsistent (no progress, empty non-final page, odd shape).
    #[error("CSS search paging: {0}")]
    Paging(String),
    /// A `pageKey` answer the paging rules cannot follow without skipping or repeating
    /// records (see `page_key`).
    #[error("CSS search paging: the pageKey answer cannot be followed")]
    PageKey(#[from] super::page_key::PageKeyError),
    /// The search filter could not be built safely.
    #[error("bad search filter: {0}")]
    BadFilter(String),
    /// The call's deadline (`CSS_CALL_DEADLINE`) would pass during the wait before the next
    /// attempt, so the call ended now. `source` is the last attempt's error.
    #[error(
        "CSS {endpoint}: gave up after {attempts} attempt(s): waiting {wait:?} more would pass \
         the {deadline:?} call deadline"
    )]
    Deadline {
        endpoint: &'static str,
        attempts: u32,
        deadline: Duration,
        wait: Duration,
        #[source]
        source: Box<CssError>,
    },
    /// A download body broke and could not be resumed at exactly `offset`.
    #[error("CSS {endpoint}: download could not resume at byte {offset}: {reason}")]
    ResumeFailed {
        endpoint: &'static str,
        offset: u64,
        reason: String,
    },
}

impl CssError {
    /// A bounded label for metrics (`error_type`) and reports.
    pub fn kind(&self) -> &'static str {
        match self {
            CssError::Config(_) => "config",
            CssError::Http { status, .. } if *status == 429 => "http_429",
            CssError::Http { status, .. } if *status >= 500 => "http_5xx",
            CssError::Http { .. } => "http_4xx",
            CssError::Network { .. } => "network",
            CssError::Timeout { .. } => "timeout",
            CssError::Decode { .. } => "decode",
            CssError::UnexpectedBody { .. } => "unexpected_body",
            CssError::EmptyBody { .. } => "empty_body",
            CssError::EmptyJobList { .. } => "empty_job_list",
            CssError::AuthRejected { .. } => "auth_rejected",
            CssError::Unauthorized { .. } => "unauthorized",
            CssError::NotFound { .. } => "not_found",
            CssError::Paging(_) | CssError::PageKey(_) => "paging",
            CssError::BadFilter(_) => "bad_filter",
            CssError::ResumeFailed { .. } => "resume_failed",
            CssError::Deadline { .. } => "deadline",
        }
    }

    /// Wraps a reqwest error, dropping its URL (a presigned URL carries credentials).
    pub(crate) fn network(endpoint: &'static str, e: reqwest::Error) -> Self {
        CssError::Network {
            endpoint,
            url: e.url().map_or_else(|| "the CSS API".to_string(), safe_url),
            source: e.without_url(),
        }
    }
}

/// `scheme://host:port/path` of `url`: never its user info, query (a presigned URL's
/// signature) or fragment.
pub fn safe_url(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or("?");
    match url.port_or_known_default() {
        Some(port) => format!("{}://{host}:{port}{}", url.scheme(), url.path()),
        None => format!("{}://{host}{}", url.scheme(), url.path()),
    }
}

/// Maximum characters of a response body kept in [`CssError::Http`].
pub(crate) const SNIPPET_CHARS: usize = 200;

/// A printable, truncated, secret-scrubbed excerpt of an error response body.
pub(crate) fn body_snippet(body: &[u8], secrets: &[&str]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut s: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        s = s.replace(secret, "[redacted]");
    }
    let s = s.trim();
    match s.char_indices().nth(SNIPPET_CHARS) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_is_truncated_scrubbed_and_single_line() {
        let body = format!("oops\ntoken=abc123secret {}", "x".repeat(500));
        let s = body_snippet(body.as_bytes(), &["abc123secret"]);
        assert!(!s.contains("abc123secret"));
        assert!(s.contains("[redacted]"));
        assert!(!s.contains('\n'));
        assert_eq!(s.chars().count(), SNIPPET_CHARS + 1);
        assert_eq!(body_snippet("é".repeat(3).as_bytes(), &[]), "ééé");
    }

    #[test]
    fn kinds_are_bounded_labels() {
        let e = CssError::Http {
            endpoint: "objects",
            status: 503,
            body_snippet: String::new(),
        };
        assert_eq!(e.kind(), "http_5xx");
        assert_eq!(
            CssError::AuthRejected { status: 401 }.kind(),
            "auth_rejected"
        );
        assert!(CssError::AuthRejected { status: 401 }
            .to_string()
            .contains("CSS_CLIENT_SECRET"));
    }

    /// Every variant that has a `source()`, each wrapped the way the client builds it: the
    /// chain `export::error_chain` prints names each cause exactly once, and no message
    /// repeats its own source's text.
    #[test]
    fn error_chains_name_each_cause_once() {
        let reqwest_err = || {
            reqwest::Client::new()
                .get("http://[not a host")
                .build()
                .unwrap_err()
        };
        let json_err = || serde_json::from_str::<u8>("\"x\"").unwrap_err();
        let network = || CssError::network("objects", reqwest_err());
        let cases: Vec<Box<dyn std::error::Error + Send + Sync>> = vec![
            Box::new(network()),
            Box::new(CssError::Decode {
                endpoint: "objects",
                source: json_err(),
            }),
            Box::new(CssError::Deadline {
                endpoint: "objects",
                attempts: 3,
                deadline: Duration::from_secs(300),
                wait: Duration::from_secs(120),
                source: Box::new(network()),
            }),
            Box::new(CssError::Deadline {
                endpoint: "content",
                attempts: 2,
                deadline: Duration::from_secs(300),
                wait: Duration::from_secs(1),
                source: Box::new(CssError::ResumeFailed {
                    endpoint: "content",
                    offset: 7,
                    reason: "idle timeout".into(),
                }),
            }),
            // How a download body hands its errors to the zip reader.
            Box::new(std::io::Error::other(CssError::Deadline {
                endpoint: "download",
                attempts: 2,
                deadline: Duration::from_secs(300),
                wait: Duration::from_secs(1),
                source: Box::new(network()),
            })),
        ];
        for e in &cases {
            let chain = crate::failure::error_chain(e.as_ref());
            let mut layer: Option<&(dyn std::error::Error + 'static)> = Some(e.as_ref());
            let mut depth = 0;
            while let Some(l) = layer {
                let text = l.to_string();
                assert_eq!(chain.matches(&text).count(), 1, "{text:?} in {chain:?}");
                if let Some(src) = l.source() {
                    assert!(
                        !text.contains(&src.to_string()),
                        "{text:?} repeats its source"
                    );
                }
                layer = l.source();
                depth += 1;
            }
            assert!(depth >= 2, "{chain}: has a cause");
        }
        // A variant without a cause: its message is the whole chain.
        let e = CssError::ResumeFailed {
            endpoint: "content",
            offset: 7,
            reason: "idle timeout".into(),
        };
        assert_eq!(crate::failure::error_chain(&e), e.to_string());
    }

    #[test]
    fn deadline_has_its_own_bounded_kind() {
        let e = CssError::Deadline {
            endpoint: "objects",
            attempts: 1,
            deadline: Duration::from_secs(300),
            wait: Duration::from_secs(120),
            source: Box::new(CssError::Http {
                endpoint: "objects",
                status: 429,
                body_snippet: String::new(),
            }),
        };
        assert_eq!(e.kind(), "deadline");
    }

    #[test]
    fn safe_url_keeps_scheme_host_port_path_only() {
        let table = [
            (
                "http://127.0.0.1:9/oauth/v2/token",
                "http://127.0.0.1:9/oauth/v2/token",
            ),
            (
                "https://api.8x8.com/storage/us-east/v3/objects?filter=x",
                "https://api.8x8.com:443/storage/us-east/v3/objects",
            ),
            (
                "https://user:pw@h.example/p?X-Amz-Signature=abc#f",
                "https://h.example:443/p",
            ),
        ];
        for (raw, want) in table {
            assert_eq!(safe_url(&url::Url::parse(raw).unwrap()), want, "{raw}");
        }
    }
}

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
    /// Connect, reset, TLS or read failure (URL stripped from the source).
    #[error("CSS {endpoint}: network error")]
    Network {
        endpoint: &'static str,
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
    /// The search filter could not be built safely.
    #[error("bad search filter: {0}")]
    BadFilter(String),
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
            CssError::AuthRejected { .. } => "auth_rejected",
            CssError::Unauthorized { .. } => "unauthorized",
            CssError::NotFound { .. } => "not_found",
            CssError::Paging(_) => "paging",
            CssError::BadFilter(_) => "bad_filter",
            CssError::ResumeFailed { .. } => "resume_failed",
        }
    }

    /// Wraps a reqwest error, dropping its URL (a presigned URL carries credentials).
    pub(crate) fn network(endpoint: &'static str, e: reqwest::Error) -> Self {
        CssError::Network {
            endpoint,
            source: e.without_url(),
        }
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
}

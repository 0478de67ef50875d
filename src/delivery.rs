//! One HTTP request to an operator's endpoint — the completion webhook, the Pushgateway — sent
//! with a [`TIMEOUT`] per attempt and at most [`ATTEMPTS`] attempts, a doubling [`BACKOFF`]
//! between them, retrying network errors, 408, 429 and 5xx. Such URLs may carry a token
//! (path, query or userinfo): only their host ([`host_of`]) is ever logged or put in an
//! error. It never decides what is sent or what a failure means for the run (both callers
//! log it and keep the exit code).

use crate::secret::Secret;
use std::time::Duration;
use tracing::warn;

/// Timeout of one attempt (connect, send, answer).
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts in all, the first included.
pub const ATTEMPTS: u32 = 3;
/// Wait before the second attempt; doubled before each further one.
pub const BACKOFF: Duration = Duration::from_secs(1);

/// Why a request failed for good (never with its URL).
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("{endpoint} client")]
    Client {
        endpoint: &'static str,
        #[source]
        source: reqwest::Error,
    },
    #[error("{endpoint} {host} answered {status}")]
    Status {
        endpoint: &'static str,
        host: String,
        status: u16,
    },
    #[error("{endpoint} {host} unreachable")]
    Send {
        endpoint: &'static str,
        host: String,
        #[source]
        source: reqwest::Error,
    },
}

impl DeliveryError {
    /// A bounded label for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            DeliveryError::Client { .. } => "client",
            DeliveryError::Status { .. } => "status",
            DeliveryError::Send { .. } => "send",
        }
    }

    /// Worth another attempt: a network error, 408, 429 or 5xx.
    fn retryable(&self) -> bool {
        match self {
            DeliveryError::Status { status, .. } => matches!(status, 408 | 429 | 500..=599),
            DeliveryError::Send { .. } => true,
            DeliveryError::Client { .. } => false,
        }
    }
}

/// Sends the request `build` makes (once per attempt) to `host`'s endpoint, named `endpoint`
/// in errors and in the `"<endpoint> failed; retrying"` warnings.
pub async fn send(
    endpoint: &'static str,
    host: &str,
    build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
) -> Result<(), DeliveryError> {
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .map_err(|e| DeliveryError::Client {
            endpoint,
            source: e.without_url(),
        })?;
    let mut wait = BACKOFF;
    let mut attempt = 1;
    loop {
        let err = match build(&client).send().await {
            Ok(r) if r.status().is_success() => return Ok(()),
            Ok(r) => DeliveryError::Status {
                endpoint,
                host: host.to_string(),
                status: r.status().as_u16(),
            },
            Err(e) => DeliveryError::Send {
                endpoint,
                host: host.to_string(),
                source: e.without_url(),
            },
        };
        if !err.retryable() || attempt >= ATTEMPTS {
            return Err(err);
        }
        warn!(host, attempt, error = %crate::failure::error_chain(&err), "{endpoint} failed; retrying");
        tokio::time::sleep(wait).await;
        wait *= 2;
        attempt += 1;
    }
}

/// The URL's host (and port), the only part that may be logged.
pub fn host_of(url: &Secret) -> String {
    url::Url::parse(url.expose())
        .ok()
        .and_then(|u| {
            let host = u.host_str()?.to_string();
            Some(match u.port() {
                Some(p) => format!("{host}:{p}"),
                None => host,
            })
        })
        .unwrap_or_else(|| "the endpoint's host".to_string())
}

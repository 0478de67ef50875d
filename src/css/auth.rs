//! OAuth client-credentials tokens for CSS: one token shared by every task, fetched once
//! (concurrent callers wait on the single in-flight fetch), refreshed ahead of expiry and on
//! demand after a 401. Its retries go through the shared `retry::RetryState`; it never logs the token, the
//! client secret or any header, and never decides anything about storage calls.

use std::time::Duration;

use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;
use tracing::info;
use url::Url;

use super::error::body_snippet;
use super::retry::{self, Idempotency, RetryPolicy, RetryState};
use super::{send_timed, CssError};
use crate::metrics::TOKENS_FETCHED;
use crate::secret::Secret;

const ENDPOINT: &str = "token";
/// Lifetime assumed when the token response omits `expires_in` (a 401 still forces a refresh).
const ASSUMED_LIFETIME: Duration = Duration::from_secs(300);

/// The shared token cache. Cheap to call; fetches only when the token is missing or stale.
pub(crate) struct TokenSource {
    http: reqwest::Client,
    token_url: Url,
    client_id: String,
    client_secret: Secret,
    retry: RetryPolicy,
    http_timeout: Duration,
    /// Held across a fetch, so concurrent callers queue behind it instead of stampeding.
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    cached: Option<Cached>,
    /// Set once the endpoint rejected our credentials: they will not improve during a run,
    /// so later callers get the same error without hammering the endpoint (or a lockout).
    rejected: Option<u16>,
}

struct Cached {
    token: Secret,
    refresh_at: Instant,
}

impl TokenSource {
    pub(crate) fn new(
        http: reqwest::Client,
        token_url: Url,
        client_id: String,
        client_secret: Secret,
        retry: RetryPolicy,
        http_timeout: Duration,
    ) -> Self {
        TokenSource {
            http,
            token_url,
            client_id,
            client_secret,
            retry,
            http_timeout,
            state: Mutex::new(State::default()),
        }
    }

    /// A valid bearer token: the cached one while it is fresh, a newly fetched one otherwise.
    pub(crate) async fn token(&self) -> Result<Secret, CssError> {
        let mut state = self.state.lock().await;
        if let Some(c) = state
            .cached
            .as_ref()
            .filter(|c| Instant::now() < c.refresh_at)
        {
            return Ok(c.token.clone());
        }
        self.refill(&mut state).await
    }

    /// After a 401 with `rejected`: fetches a new token unless another task already replaced
    /// the rejected one, in which case that newer token is returned.
    pub(crate) async fn refresh_after_401(&self, rejected: &Secret) -> Result<Secret, CssError> {
        let mut state = self.state.lock().await;
        let newer = state.cached.as_ref().filter(|c| &c.token != rejected);
        if let Some(c) = newer.filter(|c| Instant::now() < c.refresh_at) {
            return Ok(c.token.clone());
        }
        state.cached = None;
        self.refill(&mut state).await
    }

    /// Fetches a token into `state` (whose lock the caller holds).
    async fn refill(&self, state: &mut State) -> Result<Secret, CssError> {
        if let Some(status) = state.rejected {
            return Err(CssError::AuthRejected { status });
        }
        match self.fetch().await {
            Ok(fresh) => {
                let token = fresh.token.clone();
                state.cached = Some(fresh);
                Ok(token)
            }
            Err(e) => {
                if let CssError::AuthRejected { status } = e {
                    state.rejected = Some(status);
                }
                Err(e)
            }
        }
    }

    async fn fetch(&self) -> Result<Cached, CssError> {
        let mut retry = RetryState::call(&self.retry, ENDPOINT);
        loop {
            let rb = self
                .http
                .post(self.token_url.clone())
                .basic_auth(&self.client_id, Some(self.client_secret.expose()))
                .header(reqwest::header::ACCEPT, "application/json")
                .form(&[("grant_type", "client_credentials")]);
            let timeout = retry.attempt_timeout(self.http_timeout);
            let (reason, after, err) = match send_timed(rb, ENDPOINT, timeout).await {
                Ok(resp) if resp.status().is_success() => match resp.bytes().await {
                    Ok(body) => return self.accept(&body),
                    Err(e) => ("network", None, CssError::network(ENDPOINT, e)),
                },
                Ok(resp) if matches!(resp.status().as_u16(), 400 | 401) => {
                    return Err(CssError::AuthRejected {
                        status: resp.status().as_u16(),
                    })
                }
                Ok(resp) => {
                    let status = resp.status();
                    let after = retry::retry_after(resp.headers());
                    let body = resp.bytes().await.unwrap_or_default();
                    let err = CssError::Http {
                        endpoint: ENDPOINT,
                        status: status.as_u16(),
                        body_snippet: body_snippet(&body, &[self.client_secret.expose()]),
                    };
                    match retry::status_retry_reason(status, Idempotency::Idempotent) {
                        Some(reason) => (reason, after, err),
                        None => return Err(err),
                    }
                }
                Err(e) if super::is_transient(&e) => ("network", None, e),
                Err(e) => return Err(e),
            };
            retry
                .pause(None, "retrying token fetch", reason, after, err)
                .await?;
        }
    }

    fn accept(&self, body: &[u8]) -> Result<Cached, CssError> {
        let parsed: TokenResponse =
            serde_json::from_slice(body).map_err(|source| CssError::Decode {
                endpoint: ENDPOINT,
                source,
            })?;
        if parsed.access_token.is_empty() {
            return Err(CssError::UnexpectedBody {
                endpoint: ENDPOINT,
                detail: "empty access_token".into(),
            });
        }
        let lifetime = parsed
            .expires_in
            .filter(|s| *s > 0)
            .map(Duration::from_secs)
            .unwrap_or(ASSUMED_LIFETIME);
        metrics::counter!(TOKENS_FETCHED).increment(1);
        info!(
            endpoint = ENDPOINT,
            expires_in_s = lifetime.as_secs(),
            "fetched CSS access token"
        );
        Ok(Cached {
            token: parsed.access_token,
            refresh_at: Instant::now() + lifetime - refresh_margin(lifetime),
        })
    }
}

/// How long before expiry a token is replaced: `max(60 s, 10 % of lifetime)`, but never more
/// than half the lifetime (so very short-lived tokens are still reused for a while).
pub(crate) fn refresh_margin(lifetime: Duration) -> Duration {
    Duration::from_secs(60).max(lifetime / 10).min(lifetime / 2)
}

/// The token endpoint's answer; fields beyond these are ignored. No `Debug`: it holds the token.
#[derive(Deserialize)]
struct TokenResponse {
    #[serde(deserialize_with = "secret_from_string")]
    access_token: Secret,
    #[serde(default, deserialize_with = "seconds_from_number_or_string")]
    expires_in: Option<u64>,
}

fn secret_from_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
    String::deserialize(d).map(Secret::new)
}

/// `expires_in` is a string (`"1799"`) in the docs; numbers are accepted too.
fn seconds_from_number_or_string<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<u64>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    Ok(match v {
        Some(serde_json::Value::Number(n)) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_margin_rules() {
        let s = Duration::from_secs;
        assert_eq!(refresh_margin(s(1799)), Duration::from_millis(179_900));
        assert_eq!(refresh_margin(s(300)), s(60));
        assert_eq!(refresh_margin(s(100)), s(50));
        assert_eq!(refresh_margin(s(2)), s(1));
    }

    #[test]
    fn expires_in_as_string_or_number() {
        let a: TokenResponse =
            serde_json::from_str(r#"{"access_token":"t","expires_in":"1799"}"#).unwrap();
        assert_eq!(a.expires_in, Some(1799));
        let b: TokenResponse =
            serde_json::from_str(r#"{"access_token":"t","expires_in":3600}"#).unwrap();
        assert_eq!(b.expires_in, Some(3600));
        let c: TokenResponse = serde_json::from_str(r#"{"access_token":"t"}"#).unwrap();
        assert_eq!(c.expires_in, None);
        let d: TokenResponse =
            serde_json::from_str(r#"{"access_token":"t","expires_in":"soon"}"#).unwrap();
        assert_eq!(d.expires_in, None);
        assert!(serde_json::from_str::<TokenResponse>(r#"{"expires_in":1}"#).is_err());
    }
}

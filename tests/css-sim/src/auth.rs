//! OAuth as oauth.md describes it: Basic client credentials plus `grant_type=client_credentials`
//! buy a bearer token that lives `--token-ttl` seconds; the answer is the documented JSON with
//! string-typed numbers. Tokens are checked against tokio's clock (pausable in tests). This
//! module never sees HTTP routing or any storage data.

use base64::Engine as _;
use rand::Rng as _;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// Why a bearer token was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenError {
    Missing,
    Unknown,
    Expired,
}

impl TokenError {
    pub fn message(self) -> &'static str {
        match self {
            TokenError::Missing => "missing Authorization: Bearer <access_token> header",
            TokenError::Unknown => "invalid access token",
            TokenError::Expired => "access token expired",
        }
    }
}

/// Issued tokens and their expiry.
#[derive(Debug)]
pub struct Tokens {
    client_id: String,
    client_secret: String,
    ttl: Duration,
    issued: Mutex<HashMap<String, Instant>>,
}

impl Tokens {
    pub fn new(client_id: &str, client_secret: &str, ttl_secs: u64) -> Self {
        Tokens {
            client_id: client_id.to_string(),
            client_secret: client_secret.to_string(),
            ttl: Duration::from_secs(ttl_secs),
            issued: Mutex::new(HashMap::new()),
        }
    }

    /// Checks the Basic credentials and form body; on success issues a token and returns the
    /// documented JSON. Errors are readable messages (answered 401).
    pub fn issue(
        &self,
        authorization: Option<&str>,
        form: &HashMap<String, String>,
    ) -> Result<Value, String> {
        let (id, secret) = authorization
            .and_then(parse_basic)
            .ok_or("missing or malformed Authorization: Basic base64(clientId:secret) header")?;
        if id != self.client_id || secret != self.client_secret {
            return Err("invalid client credentials".into());
        }
        match form.get("grant_type").map(String::as_str) {
            Some("client_credentials") => {}
            Some(other) => {
                return Err(format!(
                    "unsupported grant_type {other:?}; must be client_credentials"
                ))
            }
            None => return Err("missing grant_type=client_credentials in the form body".into()),
        }
        let token: String = rand::thread_rng()
            .sample_iter(&rand::distributions::Alphanumeric)
            .take(28)
            .map(char::from)
            .collect();
        let now = Instant::now();
        {
            let mut issued = self.issued.lock().unwrap_or_else(|e| e.into_inner());
            issued.retain(|_, exp| *exp > now);
            issued.insert(token.clone(), now + self.ttl);
        }
        let issued_at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let products = [
            "CE-PCS-Product",
            "CE-RCS-Product",
            "Chat",
            "QM - API",
            "analytics product",
            "analytics realtime-api",
            "chat-gateway",
            "storage",
            "vcc",
        ];
        Ok(json!({
            "access_token": token,
            "token_type": "BearerToken",
            "api_product_list": format!("[{}]", products.join(", ")),
            "status": "approved",
            "scope": "",
            "refresh_token_expires_in": "0",
            "expires_in": self.ttl.as_secs().saturating_sub(1).to_string(),
            "refresh_count": "0",
            "developer.email": "deprecated",
            "issued_at": issued_at.to_string(),
            "client_id": "deprecated",
            "api_product_list_json": products,
        }))
    }

    /// Checks an `Authorization: Bearer …` header value.
    pub fn check(&self, authorization: Option<&str>) -> Result<(), TokenError> {
        let token = authorization
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(TokenError::Missing)?;
        let issued = self.issued.lock().unwrap_or_else(|e| e.into_inner());
        match issued.get(token) {
            None => Err(TokenError::Unknown),
            Some(exp) if Instant::now() >= *exp => Err(TokenError::Expired),
            Some(_) => Ok(()),
        }
    }
}

/// `Basic base64(id:secret)` → (id, secret).
pub fn parse_basic(h: &str) -> Option<(String, String)> {
    let (scheme, rest) = h.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(id: &str, secret: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
        )
    }

    fn grant() -> HashMap<String, String> {
        HashMap::from([("grant_type".to_string(), "client_credentials".to_string())])
    }

    #[test]
    fn docs_example_basic_header_parses() {
        let (id, secret) = parse_basic("Basic bXljbGllbnRJZDpuZXZlcnRlbGxhbnlvbmU=").unwrap();
        assert_eq!(
            (id.as_str(), secret.as_str()),
            ("myclientId", "nevertellanyone")
        );
        assert!(parse_basic("Bearer x").is_none());
        assert!(parse_basic("Basic !!!").is_none());
    }

    #[test]
    fn issue_answers_documented_shape() {
        let t = Tokens::new("id", "s", 1800);
        let v = t.issue(Some(&basic("id", "s")), &grant()).unwrap();
        assert_eq!(v["token_type"], "BearerToken");
        assert_eq!(v["expires_in"], "1799");
        assert!(v["issued_at"].as_str().unwrap().parse::<u64>().is_ok());
        assert_eq!(v["access_token"].as_str().unwrap().len(), 28);
        assert!(v["api_product_list_json"]
            .as_array()
            .unwrap()
            .contains(&"storage".into()));
        let bearer = format!("Bearer {}", v["access_token"].as_str().unwrap());
        assert_eq!(t.check(Some(&bearer)), Ok(()));
    }

    #[test]
    fn bad_credentials_and_grant_are_refused() {
        let t = Tokens::new("id", "s", 1800);
        assert!(t.issue(Some(&basic("id", "wrong")), &grant()).is_err());
        assert!(t.issue(None, &grant()).is_err());
        let pw = HashMap::from([("grant_type".to_string(), "password".to_string())]);
        assert!(t
            .issue(Some(&basic("id", "s")), &pw)
            .unwrap_err()
            .contains("grant_type"));
        assert!(t.issue(Some(&basic("id", "s")), &HashMap::new()).is_err());
        assert_eq!(t.check(None), Err(TokenError::Missing));
        assert_eq!(t.check(Some("Bearer nope")), Err(TokenError::Unknown));
    }

    #[tokio::test(start_paused = true)]
    async fn tokens_expire_after_ttl() {
        let t = Tokens::new("id", "s", 60);
        let v = t.issue(Some(&basic("id", "s")), &grant()).unwrap();
        let bearer = format!("Bearer {}", v["access_token"].as_str().unwrap());
        tokio::time::advance(Duration::from_secs(59)).await;
        assert_eq!(t.check(Some(&bearer)), Ok(()));
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(t.check(Some(&bearer)), Err(TokenError::Expired));
    }
}

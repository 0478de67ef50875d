//! issue 10 (css): `POST {base}/storage/{region}/v3/objects/{id}/restore`, asking CSS to bring
//! an ARCHIVED object back to AVAILABLE so that a later run can export it. Neither the state
//! nor the call is in the OpenAPI spec v3.1.6 (its objectState enum stops at FAILED); the
//! shape follows the issue and css-sim: 2xx = requested, 409 = already restoring (also
//! "requested"), 404 = no such object. Repeating the request is harmless (at worst a 409), so
//! it runs under the normal idempotent retry policy and call deadline. It never decides which
//! objects to restore.

use reqwest::Method;
use tracing::debug;

use super::{CssClient, CssError};

/// How CSS took a restore request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restore {
    /// 2xx: the restore is under way.
    Requested,
    /// 409: a restore was already under way (asked by an earlier run).
    AlreadyRestoring,
}

/// A restore answer's status → [`Restore`], or `None` when it is a failure.
pub fn restore_answer(status: u16) -> Option<Restore> {
    match status {
        200..=299 => Some(Restore::Requested),
        409 => Some(Restore::AlreadyRestoring),
        _ => None,
    }
}

impl CssClient {
    /// Asks CSS to restore the ARCHIVED object `id` of `region` (see the module docs). Both
    /// [`Restore`] answers mean the object will become AVAILABLE; anything else is the error.
    pub async fn restore(&self, region: &str, id: &str) -> Result<Restore, CssError> {
        const EP: &str = "restore";
        let req = self.json_req(EP, region, Method::POST, &["objects", id, "restore"])?;
        let answer = match self.fetch_bytes(&req).await {
            Ok(_) => Restore::Requested,
            Err(CssError::Http { status, .. }) if restore_answer(status).is_some() => {
                restore_answer(status).unwrap_or(Restore::AlreadyRestoring)
            }
            Err(e) => return Err(e),
        };
        debug!(region, endpoint = EP, ?answer, "restore requested");
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_that_mean_requested() {
        let table = [
            (200, Some(Restore::Requested)),
            (202, Some(Restore::Requested)),
            (204, Some(Restore::Requested)),
            (409, Some(Restore::AlreadyRestoring)),
            (404, None),
            (400, None),
            (500, None),
        ];
        for (status, want) in table {
            assert_eq!(restore_answer(status), want, "{status}");
        }
    }
}

//! One object's catalog record by id: `GET …/objects/{objectId}` (the spec's `getobject`,
//! "retrieve an object by its ID", answering an `ObjectResponse`). `…/objects/{id}/metadata`
//! answers the same schema but its description ("Download content for the given metadata")
//! is ambiguous, so it is not used. The request goes through the client's one retry
//! mechanism; 404 means "not in this region" and is an answer, not an error.

use reqwest::Method;
use serde::Deserialize;

use super::model::ObjectRecord;
use super::{CssClient, CssError};

const EP: &str = "object";

impl CssClient {
    /// The record of object `id` in `region`, or `None` when the region answers 404. A record
    /// for another id is an error, never a silent substitute.
    pub async fn object(&self, region: &str, id: &str) -> Result<Option<ObjectRecord>, CssError> {
        let req = self.json_req(EP, region, Method::GET, &["objects", id])?;
        let body = match self.fetch_json(&req).await {
            Ok(b) => b,
            Err(CssError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let rec = parse_record(&body)?;
        if rec.id != id {
            return Err(CssError::UnexpectedBody {
                endpoint: EP,
                detail: format!("asked for object {id:?}, got the record of {:?}", rec.id),
            });
        }
        Ok(Some(rec))
    }
}

/// The record as the spec declares it (an object), or an array holding exactly one.
fn parse_record(body: &[u8]) -> Result<ObjectRecord, CssError> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Many(Vec<ObjectRecord>),
        One(Box<ObjectRecord>),
    }
    let parsed: OneOrMany = serde_json::from_slice(body).map_err(|source| CssError::Decode {
        endpoint: EP,
        source,
    })?;
    match parsed {
        OneOrMany::One(r) => Ok(*r),
        OneOrMany::Many(mut v) if v.len() == 1 => Ok(v.remove(0)),
        OneOrMany::Many(v) => Err(CssError::UnexpectedBody {
            endpoint: EP,
            detail: format!("expected one object record, got an array of {}", v.len()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REC: &str = r#"{"id":"a","type":"t","objectName":"n","storedBytes":"7","createdTime":"2022-06-24T05:22:35","objectState":"REVOKED"}"#;

    #[test]
    fn record_in_either_shape() {
        let r = parse_record(REC.as_bytes()).unwrap();
        assert_eq!((r.id.as_str(), r.stored_bytes), ("a", 7));
        assert_eq!(r.object_state.as_deref(), Some("REVOKED"));
        assert_eq!(parse_record(format!("[{REC}]").as_bytes()).unwrap().id, "a");
        assert!(matches!(
            parse_record(b"[]"),
            Err(CssError::UnexpectedBody { .. })
        ));
        assert!(matches!(
            parse_record(b"{\"id\":1}"),
            Err(CssError::Decode { .. })
        ));
    }
}

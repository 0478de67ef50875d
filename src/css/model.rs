//! The CSS API's JSON shapes, serde only: object records, search pages and bulk-job statuses.
//! Deserialisation is lenient where the guide and the OpenAPI spec disagree (`storedBytes` as a
//! number or a string, a job status as an object or an array of one or more objects, missing optional
//! fields); nothing here performs I/O or decides policy.

use serde::{Deserialize, Deserializer, Serialize};

/// One object's catalog record, as `GET …/objects` returns it. Fields this crate does not
/// know are kept in `extra`, so the JSON sidecar written beside each export is the full record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRecord {
    pub id: String,
    #[serde(rename = "type")]
    pub object_type: String,
    #[serde(default)]
    pub mime_type: Option<String>,
    pub object_name: String,
    #[serde(default)]
    pub checksum_type: Option<String>,
    #[serde(default)]
    pub checksum: Option<String>,
    #[serde(default)]
    pub customer_id: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    /// A number in the guide, a string in the OpenAPI spec: both accepted.
    #[serde(deserialize_with = "u64_from_number_or_string")]
    pub stored_bytes: u64,
    /// ISO 8601 without offset (`2022-06-24T05:22:35`), UTC.
    pub created_time: String,
    #[serde(default)]
    pub updated_time: Option<String>,
    #[serde(default)]
    pub object_state: Option<String>,
    #[serde(default)]
    pub bucket_id: Option<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub shared: Option<bool>,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl ObjectRecord {
    /// The catalog MD5 as lowercase hex, when the record carries a plain MD5 (32 hex digits).
    /// Multipart-style checksums (`…-1`) and other types return `None`.
    pub fn md5_hex(&self) -> Option<String> {
        let kind_ok = self
            .checksum_type
            .as_deref()
            .is_none_or(|t| t.eq_ignore_ascii_case("MD5"));
        let sum = self.checksum.as_deref()?.trim();
        (kind_ok && sum.len() == 32 && sum.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| sum.to_ascii_lowercase())
    }

    /// The value of the first tag with this key.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|t| t.key == key)
            .map(|t| t.value.as_str())
    }
}

/// A key/value tag on an object record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub key: String,
    #[serde(default)]
    pub value: String,
}

/// One page of `GET …/objects`. End of data is `last_page`, never `page_key`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page {
    #[serde(default)]
    pub last_page: bool,
    #[serde(default)]
    pub page_key: Option<u64>,
    #[serde(default)]
    pub page_size: Option<u64>,
    /// The spec (v3.1.6): "the total number of available pages"; older answers count
    /// records. Only ever used as a consistency check (see `page_key`).
    #[serde(default)]
    pub total: Option<u64>,
    #[serde(default)]
    pub content: Vec<ObjectRecord>,
}

/// A bulk download job's state (`downloadContentStatus.status`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobState {
    NotStarted,
    InProgress,
    Done,
    Failed,
    Cancelled,
    PartialDone,
    /// A state neither document lists; treated as "not finished" until the deadline.
    #[serde(untagged)]
    Other(String),
}

impl JobState {
    /// True once the server will not change the job any more.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            JobState::Done | JobState::Failed | JobState::Cancelled | JobState::PartialDone
        )
    }
}

/// A bulk job's status: the guide's object, or one element of the spec's array.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobStatus {
    pub zip_name: String,
    pub status: JobState,
    /// Per the spec: the object ids (or id/status strings) the job covers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub content: Vec<String>,
}

/// Why a start/status answer is not a usable list of jobs.
#[derive(Debug, thiserror::Error)]
pub enum StatusShapeError {
    /// Neither documented shape (an object, or an array of objects).
    #[error("not a bulk job status or an array of them")]
    Json(#[source] serde_json::Error),
    /// The spec's array form, but with no job in it.
    #[error("an empty array of bulk job statuses")]
    EmptyArray,
}

/// Parses a start/status answer in either documented shape: a plain object (guide) or an
/// array of one or more status objects (OpenAPI spec; a start may be answered with several
/// zips, each a job of its own). Never empty.
pub fn parse_job_statuses(body: &[u8]) -> Result<Vec<JobStatus>, StatusShapeError> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(JobStatus),
        Many(Vec<JobStatus>),
    }
    match serde_json::from_slice::<OneOrMany>(body).map_err(StatusShapeError::Json)? {
        OneOrMany::One(s) => Ok(vec![s]),
        OneOrMany::Many(v) if v.is_empty() => Err(StatusShapeError::EmptyArray),
        OneOrMany::Many(v) => Ok(v),
    }
}

fn u64_from_number_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumOrStr {
        Num(u64),
        Str(String),
    }
    match NumOrStr::deserialize(d)? {
        NumOrStr::Num(n) => Ok(n),
        NumOrStr::Str(s) => s.trim().parse().map_err(|_| {
            serde::de::Error::custom(format!("storedBytes {s:?} is not a byte count"))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUIDE_RECORD: &str = r#"{
        "id": "58bc5748-339b-43c2-ad15-572a35dc3aad", "type": "callcenterrecording",
        "mimeType": "audio/mpeg", "objectName": "int-1819420cbe2-phone-00.mp3",
        "checksumType": "MD5", "checksum": "922ce8066731381f4a843e0bcf013826",
        "customerId": "0012J00002KTQJYQA5", "userId": "TMZIdbKzQGWvvi_04IC9Lg",
        "storedBytes": 3644352, "createdTime": "2022-06-24T05:22:35",
        "updatedTime": "2022-06-24T05:22:37", "objectState": "AVAILABLE",
        "bucketId": "4339ea5d-36c2-4105-8225-1f8e916ebebe",
        "tags": [{"key": "callId", "value": "int-1819420cbe2"}], "shared": false,
        "futureField": {"x": 1}
    }"#;

    #[test]
    fn record_parses_guide_example_and_keeps_unknown_fields() {
        let r: ObjectRecord = serde_json::from_str(GUIDE_RECORD).unwrap();
        assert_eq!(r.stored_bytes, 3_644_352);
        assert_eq!(r.tag("callId"), Some("int-1819420cbe2"));
        assert_eq!(
            r.md5_hex().as_deref(),
            Some("922ce8066731381f4a843e0bcf013826")
        );
        assert_eq!(r.extra["futureField"]["x"], 1);
        let back = serde_json::to_value(&r).unwrap();
        assert_eq!(back["futureField"]["x"], 1);
        assert_eq!(back["type"], "callcenterrecording");
    }

    #[test]
    fn stored_bytes_as_string_is_accepted() {
        let s = GUIDE_RECORD.replace("3644352", "\"23661\"");
        let r: ObjectRecord = serde_json::from_str(&s).unwrap();
        assert_eq!(r.stored_bytes, 23661);
        let bad = GUIDE_RECORD.replace("3644352", "\"lots\"");
        assert!(serde_json::from_str::<ObjectRecord>(&bad).is_err());
    }

    #[test]
    fn multipart_style_checksum_is_not_an_md5() {
        let s = GUIDE_RECORD.replace(
            "922ce8066731381f4a843e0bcf013826",
            "27b75edcb0305a6a6a87d60a1e01f1a4-1",
        );
        let r: ObjectRecord = serde_json::from_str(&s).unwrap();
        assert_eq!(r.md5_hex(), None);
    }

    #[test]
    fn job_status_in_both_shapes() {
        let one = |b: &[u8]| {
            let mut v = parse_job_statuses(b).unwrap();
            assert_eq!(v.len(), 1);
            v.remove(0)
        };
        let guide = br#"{"zipName":"a.zip","status":"NOT_STARTED"}"#;
        let spec = br#"[{"zipName":"a.zip","status":"PARTIAL_DONE","content":["x"]}]"#;
        assert_eq!(one(guide).status, JobState::NotStarted);
        let s = one(spec);
        assert_eq!(s.status, JobState::PartialDone);
        assert_eq!(s.content, vec!["x".to_string()]);
        let odd = br#"{"zipName":"a.zip","status":"QUEUED"}"#;
        assert_eq!(one(odd).status, JobState::Other("QUEUED".into()));
    }

    #[test]
    fn job_status_array_of_several_zips_is_every_job_in_order() {
        let three = br#"[{"zipName":"a.zip","status":"NOT_STARTED"},
            {"zipName":"b.zip","status":"IN_PROGRESS"},{"zipName":"c.zip","status":"DONE"}]"#;
        let v = parse_job_statuses(three).unwrap();
        let names: Vec<&str> = v.iter().map(|s| s.zip_name.as_str()).collect();
        assert_eq!(names, ["a.zip", "b.zip", "c.zip"]);
        assert_eq!(v[2].status, JobState::Done);
    }

    #[test]
    fn job_status_refuses_empty_arrays_and_other_shapes() {
        assert!(matches!(
            parse_job_statuses(b"[]"),
            Err(StatusShapeError::EmptyArray)
        ));
        for bad in [&b"<html>"[..], b"", b"{}", b"[{}]", b"7", b"[1,2]"] {
            assert!(
                matches!(parse_job_statuses(bad), Err(StatusShapeError::Json(_))),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}

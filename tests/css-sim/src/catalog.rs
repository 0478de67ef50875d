//! The simulated account's object catalog: records (id, region, type, name, size, times, state,
//! tags) built by [`super::gen`] (which depends on this module, never the reverse) or loaded
//! from a JSON file, their content recipe ([`Content`] from seed and id) and each object's
//! digest, computed lazily on first need and cached. It renders records as the guide's JSON
//! and exposes fields to FIQL. It never serves HTTP and never decides faults beyond
//! remembering which objects are poison.

use super::content::{Content, ContentKind, Digest};
use super::fiql::{Fields, Value};
use md5::Digest as _;
use serde::Serialize;
use serde_json::Value as Json;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// The MIME type a type's objects carry (the generator's and a catalog file's default).
pub fn mime_for(object_type: &str) -> &'static str {
    match object_type {
        "screenrecording" => "video/mp4",
        "transcription" => "application/json",
        _ => "audio/mpeg",
    }
}

/// One catalog record plus the simulator's own notes about it.
#[derive(Debug)]
pub struct SimObject {
    pub id: String,
    pub region: String,
    pub object_type: String,
    pub mime_type: String,
    pub object_name: String,
    pub customer_id: String,
    pub user_id: String,
    pub stored_bytes: u64,
    /// Epoch ms, whole seconds (the ISO rendering has second precision).
    pub created_ms: i64,
    pub updated_ms: i64,
    pub state: String,
    pub bucket_id: String,
    pub tags: Vec<(String, String)>,
    pub shared: bool,
    pub kind: ContentKind,
    /// Any job containing this object ends FAILED.
    pub poison: bool,
    /// The catalog checksum is S3-multipart style, `md5(md5(bytes))-1`, as object-types.md
    /// shows for some recordings, instead of the plain MD5.
    pub part_style_checksum: bool,
    /// Deleted while the server runs: by simulated retention (`--retention-per-page`) or by
    /// `DELETE …/bulk` (see [`super::delete`]).
    pub expired: AtomicBool,
    /// issue 10 (css): an ARCHIVED object is AVAILABLE from this instant on, set by the first
    /// `POST …/objects/{id}/restore` (see [`super::restore`]).
    pub restored_at: OnceLock<std::time::Instant>,
    pub digest: OnceLock<Digest>,
}

impl SimObject {
    pub fn content(&self, seed: u64) -> Content {
        Content {
            seed,
            id: self.id.clone(),
            len: self.stored_bytes,
            kind: self.kind,
        }
    }

    /// The content digest, computed on first call (CPU work: call from a blocking thread
    /// for large objects).
    pub fn digest(&self, seed: u64) -> Digest {
        *self.digest.get_or_init(|| self.content(seed).digest())
    }

    pub fn is_available(&self) -> bool {
        self.current_state() == "AVAILABLE"
    }

    /// The catalog `checksum` for content whose MD5 is `md5_hex`.
    pub fn checksum(&self, md5_hex: &str) -> String {
        match (self.part_style_checksum, hex::decode(md5_hex).ok()) {
            (true, Some(raw)) => format!("{:x}-1", md5::Md5::digest(raw)),
            _ => md5_hex.to_string(),
        }
    }

    /// The state now: the catalog's, DELETED once retention removed the object, AVAILABLE
    /// once an ARCHIVED object's restore has completed (issue 10).
    pub fn current_state(&self) -> &str {
        if self.expired.load(Ordering::Relaxed) {
            "DELETED"
        } else if self.state == "ARCHIVED" && self.restore_done() {
            "AVAILABLE"
        } else {
            &self.state
        }
    }

    /// issue 10 (css): a restore was requested and its delay has passed.
    pub fn restore_done(&self) -> bool {
        self.restored_at
            .get()
            .is_some_and(|t| std::time::Instant::now() >= *t)
    }

    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The record as the guide shows it, fields in the guide's order. `md5_hex` is the
    /// content's MD5.
    pub fn record<'a>(&'a self, md5_hex: &'a str) -> Record<'a> {
        Record {
            id: &self.id,
            object_type: &self.object_type,
            mime_type: &self.mime_type,
            object_name: &self.object_name,
            checksum_type: "MD5",
            checksum: self.checksum(md5_hex),
            customer_id: &self.customer_id,
            user_id: &self.user_id,
            stored_bytes: self.stored_bytes,
            created_time: iso(self.created_ms),
            updated_time: iso(self.updated_ms),
            object_state: self.current_state(),
            bucket_id: &self.bucket_id,
            tags: self
                .tags
                .iter()
                .map(|(k, v)| TagJson { key: k, value: v })
                .collect(),
            shared: self.shared,
        }
    }

    /// [`Self::record`] as a JSON value.
    pub fn to_json(&self, md5_hex: &str) -> Json {
        serde_json::to_value(self.record(md5_hex)).unwrap_or(Json::Null)
    }
}

/// A record as serialised on the wire (guide field order; storedBytes a number).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Record<'a> {
    pub id: &'a str,
    #[serde(rename = "type")]
    pub object_type: &'a str,
    pub mime_type: &'a str,
    pub object_name: &'a str,
    pub checksum_type: &'a str,
    pub checksum: String,
    pub customer_id: &'a str,
    pub user_id: &'a str,
    pub stored_bytes: u64,
    pub created_time: String,
    pub updated_time: String,
    pub object_state: &'a str,
    pub bucket_id: &'a str,
    pub tags: Vec<TagJson<'a>>,
    pub shared: bool,
}

/// `{"key":…,"value":…}`.
#[derive(Debug, Serialize)]
pub struct TagJson<'a> {
    pub key: &'a str,
    pub value: &'a str,
}

/// Epoch ms → `2022-06-24T05:22:35` (UTC, no offset, like the guide).
pub fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string())
        .unwrap_or_default()
}

/// The fields FIQL and sortField can name: the record's top-level fields, then its tags.
/// createdTime / updatedTime are epoch milliseconds (object-types.md).
impl Fields for SimObject {
    fn field(&self, name: &str) -> Option<Value> {
        let t = |s: &str| Some(Value::Text(s.to_string()));
        match name {
            "id" => t(&self.id),
            "type" => t(&self.object_type),
            "mimeType" => t(&self.mime_type),
            "objectName" => t(&self.object_name),
            "checksumType" => t("MD5"),
            "checksum" => self
                .digest
                .get()
                .map(|d| Value::Text(self.checksum(&d.md5_hex()))),
            "customerId" => t(&self.customer_id),
            "userId" => t(&self.user_id),
            "storedBytes" => Some(Value::Num(self.stored_bytes as f64)),
            "createdTime" => Some(Value::Num(self.created_ms as f64)),
            "updatedTime" => Some(Value::Num(self.updated_ms as f64)),
            "objectState" => t(self.current_state()),
            "bucketId" => t(&self.bucket_id),
            "shared" => t(if self.shared { "true" } else { "false" }),
            other => self.tag(other).map(|v| Value::Text(v.to_string())),
        }
    }
}

/// The whole catalog: records in a stable order (createdTime, then id) with an id index.
#[derive(Debug)]
pub struct Catalog {
    pub seed: u64,
    pub objects: Vec<Arc<SimObject>>,
    by_id: HashMap<String, Arc<SimObject>>,
}

impl Catalog {
    pub fn new(seed: u64, mut objects: Vec<SimObject>) -> Result<Self, String> {
        objects.sort_by(|a, b| a.created_ms.cmp(&b.created_ms).then(a.id.cmp(&b.id)));
        let objects: Vec<Arc<SimObject>> = objects.into_iter().map(Arc::new).collect();
        let mut by_id = HashMap::new();
        for o in &objects {
            if by_id.insert(o.id.clone(), o.clone()).is_some() {
                return Err(format!("duplicate object id {:?} in the catalog", o.id));
            }
        }
        Ok(Catalog {
            seed,
            objects,
            by_id,
        })
    }

    pub fn get(&self, id: &str) -> Option<&Arc<SimObject>> {
        self.by_id.get(id)
    }

    /// Simulated retention: deletes the `n` oldest AVAILABLE objects of `region`.
    pub fn expire_oldest(&self, region: &str, n: u64) {
        let mut live: Vec<&Arc<SimObject>> = self
            .in_region(region)
            .filter(|o| o.is_available())
            .collect();
        live.sort_by_key(|o| (o.created_ms, o.id.clone()));
        for o in live.into_iter().take(n as usize) {
            o.expired.store(true, Ordering::Relaxed);
        }
    }

    pub fn in_region<'a>(&'a self, region: &'a str) -> impl Iterator<Item = &'a Arc<SimObject>> {
        self.objects.iter().filter(move |o| o.region == region)
    }

    /// Parses `--catalog FILE`: a JSON array of records, each with a `region`. Required:
    /// id, type, objectName, storedBytes (number or string); everything else defaults.
    pub fn parse_file(text: &str, default_region: &str) -> Result<Vec<SimObject>, String> {
        let v: Json = serde_json::from_str(text).map_err(|e| format!("catalog file: {e}"))?;
        let arr = v
            .as_array()
            .ok_or("catalog file: expected a JSON array of records")?;
        arr.iter()
            .enumerate()
            .map(|(i, r)| record_from_json(r).map_err(|e| format!("catalog file record {i}: {e}")))
            .map(|r| {
                r.map(|mut o| {
                    if o.region.is_empty() {
                        o.region = default_region.to_string();
                    }
                    o
                })
            })
            .collect()
    }
}

fn record_from_json(r: &Json) -> Result<SimObject, String> {
    let s = |k: &str| r.get(k).and_then(Json::as_str).map(str::to_string);
    let req = |k: &str| s(k).ok_or(format!("missing string field {k:?}"));
    let stored_bytes = match r.get("storedBytes") {
        Some(Json::Number(n)) => n.as_u64().ok_or("storedBytes is not a byte count")?,
        Some(Json::String(t)) => t
            .trim()
            .parse()
            .map_err(|_| "storedBytes is not a byte count")?,
        _ => return Err("missing storedBytes".into()),
    };
    let time = |k: &str| -> Result<Option<i64>, String> {
        match r.get(k) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::Number(n)) => Ok(n.as_i64()),
            Some(Json::String(t)) => super::config::parse_time_ms(t).map(Some),
            Some(_) => Err(format!("{k} must be an ISO string or epoch ms")),
        }
    };
    let object_type = req("type")?;
    let mime_type = s("mimeType").unwrap_or_else(|| mime_for(&object_type).into());
    let kind = if mime_type.contains("json") {
        ContentKind::Json
    } else {
        ContentKind::Binary
    };
    let created_ms = time("createdTime")?.unwrap_or(0) / 1000 * 1000;
    let tags = r
        .get("tags")
        .and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|t| {
                    Some((
                        t.get("key")?.as_str()?.to_string(),
                        t.get("value")
                            .and_then(Json::as_str)
                            .unwrap_or("")
                            .to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(SimObject {
        id: req("id")?,
        region: s("region").unwrap_or_default(),
        object_type,
        mime_type,
        object_name: req("objectName")?,
        customer_id: s("customerId").unwrap_or_else(|| "0012J00002SIMCUST1".into()),
        user_id: s("userId").unwrap_or_default(),
        stored_bytes,
        created_ms,
        updated_ms: time("updatedTime")?.map_or(created_ms, |t| t / 1000 * 1000),
        state: s("objectState").unwrap_or_else(|| "AVAILABLE".into()),
        bucket_id: s("bucketId").unwrap_or_default(),
        tags,
        shared: r.get("shared").and_then(Json::as_bool).unwrap_or(false),
        kind,
        poison: false,
        part_style_checksum: s("checksum").is_some_and(|c| c.ends_with("-1")),
        expired: AtomicBool::new(false),
        restored_at: OnceLock::new(),
        digest: OnceLock::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_has_no_offset_and_second_precision() {
        assert_eq!(iso(1_656_048_155_000), "2022-06-24T05:22:35");
    }

    #[test]
    fn loads_a_catalog_file_with_defaults() {
        let text = r#"[{"id":"a","type":"callcenterrecording","objectName":"x.mp3","storedBytes":"123",
            "region":"uk","createdTime":"2022-06-24T05:22:35","checksum":"ignored",
            "tags":[{"key":"callId","value":"c1"}]},
            {"id":"b","type":"transcription","objectName":"y.json","storedBytes":5,"createdTime":1656048155000}]"#;
        let objs = Catalog::parse_file(text, "us-east").unwrap();
        assert_eq!(objs[0].region, "uk");
        assert_eq!(objs[0].stored_bytes, 123);
        assert_eq!(objs[0].created_ms, 1_656_048_155_000);
        assert_eq!(objs[0].tag("callId"), Some("c1"));
        assert_eq!(objs[1].region, "us-east");
        assert_eq!(objs[1].kind, ContentKind::Json);
        let cat = Catalog::new(1, objs).unwrap();
        let a = cat.get("a").unwrap();
        let d = a.digest(1);
        let j = a.to_json(&d.md5_hex());
        assert_eq!(j["checksum"], d.md5_hex());
        assert_eq!(j["storedBytes"], 123);
        assert!(Catalog::parse_file(r#"[{"id":"a"}]"#, "uk").is_err());
        assert!(Catalog::parse_file("{}", "uk").is_err());
    }

    // issue 10 (css)
    #[test]
    fn archived_becomes_available_once_its_restore_delay_passed() {
        let text = r#"[{"id":"a","type":"voicemail","objectName":"a.mp3","storedBytes":3,
                        "objectState":"ARCHIVED"},
                       {"id":"b","type":"voicemail","objectName":"b.mp3","storedBytes":3,
                        "objectState":"ARCHIVED"}]"#;
        let objs = Catalog::parse_file(text, "uk").unwrap();
        let (a, b) = (&objs[0], &objs[1]);
        assert_eq!(a.current_state(), "ARCHIVED");
        let now = std::time::Instant::now();
        a.restored_at.set(now).unwrap();
        b.restored_at
            .set(now + std::time::Duration::from_secs(3600))
            .unwrap();
        assert_eq!(a.current_state(), "AVAILABLE");
        assert!(a.is_available());
        assert_eq!(b.current_state(), "ARCHIVED", "still restoring");
        b.expired.store(true, Ordering::Relaxed);
        assert_eq!(b.current_state(), "DELETED");
    }

    #[test]
    fn part_style_checksum_is_md5_of_the_md5() {
        let objs = Catalog::parse_file(
            r#"[{"id":"a","type":"callcenterrecording","objectName":"a.mp3","storedBytes":3,
                 "checksum":"27b75edcb0305a6a6a87d60a1e01f1a4-1"},
                {"id":"b","type":"voicemail","objectName":"b.mp3","storedBytes":3}]"#,
            "us-east",
        )
        .unwrap();
        // md5("abc") = 900150983cd24fb0d6963f7d28e17f72; md5 of its 16 raw bytes:
        let md5_abc = "900150983cd24fb0d6963f7d28e17f72";
        let want = format!("{:x}-1", md5::Md5::digest(hex::decode(md5_abc).unwrap()));
        assert_eq!(objs[0].checksum(md5_abc), want);
        assert!(want.ends_with("-1") && want.len() == 34);
        assert_eq!(objs[1].checksum(md5_abc), md5_abc);
    }
}

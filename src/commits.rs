//! The objects committed to S3 but not yet counted: the exporter records each commit the
//! moment S3 confirms it, the pipeline takes it out when it counts the object exported. What
//! is left when a run is interrupted (a zip cut off mid-way, its earlier entries already
//! committed) is counted then, so an interrupted run reports every object it verified. This
//! module only holds the entries; it never talks to S3 or decides anything.

use crate::css::model::ObjectRecord;
use crate::s3::Committed;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// (region, object id) → the record and what S3 confirmed.
type Pending = HashMap<(String, String), (ObjectRecord, Committed)>;

/// Commits awaiting their count, by (region, object id). Cheap to clone (shared).
#[derive(Debug, Clone, Default)]
pub struct CommitLog {
    inner: Arc<Mutex<Pending>>,
}

impl CommitLog {
    /// S3 confirmed `rec`'s object in `region`.
    pub fn committed(&self, region: &str, rec: &ObjectRecord, committed: &Committed) {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(
            (region.to_string(), rec.id.clone()),
            (rec.clone(), committed.clone()),
        );
    }

    /// The object is being counted: drops its entry.
    pub fn counted(&self, region: &str, id: &str) {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&(region.to_string(), id.to_string()));
    }

    /// Every commit not counted yet, as (region, record, commit), emptying the log.
    pub fn drain(&self) -> Vec<(String, ObjectRecord, Committed)> {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<_> = map
            .drain()
            .map(|((region, _), (rec, c))| (region, rec, c))
            .collect();
        out.sort_by(|a, b| (&a.0, &a.1.id).cmp(&(&b.0, &b.1.id)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str) -> ObjectRecord {
        serde_json::from_value(serde_json::json!({
            "id": id, "type": "voicemail", "objectName": format!("{id}.mp3"),
            "storedBytes": 3, "createdTime": "2026-11-01T00:00:00"
        }))
        .unwrap()
    }

    #[test]
    fn only_uncounted_commits_are_left() {
        let log = CommitLog::default();
        let c = |key: &str| Committed::for_tests(key, 3, None);
        log.committed("uk", &rec("a"), &c("k/a"));
        log.committed("uk", &rec("b"), &c("k/b"));
        log.committed("us", &rec("a"), &c("k2/a"));
        log.counted("uk", "a");
        log.counted("uk", "zzz");
        let left = log.drain();
        let ids: Vec<_> = left
            .iter()
            .map(|(r, o, c)| (r.as_str(), o.id.as_str(), c.key.as_str()))
            .collect();
        assert_eq!(ids, [("uk", "b", "k/b"), ("us", "a", "k2/a")]);
        assert!(log.drain().is_empty());
    }
}

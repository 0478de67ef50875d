//! The run id: one per `css-sync sync` run, made at start, e.g. `20261201T201500Z-1a2b3c4d`
//! (the start time in UTC, then 8 random hex digits so two runs started in the same second
//! differ). It names the run in the start log line, the JSON report (`run_id`), the webhook
//! summary and every metadata-index row and file (`part-<run-id>.jsonl`). It sorts by start
//! time and uses only `[0-9A-Z-]`, so it is safe in an S3 key. This module only makes and
//! shows ids; it never parses one back.

use chrono::{DateTime, Utc};
use rand::Rng;
use serde::Serialize;

/// One run's id; see the module docs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct RunId(String);

impl RunId {
    /// A new id for a run starting at `now`.
    pub fn new(now: DateTime<Utc>) -> RunId {
        let random: u32 = rand::thread_rng().gen();
        RunId::from_parts(now, random)
    }

    /// The id for a start time and a random value (tests use it for a fixed id).
    pub fn from_parts(now: DateTime<Utc>, random: u32) -> RunId {
        RunId(format!("{}-{random:08x}", now.format("%Y%m%dT%H%M%SZ")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RunId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn time_then_random_hex_safe_in_keys() {
        let t = Utc.with_ymd_and_hms(2026, 12, 1, 20, 15, 0).unwrap();
        assert_eq!(
            RunId::from_parts(t, 0x1a2b3c4d).as_str(),
            "20261201T201500Z-1a2b3c4d"
        );
        assert_eq!(
            RunId::from_parts(t, 7).as_str(),
            "20261201T201500Z-00000007"
        );
        let id = RunId::new(t);
        assert_eq!(id.as_str().len(), 25);
        assert!(id
            .as_str()
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-'));
        assert_eq!(serde_json::to_value(&id).unwrap(), id.as_str());
    }
}

//! The run id: one per `css-sync sync` run, made at start, e.g. `20261201T201500Z-1a2b3c4d`
//! (the start time in UTC, then 8 random hex digits so two runs started in the same second
//! differ). It names the run in the start log line, the JSON report (`run_id`), the webhook
//! summary and every metadata-index row and file (`part-<run-id>.jsonl`). It sorts by start
//! time and uses only `[0-9A-Z-]`, so it is safe in an S3 key. A shard's run (issue 10) carries
//! its shard index in the last three hex digits ([`RunId::for_shard`]), so the shards of one
//! Indexed Job, started in the same second, never share a run id and never write the same
//! index or report file. This module only makes and shows ids; it never parses one back.

use chrono::{DateTime, Utc};
use rand::Rng;
use serde::Serialize;

/// One run's id; see the module docs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct RunId(String, #[serde(skip)] (DateTime<Utc>, u32));

impl RunId {
    /// A new id for a run starting at `now`.
    pub fn new(now: DateTime<Utc>) -> RunId {
        let random: u32 = rand::thread_rng().gen();
        RunId::from_parts(now, random)
    }

    /// The id for a start time and a random value (tests use it for a fixed id).
    pub fn from_parts(now: DateTime<Utc>, random: u32) -> RunId {
        RunId(
            format!("{}-{random:08x}", now.format("%Y%m%dT%H%M%SZ")),
            (now, random),
        )
    }

    /// issue 10 (shard): this id with the shard index in its last 12 bits (three hex digits;
    /// indexes are below [`crate::shard::MAX_SHARD_COUNT`] = 1024), so two shards' ids differ
    /// whatever the random draw. Unchanged for an unsharded run.
    pub fn for_shard(&self, shard: crate::shard::Shard) -> RunId {
        if !shard.is_split() {
            return self.clone();
        }
        let (now, random) = self.1;
        RunId::from_parts(now, (random & !0xfff) | (shard.index & 0xfff))
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

    #[test]
    fn shards_of_one_run_never_share_an_id() {
        use crate::shard::Shard;
        let t = Utc.with_ymd_and_hms(2026, 12, 1, 20, 15, 0).unwrap();
        let id = RunId::from_parts(t, 0x1a2b3c4d);
        assert_eq!(id.for_shard(Shard::ALL), id);
        let s = |index, count| id.for_shard(Shard { index, count });
        assert_eq!(s(0, 3).as_str(), "20261201T201500Z-1a2b3000");
        assert_eq!(s(2, 3).as_str(), "20261201T201500Z-1a2b3002");
        assert_eq!(s(1023, 1024).as_str(), "20261201T201500Z-1a2b33ff");
        // Same random draw in every pod: still one id per shard.
        let ids: std::collections::HashSet<String> =
            (0..1024).map(|i| s(i, 1024).to_string()).collect();
        assert_eq!(ids.len(), 1024);
    }
}

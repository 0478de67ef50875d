//! Sharding across pods (`CSS_SHARD_INDEX` / `CSS_SHARD_COUNT`): which objects one worker
//! owns. The partition is a documented hash of the object id, stable across versions,
//! platforms and runs, so each object belongs to exactly one shard of a given count and N
//! shard processes over one catalog export every object once. Also the shard's name
//! ([`Shard::scope`]), which names its checkpoint and its Pushgateway group. Pure: this module
//! never reads the environment, the catalog or S3.

use md5::{Digest, Md5};

/// The largest accepted `CSS_SHARD_COUNT`: far more pods than one catalog needs, small enough
/// that a typo (an extra digit) is refused rather than starting a thousand idle shards.
pub const MAX_SHARD_COUNT: u32 = 1024;

/// One worker's share of the objects: shard `index` of `count` (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Default for Shard {
    fn default() -> Self {
        Shard::ALL
    }
}

impl Shard {
    /// The only shard of an unsharded run: it owns every object.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Whether this shard owns the object `id`. The rule, fixed for good (moving objects
    /// between shards would re-export some and miss others): the first 8 bytes of the MD5 of
    /// the id's UTF-8 bytes, read as a big-endian `u64`, modulo `count`, equals `index`.
    /// A count of 0 (never produced by config) is read as 1.
    pub fn owns(&self, id: &str) -> bool {
        if self.count <= 1 {
            return true;
        }
        bucket_of(id, self.count) == self.index
    }

    /// `all` when `count == 1`, else `shard-<index>-of-<count>` (names the checkpoint and the
    /// metrics push group).
    pub fn scope(&self) -> String {
        match self.count <= 1 {
            true => "all".to_string(),
            false => format!("shard-{}-of-{}", self.index, self.count),
        }
    }

    /// Whether the run is split at all (`count > 1`).
    pub fn is_split(&self) -> bool {
        self.count > 1
    }
}

/// The shard (0-based, `< count`) that owns `id` among `count` shards; `count ≥ 1`.
pub fn bucket_of(id: &str, count: u32) -> u32 {
    let digest = Md5::digest(id.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(first) % u64::from(count.max(1))) as u32
}

/// Why a shard setting is refused: the variable to fix and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error("{name}: {reason}")]
    Invalid { name: &'static str, reason: String },
}

impl ShardError {
    /// The variable the message names.
    pub fn name(&self) -> &'static str {
        match self {
            ShardError::Invalid { name, .. } => name,
        }
    }

    /// A bounded label.
    pub fn kind(&self) -> &'static str {
        "invalid_shard"
    }
}

fn invalid(name: &'static str, reason: impl Into<String>) -> ShardError {
    ShardError::Invalid {
        name,
        reason: reason.into(),
    }
}

/// The shard from its settings: `index` (`CSS_SHARD_INDEX`), else `job_index` (Kubernetes'
/// `JOB_COMPLETION_INDEX`, set in the pods of an Indexed Job), and `count`
/// (`CSS_SHARD_COUNT`, default 1).
pub fn resolve(
    index: Option<&str>,
    job_index: Option<&str>,
    count: u32,
) -> Result<Shard, ShardError> {
    if count == 0 || count > MAX_SHARD_COUNT {
        return Err(invalid(
            "CSS_SHARD_COUNT",
            format!("must be between 1 and {MAX_SHARD_COUNT}, got {count}"),
        ));
    }
    let parse = |name: &'static str, text: &str| {
        text.trim().parse::<u32>().map_err(|_| {
            invalid(
                name,
                format!("{text:?} is not a shard index (a whole number from 0)"),
            )
        })
    };
    let index = match (
        index.filter(|s| !s.trim().is_empty()),
        job_index.filter(|s| !s.trim().is_empty()),
    ) {
        (Some(text), _) => Some(("CSS_SHARD_INDEX", parse("CSS_SHARD_INDEX", text)?)),
        (None, Some(text)) => Some(("JOB_COMPLETION_INDEX", parse("JOB_COMPLETION_INDEX", text)?)),
        (None, None) => None,
    };
    match index {
        None if count > 1 => Err(invalid(
            "CSS_SHARD_INDEX",
            format!(
                "CSS_SHARD_COUNT={count} needs CSS_SHARD_INDEX (or JOB_COMPLETION_INDEX, set by \
                 an Indexed Job): without it this worker would not know its share"
            ),
        )),
        None => Ok(Shard::ALL),
        Some((name, i)) if i >= count => Err(invalid(
            name,
            format!("{i} is not below CSS_SHARD_COUNT={count} (indexes run from 0)"),
        )),
        Some((_, i)) => Ok(Shard { index: i, count }),
    }
}

#[cfg(test)]
#[path = "shard_tests.rs"]
mod tests;

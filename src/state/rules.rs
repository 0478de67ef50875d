//! The store's decisions, pure: which write mode an endpoint gets (conditional `If-Match` /
//! `If-None-Match: *`, or the read-after-write fallback where conditional headers are
//! ignored), whether a probe shows them honoured, and after each write whether the update is
//! done, must reload and apply its merge again, or has run out of attempts. No I/O here:
//! [`super::store`] sends the requests.

use crate::s3::proof;
use crate::s3::ConditionalWrites;

/// Writes of one update (first included) before it fails with a conflict.
pub const UPDATE_ATTEMPTS: u32 = 8;
/// Largest checkpoint document read or written.
pub const MAX_DOC_BYTES: u64 = 64 * 1024 * 1024;

/// How the store keeps two overlapping runs from losing each other's writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// `If-Match: <etag read>` (or `If-None-Match: *` on a new key): S3 refuses with 412 a
    /// write over a version we did not read.
    Conditional,
    /// The endpoint ignores the headers (or `S3_CONDITIONAL_WRITES=off`): write
    /// unconditionally, read the ETag back ([`after_write`], as in both modes), and when it is
    /// not ours reload and apply the merge again. A write that lands between another run's write and
    /// its read-back can still be lost: overlapping runs are not safe there.
    ReadAfterWrite,
}

/// What the probe's second and third writes got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeAnswer {
    /// 412 Precondition Failed: the header was honoured.
    Refused,
    /// The write went through: the header was ignored.
    Accepted,
    /// 501 / NotImplemented: the header is rejected outright.
    NotImplemented,
}

/// Whether the probe shows both headers honoured: a write with a wrong `If-Match` and one
/// with `If-None-Match: *` over an existing key must both be refused.
pub fn honoured(wrong_if_match: ProbeAnswer, if_none_match: ProbeAnswer) -> bool {
    wrong_if_match == ProbeAnswer::Refused && if_none_match == ProbeAnswer::Refused
}

/// Whether `S3_CONDITIONAL_WRITES` asks for a probe at all (`off`: never sent).
pub fn probes(setting: ConditionalWrites) -> bool {
    setting != ConditionalWrites::Off
}

/// The write mode from the setting and the probe (`honoured: None`: not probed). `None` when
/// the setting requires conditional writes (`on`) and the endpoint does not honour them.
pub fn write_mode(setting: ConditionalWrites, honoured: Option<bool>) -> Option<WriteMode> {
    match (setting, honoured) {
        (ConditionalWrites::Off, _) => Some(WriteMode::ReadAfterWrite),
        (_, Some(true)) => Some(WriteMode::Conditional),
        (ConditionalWrites::On, _) => None,
        (ConditionalWrites::Auto, _) => Some(WriteMode::ReadAfterWrite),
    }
}

/// What one write of an update found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// 412: the document changed since we read it (or appeared where there was none).
    Refused,
    /// Stored with ETag `ours`; `seen` is the ETag read back after it (`None`: the key is
    /// gone).
    Stored { ours: String, seen: Option<String> },
}

/// After a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Our document is the stored one.
    Done,
    /// Someone wrote meanwhile: reload, apply the merge again, write again.
    Retry,
    /// Out of attempts: a conflict.
    GiveUp,
}

/// The decision after write number `attempt` (1-based). In both modes the ETag read back
/// after a write that went through must be ours: s3s-fs refuses a wrong `If-Match` yet lets two
/// racing writes both through (its check is not atomic with the write), so a probe cannot
/// prove the conditional write atomic. A foreign ETag means someone wrote after us: reload
/// and merge again (their write saw ours, or ours is merged in again: `f` is a merge).
pub fn after_write(written: &Written, attempt: u32) -> Step {
    let raced = match written {
        Written::Refused => true,
        Written::Stored { ours, seen } => {
            seen.as_deref().map(proof::normalize) != Some(proof::normalize(ours))
        }
    };
    match (raced, attempt < UPDATE_ATTEMPTS) {
        (false, _) => Step::Done,
        (true, true) => Step::Retry,
        (true, false) => Step::GiveUp,
    }
}

/// Whether a document of `size` bytes may be read or written.
pub fn size_ok(size: u64) -> bool {
    size <= MAX_DOC_BYTES
}

/// Pause before write attempt `attempt + 1` after a race: grows with the attempt, with a
/// jitter `jitter` in [0, 1) so two racing runs do not retry in step. At most 1.6 s.
pub fn retry_pause(attempt: u32, jitter: f64) -> std::time::Duration {
    let base_ms = 50u64 << attempt.clamp(1, 5).saturating_sub(1);
    let ms = base_ms as f64 * (1.0 + jitter.clamp(0.0, 1.0));
    std::time::Duration::from_millis(ms as u64)
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;

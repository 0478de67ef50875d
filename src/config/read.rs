//! Reading one setting: text from a flag or environment variable → a typed value, or a
//! [`ConfigError`] naming the variable. Pure parsing (durations, byte sizes, instants, lists,
//! SSE, Object Lock, the index and webhook options); the only I/O is reading the secret file
//! and the id list. [`super::Settings::from_args`] assembles the results.

use super::{invalid, ConfigError, MAX_IDS_FILE_BYTES};
use crate::cli::{S3Args, SyncArgs};
use crate::ids::{IdList, IdSource};
use crate::s3::{LockMode, ObjectLock, RetainFor, Retention, Sse};
use crate::secret::Secret;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;
pub(super) fn index_settings(a: &SyncArgs) -> Result<crate::index::IndexSettings, ConfigError> {
    let root = crate::index::root(&a.s3.prefix, &a.lake.index_prefix)
        .map_err(|r| invalid("CSS_SYNC_INDEX_PREFIX", r))?;
    Ok(crate::index::IndexSettings {
        enabled: a.lake.index,
        root,
        limits: crate::index::Limits {
            file_rows: at_least_one("CSS_SYNC_INDEX_FILE_MAX_ROWS", a.lake.index_file_max_rows)?,
            ..crate::index::Limits::default()
        },
    })
}

// issue 7 (lakereport)
pub(super) fn bucket_report_settings(
    a: &SyncArgs,
) -> Result<crate::lake_report::Settings, ConfigError> {
    use crate::lake_report::{Mode, FOLDER};
    let mode = Mode::parse(&a.lake.bucket_report).ok_or_else(|| {
        invalid(
            "CSS_SYNC_BUCKET_REPORT",
            format!("{:?}: expected errors, all or off", a.lake.bucket_report),
        )
    })?;
    let root = crate::index::root(&a.s3.prefix, FOLDER).map_err(|r| invalid("S3_PREFIX", r))?;
    Ok(crate::lake_report::Settings {
        mode,
        root,
        file_max_lines: at_least_one(
            "CSS_SYNC_BUCKET_REPORT_FILE_MAX_LINES",
            a.lake.bucket_report_file_max_lines,
        )?,
    })
}

/// An http(s) URL; the error never repeats it (it may hold a token).
pub(super) fn webhook_url(text: Option<&str>) -> Result<Option<Secret>, ConfigError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    match url::Url::parse(text) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
            Ok(Some(Secret::new(text)))
        }
        _ => Err(invalid(
            "CSS_SYNC_WEBHOOK_URL",
            "must be an http(s) URL with a host",
        )),
    }
}

pub(super) fn read_secret(a: &SyncArgs) -> Result<Secret, ConfigError> {
    let value = match (&a.css.client_secret, &a.css.client_secret_file) {
        (Some(s), _) => s.clone(),
        (None, Some(path)) => std::fs::read_to_string(path)
            .map_err(|source| ConfigError::SecretFile {
                path: path.display().to_string(),
                source,
            })?
            .trim_end_matches(['\r', '\n'])
            .to_string(),
        (None, None) => {
            return Err(ConfigError::Missing {
                name: "CSS_CLIENT_SECRET or CSS_CLIENT_SECRET_FILE",
            })
        }
    };
    if value.is_empty() {
        return Err(invalid("CSS_CLIENT_SECRET", "is empty"));
    }
    Ok(Secret::new(value))
}

/// The id list of `--ids`, refused together with a search filter (an id list exports exactly
/// its ids, whatever their type or age).
pub(super) fn read_ids(a: &SyncArgs) -> Result<Option<Arc<IdList>>, ConfigError> {
    let Some(path) = &a.selection.ids else {
        return Ok(None);
    };
    let sel = &a.selection;
    let set = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    let conflicts: Vec<&str> = [
        (!clean_list(&sel.types).is_empty(), "CSS_TYPES"),
        (set(&sel.since), "CSS_SINCE"),
        (set(&sel.until), "CSS_UNTIL"),
        (set(&sel.filter), "CSS_FILTER"),
    ]
    .into_iter()
    .filter_map(|(is_set, name)| is_set.then_some(name))
    .collect();
    if !conflicts.is_empty() {
        return Err(invalid(
            "CSS_IDS_FILE",
            format!(
                "cannot be combined with {}: an id list exports exactly its ids, whatever \
                 their type or age (unset those or drop --ids)",
                conflicts.join(", ")
            ),
        ));
    }
    let source = if path.as_os_str() == "-" {
        IdSource::Stdin
    } else {
        IdSource::File(path.clone())
    };
    let text = match &source {
        IdSource::Stdin => read_limited_text(std::io::stdin().lock()),
        IdSource::File(p) => std::fs::File::open(p).and_then(read_limited_text),
    }
    .map_err(|e| invalid("CSS_IDS_FILE", format!("reading {source}: {e}")))?;
    IdList::parse(source.clone(), &text)
        .map(|l| Some(Arc::new(l)))
        .map_err(|e| invalid("CSS_IDS_FILE", format!("{source}: {e}")))
}

/// UTF-8 text of at most [`MAX_IDS_FILE_BYTES`].
pub(super) fn read_limited_text(r: impl std::io::Read) -> std::io::Result<String> {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut r.take(MAX_IDS_FILE_BYTES + 1), &mut text)?;
    if text.len() as u64 > MAX_IDS_FILE_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than {MAX_IDS_FILE_BYTES} bytes"
        )));
    }
    Ok(text)
}

pub(super) fn parse_sse(
    sse: Option<&str>,
    kms_key: Option<String>,
) -> Result<Option<Sse>, ConfigError> {
    match sse.map(str::trim).filter(|s| !s.is_empty()) {
        None if kms_key.is_some() => Err(invalid("S3_SSE_KMS_KEY_ID", "needs S3_SSE=aws:kms")),
        None => Ok(None),
        Some(s) if s.eq_ignore_ascii_case("AES256") => Ok(Some(Sse::Aes256)),
        Some(s) if s.eq_ignore_ascii_case("aws:kms") => Ok(Some(Sse::Kms { key_id: kms_key })),
        Some(other) => Err(invalid(
            "S3_SSE",
            format!("{other:?}: expected AES256 or aws:kms"),
        )),
    }
}

/// `S3_OBJECT_LOCK_MODE` and `S3_OBJECT_LOCK_RETAIN` (both or neither; empty = unset) and
/// `S3_OBJECT_LOCK_LEGAL_HOLD`.
pub(super) fn parse_object_lock(a: &S3Args) -> Result<ObjectLock, ConfigError> {
    fn set(v: &Option<String>) -> Option<&str> {
        v.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
    let mode = set(&a.object_lock_mode)
        .map(|m| LockMode::parse(m).map_err(|r| invalid("S3_OBJECT_LOCK_MODE", r)))
        .transpose()?;
    let retain_for = set(&a.object_lock_retain)
        .map(|r| RetainFor::parse(r).map_err(|r| invalid("S3_OBJECT_LOCK_RETAIN", r)))
        .transpose()?;
    let retention = match (mode, retain_for) {
        (None, None) => None,
        (Some(mode), Some(retain_for)) => Some(Retention { mode, retain_for }),
        (Some(_), None) => {
            return Err(invalid(
                "S3_OBJECT_LOCK_RETAIN",
                "required with S3_OBJECT_LOCK_MODE (e.g. 7y or 2555d)",
            ))
        }
        (None, Some(_)) => {
            return Err(invalid(
                "S3_OBJECT_LOCK_MODE",
                "required with S3_OBJECT_LOCK_RETAIN (GOVERNANCE or COMPLIANCE)",
            ))
        }
    };
    Ok(ObjectLock {
        retention,
        legal_hold: a.object_lock_legal_hold,
    })
}

pub(super) fn at_least_one(name: &'static str, n: usize) -> Result<usize, ConfigError> {
    if n == 0 {
        Err(invalid(name, "must be at least 1"))
    } else {
        Ok(n)
    }
}

pub(super) fn clean_list(items: &[String]) -> Vec<String> {
    let mut out: Vec<String> = items
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    out.dedup();
    out
}

pub(super) fn positive_duration(name: &'static str, text: &str) -> Result<Duration, ConfigError> {
    match parse_duration(text) {
        Ok(d) if !d.is_zero() => Ok(d),
        Ok(_) => Err(invalid(name, "must be more than zero")),
        Err(r) => Err(invalid(name, r)),
    }
}

/// [`positive_duration`] no longer than `max`.
pub(super) fn bounded_duration(
    name: &'static str,
    text: &str,
    max: Duration,
) -> Result<Duration, ConfigError> {
    let d = positive_duration(name, text)?;
    if d > max {
        return Err(invalid(
            name,
            format!(
                "{:?} is too long (at most {})",
                text.trim(),
                humantime::format_duration(max)
            ),
        ));
    }
    Ok(d)
}

/// Plain seconds (`15`, `0.5`) or a humantime duration (`15s`, `2m`, `1h 30m`, `7d`). Values
/// beyond what a `Duration` holds (`1e30`) are an error, never a panic.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if let Ok(secs) = t.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).map_err(|_| {
            if secs.is_finite() && secs > 0.0 {
                format!("{t:?} is too long")
            } else {
                format!("{t:?} is not a duration")
            }
        });
    }
    humantime::parse_duration(t).map_err(|e| format!("{t:?} is not a duration ({e})"))
}

/// A byte size: a plain number of bytes (`1048576`) or a number with a unit, parsed by the
/// `bytesize` crate. Decimal units are powers of 1000 (`k`/`KB` = 1000, `MB` = 10^6,
/// `GB` = 10^9), binary units powers of 1024 (`KiB` = 1024, `MiB` = 2^20, `GiB` = 2^30);
/// case-insensitive, fractions allowed (`1.5GiB`). Sizes past 2^53 bytes are refused rather
/// than rounded or saturated.
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    /// Far above any size this tool uses (5 TiB objects), and exact in an f64.
    const MAX: u64 = 1 << 53;
    let t = text.trim();
    let size: bytesize::ByteSize = t
        .parse()
        .map_err(|_| format!("{t:?} is not a byte size (e.g. 16MiB, 500MB, 1048576)"))?;
    match size.as_u64() {
        n if n >= MAX => Err(format!("{t:?} is too large")),
        n => Ok(n),
    }
}

/// An instant: RFC 3339, or a duration before `now` (`48h` = now minus 48 hours).
pub fn parse_instant(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt.with_timezone(&Utc));
    }
    let ago = humantime::parse_duration(t).map_err(|_| {
        format!("{t:?} is neither RFC 3339 (2026-11-01T00:00:00Z) nor a duration (48h)")
    })?;
    let ago = chrono::Duration::from_std(ago).map_err(|_| format!("{t:?} is too long ago"))?;
    now.checked_sub_signed(ago)
        .ok_or_else(|| format!("{t:?} is too long ago"))
}

// issue 10 (shard)
/// `CSS_SHARD_INDEX` (else `JOB_COMPLETION_INDEX`) and `CSS_SHARD_COUNT`.
pub(super) fn shard(sel: &crate::cli::SelectionArgs) -> Result<crate::shard::Shard, ConfigError> {
    crate::shard::resolve(
        sel.shard_index.as_deref(),
        sel.job_completion_index.as_deref(),
        sel.shard_count,
    )
    .map_err(|e| match e {
        crate::shard::ShardError::Invalid { name, reason } => invalid(name, reason),
    })
}

//! Raw arguments → validated [`Settings`]. Everything a run needs is checked here, before any
//! network call: durations, byte sizes, time windows, the key template, the secret source and
//! the bounds. A problem is a [`ConfigError`] (exit code 2) naming the variable to fix. This
//! module never performs I/O beyond reading the secret file and the id list (`CSS_IDS_FILE`).

use crate::cli::{S3Args, SyncArgs};
use crate::css::fiql::SearchFilter;
use crate::css::retry::RetryPolicy;
use crate::css::{CssConfig, PageSize, MAX_PAGE_SIZE};
use crate::ids::{IdList, IdSource};
use crate::s3::keys::KeyTemplate;
use crate::s3::{
    ChecksumMode, LockMode, ObjectLock, RetainFor, Retention, S3Settings, Sse, MAX_PART_SIZE,
    MIN_PART_SIZE,
};
use crate::secret::Secret;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;

/// The documented bulk-download zip limit: "the limit on bulk file downloads is 2 GB" (the
/// vendor's OpenAPI description), read as 2 × 10^9 bytes, the smaller of the two readings.
pub const MAX_ZIP_BYTES: u64 = 2_000_000_000;

/// Longest accepted `CSS_HTTP_TIMEOUT`: an hour without a byte is an outage, not a slow server.
pub const MAX_HTTP_TIMEOUT: Duration = Duration::from_secs(3600);
/// Longest accepted `CSS_CALL_DEADLINE` (a day: longer than any run).
pub const MAX_CALL_DEADLINE: Duration = Duration::from_secs(24 * 3600);
/// Longest accepted `CSS_POLL_INTERVAL`: a job polled less than hourly is not being watched.
pub const MAX_POLL_INTERVAL: Duration = Duration::from_secs(3600);
/// Longest accepted `CSS_JOB_DEADLINE`: a week, far beyond any run.
pub const MAX_JOB_DEADLINE: Duration = Duration::from_secs(7 * 24 * 3600);
/// Largest `CSS_IDS_FILE` read (far above [`crate::ids::MAX_IDS`] ids with comments): a
/// bigger file is refused rather than read into memory.
pub const MAX_IDS_FILE_BYTES: u64 = 512 << 20;

/// A bad flag or environment variable; the message names it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name}: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("{name} is required")]
    Missing { name: &'static str },
    #[error("reading CSS_CLIENT_SECRET_FILE {path}")]
    SecretFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

fn invalid(name: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        name,
        reason: reason.into(),
    }
}

/// Bounds and policies of one run that are neither CSS-client nor S3-client settings.
#[derive(Debug, Clone)]
pub struct RunSettings {
    pub regions: Vec<String>,
    pub discovery_region: String,
    pub filter: SearchFilter,
    pub poll_interval: Duration,
    pub job_deadline: Duration,
    pub object_attempts: u32,
    pub batch_max_objects: usize,
    pub batch_max_bytes: u64,
    pub region_concurrency: usize,
    pub jobs_per_region: usize,
    pub downloads_per_region: usize,
    pub check_concurrency: usize,
    /// `--ids`: export exactly these objects (looked up by id) instead of searching the
    /// catalog. Never combined with a search filter.
    pub ids: Option<Arc<IdList>>,
    pub lookup_concurrency: usize,
}

/// Everything a sync needs, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    pub css: CssConfig,
    pub s3: S3Settings,
    pub run: RunSettings,
    pub report_path: Option<std::path::PathBuf>,
    pub metrics_file: Option<std::path::PathBuf>,
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// The metadata index (`CSS_SYNC_INDEX*`).
    pub index: crate::index::IndexSettings,
    /// `CSS_SYNC_WEBHOOK_URL`: may carry credentials, so it never prints itself.
    pub webhook_url: Option<Secret>,
}

impl Settings {
    /// Validates parsed arguments. `now` anchors relative times such as `CSS_SINCE=48h`.
    pub fn from_args(a: &SyncArgs, now: DateTime<Utc>) -> Result<Settings, ConfigError> {
        let t = &a.tuning;
        let api_base =
            url::Url::parse(&a.css.api_base).map_err(|e| invalid("CSS_API_BASE", e.to_string()))?;
        if !matches!(api_base.scheme(), "http" | "https") {
            return Err(invalid("CSS_API_BASE", "must be an http(s) URL"));
        }
        let client_id = a
            .css
            .client_id
            .clone()
            .filter(|s| !s.trim().is_empty())
            .ok_or(ConfigError::Missing {
                name: "CSS_CLIENT_ID",
            })?;
        let client_secret = read_secret(a)?;
        let http_timeout = bounded_duration("CSS_HTTP_TIMEOUT", &t.http_timeout, MAX_HTTP_TIMEOUT)?;
        let call_deadline =
            bounded_duration("CSS_CALL_DEADLINE", &t.call_deadline, MAX_CALL_DEADLINE)?;
        if t.max_attempts == 0 {
            return Err(invalid("CSS_MAX_ATTEMPTS", "must be at least 1"));
        }
        let page_size = PageSize::new(t.page_size).ok_or_else(|| {
            invalid(
                "CSS_PAGE_SIZE",
                format!("must be between 1 and {MAX_PAGE_SIZE}"),
            )
        })?;
        let css = CssConfig {
            api_base,
            client_id,
            client_secret,
            http_timeout,
            retry: RetryPolicy {
                max_attempts: t.max_attempts,
                call_deadline,
                ..RetryPolicy::default()
            },
            page_size,
        };

        let bucket =
            a.s3.bucket
                .clone()
                .filter(|b| !b.trim().is_empty())
                .ok_or(ConfigError::Missing { name: "S3_BUCKET" })?;
        // Parsed once, here; the S3 layer renders keys with it and never re-parses.
        let keys = KeyTemplate::parse(&a.s3.key_template)
            .map_err(|e| invalid("S3_KEY_TEMPLATE", e.to_string()))?
            .with_prefix(&a.s3.prefix)
            .map_err(|e| invalid("S3_PREFIX", e.to_string()))?;
        let part_size = parse_bytes(&t.part_size).map_err(|r| invalid("S3_PART_SIZE", r))?;
        if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&part_size) {
            return Err(invalid(
                "S3_PART_SIZE",
                "must be between 5MiB and 5GiB (S3's part size limits)",
            ));
        }
        let s3 = S3Settings {
            bucket,
            force_path_style: a.s3.force_path_style,
            keys,
            sidecar: a.s3.sidecar,
            sse: parse_sse(a.s3.sse.as_deref(), a.s3.sse_kms_key_id.clone())?,
            storage_class: a.s3.storage_class.clone().filter(|s| !s.is_empty()),
            checksum: match a.s3.checksum.as_str() {
                "when-required" => ChecksumMode::WhenRequired,
                "when-supported" => ChecksumMode::WhenSupported,
                other => {
                    return Err(invalid(
                        "S3_CHECKSUM",
                        format!("{other:?}: expected when-required or when-supported"),
                    ))
                }
            },
            part_size,
            part_concurrency: at_least_one("S3_PART_CONCURRENCY", t.part_concurrency)?,
            object_lock: parse_object_lock(&a.s3)?,
            ..S3Settings::default()
        };

        let ids = read_ids(a)?;
        let since = a
            .selection
            .since
            .as_deref()
            .map(|s| parse_instant(s, now).map_err(|r| invalid("CSS_SINCE", r)))
            .transpose()?;
        let until = a
            .selection
            .until
            .as_deref()
            .map(|s| parse_instant(s, now).map_err(|r| invalid("CSS_UNTIL", r)))
            .transpose()?;
        if let (Some(s), Some(u)) = (since, until) {
            if s >= u {
                return Err(invalid("CSS_UNTIL", "must be later than CSS_SINCE"));
            }
        }
        let filter = SearchFilter {
            types: clean_list(&a.selection.types),
            since,
            until,
            extra: a.selection.filter.clone().filter(|f| !f.trim().is_empty()),
        };
        filter
            .to_fiql()
            .map_err(|e| invalid("CSS_TYPES/CSS_FILTER", e.to_string()))?;

        let batch_max_bytes =
            parse_bytes(&t.batch_max_bytes).map_err(|r| invalid("CSS_BATCH_MAX_BYTES", r))?;
        if batch_max_bytes == 0 || batch_max_bytes > MAX_ZIP_BYTES {
            return Err(invalid(
                "CSS_BATCH_MAX_BYTES",
                "must be between 1 byte and 2GB (2000000000 bytes, the bulk-download zip limit)",
            ));
        }
        let run = RunSettings {
            regions: clean_list(&a.selection.regions),
            discovery_region: a.css.discovery_region.clone(),
            filter,
            poll_interval: bounded_duration(
                "CSS_POLL_INTERVAL",
                &t.poll_interval,
                MAX_POLL_INTERVAL,
            )?,
            job_deadline: bounded_duration("CSS_JOB_DEADLINE", &t.job_deadline, MAX_JOB_DEADLINE)?,
            object_attempts: at_least_one("CSS_OBJECT_ATTEMPTS", t.object_attempts as usize)?
                as u32,
            batch_max_objects: at_least_one("CSS_BATCH_MAX_OBJECTS", t.batch_max_objects)?,
            batch_max_bytes,
            region_concurrency: at_least_one("CSS_REGION_CONCURRENCY", t.region_concurrency)?,
            jobs_per_region: at_least_one("CSS_JOBS_PER_REGION", t.jobs_per_region)?,
            downloads_per_region: at_least_one("CSS_DOWNLOADS_PER_REGION", t.downloads_per_region)?,
            check_concurrency: at_least_one("S3_CHECK_CONCURRENCY", t.check_concurrency)?,
            ids,
            lookup_concurrency: at_least_one("CSS_LOOKUP_CONCURRENCY", t.lookup_concurrency)?,
        };
        Ok(Settings {
            css,
            s3,
            run,
            report_path: a.output.report.clone(),
            metrics_file: a.output.metrics_file.clone(),
            metrics_listen: a.output.metrics_listen,
            index: index_settings(a)?,
            webhook_url: webhook_url(a.lake.webhook_url.as_deref())?,
        })
    }
}

fn index_settings(a: &SyncArgs) -> Result<crate::index::IndexSettings, ConfigError> {
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

/// An http(s) URL; the error never repeats it (it may hold a token).
fn webhook_url(text: Option<&str>) -> Result<Option<Secret>, ConfigError> {
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

fn read_secret(a: &SyncArgs) -> Result<Secret, ConfigError> {
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
fn read_ids(a: &SyncArgs) -> Result<Option<Arc<IdList>>, ConfigError> {
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
fn read_limited_text(r: impl std::io::Read) -> std::io::Result<String> {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut r.take(MAX_IDS_FILE_BYTES + 1), &mut text)?;
    if text.len() as u64 > MAX_IDS_FILE_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than {MAX_IDS_FILE_BYTES} bytes"
        )));
    }
    Ok(text)
}

fn parse_sse(sse: Option<&str>, kms_key: Option<String>) -> Result<Option<Sse>, ConfigError> {
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
fn parse_object_lock(a: &S3Args) -> Result<ObjectLock, ConfigError> {
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

fn at_least_one(name: &'static str, n: usize) -> Result<usize, ConfigError> {
    if n == 0 {
        Err(invalid(name, "must be at least 1"))
    } else {
        Ok(n)
    }
}

fn clean_list(items: &[String]) -> Vec<String> {
    let mut out: Vec<String> = items
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    out.dedup();
    out
}

fn positive_duration(name: &'static str, text: &str) -> Result<Duration, ConfigError> {
    match parse_duration(text) {
        Ok(d) if !d.is_zero() => Ok(d),
        Ok(_) => Err(invalid(name, "must be more than zero")),
        Err(r) => Err(invalid(name, r)),
    }
}

/// [`positive_duration`] no longer than `max`.
fn bounded_duration(
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

#[path = "config/purge.rs"]
pub mod purge;

#[cfg(test)]
#[path = "config/tests.rs"]
mod tests;

//! S3 Object Lock (WORM) on everything css-sync writes: an optional retention (mode
//! `GOVERNANCE` or `COMPLIANCE` with a retain-until date of now + a duration, computed once per
//! object when its upload begins) and an optional legal hold. The values are applied to every
//! `PutObject` and `CreateMultipartUpload` in one place, `with_storage_options!` in
//! `super::request`; this module holds the settings, their parsing (called by
//! [`crate::config`], which names the variable on error), the headers for one object, and the
//! start-of-run check that the bucket has Object Lock enabled (`GetObjectLockConfiguration`).
//!
//! S3 requires `Content-MD5` (or a flexible checksum) on a `PutObject` that sets a retention;
//! css-sync sends `Content-MD5` on every `PutObject` and `UploadPart` anyway.

use aws_sdk_s3::primitives::DateTime as SdkDateTime;
use aws_sdk_s3::types::{ObjectLockEnabled, ObjectLockMode};
use chrono::{DateTime, Months, Utc};

use super::error::{self, S3Error};
use super::S3Target;

/// Longest accepted retention: 100 years (`100y`, or `36525d`).
pub const MAX_RETAIN_YEARS: u32 = 100;
/// [`MAX_RETAIN_YEARS`] in days (of 24 h, leap days counted: 365.25 a year).
pub const MAX_RETAIN_DAYS: u32 = 36_525;

/// The Object Lock retention mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// Users with `s3:BypassGovernanceRetention` can still delete or shorten it.
    Governance,
    /// Nobody, root included, can delete the version or shorten its retention before the date.
    Compliance,
}

impl LockMode {
    /// `GOVERNANCE` or `COMPLIANCE`, any case.
    pub fn parse(text: &str) -> Result<LockMode, String> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("GOVERNANCE") {
            Ok(LockMode::Governance)
        } else if t.eq_ignore_ascii_case("COMPLIANCE") {
            Ok(LockMode::Compliance)
        } else {
            Err(format!("{t:?}: expected GOVERNANCE or COMPLIANCE"))
        }
    }

    fn sdk(self) -> ObjectLockMode {
        match self {
            LockMode::Governance => ObjectLockMode::Governance,
            LockMode::Compliance => ObjectLockMode::Compliance,
        }
    }
}

/// How long an object is retained from the moment its upload begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetainFor {
    /// Days of 24 hours.
    Days(u32),
    /// Calendar years: the same date and time N years later (29 February → 28 February).
    Years(u32),
}

impl RetainFor {
    /// A positive whole number of days or years: `2555d`, `7y`, `30 days`, `1 year`. At most
    /// [`MAX_RETAIN_YEARS`] years or [`MAX_RETAIN_DAYS`] days.
    pub fn parse(text: &str) -> Result<RetainFor, String> {
        let t = text.trim();
        let digits = t.chars().take_while(char::is_ascii_digit).count();
        let (number, unit) = t.split_at(digits);
        let unit = unit.trim().to_ascii_lowercase();
        let shape = || format!("{t:?}: expected a whole number of days or years, e.g. 2555d or 7y");
        if number.is_empty() {
            return Err(shape());
        }
        let too_long =
            || format!("{t:?} is too long (at most {MAX_RETAIN_YEARS}y or {MAX_RETAIN_DAYS}d)");
        // Digits only, so a parse failure is an overflow.
        let n: u32 = number.parse().map_err(|_| too_long())?;
        let value = match unit.as_str() {
            "d" | "day" | "days" => RetainFor::Days(n),
            "y" | "year" | "years" => RetainFor::Years(n),
            _ => return Err(shape()),
        };
        match value {
            RetainFor::Days(0) | RetainFor::Years(0) => {
                Err(format!("{t:?}: must be more than zero"))
            }
            RetainFor::Days(d) if d > MAX_RETAIN_DAYS => Err(too_long()),
            RetainFor::Years(y) if y > MAX_RETAIN_YEARS => Err(too_long()),
            ok => Ok(ok),
        }
    }

    /// The retain-until date for an upload beginning at `now`: `now` rounded up to a whole
    /// second (S3 dates carry seconds; never a moment shorter than asked), plus the duration.
    pub fn until(self, now: DateTime<Utc>) -> DateTime<Utc> {
        let secs = now.timestamp() + i64::from(now.timestamp_subsec_nanos() > 0);
        let start = DateTime::<Utc>::from_timestamp(secs, 0).unwrap_or(now);
        let end = match self {
            RetainFor::Days(d) => start.checked_add_signed(chrono::Duration::days(i64::from(d))),
            RetainFor::Years(y) => start.checked_add_months(Months::new(y.saturating_mul(12))),
        };
        // Only past the year 262000 (chrono's range): keep the longest date rather than none.
        end.unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

impl std::fmt::Display for RetainFor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RetainFor::Days(d) => write!(f, "{d}d"),
            RetainFor::Years(y) => write!(f, "{y}y"),
        }
    }
}

/// A retention: mode and duration, always together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub mode: LockMode,
    pub retain_for: RetainFor,
}

/// The Object Lock settings of a run (default: none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ObjectLock {
    pub retention: Option<Retention>,
    /// Put a legal hold (`ON`) on every object written.
    pub legal_hold: bool,
}

impl ObjectLock {
    /// Whether anything is asked of the bucket (then it must have Object Lock enabled).
    pub fn is_configured(&self) -> bool {
        self.retention.is_some() || self.legal_hold
    }

    /// The Object Lock values for one object whose upload begins at `now`.
    pub fn at(&self, now: DateTime<Utc>) -> LockHeaders {
        LockHeaders {
            retention: self.retention.map(|r| (r.mode, r.retain_for.until(now))),
            legal_hold: self.legal_hold,
        }
    }
}

/// What one request carries: `x-amz-object-lock-mode` and `-retain-until-date` (together or
/// not at all) and `x-amz-object-lock-legal-hold: ON`. Nothing at all when not configured, so
/// buckets without Object Lock see the same requests as before.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LockHeaders {
    pub retention: Option<(LockMode, DateTime<Utc>)>,
    pub legal_hold: bool,
}

impl LockHeaders {
    pub(crate) fn sdk_mode(&self) -> Option<ObjectLockMode> {
        self.retention.map(|(m, _)| m.sdk())
    }

    pub(crate) fn sdk_retain_until(&self) -> Option<SdkDateTime> {
        self.retention
            .map(|(_, until)| SdkDateTime::from_secs(until.timestamp()))
    }
}

impl S3Target {
    /// When Object Lock values are configured: `GetObjectLockConfiguration` must show the
    /// bucket has Object Lock enabled, or the run stops ([`S3Error::ObjectLockNotEnabled`])
    /// before anything is written. Nothing is sent otherwise.
    pub async fn check_object_lock(&self) -> Result<(), S3Error> {
        const OP: &str = "GetObjectLockConfiguration";
        if !self.settings.object_lock.is_configured() {
            return Ok(());
        }
        let not_enabled = || S3Error::ObjectLockNotEnabled {
            bucket: self.settings.bucket.clone(),
        };
        let res = self
            .client
            .get_object_lock_configuration()
            .bucket(&self.settings.bucket)
            .send()
            .await;
        let e = match res {
            Ok(out) => {
                let enabled = out
                    .object_lock_configuration()
                    .and_then(|c| c.object_lock_enabled())
                    == Some(&ObjectLockEnabled::Enabled);
                if enabled {
                    return Ok(());
                }
                not_enabled()
            }
            Err(e)
                if e.as_service_error()
                    .and_then(aws_sdk_s3::error::ProvideErrorMetadata::code)
                    == Some("ObjectLockConfigurationNotFoundError") =>
            {
                not_enabled()
            }
            Err(e) => return Err(self.ctx.map(OP, e)),
        };
        error::record(OP, &e);
        Err(e)
    }
}

#[cfg(test)]
#[path = "lock_tests.rs"]
mod tests;

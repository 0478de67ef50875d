//! Crash hygiene at start: incomplete multipart uploads under the key prefix (left by a killed
//! run) that were initiated more than `S3_ABORT_UPLOADS_OLDER_THAN` ago are aborted; younger
//! ones are never touched (another worker's live upload). Listing is paginated and bounded
//! ([`MAX_PAGES`]). Some servers answer a fixed `Initiated` date (moto 5.1.18 says
//! 2010-11-10 for every upload), so an upload also counts stale only if none of its parts
//! (`ListParts`) was uploaded within the threshold: a live upload keeps sending parts. An endpoint without `ListMultipartUploads` (s3s-fs) is only logged: a
//! bucket lifecycle rule stays the backstop. The age rule is [`is_stale`], pure; this module
//! never touches objects.

use std::time::{Duration, SystemTime};

use super::error::S3Error;
use super::S3Target;
use crate::metrics::STALE_UPLOADS_ABORTED;

/// Default age past which an incomplete upload is ours to abort: far beyond one run (each bulk
/// job has `CSS_JOB_DEADLINE`, 1 h by default) so a live upload is never cut.
pub const DEFAULT_ABORT_OLDER_THAN: Duration = Duration::from_secs(24 * 3600);
/// The shortest accepted setting. Values below [`SAFE_ABORT_OLDER_THAN`] are accepted (tests,
/// a single worker per prefix) with a warning: an upload that waits longer than that between
/// two parts (a slow zip stream) could be aborted by a second worker starting meanwhile.
pub const MIN_ABORT_OLDER_THAN: Duration = Duration::from_secs(1);
/// Below this, the setting is logged as risky at start.
pub const SAFE_ABORT_OLDER_THAN: Duration = Duration::from_secs(3600);
/// Pages of `ListMultipartUploads` (1000 uploads each) read at most per run.
pub const MAX_PAGES: usize = 100;

/// `S3_ABORT_UPLOADS_OLDER_THAN`: `off` (or `0`) disables; otherwise a duration of at least
/// [`MIN_ABORT_OLDER_THAN`], parsed by `parse_duration`.
pub fn parse_older_than(
    text: &str,
    parse_duration: impl Fn(&str) -> Result<Duration, String>,
) -> Result<Option<Duration>, String> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("off") || t == "0" {
        return Ok(None);
    }
    let d = parse_duration(t)?;
    if d < MIN_ABORT_OLDER_THAN {
        return Err(format!("{t:?} is shorter than 1s (use off to disable)"));
    }
    if d > Duration::from_secs(3650 * 24 * 3600) {
        return Err(format!("{t:?} is longer than 3650d"));
    }
    if d < SAFE_ABORT_OLDER_THAN {
        tracing::warn!(
            older_than = %humantime::format_duration(d),
            "S3_ABORT_UPLOADS_OLDER_THAN is under 1h: another worker's upload that pauses that long between parts could be aborted"
        );
    }
    Ok(Some(d))
}

/// Whether an upload initiated at `initiated`, whose newest part was uploaded at
/// `newest_part` (`None`: no parts), is old enough to abort at `now`. An upload without a
/// start time, or with a start or part "from the future" (clock skew), is never stale.
pub fn is_stale(
    initiated: Option<SystemTime>,
    newest_part: Option<SystemTime>,
    now: SystemTime,
    older_than: Duration,
) -> bool {
    let old = |t: SystemTime| now.duration_since(t).is_ok_and(|age| age > older_than);
    initiated.is_some_and(old) && newest_part.is_none_or(old)
}

impl S3Target {
    /// Aborts the incomplete multipart uploads under the key prefix older than `older_than`.
    /// Returns how many were aborted. `NotImplemented` answers are logged and count as 0.
    pub async fn abort_stale_uploads(&self, older_than: Duration) -> Result<u64, S3Error> {
        const OP: &str = "ListMultipartUploads";
        let prefix = self.settings.keys.prefix().to_string();
        let now = SystemTime::now();
        let (mut key_marker, mut id_marker) = (None::<String>, None::<String>);
        let mut aborted = 0u64;
        for _ in 0..MAX_PAGES {
            let res = self
                .client
                .list_multipart_uploads()
                .bucket(&self.settings.bucket)
                .prefix(&prefix)
                .set_key_marker(key_marker.clone())
                .set_upload_id_marker(id_marker.clone())
                .send()
                .await;
            let page = match res {
                Ok(p) => p,
                Err(e) => match self.ctx.map(OP, e) {
                    S3Error::Request { status: 501, .. } => {
                        tracing::warn!("endpoint cannot list multipart uploads; none aborted");
                        return Ok(aborted);
                    }
                    S3Error::Request { code, .. } if code == "NotImplemented" => {
                        tracing::warn!("endpoint cannot list multipart uploads; none aborted");
                        return Ok(aborted);
                    }
                    e => return Err(e),
                },
            };
            for u in page.uploads() {
                let (Some(key), Some(id)) = (u.key(), u.upload_id()) else {
                    continue;
                };
                let initiated = u.initiated().and_then(|t| SystemTime::try_from(*t).ok());
                if !key.starts_with(&prefix) || !is_stale(initiated, None, now, older_than) {
                    continue;
                }
                let newest = self.newest_part(key, id).await?;
                if !is_stale(initiated, newest, now, older_than) {
                    continue;
                }
                tracing::info!(key, upload_id = id, "aborting a stale multipart upload");
                super::multipart::send_abort(self, key, id).await;
                metrics::counter!(STALE_UPLOADS_ABORTED).increment(1);
                aborted += 1;
            }
            let next = (
                page.next_key_marker().map(str::to_string),
                page.next_upload_id_marker().map(str::to_string),
            );
            if page.is_truncated() != Some(true) || next == (key_marker.clone(), id_marker.clone())
            {
                return Ok(aborted);
            }
            (key_marker, id_marker) = next;
        }
        tracing::warn!(
            pages = MAX_PAGES,
            "more incomplete uploads than one run lists; the rest next run"
        );
        Ok(aborted)
    }
}

impl S3Target {
    /// When the newest part of an upload was uploaded (`ListParts`, bounded by [`MAX_PAGES`]).
    async fn newest_part(&self, key: &str, upload_id: &str) -> Result<Option<SystemTime>, S3Error> {
        let mut newest: Option<SystemTime> = None;
        let mut marker: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = self
                .client
                .list_parts()
                .bucket(&self.settings.bucket)
                .key(key)
                .upload_id(upload_id)
                .set_part_number_marker(marker.clone())
                .send()
                .await
                .map_err(|e| self.ctx.map("ListParts", e))?;
            for p in page.parts() {
                let t = p
                    .last_modified()
                    .and_then(|t| SystemTime::try_from(*t).ok());
                newest = newest.max(t);
            }
            let next = page.next_part_number_marker().map(str::to_string);
            if page.is_truncated() != Some(true) || next.is_none() || next == marker {
                break;
            }
            marker = next;
        }
        Ok(newest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_rule() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(100 * 3600);
        let h = |n: u64| Some(now - Duration::from_secs(n * 3600));
        let day = DEFAULT_ABORT_OLDER_THAN;
        let future = Some(now + Duration::from_secs(60));
        assert!(is_stale(h(25), None, now, day));
        assert!(is_stale(h(99), h(25), now, day));
        assert!(!is_stale(h(24), None, now, day));
        assert!(!is_stale(h(1), None, now, day));
        assert!(!is_stale(None, None, now, day));
        assert!(!is_stale(None, h(30), now, day));
        assert!(!is_stale(future, None, now, day));
        // A fixed old `Initiated` (moto), but a part sent an hour ago: live.
        assert!(!is_stale(h(99), h(1), now, day));
        assert!(!is_stale(h(99), future, now, day));
    }

    #[test]
    fn setting_parses() {
        let p = |s: &str| parse_older_than(s, crate::config::parse_duration);
        assert_eq!(p("24h"), Ok(Some(DEFAULT_ABORT_OLDER_THAN)));
        assert_eq!(p("7d"), Ok(Some(Duration::from_secs(7 * 86400))));
        assert_eq!(p("OFF"), Ok(None));
        assert_eq!(p("0"), Ok(None));
        assert_eq!(p("30m"), Ok(Some(Duration::from_secs(1800))));
        assert_eq!(p("1s"), Ok(Some(MIN_ABORT_OLDER_THAN)));
        assert!(p("1e30").is_err());
        assert!(p("4000d").is_err());
        assert!(p("soon").is_err());
    }
}

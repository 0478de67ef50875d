//! The push to a Prometheus Pushgateway (`PUSHGATEWAY_URL`) at the end of every sync. The
//! grouping key suits a CronJob: `job` (`PUSHGATEWAY_JOB`), `regions` (the selection joined
//! with `+`, `all` when discovered) and, for a shard, `shard` (`shard-<i>-of-<n>`) — never `instance`, so each run replaces the last one's
//! group. Two groups: the run's (every metric but the last-success time, replaced by `PUT` on
//! every end, so a run's values never mix with the previous run's) and `kind="last_success"`
//! (only `css_sync_last_success_timestamp_seconds`, `PUT` on success only, so a failed run
//! never erases it). Sent by [`crate::delivery`]: a timeout per attempt, bounded attempts; the
//! URL may carry basic-auth credentials, so only its host is ever logged. A failed push is logged and returned; it never changes the
//! exit code. This module only sends; [`super::end`] decides what is pushed.

use crate::secret::Secret;
use base64::Engine as _;
use tracing::{error, info};

/// Where and under which grouping key to push.
#[derive(Debug, Clone)]
pub struct PushSettings {
    /// The Pushgateway's base URL (no trailing `/`); may carry credentials.
    pub url: Secret,
    pub job: String,
    /// The selected regions (empty: discovered, grouped as `all`).
    pub regions: Vec<String>,
    /// issue 10 (shard): `shard-<i>-of-<n>` in the grouping key, so shard pods never replace
    /// each other's group; `None` (no label) when unsharded.
    pub shard: Option<String>,
}

/// Which group of the run's grouping key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// Every metric of the run but the last-success time.
    Run,
    /// `css_sync_last_success_timestamp_seconds` alone, pushed on success only.
    LastSuccess,
}

/// The `regions` value of the grouping key: the selection sorted, deduplicated, joined by `+`;
/// `all` when the regions are discovered.
pub fn regions_label(regions: &[String]) -> String {
    let mut r: Vec<&str> = regions.iter().map(String::as_str).collect();
    r.sort_unstable();
    r.dedup();
    match r.is_empty() {
        true => "all".to_string(),
        false => r.join("+"),
    }
}

/// One `/<label>/<value>` of the path; values outside `[A-Za-z0-9_.+-]` are sent in the
/// Pushgateway's base64url form (`/<label>@base64/<value>`).
fn segment(label: &str, value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.+-".contains(c));
    match plain {
        true => format!("/{label}/{value}"),
        false => {
            let v = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value);
            // An empty value is one `=` in the Pushgateway's convention.
            format!("/{label}@base64/{}", if v.is_empty() { "=" } else { &v })
        }
    }
}

/// The path of `group` below the Pushgateway's base URL.
pub fn group_path(settings: &PushSettings, group: Group) -> String {
    let mut path = format!("/metrics{}", segment("job", &settings.job));
    path.push_str(&segment("regions", &regions_label(&settings.regions)));
    if let Some(shard) = &settings.shard {
        path.push_str(&segment("shard", shard));
    }
    if group == Group::LastSuccess {
        path.push_str(&segment("kind", "last_success"));
    }
    path
}

/// Why a push failed (the URL is never part of it).
pub type PushError = crate::delivery::DeliveryError;

/// `PUT`s `body` (text format) as `group`; logs the outcome (host only).
pub async fn push(settings: &PushSettings, group: Group, body: String) -> Result<(), PushError> {
    let host = crate::delivery::host_of(&settings.url);
    let url = format!("{}{}", settings.url.expose(), group_path(settings, group));
    let res = put(&url, &host, body).await;
    match &res {
        Ok(()) => info!(host, ?group, "metrics pushed to the Pushgateway"),
        Err(e) => error!(host, ?group, kind = e.kind(), error = %crate::failure::error_chain(e),
            "metrics push failed; the exit code is unchanged"),
    }
    res
}

async fn put(url: &str, host: &str, body: String) -> Result<(), PushError> {
    crate::delivery::send("metrics push", host, |c| {
        c.put(url)
            .header("content-type", "text/plain; version=0.0.4")
            .body(body.clone())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(job: &str, regions: &[&str]) -> PushSettings {
        PushSettings {
            url: Secret::new("http://u:p@pgw:9091"),
            job: job.to_string(),
            regions: regions.iter().map(|r| r.to_string()).collect(),
            shard: None,
        }
    }

    #[test]
    fn grouping_key_table() {
        let table: [(&str, &[&str], Group, &str); 6] = [
            (
                "css-sync",
                &[],
                Group::Run,
                "/metrics/job/css-sync/regions/all",
            ),
            (
                "css-sync",
                &["us", "eu", "us"],
                Group::Run,
                "/metrics/job/css-sync/regions/eu+us",
            ),
            (
                "css-sync",
                &["uk"],
                Group::LastSuccess,
                "/metrics/job/css-sync/regions/uk/kind/last_success",
            ),
            (
                "night ly",
                &["uk"],
                Group::Run,
                "/metrics/job@base64/bmlnaHQgbHk/regions/uk",
            ),
            (
                "j",
                &["a/b"],
                Group::Run,
                "/metrics/job/j/regions@base64/YS9i",
            ),
            (
                "j",
                &["eu-west-1"],
                Group::Run,
                "/metrics/job/j/regions/eu-west-1",
            ),
        ];
        for (job, regions, group, want) in table {
            assert_eq!(group_path(&settings(job, regions), group), want);
        }
    }

    /// issue 10 (shard): each shard pod pushes its own group.
    #[test]
    fn shards_push_their_own_group() {
        let mut s = settings("css-sync", &[]);
        s.shard = Some("shard-1-of-3".into());
        assert_eq!(
            group_path(&s, Group::Run),
            "/metrics/job/css-sync/regions/all/shard/shard-1-of-3"
        );
        assert_eq!(
            group_path(&s, Group::LastSuccess),
            "/metrics/job/css-sync/regions/all/shard/shard-1-of-3/kind/last_success"
        );
    }
}

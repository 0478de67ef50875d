//! The run's window as gauges: objects (and bytes) found and not settled yet, objects at
//! retention risk and the age of the oldest one not exported. The tally feeds it the same
//! events it counts (found, exported or present, failed); the risk rule is a pure function
//! ([`at_risk`]). The risk gauges are recomputed at most every [`REFRESH`] while the run goes
//! and once at its end ([`Window::refresh`]). It never counts an object for the report.

use super::describe::init_group;
use super::{AT_RISK, BYTES_LEFT, OBJECTS_LEFT, OLDEST_UNEXPORTED};
use crate::css::model::ObjectRecord;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Shortest time between two recomputations of the risk gauges during the run.
pub const REFRESH: Duration = Duration::from_secs(1);

/// When CSS deletes an object, and how far ahead counts as "at risk".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RiskPolicy {
    /// `CSS_RETENTION_DAYS`: CSS deletes an object this long after its `createdTime`.
    pub retention: Duration,
    /// `CSS_RISK_WINDOW`: an object whose deletion falls within this from now is at risk.
    pub window: Duration,
}

impl Default for RiskPolicy {
    fn default() -> Self {
        RiskPolicy {
            retention: Duration::from_secs(u64::from(crate::defaults::RETENTION_DAYS) * 86_400),
            window: crate::defaults::RISK_WINDOW,
        }
    }
}

/// The rule: an object created at `created` (Unix seconds; `None` when its `createdTime`
/// cannot be read) is at risk at `now` when its deletion date is at most `window` away (or
/// already past). An unreadable date counts as at risk: nothing shows it is safe.
pub fn at_risk(created: Option<i64>, now: i64, policy: RiskPolicy) -> bool {
    let Some(created) = created else { return true };
    let deletion = created.saturating_add(secs(policy.retention));
    deletion <= now.saturating_add(secs(policy.window))
}

/// Age of the oldest of `created` (Unix seconds) at `now`, 0 when there is none.
pub fn oldest_age(oldest_created: Option<i64>, now: i64) -> f64 {
    oldest_created.map_or(0.0, |c| now.saturating_sub(c).max(0) as f64)
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// Per-region state of the window, fed from concurrent tasks.
#[derive(Debug)]
pub struct Window {
    policy: RiskPolicy,
    inner: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// (region, id) → (created, bytes) of objects found and not settled.
    open: HashMap<(String, String), (Option<i64>, u64)>,
    /// (region, id) → created of the objects not exported or present (open or failed).
    unexported: HashMap<(String, String), Option<i64>>,
    /// region → (objects, bytes) left.
    left: HashMap<String, (u64, u64)>,
    /// (region, type) groups whose counters were set to 0.
    groups: HashSet<(String, String)>,
    /// Regions whose risk gauges were ever set.
    regions: HashSet<String>,
    last_refresh: Option<Instant>,
}

impl Window {
    pub fn new(policy: RiskPolicy) -> Window {
        Window {
            policy,
            inner: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The catalog listed `rec` in `region`.
    pub fn found(&self, region: &str, rec: &ObjectRecord) {
        let created = crate::purge_rules::created_at(rec).map(|t| t.timestamp());
        let mut s = self.state();
        let group = (region.to_string(), rec.object_type.clone());
        if !s.groups.contains(&group) {
            init_group(region, &rec.object_type);
            s.groups.insert(group);
        }
        s.regions.insert(region.to_string());
        let key = (region.to_string(), rec.id.clone());
        if s.open
            .insert(key.clone(), (created, rec.stored_bytes))
            .is_none()
        {
            let left = s.left.entry(region.to_string()).or_default();
            left.0 += 1;
            left.1 += rec.stored_bytes;
        }
        s.unexported.insert(key, created);
        set_left(region, &s);
        self.maybe_refresh(s);
    }

    /// `rec` is exported or present: out of the window.
    pub fn settled(&self, region: &str, rec: &ObjectRecord) {
        let mut s = self.state();
        let key = (region.to_string(), rec.id.clone());
        close(&mut s, region, &key);
        s.unexported.remove(&key);
        set_left(region, &s);
        self.maybe_refresh(s);
    }

    /// `rec` failed for good: no longer left, still not exported (it stays at risk).
    pub fn failed(&self, region: &str, rec: &ObjectRecord) {
        let mut s = self.state();
        let key = (region.to_string(), rec.id.clone());
        close(&mut s, region, &key);
        set_left(region, &s);
        self.maybe_refresh(s);
    }

    fn maybe_refresh(&self, mut s: std::sync::MutexGuard<'_, State>) {
        if s.last_refresh.is_none_or(|t| t.elapsed() >= REFRESH) {
            s.last_refresh = Some(Instant::now());
            set_risk(&s, self.policy, Utc::now());
        }
    }

    /// Recomputes the risk gauges at `now` (the end of the run).
    pub fn refresh(&self, now: DateTime<Utc>) {
        let mut s = self.state();
        s.last_refresh = Some(Instant::now());
        set_risk(&s, self.policy, now);
    }

    /// (objects at risk, oldest unexported age) of `region` at `now`, for tests and reports.
    pub fn risk_of(&self, region: &str, now: DateTime<Utc>) -> (u64, f64) {
        risk_of(&self.state(), region, self.policy, now.timestamp())
    }
}

fn close(s: &mut State, region: &str, key: &(String, String)) {
    if let Some((_, bytes)) = s.open.remove(key) {
        let left = s.left.entry(region.to_string()).or_default();
        left.0 = left.0.saturating_sub(1);
        left.1 = left.1.saturating_sub(bytes);
    }
}

fn set_left(region: &str, s: &State) {
    let (objects, bytes) = s.left.get(region).copied().unwrap_or_default();
    metrics::gauge!(OBJECTS_LEFT, "region" => region.to_string()).set(objects as f64);
    metrics::gauge!(BYTES_LEFT, "region" => region.to_string()).set(bytes as f64);
}

fn risk_of(s: &State, region: &str, policy: RiskPolicy, now: i64) -> (u64, f64) {
    let mut risky = 0;
    let mut oldest: Option<i64> = None;
    for ((r, _), created) in &s.unexported {
        if r != region {
            continue;
        }
        risky += u64::from(at_risk(*created, now, policy));
        if let Some(c) = created {
            oldest = Some(oldest.map_or(*c, |o| o.min(*c)));
        }
    }
    (risky, oldest_age(oldest, now))
}

fn set_risk(s: &State, policy: RiskPolicy, now: DateTime<Utc>) {
    let mut per_region: BTreeMap<&str, (u64, f64)> = BTreeMap::new();
    for region in &s.regions {
        per_region.insert(region, risk_of(s, region, policy, now.timestamp()));
    }
    for (region, (risky, age)) in per_region {
        metrics::gauge!(AT_RISK, "region" => region.to_string()).set(risky as f64);
        metrics::gauge!(OLDEST_UNEXPORTED, "region" => region.to_string()).set(age);
    }
}

#[cfg(test)]
#[path = "window_tests.rs"]
mod tests;

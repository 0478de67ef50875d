//! The [`Tally`] the pipeline feeds as objects are found, skipped, exported or failed, from
//! concurrent tasks: per region and type counters (mirrored into the Prometheus counters), the
//! failed objects, and the set of objects found but not settled yet — which an interrupt turns
//! into failures at stage `interrupted`, so the books always balance. Each settled object is
//! also handed to an optional [`ObjectSink`] (the bucket report, `crate::lake_report`). It
//! never renders anything; [`Tally::finish`] hands a [`Report`] to `report`.

use super::objects::{ObjectEvent, ObjectSink, Outcome as Line};
use super::snapshot::{self as snap, Settled, Snapshot};
use super::{Counts, FailedObject, GroupReport, Report};
use crate::css::model::ObjectRecord;
use crate::failure::{Cause, Rejection, Stage};
use crate::ids::{IdList, Ledger, Outcome};
use crate::metrics as m;
use crate::run_id::RunId;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Collects outcomes from concurrent tasks.
#[derive(Debug)]
pub struct Tally {
    run_id: RunId,
    started: Instant,
    started_at: chrono::DateTime<chrono::Utc>,
    inner: Mutex<Inner>,
    /// `--ids`: one outcome per requested id, fed by the same events.
    ids: Option<Ledger>,
    /// issue 7 (metrics): the window gauges (left, at retention risk), fed by the same events.
    window: m::Window,
    /// issue 7 (lakereport): every settled object, for the bucket report — and issue 10
    /// (incr): for the checkpoint's settlement tracking. Each sink sees every event.
    sinks: Vec<Arc<dyn ObjectSink>>,
}

#[derive(Debug, Default)]
struct Inner {
    groups: BTreeMap<(String, String), Counts>,
    region_secs: BTreeMap<String, f64>,
    failed: Vec<FailedObject>,
    /// Objects found and not settled yet, by (region, id) → (type, objectName, stored bytes):
    /// what an interrupt leaves is reported failed at stage `interrupted`, so the books always
    /// balance.
    open: BTreeMap<(String, String), (String, String, u64)>,
    /// Issue 7 (progress): what [`Tally::snapshot`] hands the progress display.
    progress: BTreeMap<String, snap::RegionSnapshot>,
}

impl Default for Tally {
    fn default() -> Self {
        Tally::new(RunId::new(chrono::Utc::now()))
    }
}

impl Tally {
    /// A tally for the run `run_id`, starting now.
    pub fn new(run_id: RunId) -> Tally {
        Tally {
            run_id,
            started: Instant::now(),
            started_at: chrono::Utc::now(),
            inner: Mutex::new(Inner::default()),
            ids: None,
            window: m::Window::new(m::RiskPolicy::default()),
            sinks: Vec::new(), // issue 10 (incr)
        }
    }
}

impl Tally {
    /// This tally, also recording each listed id's outcome (`--ids`).
    pub fn with_ids(self, list: Arc<IdList>) -> Tally {
        Tally {
            ids: Some(Ledger::new(list)),
            ..self
        }
    }

    /// This tally, with `policy` for the retention-risk gauges (issue 7, metrics).
    pub fn with_risk(self, policy: m::RiskPolicy) -> Tally {
        Tally {
            window: m::Window::new(policy),
            ..self
        }
    }

    /// This tally, also telling `sink` about every object as it settles (the bucket report).
    pub fn with_sink(mut self, sink: Arc<dyn ObjectSink>) -> Tally {
        self.sinks.push(sink); // issue 10 (incr): one more sink, never a replacement
        self
    }

    fn tell(&self, region: &str, rec: &ObjectRecord, outcome: Line<'_>) {
        for sink in &self.sinks {
            sink.object(&ObjectEvent {
                region,
                id: &rec.id,
                object_type: &rec.object_type,
                object_name: &rec.object_name,
                rec: Some(rec),
                outcome,
            });
        }
    }

    /// The id ledger of an `--ids` run.
    pub fn ids(&self) -> Option<&Ledger> {
        self.ids.as_ref()
    }

    fn settle_id(&self, id: &str, outcome: impl FnOnce() -> Outcome) {
        if let Some(l) = &self.ids {
            l.settle(id, outcome());
        }
    }

    fn with<R>(&self, region: &str, ty: &str, f: impl FnOnce(&mut Counts) -> R) -> R {
        // A poisoned lock only means another task panicked mid-update of plain counters.
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        f(inner
            .groups
            .entry((region.to_string(), ty.to_string()))
            .or_default())
    }

    /// Removes a settled object from the open set, counts it for progress and logs it.
    fn close(&self, region: &str, rec: &ObjectRecord, how: Settled, failure: Option<(&str, &str)>) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.open.remove(&(region.to_string(), rec.id.clone()));
        let p = inner.progress.entry(region.to_string()).or_default();
        snap::settled(p, how, rec.stored_bytes);
        drop(inner);
        snap::object_event(region, rec, how, failure);
    }

    /// Issue 7 (progress): `region`'s listing (catalog or id feed) has ended.
    pub fn listing_done(&self, region: &str) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner
            .progress
            .entry(region.to_string())
            .or_default()
            .listing_done = true;
    }

    /// Issue 7 (progress): the run so far, per region; cheap (one lock, one small copy).
    pub fn snapshot(&self) -> Snapshot {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        Snapshot {
            elapsed: self.started.elapsed(),
            regions: inner.progress.clone(),
        }
    }

    pub fn found(&self, region: &str, rec: &ObjectRecord) {
        self.with(region, &rec.object_type, |c| c.found += 1);
        {
            let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            inner.open.insert(
                (region.to_string(), rec.id.clone()),
                (
                    rec.object_type.clone(),
                    rec.object_name.clone(),
                    rec.stored_bytes,
                ),
            );
            let p = inner.progress.entry(region.to_string()).or_default();
            snap::found(p, rec.stored_bytes);
        }
        metrics::counter!(m::OBJECTS_FOUND, "region" => region.to_string(), "type" => rec.object_type.clone()).increment(1);
        self.window.found(region, rec);
    }

    pub fn present(&self, region: &str, rec: &ObjectRecord) {
        self.with(region, &rec.object_type, |c| c.already_present += 1);
        self.close(region, rec, Settled::Present, None);
        metrics::counter!(m::OBJECTS_PRESENT, "region" => region.to_string(), "type" => rec.object_type.clone()).increment(1);
        self.window.settled(region, rec);
        self.settle_id(&rec.id, || Outcome::Present {
            region: region.to_string(),
        });
        self.tell(region, rec, Line::Present);
    }

    /// issue 10 (shard): a record another shard owns; counted apart, never found here.
    pub fn other_shard(&self, region: &str, rec: &ObjectRecord) {
        self.with(region, &rec.object_type, |c| c.other_shards += 1);
    }

    /// `e_tag`: what S3 answered at commit (for the bucket report).
    pub fn exported(&self, region: &str, rec: &ObjectRecord, e_tag: Option<&str>) {
        self.with(region, &rec.object_type, |c| {
            c.exported += 1;
            c.bytes_exported += rec.stored_bytes;
        });
        self.close(region, rec, Settled::Exported, None);
        let labels = [
            ("region", region.to_string()),
            ("type", rec.object_type.clone()),
        ];
        metrics::counter!(m::OBJECTS_EXPORTED, &labels).increment(1);
        metrics::counter!(m::BYTES_EXPORTED, &labels).increment(rec.stored_bytes);
        self.window.settled(region, rec);
        self.settle_id(&rec.id, || Outcome::Exported {
            region: region.to_string(),
        });
        self.tell(region, rec, Line::Exported { e_tag });
    }

    /// The object failed for good: `why` is its last rejection, after `attempts` attempts (0
    /// when it was never attempted, e.g. not AVAILABLE).
    pub fn failed(&self, region: &str, rec: &ObjectRecord, why: &Rejection, attempts: u32) {
        let stage = why.stage;
        let reason = match attempts {
            0 => why.reason(),
            n => format!("{} (after {n} attempts)", why.reason()),
        };
        self.with(region, &rec.object_type, |c| c.failed += 1);
        self.close(
            region,
            rec,
            Settled::Failed,
            Some((stage.as_str(), &reason)),
        );
        self.settle_id(&rec.id, || match &*why.cause {
            Cause::NotAvailable(state) => Outcome::NotAvailable {
                region: region.to_string(),
                object_state: state.clone(),
            },
            _ => Outcome::Failed {
                region: Some(region.to_string()),
                stage,
                reason: reason.clone(),
            },
        });
        metrics::counter!(m::OBJECTS_FAILED, "region" => region.to_string(), "type" => rec.object_type.clone(), "stage" => stage.as_str()).increment(1);
        self.window.failed(region, rec);
        self.tell(
            region,
            rec,
            Line::Failed {
                stage,
                reason: &reason,
            },
        );
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.failed.push(FailedObject {
            region: region.to_string(),
            id: rec.id.clone(),
            object_type: rec.object_type.clone(),
            object_name: rec.object_name.clone(),
            stage,
            reason,
        });
    }

    // issue 10 (css)
    /// The record is not AVAILABLE (`state`): settled as neither exported nor failed, counted
    /// per state; `restore_requested` when CSS accepted a restore of this ARCHIVED object (a
    /// later run exports it once AVAILABLE).
    pub fn not_available(
        &self,
        region: &str,
        rec: &ObjectRecord,
        state: &str,
        restore_requested: bool,
    ) {
        self.with(region, &rec.object_type, |c| {
            *c.not_available.entry(state.to_string()).or_default() += 1;
            c.restore_requested += u64::from(restore_requested);
        });
        self.close(region, rec, Settled::NotAvailable, None);
        metrics::counter!(m::OBJECTS_NOT_AVAILABLE, "region" => region.to_string(), "state" => state.to_string()).increment(1);
        if restore_requested {
            metrics::counter!(m::RESTORES_REQUESTED, "region" => region.to_string()).increment(1);
        }
        // An ARCHIVED object still has to be exported before CSS deletes it: it stays in
        // the retention-risk gauges like a failure; any other state is out of reach.
        match state {
            "ARCHIVED" => self.window.failed(region, rec),
            _ => self.window.settled(region, rec),
        }
        self.settle_id(&rec.id, || Outcome::NotAvailable {
            region: region.to_string(),
            object_state: state.to_string(),
        });
        self.tell(
            region,
            rec,
            Line::NotAvailable {
                state,
                restore_requested,
            },
        );
    }
    // end issue 10 (css)

    pub fn region_done(&self, region: &str, took: Duration) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner
            .region_secs
            .insert(region.to_string(), took.as_secs_f64());
    }

    /// Closes the run. `fatal` is a region-level or run-level error (e.g. a catalog that could
    /// not be read), which makes the run incomplete whatever the counters say.
    pub fn finish(&self, regions: Vec<String>, fatal: Vec<String>, interrupted: bool) -> Report {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let cut_off = if interrupted {
            fail_open(&mut inner, &self.sinks)
        } else {
            0
        };
        let mut totals = Counts::default();
        let groups: Vec<GroupReport> = inner
            .groups
            .iter()
            .map(|((region, ty), c)| {
                totals.add(c);
                GroupReport {
                    region: region.clone(),
                    object_type: ty.clone(),
                    counts: c.clone(),
                }
            })
            .collect();
        let balance = crate::books::Balance::of(
            totals.found,
            totals.already_present,
            totals.exported,
            totals.not_available_total(), // issue 10 (css)
            totals.failed,
        );
        let duration = self.started.elapsed();
        metrics::gauge!(m::RUN_SECONDS).set(duration.as_secs_f64());
        let now = chrono::Utc::now();
        self.window.refresh(now);
        // issue 10 (risk): the risk gauges' numbers, per region, in the report too.
        let retention_risk = regions
            .iter()
            .map(|region| {
                let (objects_at_risk, oldest_unexported_age_secs) =
                    self.window.risk_of(region, now);
                let risk = crate::report::RetentionRisk {
                    objects_at_risk,
                    oldest_unexported_age_secs,
                };
                (region.clone(), risk)
            })
            .collect();
        let mut failed = inner.failed.clone();
        failed.sort_by(|a, b| (&a.region, &a.id).cmp(&(&b.region, &b.id)));
        Report {
            run_id: self.run_id.to_string(),
            started_at: self.started_at.to_rfc3339(),
            duration_secs: duration.as_secs_f64(),
            regions,
            region_duration_secs: inner.region_secs.clone(),
            totals,
            groups,
            failed,
            unaccounted: balance.unaccounted(),
            unsettled: cut_off,
            aborts_unconfirmed: 0,
            errors: fatal,
            interrupted,
            index: None,
            ids: self.ids.as_ref().map(Ledger::finish),
            exit_code: None,
            bucket_report: None,
            time_filter_fallback: vec![], // issue 10 (css): set by the pipeline
            shard: None,                  // issue 10 (shard)
            state: vec![],                // issue 10 (wire)
            retention_risk,               // issue 10 (risk)
        }
    }
}

/// An interrupted run: every object still open is failed at stage `interrupted` (counted in
/// its group and listed), so found = present + exported + failed holds. Returns how many.
fn fail_open(inner: &mut Inner, sinks: &[Arc<dyn ObjectSink>]) -> u64 {
    let open = std::mem::take(&mut inner.open);
    let n = open.len() as u64;
    let reason = "the run was interrupted before this object settled; nothing of it was left \
                  half-written and the next run picks it up";
    for ((region, id), (object_type, object_name, bytes)) in open {
        let group = (region.clone(), object_type.clone());
        inner.groups.entry(group).or_default().failed += 1;
        let p = inner.progress.entry(region.clone()).or_default();
        snap::settled(p, Settled::Failed, bytes);
        let failure = Some((Stage::Interrupted.as_str(), reason));
        snap::object_event_parts(&region, &id, &object_type, bytes, Settled::Failed, failure);
        metrics::counter!(m::OBJECTS_FAILED, "region" => region.clone(), "type" => object_type.clone(), "stage" => Stage::Interrupted.as_str()).increment(1);
        for sink in sinks {
            let outcome = Line::Failed {
                stage: Stage::Interrupted,
                reason,
            };
            sink.object(&ObjectEvent {
                region: &region,
                id: &id,
                object_type: &object_type,
                object_name: &object_name,
                rec: None,
                outcome,
            });
        }
        inner.failed.push(FailedObject {
            region,
            id,
            object_type,
            object_name,
            stage: Stage::Interrupted,
            reason: reason.to_string(),
        });
    }
    n
}

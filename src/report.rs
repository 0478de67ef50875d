//! The run report: a [`Tally`] the pipeline feeds as objects are found, skipped, exported or
//! failed (it mirrors each event into the Prometheus counters), and the final [`Report`] —
//! per region and type: found, already present, exported, failed, bytes, duration — rendered
//! for people (text) and machines (JSON), plus the process exit code. The report also checks
//! the run's bookkeeping: every object found must end exported, present or failed.

use crate::css::model::ObjectRecord;
use crate::failure::{Cause, Rejection, Stage};
use crate::ids::{IdList, IdsReport, Ledger, Outcome};
use crate::index::IndexSummary;
use crate::metrics as m;
use crate::run_id::RunId;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Exit codes (documented in `--help` and the README).
pub mod exit {
    pub const OK: u8 = 0;
    pub const OBJECTS_FAILED: u8 = 1;
    pub const BAD_CONFIG: u8 = 2;
    pub const FATAL: u8 = 3;
    pub const INTERRUPTED: u8 = 130;
}

/// Counters for one region and type.
#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct Counts {
    pub found: u64,
    pub already_present: u64,
    pub exported: u64,
    pub failed: u64,
    pub bytes_exported: u64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.found += o.found;
        self.already_present += o.already_present;
        self.exported += o.exported;
        self.failed += o.failed;
        self.bytes_exported += o.bytes_exported;
    }
}

/// An object that did not make it, with the stage and the last reason.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FailedObject {
    pub region: String,
    pub id: String,
    #[serde(rename = "type")]
    pub object_type: String,
    pub object_name: String,
    pub stage: Stage,
    pub reason: String,
}

/// Collects outcomes from concurrent tasks.
#[derive(Debug)]
pub struct Tally {
    run_id: RunId,
    started: Instant,
    started_at: chrono::DateTime<chrono::Utc>,
    inner: Mutex<Inner>,
    /// `--ids`: one outcome per requested id, fed by the same events.
    ids: Option<Ledger>,
}

#[derive(Debug, Default)]
struct Inner {
    groups: BTreeMap<(String, String), Counts>,
    region_secs: BTreeMap<String, f64>,
    failed: Vec<FailedObject>,
    /// Objects found and not settled yet, by (region, id) → (type, objectName): what an
    /// interrupt leaves is reported failed at stage `interrupted`, so the books always balance.
    open: BTreeMap<(String, String), (String, String)>,
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

    /// Removes a settled object from the open set.
    fn close(&self, region: &str, rec: &ObjectRecord) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.open.remove(&(region.to_string(), rec.id.clone()));
    }

    pub fn found(&self, region: &str, rec: &ObjectRecord) {
        self.with(region, &rec.object_type, |c| c.found += 1);
        {
            let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            inner.open.insert(
                (region.to_string(), rec.id.clone()),
                (rec.object_type.clone(), rec.object_name.clone()),
            );
        }
        metrics::counter!(m::OBJECTS_FOUND, "region" => region.to_string(), "type" => rec.object_type.clone()).increment(1);
    }

    pub fn present(&self, region: &str, rec: &ObjectRecord) {
        self.with(region, &rec.object_type, |c| c.already_present += 1);
        self.close(region, rec);
        metrics::counter!(m::OBJECTS_PRESENT, "region" => region.to_string(), "type" => rec.object_type.clone()).increment(1);
        self.settle_id(&rec.id, || Outcome::Present {
            region: region.to_string(),
        });
    }

    pub fn exported(&self, region: &str, rec: &ObjectRecord) {
        self.with(region, &rec.object_type, |c| {
            c.exported += 1;
            c.bytes_exported += rec.stored_bytes;
        });
        self.close(region, rec);
        let labels = [
            ("region", region.to_string()),
            ("type", rec.object_type.clone()),
        ];
        metrics::counter!(m::OBJECTS_EXPORTED, &labels).increment(1);
        metrics::counter!(m::BYTES_EXPORTED, &labels).increment(rec.stored_bytes);
        self.settle_id(&rec.id, || Outcome::Exported {
            region: region.to_string(),
        });
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
        self.close(region, rec);
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
            fail_open(&mut inner)
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
            totals.failed,
            interrupted,
        );
        let duration = self.started.elapsed();
        metrics::gauge!(m::RUN_SECONDS).set(duration.as_secs_f64());
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
            unsettled: cut_off + balance.unsettled(),
            aborts_unconfirmed: 0,
            errors: fatal,
            interrupted,
            index: None,
            ids: self.ids.as_ref().map(Ledger::finish),
        }
    }
}

/// An interrupted run: every object still open is failed at stage `interrupted` (counted in
/// its group and listed), so found = present + exported + failed holds. Returns how many.
fn fail_open(inner: &mut Inner) -> u64 {
    let open = std::mem::take(&mut inner.open);
    let n = open.len() as u64;
    for ((region, id), (object_type, object_name)) in open {
        let group = (region.clone(), object_type.clone());
        inner.groups.entry(group).or_default().failed += 1;
        metrics::counter!(m::OBJECTS_FAILED, "region" => region.clone(), "type" => object_type.clone(), "stage" => Stage::Interrupted.as_str()).increment(1);
        inner.failed.push(FailedObject {
            region,
            id,
            object_type,
            object_name,
            stage: Stage::Interrupted,
            reason: "the run was interrupted before this object settled; nothing of it was left \
                     half-written and the next run picks it up"
                .to_string(),
        });
    }
    n
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupReport {
    pub region: String,
    #[serde(rename = "type")]
    pub object_type: String,
    #[serde(flatten)]
    pub counts: Counts,
}

/// The final report of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The run id (also in the start log line and every index row).
    pub run_id: String,
    pub started_at: String,
    pub duration_secs: f64,
    pub regions: Vec<String>,
    pub region_duration_secs: BTreeMap<String, f64>,
    pub totals: Counts,
    pub groups: Vec<GroupReport>,
    pub failed: Vec<FailedObject>,
    /// Objects found but neither exported, present nor failed: a bookkeeping bug; non-zero
    /// makes the run fail rather than pass silently.
    pub unaccounted: u64,
    /// Interrupted runs only: objects found that the signal cut off before they were
    /// exported or failed (nothing of them is left half-written; the next run exports them).
    /// Each is also listed in `failed` at stage `interrupted`, so the books balance.
    pub unsettled: u64,
    /// Interrupted runs: multipart aborts not confirmed within the shutdown grace (such an
    /// upload may stay open until a lifecycle rule or `S3_ABORT_UPLOADS_OLDER_THAN` clears it).
    pub aborts_unconfirmed: u64,
    /// Errors that stopped a region or the run (catalog unreadable, auth rejected …).
    pub errors: Vec<String>,
    pub interrupted: bool,
    /// The metadata index files this run wrote (absent with `--index false`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<IndexSummary>,
    /// `--ids`: the list's source, size and each id's outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ids: Option<IdsReport>,
}

impl Report {
    pub fn exit_code(&self) -> u8 {
        if self.interrupted {
            exit::INTERRUPTED
        } else if !self.errors.is_empty() && self.totals.found == 0 {
            exit::FATAL
        } else if self.totals.failed > 0
            || self.unaccounted > 0
            || !self.errors.is_empty()
            || self.ids.as_ref().is_some_and(IdsReport::failing)
        {
            exit::OBJECTS_FAILED
        } else {
            exit::OK
        }
    }

    /// The human summary: a table per region and type, then failures.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<10} {:<22} {:>8} {:>8} {:>9} {:>7} {:>12}",
            "region", "type", "found", "present", "exported", "failed", "bytes"
        );
        let row = |s: &mut String, r: &str, t: &str, c: &Counts| {
            let _ = writeln!(
                s,
                "{:<10} {:<22} {:>8} {:>8} {:>9} {:>7} {:>12}",
                r, t, c.found, c.already_present, c.exported, c.failed, c.bytes_exported
            );
        };
        for g in &self.groups {
            row(&mut s, &g.region, &g.object_type, &g.counts);
        }
        row(&mut s, "total", "", &self.totals);
        for (region, secs) in &self.region_duration_secs {
            let _ = writeln!(s, "region {region} took {secs:.1}s");
        }
        let _ = writeln!(s, "run took {:.1}s", self.duration_secs);
        for f in &self.failed {
            let _ = writeln!(
                s,
                "FAILED {} {} {:?} at {}: {}",
                f.region, f.id, f.object_name, f.stage, f.reason
            );
        }
        if self.unaccounted > 0 {
            let _ = writeln!(s, "UNACCOUNTED objects: {}", self.unaccounted);
        }
        if let Some(ids) = &self.ids {
            s.push_str(&ids.to_text());
        }
        for e in &self.errors {
            let _ = writeln!(s, "error: {e}");
        }
        if self.interrupted {
            let _ = writeln!(
                s,
                "interrupted: {} objects not settled (the next run picks them up)",
                self.unsettled
            );
            match self.aborts_unconfirmed {
                0 => {
                    let _ = writeln!(s, "interrupted: work in flight was aborted");
                }
                n => {
                    let _ = writeln!(
                        s,
                        "interrupted: {n} multipart aborts NOT confirmed; those uploads may remain open"
                    );
                }
            }
        }
        s
    }
}

#[cfg(test)]
#[path = "report_tests.rs"]
mod tests;

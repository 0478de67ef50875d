//! The run report: a [`Tally`] the pipeline feeds as objects are found, skipped, exported or
//! failed (it mirrors each event into the Prometheus counters), and the final [`Report`] —
//! per region and type: found, already present, exported, failed, bytes, duration — rendered
//! for people (text) and machines (JSON), plus the process exit code. The report also checks
//! the run's bookkeeping: every object found must end exported, present or failed.

use crate::failure::Stage;
use crate::ids::IdsReport;
use crate::index::IndexSummary;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

#[path = "report/objects.rs"]
pub mod objects;
#[path = "report/state.rs"]
pub mod state; // issue 10 (wire)
#[path = "report/table.rs"]
pub mod table;
mod tally;
pub use tally::Tally;
// issue 7 (progress)
mod snapshot;
pub use snapshot::{RegionSnapshot, Snapshot};

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
    // issue 10 (css)
    /// Records not AVAILABLE, by objectState (`{"ARCHIVED": 2, "REVOKED": 1}`): neither
    /// exported nor failures.
    pub not_available: BTreeMap<String, u64>,
    /// ARCHIVED objects whose restore CSS accepted (`CSS_RESTORE_ARCHIVED`).
    pub restore_requested: u64,
    /// issue 10 (shard): records of this region and type that other shards own (never found
    /// here: not exported, present nor failed by this worker). Absent when 0.
    #[serde(skip_serializing_if = "is_zero")]
    pub other_shards: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.other_shards += o.other_shards; // issue 10 (shard)
        self.found += o.found;
        self.already_present += o.already_present;
        self.exported += o.exported;
        self.failed += o.failed;
        self.bytes_exported += o.bytes_exported;
        for (state, n) in &o.not_available {
            *self.not_available.entry(state.clone()).or_default() += n;
        }
        self.restore_requested += o.restore_requested;
    }

    /// issue 10 (css): records not AVAILABLE, every state.
    pub fn not_available_total(&self) -> u64 {
        self.not_available.values().sum()
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
    // issue 7 (lakereport)
    /// The exit code the run ends with, fixed by [`Report::seal`] before the report is
    /// written anywhere (so a report that cannot be written to the bucket leaves it as is).
    pub exit_code: Option<u8>,
    /// What this run wrote under `_css-sync/reports/` (absent with `CSS_SYNC_BUCKET_REPORT=off`
    /// or when S3 was never reached).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket_report: Option<objects::Written>,
    /// issue 10 (css): regions whose server refused `createdTime` filters, listed newest
    /// first with the window applied by css-sync (`CssClient::time_filters_refused`).
    pub time_filter_fallback: Vec<String>,
    /// issue 10 (shard): this worker's shard (`shard-<i>-of-<n>`); absent when unsharded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// issue 10 (wire): each region's checkpoint in this run (empty: stateless run).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub state: Vec<state::RegionState>,
    /// issue 10 (risk): per region, the objects of this run not in S3 at its end (failed,
    /// not AVAILABLE, cut off) whose deletion (createdTime + `CSS_RETENTION_DAYS`) falls
    /// within `CSS_RISK_WINDOW`, and the age of the oldest of them — the same numbers as the
    /// `css_sync_objects_at_retention_risk` and `css_sync_oldest_unexported_age_seconds` gauges.
    /// Open entries of the checkpoint are looked up first in every run, so they count here.
    pub retention_risk: BTreeMap<String, RetentionRisk>,
}

/// issue 10 (risk): one region's objects close to deletion and not in S3.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct RetentionRisk {
    pub objects_at_risk: u64,
    pub oldest_unexported_age_secs: f64,
}

impl Report {
    /// The report of a run that could not proceed (exit 3: CSS credentials rejected, bucket
    /// unreachable, catalog unreadable …): no object, `errors` = the error chain, sealed.
    pub fn could_not_run(
        run_id: &crate::run_id::RunId,
        started_at: chrono::DateTime<chrono::Utc>,
        duration: std::time::Duration,
        error: String,
    ) -> Report {
        let mut report = Report {
            run_id: run_id.to_string(),
            started_at: started_at.to_rfc3339(),
            duration_secs: duration.as_secs_f64(),
            regions: vec![],
            region_duration_secs: BTreeMap::new(),
            totals: Counts::default(),
            groups: vec![],
            failed: vec![],
            unaccounted: 0,
            unsettled: 0,
            aborts_unconfirmed: 0,
            errors: vec![error],
            interrupted: false,
            index: None,
            ids: None,
            exit_code: None,
            bucket_report: None,
            time_filter_fallback: vec![],    // issue 10 (css)
            state: vec![],                   // issue 10 (wire)
            retention_risk: BTreeMap::new(), // issue 10 (risk)
            shard: None,                     // issue 10 (shard)
        };
        report.seal();
        report
    }

    /// Fixes the exit code from what the report holds now (see [`Report::exit_code`]).
    pub fn seal(&mut self) {
        self.exit_code = Some(self.judged_exit_code());
    }

    /// The exit code: as sealed, or else judged from the report.
    pub fn exit_code(&self) -> u8 {
        self.exit_code.unwrap_or_else(|| self.judged_exit_code())
    }

    fn judged_exit_code(&self) -> u8 {
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
        let table = table::Table {
            columns: &[
                ("found", 8),
                ("present", 8),
                ("exported", 9),
                ("failed", 7),
                ("bytes", 12),
            ],
        };
        table.header(&mut s);
        let row = |s: &mut String, r: &str, t: &str, c: &Counts| {
            let cells = [
                c.found,
                c.already_present,
                c.exported,
                c.failed,
                c.bytes_exported,
            ];
            table.row(s, r, t, &cells);
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
        // issue 10 (shard)
        if let Some(shard) = &self.shard {
            let n = self.totals.other_shards;
            let _ = writeln!(s, "{shard}: {n} objects of other shards left to them");
        }
        if self.unaccounted > 0 {
            let _ = writeln!(s, "UNACCOUNTED objects: {}", self.unaccounted);
        }
        // issue 10 (css)
        for (state, n) in &self.totals.not_available {
            let _ = writeln!(
                s,
                "not available ({state}): {n} (not exported, not failures)"
            );
        }
        if self.totals.restore_requested > 0 {
            let n = self.totals.restore_requested;
            let _ = writeln!(
                s,
                "restore requested: {n} ARCHIVED objects (a later run exports them once AVAILABLE)"
            );
        }
        for r in &self.time_filter_fallback {
            let _ = writeln!(
                s,
                "region {r}: CSS refused createdTime filters; the window was applied by css-sync"
            );
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

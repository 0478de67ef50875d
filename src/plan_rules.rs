//! Pure rules of `css-sync plan`: what a sync would do with one catalog record, from its
//! state and the read-only presence decision ([`crate::s3::Presence`], the sync's own proof
//! rules), and the plan's books: counts per region and type, bulk jobs and single downloads
//! per region (from the real [`crate::batch::Batcher`]), the text table and the exit code.
//! No I/O here; nothing here ever decides to write.

use crate::batch::Work;
use crate::report::exit;
use crate::s3::Presence;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// What a sync would do with one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Not AVAILABLE in the catalog: the sync reports it failed (stage catalog).
    NotAvailable,
    /// Its key cannot be rendered: the sync reports it failed (stage key).
    KeyFailed,
    /// Proven present: nothing to do.
    Present,
    /// Proven present, its sidecar missing or stale: the sync rewrites only the sidecar.
    PresentSidecarStale,
    /// Exported: nothing at the key, or something css-sync did not commit (overwritten).
    Export,
    /// Exported because the S3 check failed (the sync exports rather than skip).
    ExportCheckFailed,
    /// issue 10 (shard): another shard owns it; this shard's sync leaves it alone (not found).
    OtherShard,
}

/// The catalog half of the rule: `Some` when the record never reaches S3.
pub fn catalog_verdict(object_state: Option<&str>) -> Option<Verdict> {
    object_state
        .filter(|s| *s != "AVAILABLE")
        .map(|_| Verdict::NotAvailable)
}

/// The lake half: the read-only presence decision (`Err`: the check failed).
pub fn lake_verdict<E>(presence: &Result<Presence, E>) -> Verdict {
    match presence {
        Ok(Presence::Present) => Verdict::Present,
        Ok(Presence::RepairSidecar) => Verdict::PresentSidecarStale,
        Ok(_) => Verdict::Export,
        Err(_) => Verdict::ExportCheckFailed,
    }
}

/// Counts of one region and type (or the totals).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PlanCounts {
    pub found: u64,
    pub present: u64,
    /// Of `present`: those whose sidecar the sync would rewrite.
    pub sidecar_repairs: u64,
    pub to_export: u64,
    pub to_export_bytes: u64,
    /// Of `to_export`: those whose S3 check failed (a sync exports them to be safe).
    pub check_failed: u64,
    pub not_available: u64,
    pub key_failed: u64,
    /// issue 10 (shard): listed, owned by other shards (not in `found`); absent when 0.
    #[serde(skip_serializing_if = "is_zero")]
    pub other_shards: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl PlanCounts {
    pub fn add(&mut self, v: Verdict, stored_bytes: u64) {
        if v == Verdict::OtherShard {
            self.other_shards += 1;
            return;
        }
        self.found += 1;
        match v {
            Verdict::NotAvailable => self.not_available += 1,
            Verdict::KeyFailed => self.key_failed += 1,
            Verdict::Present => self.present += 1,
            Verdict::PresentSidecarStale => {
                self.present += 1;
                self.sidecar_repairs += 1;
            }
            Verdict::Export | Verdict::ExportCheckFailed => {
                self.to_export += 1;
                self.to_export_bytes += stored_bytes;
                self.check_failed += u64::from(v == Verdict::ExportCheckFailed);
            }
            Verdict::OtherShard => {}
        }
    }

    fn merge(&mut self, o: &PlanCounts) {
        self.found += o.found;
        self.present += o.present;
        self.sidecar_repairs += o.sidecar_repairs;
        self.to_export += o.to_export;
        self.to_export_bytes += o.to_export_bytes;
        self.check_failed += o.check_failed;
        self.not_available += o.not_available;
        self.key_failed += o.key_failed;
        self.other_shards += o.other_shards;
    }
}

/// The download work of one region (what the batcher handed out).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PlanJobs {
    pub bulk_jobs: u64,
    pub bulk_objects: u64,
    pub single_downloads: u64,
}

impl PlanJobs {
    pub fn add(&mut self, work: &Work) {
        match work {
            Work::Bulk(records) => {
                self.bulk_jobs += 1;
                self.bulk_objects += records.len() as u64;
            }
            Work::Single(_) => self.single_downloads += 1,
        }
    }

    fn merge(&mut self, o: &PlanJobs) {
        self.bulk_jobs += o.bulk_jobs;
        self.bulk_objects += o.bulk_objects;
        self.single_downloads += o.single_downloads;
    }
}

/// One region's plan, built by one task.
#[derive(Debug, Clone, Default)]
pub struct RegionPlan {
    pub by_type: BTreeMap<String, PlanCounts>,
    pub jobs: PlanJobs,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanGroup {
    pub region: String,
    #[serde(rename = "type")]
    pub object_type: String,
    #[serde(flatten)]
    pub counts: PlanCounts,
}

#[derive(Debug, Clone, Serialize)]
pub struct RegionJobs {
    pub region: String,
    #[serde(flatten)]
    pub jobs: PlanJobs,
}

/// The plan: the JSON report of `css-sync plan`.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub command: &'static str,
    pub regions: Vec<String>,
    pub totals: PlanCounts,
    pub jobs: PlanJobs,
    pub groups: Vec<PlanGroup>,
    pub region_jobs: Vec<RegionJobs>,
    pub errors: Vec<String>,
    pub interrupted: bool,
    /// issue 10 (shard): the shard planned (`shard-<i>-of-<n>`); absent when unsharded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
}

impl Plan {
    /// Folds the region plans (in region order) into the report.
    pub fn new(regions: Vec<String>, plans: Vec<(String, RegionPlan)>, interrupted: bool) -> Plan {
        let mut plan = Plan {
            command: "plan",
            regions,
            totals: PlanCounts::default(),
            jobs: PlanJobs::default(),
            groups: vec![],
            region_jobs: vec![],
            errors: vec![],
            interrupted,
            shard: None,
        };
        for (region, rp) in plans {
            for (object_type, counts) in rp.by_type {
                plan.totals.merge(&counts);
                plan.groups.push(PlanGroup {
                    region: region.clone(),
                    object_type,
                    counts,
                });
            }
            plan.jobs.merge(&rp.jobs);
            plan.region_jobs.push(RegionJobs {
                region: region.clone(),
                jobs: rp.jobs,
            });
            if let Some(e) = rp.error {
                plan.errors.push(format!("region {region}: {e}"));
            }
        }
        plan
    }

    /// 0: the plan is complete; 3: some region could not be planned; 130: interrupted.
    pub fn exit_code(&self) -> u8 {
        if self.interrupted {
            exit::INTERRUPTED
        } else if !self.errors.is_empty() {
            exit::FATAL
        } else {
            exit::OK
        }
    }

    /// The human table: one row per region and type, the totals, then the jobs per region.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "plan (dry run: no bulk job started, nothing written)");
        let table = crate::report::table::Table {
            columns: &[
                ("found", 7),
                ("present", 8),
                ("to export", 9),
                ("bytes", 13),
                ("not avail", 9),
            ],
        };
        table.header(&mut s);
        let row = |s: &mut String, r: &str, t: &str, c: &PlanCounts| {
            let cells = [
                c.found,
                c.present,
                c.to_export,
                c.to_export_bytes,
                c.not_available,
            ];
            table.row(s, r, t, &cells);
        };
        for g in &self.groups {
            row(&mut s, &g.region, &g.object_type, &g.counts);
        }
        row(&mut s, "total", "", &self.totals);
        for r in &self.region_jobs {
            let _ = writeln!(
                s,
                "region {}: {} bulk jobs ({} objects), {} single downloads",
                r.region, r.jobs.bulk_jobs, r.jobs.bulk_objects, r.jobs.single_downloads
            );
        }
        let t = &self.totals;
        if t.sidecar_repairs > 0 {
            let _ = writeln!(s, "sidecars a sync would rewrite: {}", t.sidecar_repairs);
        }
        if let Some(shard) = &self.shard {
            let n = t.other_shards;
            let _ = writeln!(
                s,
                "{shard}: this shard's share; {n} objects of other shards left to them"
            );
        }
        if t.key_failed > 0 {
            let _ = writeln!(s, "objects whose key cannot be rendered: {}", t.key_failed);
        }
        if t.check_failed > 0 {
            let _ = writeln!(
                s,
                "S3 checks that failed (counted to export): {}",
                t.check_failed
            );
        }
        for e in &self.errors {
            let _ = writeln!(s, "error: {e}");
        }
        if self.interrupted {
            let _ = writeln!(s, "interrupted: the plan is incomplete");
        }
        s
    }
}

#[cfg(test)]
#[path = "plan_rules_tests.rs"]
mod tests;

//! The purge report: every selected object ends in exactly one list — deleted, would delete
//! (dry run), refused (with the gate's reason) or delete problem (the DELETE failed, its
//! outcome is unknown, or it was never sent) — rendered as text for people (stderr) and JSON
//! for machines, plus the exit code. No I/O here.

use crate::css::model::ObjectRecord;
use crate::purge_rules::{ProofKind, Refusal};
use crate::report::exit;
use serde::Serialize;
use std::fmt::Write as _;

/// An object deleted, or that a dry run would delete.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PurgeItem {
    pub region: String,
    pub id: String,
    pub key: String,
    #[serde(rename = "type")]
    pub object_type: String,
    pub object_name: String,
    pub stored_bytes: u64,
    pub created_time: String,
    /// How its lake copy was proven in this run.
    pub proof: ProofKind,
    /// After a DELETE: the state re-read from CSS (`DELETED`, `REVOKED`, `not found`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_after: Option<String>,
    /// After a DELETE whose answer was an error but whose object is gone anyway.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// An object the gate refused.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RefusedItem {
    pub region: String,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(rename = "type")]
    pub object_type: String,
    pub created_time: String,
    /// A bounded label: `missing`, `size_mismatch`, `checksum_mismatch`, `etag_mismatch`,
    /// `read_back_mismatch`, `read_back_failed`, `s3_error`, `too_young`, `over_max`,
    /// `not_available`, …
    pub reason: &'static str,
    pub detail: String,
    /// False when the refusal is part of the plan (too young, over --max, not AVAILABLE).
    pub fails_run: bool,
}

/// What went wrong with a verified object's DELETE.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// CSS still lists the object after the DELETE.
    NotDeleted,
    /// Its state could not be read after the DELETE.
    Unknown,
    /// The run was interrupted before its DELETE was sent.
    NotSent,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DeleteProblem {
    pub region: String,
    pub id: String,
    pub key: String,
    pub outcome: Outcome,
    pub detail: String,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct PurgeTotals {
    pub selected: u64,
    pub deleted: u64,
    pub would_delete: u64,
    pub refused_planned: u64,
    pub refused_unverified: u64,
    pub delete_problems: u64,
    pub bytes_deleted: u64,
    pub delete_requests: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PurgeReport {
    /// `dry-run` or `delete`.
    pub mode: &'static str,
    pub started_at: String,
    pub finished_at: String,
    pub min_age: String,
    /// Only objects created before this were eligible.
    pub created_before: String,
    pub max: usize,
    pub regions: Vec<String>,
    pub totals: PurgeTotals,
    pub deleted: Vec<PurgeItem>,
    pub would_delete: Vec<PurgeItem>,
    pub refused: Vec<RefusedItem>,
    pub delete_problems: Vec<DeleteProblem>,
    /// Region-level failures (catalog unreadable …).
    pub errors: Vec<String>,
    pub interrupted: bool,
    pub exit_code: u8,
}

impl PurgeReport {
    pub fn new(
        confirm: bool,
        now: chrono::DateTime<chrono::Utc>,
        min_age: std::time::Duration,
        max: usize,
        regions: Vec<String>,
    ) -> Self {
        let before = chrono::Duration::from_std(min_age)
            .ok()
            .and_then(|d| now.checked_sub_signed(d))
            .map(|t| t.to_rfc3339())
            .unwrap_or_default();
        PurgeReport {
            mode: if confirm { "delete" } else { "dry-run" },
            started_at: now.to_rfc3339(),
            finished_at: String::new(),
            min_age: humantime::format_duration(min_age).to_string(),
            created_before: before,
            max,
            regions,
            totals: PurgeTotals::default(),
            deleted: vec![],
            would_delete: vec![],
            refused: vec![],
            delete_problems: vec![],
            errors: vec![],
            interrupted: false,
            exit_code: exit::OK,
        }
    }

    pub fn selected(&mut self) {
        self.totals.selected += 1;
    }

    pub fn refuse(&mut self, region: &str, rec: &ObjectRecord, key: Option<&str>, why: Refusal) {
        let fails_run = !why.is_planned();
        if fails_run {
            self.totals.refused_unverified += 1;
            tracing::warn!(region, id = %rec.id, reason = why.kind(), detail = %why, "not deleted: lake copy not verified");
        } else {
            self.totals.refused_planned += 1;
        }
        self.refused.push(RefusedItem {
            region: region.to_string(),
            id: rec.id.clone(),
            key: key.map(str::to_string),
            object_type: rec.object_type.clone(),
            created_time: rec.created_time.clone(),
            reason: why.kind(),
            detail: why.to_string(),
            fails_run,
        });
    }

    pub fn would_delete(&mut self, item: PurgeItem) {
        self.totals.would_delete += 1;
        self.would_delete.push(item);
    }

    pub fn deleted(&mut self, item: PurgeItem) {
        self.totals.deleted += 1;
        self.totals.bytes_deleted += item.stored_bytes;
        self.deleted.push(item);
    }

    pub fn problem(&mut self, p: DeleteProblem) {
        self.totals.delete_problems += 1;
        tracing::error!(region = %p.region, id = %p.id, outcome = ?p.outcome, detail = %p.detail, "delete problem");
        self.delete_problems.push(p);
    }

    /// Stamps the end time and computes the exit code.
    pub fn finish(&mut self) {
        self.finished_at = chrono::Utc::now().to_rfc3339();
        self.exit_code = self.compute_exit_code();
    }

    fn compute_exit_code(&self) -> u8 {
        let t = &self.totals;
        if self.interrupted {
            exit::INTERRUPTED
        } else if !self.errors.is_empty() && t.selected == 0 {
            exit::FATAL
        } else if t.refused_unverified > 0 || t.delete_problems > 0 || !self.errors.is_empty() {
            exit::OBJECTS_FAILED
        } else {
            exit::OK
        }
    }

    /// The human summary (stderr): totals, then every object by list.
    pub fn to_text(&self) -> String {
        let t = &self.totals;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "purge ({}): min-age {} (created before {}), max {}, regions {}",
            self.mode,
            self.min_age,
            self.created_before,
            self.max,
            self.regions.join(",")
        );
        let _ = writeln!(
            s,
            "selected {}  deleted {}  would delete {}  refused {} (as planned {}, not verified {})  delete problems {}",
            t.selected,
            t.deleted,
            t.would_delete,
            t.refused_planned + t.refused_unverified,
            t.refused_planned,
            t.refused_unverified,
            t.delete_problems
        );
        for i in &self.deleted {
            let _ = writeln!(
                s,
                "  deleted       {} {} (proof: {:?}, now {})  {}",
                i.region,
                i.id,
                i.proof,
                i.state_after.as_deref().unwrap_or("?"),
                i.key
            );
        }
        for i in &self.would_delete {
            let _ = writeln!(
                s,
                "  would delete  {} {} (proof: {:?})  {}",
                i.region, i.id, i.proof, i.key
            );
        }
        for r in &self.refused {
            let _ = writeln!(
                s,
                "  refused       {} {} [{}] {}",
                r.region, r.id, r.reason, r.detail
            );
        }
        for p in &self.delete_problems {
            let _ = writeln!(
                s,
                "  PROBLEM       {} {} [{:?}] {}",
                p.region, p.id, p.outcome, p.detail
            );
        }
        for e in &self.errors {
            let _ = writeln!(s, "  ERROR         {e}");
        }
        if self.mode == "dry-run" {
            let _ = writeln!(s, "dry run: nothing was deleted (add --confirm to delete)");
        }
        s
    }
}

//! Bulk download jobs: creation (deterministic zipName, job-level fault decisions), the state
//! machine NOT_STARTED → IN_PROGRESS → DONE | PARTIAL_DONE | FAILED | CANCELLED driven by
//! tokio's clock, and the background preparation that digests every entry and computes the
//! zip's length so downloads know their Content-Length. Entries are named by objectName, or by
//! its last `/`·`:` segment with `--entry-names suffix`. It never serves HTTP and never
//! writes zip bytes (that is [`super::zip`]).

use super::catalog::SimObject;
use super::config::{EntryNames, SimConfig};
use super::content::Content;
use super::faults::{unit, Faults, Rng};
use super::zip::{zip_len, ZipEntrySpec, ZipLayout, ZipPlan};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::time::Instant;

/// downloadContentStatus.status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobState {
    NotStarted,
    InProgress,
    Done,
    Failed,
    Cancelled,
    PartialDone,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::NotStarted => "NOT_STARTED",
            JobState::InProgress => "IN_PROGRESS",
            JobState::Done => "DONE",
            JobState::Failed => "FAILED",
            JobState::Cancelled => "CANCELLED",
            JobState::PartialDone => "PARTIAL_DONE",
        }
    }
    pub fn is_terminal(self) -> bool {
        !matches!(self, JobState::NotStarted | JobState::InProgress)
    }
    pub fn downloadable(self) -> bool {
        matches!(self, JobState::Done | JobState::PartialDone)
    }
}

/// How a job will end once prepared (decided at creation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Partial,
    Failed,
    Stuck,
    Cancelled,
}

/// The pure state machine: where a job is after `elapsed`.
pub fn state_at(
    elapsed: Duration,
    queue: Duration,
    work: Duration,
    ready: bool,
    outcome: Outcome,
    cancelled: bool,
) -> JobState {
    if cancelled {
        JobState::Cancelled
    } else if elapsed < queue {
        JobState::NotStarted
    } else if outcome == Outcome::Stuck || elapsed < queue + work {
        JobState::InProgress
    } else {
        match outcome {
            Outcome::Failed => JobState::Failed,
            Outcome::Cancelled => JobState::Cancelled,
            Outcome::Done if ready => JobState::Done,
            Outcome::Partial if ready => JobState::PartialDone,
            _ => JobState::InProgress,
        }
    }
}

/// A prepared zip: its plan and total length (after any truncation).
pub struct Ready {
    pub plan: Arc<ZipPlan>,
    pub len: u64,
}

/// One bulk download job.
pub struct Job {
    pub zip_name: String,
    pub region: String,
    pub index: u64,
    pub ids: Vec<String>,
    /// Objects the zip will hold (all of `ids` unless PARTIAL_DONE).
    pub included: Vec<Arc<SimObject>>,
    pub outcome: Outcome,
    /// Fraction of the zip served before a clean end.
    pub truncate: Option<f64>,
    /// Index (in `included`) of the entry whose bytes are corrupted.
    pub corrupt: Option<usize>,
    /// Index (in `included`) of the entry repeated at the end with wrong bytes.
    pub duplicate: Option<usize>,
    created: Instant,
    queue: Duration,
    work: Duration,
    cancelled: AtomicBool,
    ready: OnceLock<Ready>,
}

impl Job {
    pub fn state(&self) -> JobState {
        state_at(
            Instant::now().saturating_duration_since(self.created),
            self.queue,
            self.work,
            self.ready.get().is_some(),
            self.outcome,
            self.cancelled.load(Ordering::Relaxed),
        )
    }

    /// Cancels a job that is not finished; a finished job keeps its state.
    pub fn cancel(&self) -> JobState {
        if !self.state().is_terminal() {
            self.cancelled.store(true, Ordering::Relaxed);
        }
        self.state()
    }

    pub fn ready(&self) -> Option<&Ready> {
        self.ready.get()
    }

    /// `{"zipName","status"}`, plus `content` (the included object ids) when PARTIAL_DONE.
    pub fn status_json(&self, state: JobState) -> StatusJson {
        StatusJson {
            zip_name: self.zip_name.clone(),
            status: state.as_str(),
            content: (state == JobState::PartialDone)
                .then(|| self.included.iter().map(|o| o.id.clone()).collect()),
        }
    }
}

/// downloadContentStatus as answered (guide field order).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusJson {
    pub zip_name: String,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<Vec<String>>,
}

/// Every job, by zipName and in creation order.
#[derive(Default)]
pub struct Jobs {
    by_name: Mutex<HashMap<String, Arc<Job>>>,
    order: Mutex<Vec<Arc<Job>>>,
    counter: AtomicU64,
}

impl Jobs {
    pub fn get(&self, zip_name: &str) -> Option<Arc<Job>> {
        self.by_name
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(zip_name)
            .cloned()
    }

    pub fn all(&self) -> Vec<Arc<Job>> {
        self.order.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Creates a job for already validated objects, decides its faults and starts preparing.
    pub fn create(
        &self,
        cfg: &SimConfig,
        faults: &Faults,
        region: &str,
        objects: Vec<Arc<SimObject>>,
    ) -> Arc<Job> {
        let seed = cfg.seed;
        let index = self.counter.fetch_add(1, Ordering::Relaxed);
        let zip_name = format!(
            "{}.zip",
            super::gen::uuid(&mut Rng::new(seed ^ 0x5a5a_0000 ^ index))
        );
        let n = objects.len();
        let outcome = if objects.iter().any(|o| o.poison) || faults.failed.decide(seed) {
            Outcome::Failed
        } else if faults.cancel.decide(seed) {
            Outcome::Cancelled
        } else if faults.stuck.decide(seed) {
            Outcome::Stuck
        } else if n >= 2 && faults.partial.decide(seed) {
            Outcome::Partial
        } else {
            Outcome::Done
        };
        let ids = objects.iter().map(|o| o.id.clone()).collect();
        let mut included = objects;
        if outcome == Outcome::Partial {
            let drop = (n / 4).max(1);
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by_key(|i| super::faults::hash_str(seed ^ index, &included[*i].id));
            let dropped: Vec<usize> = order.into_iter().take(drop).collect();
            included = included
                .into_iter()
                .enumerate()
                .filter(|(i, _)| !dropped.contains(i))
                .map(|(_, o)| o)
                .collect();
        }
        let zip = matches!(outcome, Outcome::Done | Outcome::Partial);
        let pick = |tag: &str, len: usize| (unit(seed, tag, index) * len as f64) as usize;
        let truncate = (zip && faults.truncate.decide(seed))
            .then(|| 0.3 + 0.6 * unit(seed, "truncate-at", index));
        let nonempty: Vec<usize> = (0..included.len())
            .filter(|i| included[*i].stored_bytes > 0)
            .collect();
        let corrupt = (zip && !nonempty.is_empty() && faults.corrupt.decide(seed))
            .then(|| nonempty[pick("corrupt-entry", nonempty.len())]);
        let duplicate = (zip && !included.is_empty() && faults.duplicate.decide(seed))
            .then(|| pick("duplicate-entry", included.len()));
        let bytes: u64 = included.iter().map(|o| o.stored_bytes).sum();
        let work = match cfg.prep_rate {
            0 => Duration::ZERO,
            rate => Duration::from_secs_f64(bytes as f64 / rate as f64),
        };
        let job = Arc::new(Job {
            zip_name: zip_name.clone(),
            region: region.to_string(),
            index,
            ids,
            included,
            outcome,
            truncate,
            corrupt,
            duplicate,
            created: Instant::now(),
            queue: Duration::from_millis(cfg.prep_base_ms),
            work,
            cancelled: AtomicBool::new(false),
            ready: OnceLock::new(),
        });
        self.by_name
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(zip_name, job.clone());
        self.order
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(job.clone());
        if zip {
            let layout: ZipLayout = cfg.zip_layout.parse().unwrap_or(ZipLayout::Java);
            let suffix = cfg.entry_names == EntryNames::Suffix;
            tokio::spawn(prepare(
                job.clone(),
                seed,
                layout,
                cfg.deflate_level,
                suffix,
            ));
        }
        job
    }
}

/// An object's entry name in a zip: its objectName, or with `suffix` the part after the last
/// `/` or `:` (`--entry-names suffix`).
pub fn entry_name(object_name: &str, suffix: bool) -> &str {
    match object_name.rfind(['/', ':']) {
        Some(i) if suffix => &object_name[i + 1..],
        _ => object_name,
    }
}

/// Digests every entry (on blocking threads), builds the zip plan and measures it.
async fn prepare(job: Arc<Job>, seed: u64, layout: ZipLayout, deflate_level: u32, suffix: bool) {
    let j = job.clone();
    let name = move |o: &SimObject| entry_name(&o.object_name, suffix).as_bytes().to_vec();
    let entries = tokio::task::spawn_blocking(move || {
        let mut entries: Vec<ZipEntrySpec> = j
            .included
            .iter()
            .enumerate()
            .map(|(i, o)| ZipEntrySpec {
                name: name(o),
                content: o.content(seed),
                digest: o.digest(seed),
                modified_unix: o.created_ms / 1000,
                corrupt: j.corrupt == Some(i),
            })
            .collect();
        if let Some(i) = j.duplicate {
            let o = &j.included[i];
            let wrong = Content {
                seed: seed ^ 0xD0D0_D0D0,
                id: format!("{}#duplicate", o.id),
                len: o.stored_bytes.max(1),
                kind: o.kind,
            };
            entries.push(ZipEntrySpec {
                name: name(o),
                digest: wrong.digest(),
                content: wrong,
                modified_unix: o.created_ms / 1000,
                corrupt: false,
            });
        }
        entries
    })
    .await;
    let Ok(entries) = entries else { return };
    let mut plan = ZipPlan {
        layout,
        entries,
        truncate_at: None,
        deflate_level: Some(deflate_level),
    };
    let full = match zip_len(Arc::new(plan.clone())).await {
        Ok(n) => n,
        Err(e) => {
            // A plan the writer refuses (e.g. a name over 65,535 bytes) never becomes ready;
            // the job stays IN_PROGRESS, as a broken server job would.
            tracing::error!(error = %e, "cannot build the zip for a bulk job");
            return;
        }
    };
    let len = match job.truncate {
        Some(f) => {
            let at = ((full as f64 * f) as u64).min(full.saturating_sub(1));
            plan.truncate_at = Some(at);
            at
        }
        None => full,
    };
    let _ = job.ready.set(Ready {
        plan: Arc::new(plan),
        len,
    });
}

#[cfg(test)]
#[path = "jobs_tests.rs"]
mod tests;

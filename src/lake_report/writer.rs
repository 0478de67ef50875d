//! The bucket report's S3 side: a [`LakeReport`] the tally tells about every object as it
//! settles ([`ObjectSink`]). It turns each event into a line ([`super::line_for`]), collects
//! the lines in the bounded [`Chunker`] and writes every full `.jsonl` file from a tracked
//! background task (at most [`FILES_IN_FLIGHT`] at once; [`LakeReport::ready`] holds new
//! objects back while they are busy, so memory stays bounded at any number of objects). At
//! the end of every run that reached S3 — success, failures, interrupt, a run that could not
//! proceed after S3 connected — [`LakeReport::write`] seals the report's exit code, writes the
//! last file and then `<run-id>.json`. Every file is one `PutObject` with `Content-MD5`, proven
//! from S3's answer like every other write ([`S3Target::put_small`]). A file that cannot be
//! written is logged and added to the report's `errors` after the exit code was sealed: it
//! never changes the exit code. This module never reads a report back, deletes or rewrites
//! one, and never counts it as an exported object.

use super::{
    line_for, lines_key, summary_key, Chunk, Chunker, LinesFile, Mode, ObjectEvent, ObjectSink,
    Settings, Summary, Written, FILES_IN_FLIGHT, FILE_MAX_BYTES, LINES_CONTENT_TYPE,
};
use crate::failure::error_chain;
use crate::report::Report;
use crate::run_id::RunId;
use crate::s3::S3Target;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_util::task::TaskTracker;
use tracing::{debug, error, info};

/// Of `SHUTDOWN_GRACE` after a signal, what writing the report may take (a tenth: two small
/// `PutObject`s); it comes after the aborts' half and the index's quarter, before the
/// webhook's eighth (`main`).
pub fn grace_share(grace: Duration) -> Duration {
    grace / 10
}

/// Cheap to clone; see the module docs.
#[derive(Clone)]
pub struct LakeReport {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for LakeReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LakeReport")
            .field("mode", &self.inner.settings.mode)
            .field("root", &self.inner.settings.root)
            .finish_non_exhaustive()
    }
}

struct Inner {
    s3: S3Target,
    settings: Settings,
    run_id: RunId,
    chunker: Mutex<Chunker>,
    tasks: TaskTracker,
    flushes: Arc<Semaphore>,
    done: Mutex<Done>,
}

#[derive(Default)]
struct Done {
    files: Vec<LinesFile>,
    lines_not_written: u64,
    errors: Vec<String>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned lock only means another task panicked between two plain updates.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl LakeReport {
    /// The writer of run `run_id`'s report; `None` with `CSS_SYNC_BUCKET_REPORT=off`.
    pub fn new(s3: &S3Target, settings: &Settings, run_id: &RunId) -> Option<LakeReport> {
        (settings.mode != Mode::Off).then(|| LakeReport {
            inner: Arc::new(Inner {
                s3: s3.clone(),
                settings: settings.clone(),
                run_id: run_id.clone(),
                chunker: Mutex::new(Chunker::new(settings.file_max_lines, FILE_MAX_BYTES)),
                tasks: TaskTracker::new(),
                flushes: Arc::new(Semaphore::new(FILES_IN_FLIGHT)),
                done: Mutex::new(Done::default()),
            }),
        })
    }

    /// [`LakeReport::write`] of a run that ends before its pipeline had a writer (it could not
    /// proceed, or a signal came, after S3 connected); nothing with the bucket report off.
    pub async fn write_for(
        s3: &S3Target,
        settings: &Settings,
        run_id: &RunId,
        report: &mut Report,
        bound: Option<Duration>,
    ) {
        if let Some(lake) = LakeReport::new(s3, settings, run_id) {
            lake.write(report, bound).await;
        }
    }

    /// Returns at once unless [`FILES_IN_FLIGHT`] files are being written; then waits for
    /// one (the pipeline calls it before each object it finds, so lines stay bounded).
    pub async fn ready(&self) {
        drop(self.inner.flushes.acquire().await);
    }

    /// Ends the run's report: seals `report`'s exit code, writes the last `.jsonl` file and
    /// `<run-id>.json`, and records in `report` what was written (`bucket_report`) and what
    /// was not (`errors`). `bound`: the share of the shutdown grace after a signal.
    pub async fn write(&self, report: &mut Report, bound: Option<Duration>) {
        report.seal();
        let writing = self.write_sealed(report);
        let Some(bound) = bound else {
            return writing.await;
        };
        if tokio::time::timeout(bound, writing).await.is_err() {
            error!("run report not written to the bucket: shutdown grace ran out");
            report
                .errors
                .push("run report not written to the bucket: shutdown grace ran out".into());
        }
    }

    async fn write_sealed(&self, report: &mut Report) {
        let inner = &self.inner;
        inner.tasks.close();
        inner.tasks.wait().await;
        let last = lock(&inner.chunker).finish();
        if let Some(chunk) = last {
            inner.write_lines(chunk).await;
        }
        let done = std::mem::take(&mut *lock(&inner.done));
        report.errors.extend(done.errors);
        let mut files = done.files;
        files.sort_by(|a, b| a.key.cmp(&b.key));
        let key = summary_key(&inner.settings.root, &inner.run_id);
        let written = Written {
            mode: match inner.settings.mode {
                Mode::All => "all",
                _ => "errors",
            }
            .to_string(),
            summary: key.clone(),
            lines: files.iter().map(|f| f.lines).sum(),
            lines_not_written: done.lines_not_written,
            files,
        };
        let body = serde_json::to_vec_pretty(&Summary::of(report, &written)).unwrap_or_default();
        match inner
            .s3
            .put_small(&key, body.into(), "application/json")
            .await
        {
            Ok(_) => info!(
                key,
                lines = written.lines,
                files = written.files.len(),
                "run report written to the bucket"
            ),
            Err(e) => {
                let why = error_chain(&e);
                error!(key, error = %why, "run report not written to the bucket");
                report
                    .errors
                    .push(format!("run report {key} not written: {why}"));
            }
        }
        report.bucket_report = Some(written);
    }
}

impl ObjectSink for LakeReport {
    fn object(&self, event: &ObjectEvent<'_>) {
        let inner = &self.inner;
        let key = event
            .rec
            .and_then(|rec| inner.s3.key_for(rec, event.region).ok());
        let Some(line) = line_for(inner.settings.mode, &inner.run_id, event, key) else {
            return;
        };
        let Ok(bytes) = serde_json::to_vec(&line) else {
            return;
        };
        let Some(chunk) = lock(&inner.chunker).push(&bytes) else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(_) => {
                let task = inner.clone();
                inner.tasks.spawn(async move {
                    let _permit = task.flushes.clone().acquire_owned().await;
                    task.write_lines(chunk).await;
                });
            }
            Err(_) => {
                inner.not_written(chunk.seq, chunk.lines, "no async runtime to write it from")
            }
        }
    }
}

impl Inner {
    async fn write_lines(&self, chunk: Chunk) {
        let Chunk { seq, body, lines } = chunk;
        let key = lines_key(&self.settings.root, &self.run_id, seq);
        match self
            .s3
            .put_small(&key, body.into(), LINES_CONTENT_TYPE)
            .await
        {
            Ok(_) => {
                debug!(key, lines, "run report lines written");
                lock(&self.done).files.push(LinesFile { key, lines });
            }
            Err(e) => self.not_written(seq, lines, &error_chain(&e)),
        }
    }

    fn not_written(&self, seq: Option<u32>, lines: u64, why: &str) {
        let key = lines_key(&self.settings.root, &self.run_id, seq);
        error!(key, lines, error = %why, "run report lines not written");
        let mut done = lock(&self.done);
        done.lines_not_written += lines;
        done.errors.push(format!(
            "run report file {key} ({lines} lines) not written: {why}"
        ));
    }
}

//! The index's S3 side: an [`IndexWriter`] the pipeline hands each committed object to. It
//! builds the row, buffers it in the bounded [`IndexBuffer`], and writes the batches the
//! buffer hands out — mid-run from tracked background tasks (so an interrupt that drops the
//! exporting task loses no row already taken), the rest at [`IndexWriter::finish`], which the
//! pipeline calls at the end of every run (success, failures, interrupt). Each file is one
//! `PutObject` with `Content-MD5` ([`S3Target::put_small`]), under the SDK's retry bound. A
//! file that cannot be written is logged and returned as an error (the run then exits 1);
//! this module never retries beyond the SDK, never deletes or rewrites an index file, and
//! never reads one back.

use super::{Batch, IndexBuffer, IndexRow, IndexSettings, IndexSummary};
use crate::css::model::ObjectRecord;
use crate::failure::error_chain;
use crate::run_id::RunId;
use crate::s3::{Committed, S3Target};
use futures::StreamExt;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;
use tokio_util::task::TaskTracker;
use tracing::{debug, error};

/// Index files being sent at once (a documented constant). A task whose row fills a file
/// waits while this many are in flight, so buffered rows stay bounded when S3 is slow.
pub const FLUSHES_IN_FLIGHT: usize = 2;
/// `Content-Type` of an index file (JSON Lines).
pub const CONTENT_TYPE: &str = "application/x-ndjson";

/// Cheap to clone; see the module docs.
#[derive(Clone)]
pub struct IndexWriter {
    inner: Arc<Inner>,
}

struct Inner {
    s3: S3Target,
    root: String,
    run_id: RunId,
    buffer: Mutex<IndexBuffer>,
    tasks: TaskTracker,
    flushes: Arc<Semaphore>,
    done: Mutex<Done>,
}

#[derive(Default)]
struct Done {
    summary: IndexSummary,
    errors: Vec<String>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned lock only means another task panicked between two plain updates.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl IndexWriter {
    pub fn new(s3: S3Target, settings: &IndexSettings, run_id: RunId) -> IndexWriter {
        IndexWriter {
            inner: Arc::new(Inner {
                s3,
                root: settings.root.clone(),
                run_id,
                buffer: Mutex::new(IndexBuffer::new(settings.limits)),
                tasks: TaskTracker::new(),
                flushes: Arc::new(Semaphore::new(FLUSHES_IN_FLIGHT)),
                done: Mutex::new(Done::default()),
            }),
        }
    }

    /// Records one committed object. Returns once its row is buffered (or handed to a write
    /// task); waits only while [`FLUSHES_IN_FLIGHT`] files are being sent.
    pub async fn record(&self, region: &str, rec: &ObjectRecord, committed: &Committed) {
        let inner = &self.inner;
        let row = IndexRow::new(
            &inner.run_id,
            region,
            rec,
            &committed.key,
            committed.e_tag.as_deref(),
        );
        let Some(batch) = lock(&inner.buffer).push(&row) else {
            return;
        };
        let task = inner.clone();
        inner.tasks.spawn(async move {
            let _permit = task.flushes.clone().acquire_owned().await;
            task.write(batch).await;
        });
        let _wait = inner.flushes.acquire().await;
    }

    /// Waits for the background writes, writes every partition still buffered, and returns
    /// the summary and the errors (one per file not written). Call once, at the end.
    pub async fn finish(&self) -> (IndexSummary, Vec<String>) {
        let inner = &self.inner;
        inner.tasks.close();
        inner.tasks.wait().await;
        let batches = lock(&inner.buffer).drain();
        futures::stream::iter(batches)
            .for_each_concurrent(FLUSHES_IN_FLIGHT, |b| inner.write(b))
            .await;
        let mut done = std::mem::take(&mut *lock(&inner.done));
        done.summary.files.sort();
        (done.summary, done.errors)
    }
}

impl Inner {
    async fn write(&self, batch: Batch) {
        let key = batch.key(&self.root, &self.run_id);
        let rows = batch.rows as u64;
        let res = self
            .s3
            .put_small(&key, batch.body.into(), CONTENT_TYPE)
            .await;
        let mut done = lock(&self.done);
        match res {
            Ok(_) => {
                debug!(key, rows, "index file written");
                done.summary.files.push(key);
                done.summary.rows += rows;
            }
            Err(e) => {
                let why = error_chain(&e);
                error!(key, rows, error = %why, "index file not written");
                done.summary.rows_not_written += rows;
                done.errors
                    .push(format!("index file {key} ({rows} rows) not written: {why}"));
            }
        }
    }
}

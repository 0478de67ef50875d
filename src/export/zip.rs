//! issue 8 (overlap): one zip body → its entries' verified S3 objects, overlapped. The zip is
//! read entry after entry in this task (the stream has one reader); each entry's bytes go
//! into its upload as they are read, and once the entry's own size, CRC-32 and MD5 are
//! confirmed its gate (check, commit, proof, sidecar: `Exporter::settle`) runs in a task of
//! its own while the next entry streams. What may be open at once is bounded by the zip's
//! byte budget ([`super::budget`]), taken before an entry's first byte is buffered and given
//! back when its upload is proven or aborted. An object counts (`on_exported`) only when its
//! gate proved it, in whatever order the gates finish. Never decides retries.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tokio::io::AsyncRead;
use tokio::task::{Id, JoinError, JoinSet};
use tracing::warn;

use super::budget::{self, Budget};
use super::{reject_metric, Exporter, Step, ZipOutcome, CHUNK};
use crate::css::model::ObjectRecord;
use crate::entry_names::{EntryNames, Resolved};
use crate::failure::{Cause, Rejection, Stage};
use crate::s3::{Committed, S3Error};
use crate::unzip::{EntryDigest, UnzipError, ZipEntries};

type Gate = (ObjectRecord, Result<Committed, Rejection>);

/// The gates of one zip still running, by task and by object id.
struct Flight {
    tasks: JoinSet<Gate>,
    ids: HashMap<Id, String>,
    open: HashSet<String>,
}

impl Exporter {
    /// Streams every entry of a zip body into S3, matching entries to `records` by name
    /// ([`crate::entry_names`]); ids in `done` (exported from another zip of the same job)
    /// are skipped as duplicates. `on_exported` is awaited for each object the moment its
    /// gate proved it, while the zip still streams (the object is in
    /// [`ZipOutcome::exported`] too). When the stream breaks, the gates already started
    /// still finish and count.
    pub async fn export_zip<R, F, Fut>(
        &self,
        region: &str,
        records: &[ObjectRecord],
        done: &HashSet<String>,
        body: R,
        limits: crate::unzip::Limits,
        mut on_exported: F,
    ) -> ZipOutcome
    where
        R: AsyncRead + Send + Unpin + 'static,
        F: FnMut(ObjectRecord, Committed) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let mut out = ZipOutcome::default();
        let mut flight = Flight {
            tasks: JoinSet::new(),
            ids: HashMap::new(),
            open: HashSet::new(),
        };
        let broken = self
            .stream(
                region,
                records,
                done,
                body,
                limits,
                &mut flight,
                &mut out,
                &mut on_exported,
            )
            .await;
        while let Some(joined) = flight.tasks.join_next_with_id().await {
            flight.land(joined, &mut out, &mut on_exported).await;
        }
        out.broken = broken;
        out
    }

    /// Reads the zip to its end (or to the error that broke it, returned), starting one gate
    /// per entry.
    #[allow(clippy::too_many_arguments)]
    async fn stream<R, F, Fut>(
        &self,
        region: &str,
        records: &[ObjectRecord],
        done: &HashSet<String>,
        body: R,
        limits: crate::unzip::Limits,
        flight: &mut Flight,
        out: &mut ZipOutcome,
        on_exported: &mut F,
    ) -> Option<Arc<UnzipError>>
    where
        R: AsyncRead + Send + Unpin + 'static,
        F: FnMut(ObjectRecord, Committed) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let names = EntryNames::new(records);
        let budget = Budget::new(self.zip_bytes_in_flight);
        // issue 8 (speed): each entry's upload hashes its bytes (the object's MD5 and its
        // parts' in one pass); the unzip checks sizes and CRC-32.
        let mut zip = ZipEntries::new(body, limits).without_md5();
        // One read buffer for the whole zip: entries are read one after another.
        let mut buf = vec![0u8; CHUNK];
        loop {
            flight.land_finished(out, on_exported).await;
            let next = zip
                .next_entry(|name| names.resolve(name).record().map(|r| r.stored_bytes))
                .await;
            let mut entry = match next {
                Ok(Some(e)) => e,
                Ok(None) => break,
                Err(e) => {
                    reject_metric(e.kind());
                    return Some(Arc::new(e));
                }
            };
            let name = entry.raw_name().to_vec();
            let resolved = names.resolve(&name);
            // A second entry for an object whose gate still runs waits for its outcome: it
            // is a duplicate if that proved the object, another chance if not.
            if let Some(r) = resolved.record() {
                flight.land_until_closed(&r.id, out, on_exported).await;
            }
            let rec = match resolved.record() {
                Some(r) if !out.exported.contains_key(&r.id) && !done.contains(&r.id) => r,
                found => {
                    let kind = match (found, resolved) {
                        (Some(_), _) => "duplicate",
                        (None, Resolved::Ambiguous(_)) => "ambiguous_name",
                        (None, _) => "unexpected_name",
                    };
                    warn!(region, entry = %String::from_utf8_lossy(&name).escape_debug(), kind, "skipping zip entry");
                    reject_metric(kind);
                    if let Err(e) = entry.skip().await {
                        return Some(Arc::new(e));
                    }
                    continue;
                }
            };
            let key = match self.key(region, rec) {
                Ok(k) => k,
                Err(rej) => {
                    out.rejected.insert(rec.id.clone(), rej);
                    if let Err(e) = entry.skip().await {
                        return Some(Arc::new(e));
                    }
                    continue;
                }
            };
            let mut upload = self
                .s3
                .begin(key.clone(), super::meta(region, rec), rec.stored_bytes);
            let charge = budget::charge(
                budget.total(),
                rec.stored_bytes,
                upload.is_single(),
                upload.part_size(),
                self.s3.settings().part_concurrency,
            );
            upload.limit_parts_in_flight(charge.part_concurrency);
            // Taken before the first byte is buffered; while waiting, finished gates land
            // (and give their bytes back).
            let held = loop {
                tokio::select! {
                    biased;
                    Some(joined) = flight.tasks.join_next_with_id(), if !flight.tasks.is_empty() => {
                        flight.land(joined, out, on_exported).await;
                    }
                    held = budget.acquire(charge.bytes) => break held,
                }
            };
            let copied: Result<(), Step> = async {
                loop {
                    let n = entry.read(&mut buf).await.map_err(Step::Zip)?;
                    if n == 0 {
                        return Ok(());
                    }
                    upload.write(&buf[..n]).await.map_err(Step::S3)?;
                }
            }
            .await;
            // Only `finish` confirms the entry's own size and CRC-32 (and yields the MD5).
            let streamed: Result<EntryDigest, Step> = match copied {
                Ok(()) => entry.finish().await.map_err(Step::Zip),
                Err(Step::S3(reason)) => match entry.skip().await {
                    Ok(_) => Err(Step::S3(reason)),
                    Err(e) => Err(Step::Zip(e)),
                },
                Err(zip) => Err(zip),
            };
            match streamed {
                Ok(d) => {
                    let md5 = upload.md5(); // issue 8 (speed)
                    let (this, region, rec) = (self.clone(), region.to_string(), rec.clone());
                    let id = rec.id.clone();
                    // Tracked with the aborts, so a run that stops waits for a cancelled
                    // gate to drop its upload (and spawn that upload's abort).
                    let gate = self.s3.aborts.track_future(async move {
                        let res = this.settle(&region, &rec, &key, upload, d.size, md5).await;
                        drop(held);
                        (rec, res)
                    });
                    let task = flight.tasks.spawn(gate);
                    flight.ids.insert(task.id(), id.clone());
                    flight.open.insert(id);
                }
                Err(Step::Zip(e)) => {
                    upload.abort().await;
                    drop(held);
                    reject_metric(e.kind());
                    let e = Arc::new(e);
                    out.rejected.insert(
                        rec.id.clone(),
                        Rejection::new(Stage::Zip, Cause::Entry(e.clone())),
                    );
                    return Some(e);
                }
                Err(Step::S3(e)) => {
                    // The entry was drained (and checked) above, so the zip goes on.
                    upload.abort().await;
                    drop(held);
                    out.rejected
                        .insert(rec.id.clone(), Rejection::new(Stage::S3, e));
                }
            }
        }
        let finished = zip.finish().await;
        finished.err().map(|e| {
            reject_metric(e.kind());
            Arc::new(e)
        })
    }
}

impl Flight {
    /// Lands the gates that already finished, without waiting.
    async fn land_finished<F, Fut>(&mut self, out: &mut ZipOutcome, on_exported: &mut F)
    where
        F: FnMut(ObjectRecord, Committed) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        while let Some(joined) = self.tasks.try_join_next_with_id() {
            self.land(joined, out, on_exported).await;
        }
    }

    /// Lands gates until the one of `id` (if running) has landed.
    async fn land_until_closed<F, Fut>(
        &mut self,
        id: &str,
        out: &mut ZipOutcome,
        on_exported: &mut F,
    ) where
        F: FnMut(ObjectRecord, Committed) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        while self.open.contains(id) {
            match self.tasks.join_next_with_id().await {
                Some(joined) => self.land(joined, out, on_exported).await,
                None => break,
            }
        }
    }

    /// Records one gate's outcome; a proven object counts here.
    async fn land<F, Fut>(
        &mut self,
        joined: Result<(Id, Gate), JoinError>,
        out: &mut ZipOutcome,
        on_exported: &mut F,
    ) where
        F: FnMut(ObjectRecord, Committed) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let (task, outcome) = match joined {
            Ok((task, gate)) => (task, Ok(gate)),
            Err(e) => (e.id(), Err(e)),
        };
        let Some(id) = self.ids.remove(&task) else {
            return;
        };
        self.open.remove(&id);
        match outcome {
            Ok((rec, Ok(committed))) => {
                on_exported(rec, committed.clone()).await;
                out.exported.insert(id, committed);
            }
            Ok((_, Err(rej))) => {
                out.rejected.insert(id, rej);
            }
            // A gate that panicked or was cancelled proved nothing: its upload was dropped
            // uncommitted (and so aborted).
            Err(e) => {
                let e = S3Error::Task {
                    operation: "export",
                    detail: e.to_string(),
                };
                out.rejected.insert(id, Rejection::new(Stage::S3, e));
            }
        }
    }
}

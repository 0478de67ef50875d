//! The sync, top to bottom: connect to CSS and S3, find the regions, then per region (bounded)
//! page through the catalog, skip what S3 already holds with the same MD5, batch the rest into
//! bulk jobs, run several jobs at once so the server's preparation overlaps our transfer, and
//! stream every zip into S3 through the verifying exporter. Objects a job did not deliver
//! intact are requested again (a FAILED job is split to isolate a poison object) until their
//! attempts run out; then they are reported failed. Every object found ends exported, present
//! or failed in the [`Tally`].

use crate::batch::{self, Batcher, Work};
use crate::config::Settings;
use crate::css::model::ObjectRecord;
use crate::css::{CssClient, CssError};
use crate::export::{Exporter, Rejection};
use crate::job::{self, JobEnd, PollPolicy};
use crate::report::{Report, Tally};
use crate::s3::S3Target;
use futures::{StreamExt, TryStreamExt};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, Semaphore};
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

/// Errors that stop the whole run before any object is processed (exit code 3).
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("CSS API")]
    Css(#[from] CssError),
    #[error("S3 destination")]
    S3(#[from] crate::s3::S3Error),
}

/// Shared by every task of a run.
struct Ctx {
    css: CssClient,
    exporter: Exporter,
    tally: Tally,
    settings: Settings,
}

/// Runs a sync to the end (or until `shutdown`), returning the report.
pub async fn run(settings: Settings, shutdown: CancellationToken) -> Result<Report, PipelineError> {
    let s3 = S3Target::connect(settings.s3.clone()).await?;
    run_with(settings, s3, shutdown).await
}

/// [`run`] with an S3 target built by the caller (the demo's embedded server).
pub async fn run_with(
    settings: Settings,
    s3: S3Target,
    shutdown: CancellationToken,
) -> Result<Report, PipelineError> {
    let css = CssClient::new(settings.css.clone())?;
    let regions = if settings.run.regions.is_empty() {
        css.regions_via(&settings.run.discovery_region).await?
    } else {
        settings.run.regions.clone()
    };
    info!(regions = ?regions, "regions to sync");
    let ctx = Arc::new(Ctx {
        css,
        exporter: Exporter {
            s3: s3.clone(),
            sidecar: settings.s3.sidecar,
        },
        tally: Tally::default(),
        settings,
    });

    let all = futures::stream::iter(regions.clone())
        .map(|region| {
            let ctx = ctx.clone();
            async move {
                let started = Instant::now();
                let result = sync_region(&ctx, &region).await;
                ctx.tally.region_done(&region, started.elapsed());
                result.map_err(|e| format!("region {region}: {e}"))
            }
        })
        .buffer_unordered(ctx.settings.run.region_concurrency)
        .filter_map(|r| async move { r.err() })
        .collect::<Vec<String>>();

    let (errors, interrupted) = tokio::select! {
        errors = all => (errors, false),
        _ = shutdown.cancelled() => (vec![], true),
    };
    // Uploads dropped mid-way (interrupt) abort in the background: let them finish.
    s3.wait_for_aborts().await;
    for e in &errors {
        error!(error = %e, "region incomplete");
    }
    Ok(ctx.tally.finish(regions, errors, interrupted))
}

/// One region: catalog → skip present → batches → jobs (bounded) → S3.
async fn sync_region(ctx: &Arc<Ctx>, region: &str) -> Result<(), CssError> {
    let run = &ctx.settings.run;
    let (tx, rx) = mpsc::channel::<Work>(run.jobs_per_region);
    let producer = find_work(ctx.clone(), region.to_string(), tx);
    let downloads = Arc::new(Semaphore::new(run.downloads_per_region));
    let consumer = tokio_stream_from(rx)
        .map(|work| {
            let (ctx, downloads, region) = (ctx.clone(), downloads.clone(), region.to_string());
            async move {
                match work {
                    Work::Bulk(records) => bulk(&ctx, &region, records, &downloads).await,
                    Work::Single(rec) => single(&ctx, &region, *rec, &downloads).await,
                }
            }
        })
        .buffer_unordered(run.jobs_per_region)
        .collect::<()>();
    let (found, ()) = tokio::join!(producer, consumer);
    found
}

/// Pages the catalog, settles objects already in S3, and sends the rest on as batches.
async fn find_work(ctx: Arc<Ctx>, region: String, tx: mpsc::Sender<Work>) -> Result<(), CssError> {
    let run = &ctx.settings.run;
    let filter = run.filter.to_fiql()?;
    let mut batcher = Batcher::new(batch::Limits {
        max_objects: run.batch_max_objects,
        max_bytes: run.batch_max_bytes,
    });
    let mut needed = std::pin::pin!(ctx
        .css
        .search(&region, filter)
        .map_ok(|rec| {
            let ctx = ctx.clone();
            let region = region.clone();
            async move { needs_export(&ctx, &region, rec).await }
        })
        .try_buffered(run.check_concurrency));
    let mut found = 0u64;
    while let Some(rec) = needed.try_next().await? {
        found += 1;
        if let Some(rec) = rec {
            for work in batcher.push(rec) {
                if tx.send(work).await.is_err() {
                    return Ok(());
                }
            }
        }
    }
    for work in batcher.finish() {
        if tx.send(work).await.is_err() {
            return Ok(());
        }
    }
    info!(region, objects = found, "catalog read");
    Ok(())
}

/// Counts the record and settles it if nothing needs doing; `Some` if it must be exported.
async fn needs_export(
    ctx: &Ctx,
    region: &str,
    rec: ObjectRecord,
) -> Result<Option<ObjectRecord>, CssError> {
    ctx.tally.found(region, &rec);
    if let Some(state) = rec.object_state.as_deref().filter(|s| *s != "AVAILABLE") {
        let reason = format!("objectState {state}: only AVAILABLE objects can be downloaded");
        ctx.tally.failed(region, &rec, "catalog", &reason);
        return Ok(None);
    }
    let key = match ctx.exporter.key(region, &rec) {
        Ok(k) => k,
        Err(rej) => {
            ctx.tally.failed(region, &rec, rej.stage, &rej.reason);
            return Ok(None);
        }
    };
    match ctx.exporter.s3.existing(&key).await {
        Ok(Some(existing))
            if existing.md5_meta.as_deref() == Some(&crate::verify::catalog_checksum(&rec))
                && existing.size == rec.stored_bytes =>
        {
            ctx.tally.present(region, &rec);
            Ok(None)
        }
        Ok(_) => Ok(Some(rec)),
        Err(e) => {
            // Unknown state: export again rather than skip (an overwrite is harmless).
            warn!(region, id = %rec.id, error = %crate::export::error_chain(&e), "S3 check failed; exporting");
            Ok(Some(rec))
        }
    }
}

/// An object with the attempts it has used and why the last one failed.
struct Pending {
    rec: ObjectRecord,
    attempts: u32,
    last: Option<Rejection>,
}

/// One batch through bulk jobs until every object is exported or out of attempts.
async fn bulk(ctx: &Ctx, region: &str, records: Vec<ObjectRecord>, downloads: &Semaphore) {
    let run = &ctx.settings.run;
    let poll = PollPolicy {
        interval: run.poll_interval,
        deadline: run.job_deadline,
    };
    let mut queue: VecDeque<Vec<Pending>> = VecDeque::new();
    queue.push_back(
        records
            .into_iter()
            .map(|rec| Pending {
                rec,
                attempts: 0,
                last: None,
            })
            .collect(),
    );
    while let Some(batch) = queue.pop_front() {
        if batch.is_empty() {
            continue;
        }
        let ids: Vec<String> = batch.iter().map(|p| p.rec.id.clone()).collect();
        let retry: Vec<Pending> = match job::run(&ctx.css, region, &ids, poll).await {
            Ok(JobEnd::Ready { zip_name, .. }) => {
                stream_zip(ctx, region, &zip_name, batch, downloads).await
            }
            Ok(JobEnd::Failed { zip_name, state }) if batch.len() > 1 => {
                // Split without charging: a poison object is isolated in log2(n) rounds.
                warn!(region, zip = %zip_name, ?state, objects = batch.len(), "bulk job failed; splitting the batch");
                let (a, b) = batch::split(batch);
                queue.push_back(a);
                queue.push_back(b);
                continue;
            }
            Err(CssError::Http {
                endpoint: "start",
                status: 400..=499,
                body_snippet,
                ..
            }) if batch.len() > 1 => {
                // The server refused the batch (e.g. an object deleted by retention since we
                // listed it): split it the same way, so the refusal ends up on that object only.
                warn!(region, objects = batch.len(), refusal = %body_snippet, "bulk start refused; splitting the batch");
                let (a, b) = batch::split(batch);
                queue.push_back(a);
                queue.push_back(b);
                continue;
            }
            Ok(JobEnd::Failed { zip_name, state }) => {
                charge(batch, "job", format!("bulk job {zip_name} ended {state:?}"))
            }
            Ok(JobEnd::TimedOut { zip_name }) => charge(
                batch,
                "job",
                format!("bulk job {zip_name} not done within {:?}", poll.deadline),
            ),
            Err(e) => charge(batch, "job", crate::export::error_chain(&e)),
        };
        let retry = settle_attempts(ctx, region, retry);
        if !retry.is_empty() {
            tokio::time::sleep(job::jittered(run.poll_interval)).await;
            queue.push_back(retry);
        }
    }
}

/// Downloads a finished job's zip and exports its entries; returns the objects that did not
/// make it, each with its reason (bad bytes, missing from the zip, the zip broke).
async fn stream_zip(
    ctx: &Ctx,
    region: &str,
    zip_name: &str,
    batch: Vec<Pending>,
    downloads: &Semaphore,
) -> Vec<Pending> {
    let _permit = downloads.acquire().await;
    let body = match ctx.css.download_bulk(region, zip_name).await {
        Ok(body) => body,
        Err(e) => return charge(batch, "download", crate::export::error_chain(&e)),
    };
    let records: Vec<ObjectRecord> = batch.iter().map(|p| p.rec.clone()).collect();
    let out = ctx
        .exporter
        .export_zip(region, &records, body, unzip_limits(ctx))
        .await;
    let missing = match &out.broken {
        Some(why) => {
            warn!(region, zip = %zip_name, why, "zip stream ended early");
            format!("not delivered: zip {zip_name} broke ({why})")
        }
        None => format!("not in zip {zip_name}"),
    };
    let mut retry = Vec::new();
    for mut p in batch {
        if out.exported.contains(&p.rec.id) {
            ctx.tally.exported(region, &p.rec);
            continue;
        }
        p.last = Some(out.rejected.get(&p.rec.id).cloned().unwrap_or(Rejection {
            stage: "missing",
            reason: missing.clone(),
        }));
        retry.push(p);
    }
    retry
}

/// One object too large for a zip, through single-object download.
async fn single(ctx: &Ctx, region: &str, rec: ObjectRecord, downloads: &Semaphore) {
    let mut p = Pending {
        rec,
        attempts: 0,
        last: None,
    };
    loop {
        let result = {
            let _permit = downloads.acquire().await;
            match ctx.css.download_object(region, &p.rec.id).await {
                Ok(body) => ctx.exporter.export_single(region, &p.rec, body).await,
                Err(e) => Err(Rejection {
                    stage: "download",
                    reason: crate::export::error_chain(&e),
                }),
            }
        };
        match result {
            Ok(()) => return ctx.tally.exported(region, &p.rec),
            Err(rej) => p.last = Some(rej),
        }
        match settle_attempts(ctx, region, vec![p]).pop() {
            Some(q) => p = q,
            None => return,
        }
        tokio::time::sleep(job::jittered(ctx.settings.run.poll_interval)).await;
    }
}

/// Charges one attempt to each object; reports those out of attempts, returns the rest.
fn settle_attempts(ctx: &Ctx, region: &str, batch: Vec<Pending>) -> Vec<Pending> {
    let max = ctx.settings.run.object_attempts;
    batch
        .into_iter()
        .filter_map(|mut p| {
            p.attempts += 1;
            if p.attempts < max {
                return Some(p);
            }
            let last = p.last.unwrap_or(Rejection {
                stage: "unknown",
                reason: "no reason recorded".into(),
            });
            ctx.tally.failed(
                region,
                &p.rec,
                last.stage,
                &format!("{} (after {} attempts)", last.reason, p.attempts),
            );
            None
        })
        .collect()
}

/// Records the same failed attempt reason on every object of a batch.
fn charge(batch: Vec<Pending>, stage: &'static str, reason: String) -> Vec<Pending> {
    batch
        .into_iter()
        .map(|p| Pending {
            last: Some(Rejection {
                stage,
                reason: reason.clone(),
            }),
            ..p
        })
        .collect()
}

fn unzip_limits(ctx: &Ctx) -> crate::unzip::Limits {
    crate::unzip::Limits {
        max_entry_bytes: ctx.settings.run.batch_max_bytes,
        max_entries: (ctx.settings.run.batch_max_objects as u32)
            .saturating_mul(2)
            .saturating_add(16),
        ..crate::unzip::Limits::default()
    }
}

fn tokio_stream_from<T: Send + 'static>(
    mut rx: mpsc::Receiver<T>,
) -> impl futures::Stream<Item = T> {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

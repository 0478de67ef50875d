//! The sync, top to bottom: connect to CSS and S3, find the regions, then per region (bounded)
//! page through the catalog, skip what S3 already holds with the same MD5, batch the rest into
//! bulk jobs, run several jobs at once so the server's preparation overlaps our transfer, and
//! stream every zip into S3 through the verifying exporter. What happens after a job fails or
//! a zip leaves objects out (split, retry, give up) is decided by [`crate::decide`]; this
//! module only runs what it hands out. Every object found ends exported, present or failed in
//! the [`Tally`]. The records come from the catalog search, or with `--ids` from the id
//! lookups ([`crate::lookup`]), through the same path from the S3 check on: the catalog side
//! is `pipeline/catalog.rs`, the delivery side (jobs, zips, uploads) `pipeline/deliver.rs`.

use crate::batch::Work;
use crate::config::Settings;
use crate::css::model::ObjectRecord;
use crate::css::{CssClient, CssError};
use crate::export::Exporter;
use crate::failure::error_chain;
use crate::index::writer::IndexWriter;
use crate::lake_report::writer::{grace_share, LakeReport};
use crate::poller::Poller; // issue 8 (polling)
use crate::report::{Report, Tally};
use crate::run_id::RunId;
use crate::s3::{Committed, S3Target};
use futures::StreamExt;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, Semaphore};
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

#[path = "pipeline/catalog.rs"]
mod catalog;
#[path = "pipeline/checkpoint.rs"]
mod checkpoint; // issue 10 (wire)
#[path = "pipeline/deliver.rs"]
mod deliver;
#[path = "pipeline/sources.rs"]
mod sources;
use sources::{id_feeds, records_of, tokio_stream_from, Source};

/// Errors that stop the whole run before any object is processed (exit code 3).
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("CSS API")]
    Css(#[from] CssError),
    #[error("S3 destination")]
    S3(#[from] crate::s3::S3Error),
}

/// issue 7 (lakereport): a run that could not proceed (exit 3) still has a report — run id,
/// start, duration, the error chain in `errors` — already written to the bucket when S3 was
/// connected; `main` writes it locally.
#[derive(Debug, thiserror::Error)]
#[error("the run could not proceed")]
pub struct CouldNotRun {
    #[source]
    pub error: PipelineError,
    pub report: Box<Report>,
}

/// Shared by every task of a run.
struct Ctx {
    css: CssClient,
    exporter: Exporter,
    /// Shared with the progress display, which only reads its snapshots.
    tally: Arc<Tally>,
    /// The metadata index (`None` with `--index false`).
    index: Option<IndexWriter>,
    /// The run report in the bucket (`None` with `CSS_SYNC_BUCKET_REPORT=off`).
    lake: Option<LakeReport>,
    settings: Settings,
    /// issue 10 (presence): listings or HEADs, per directory.
    presence: crate::s3::listing::PresenceSource,
    /// issue 10 (wire): the regions' checkpoints (`None`: stateless run).
    checkpoints: Option<checkpoint::Checkpoints>,
}

impl Ctx {
    /// The one place an object counts as exported: the tally and the index row.
    async fn exported(&self, region: &str, rec: &ObjectRecord, committed: &Committed) {
        self.exporter.commits.counted(region, &rec.id);
        // A conditional write refused because someone else already wrote the same bytes: the
        // object counts present here, exported by its writer (issue 11, proof).
        if committed.proven_by() == crate::s3::ProvenBy::AlreadyThere {
            self.tally.present(region, rec);
            return;
        }
        self.tally.exported(region, rec, committed.e_tag.as_deref());
        if let Some(index) = &self.index {
            index.record(region, rec, committed).await;
        }
    }
}

/// Runs a sync to the end (or until `shutdown`), returning the report. `run_id` names the
/// run (made by `main` before anything logs, so every log line carries it).
/// A signal during start-up (credentials, `HeadBucket`) ends the run at once, interrupted.
pub async fn run(
    settings: Settings,
    shutdown: CancellationToken,
    run_id: RunId,
) -> Result<Report, CouldNotRun> {
    let run_id = started(run_id);
    let since = (chrono::Utc::now(), Instant::now());
    let could_not_run = |error: PipelineError| CouldNotRun {
        report: Box::new(Report::could_not_run(
            &run_id,
            since.0,
            since.1.elapsed(),
            error_chain(&error),
        )),
        error,
    };
    let s3 = tokio::select! {
        s3 = S3Target::connect(settings.s3.clone()) => s3.map_err(|e| could_not_run(e.into()))?,
        _ = shutdown.cancelled() => return Ok(interrupted_at_start(run_id, "connecting to S3")),
    };
    let (lake, grace) = (settings.bucket_report.clone(), settings.shutdown_grace);
    let mut failed = match run_as(settings, s3.clone(), shutdown.clone(), run_id.clone()).await {
        Ok(report) => return Ok(report),
        Err(e) => could_not_run(e),
    };
    let bound = shutdown.is_cancelled().then(|| grace_share(grace));
    LakeReport::write_for(&s3, &lake, &run_id, &mut failed.report, bound).await;
    Err(failed)
}

/// The report of a run stopped by a signal before any object was found.
fn interrupted_at_start(run_id: RunId, phase: &str) -> Report {
    warn!(phase, "interrupted during start-up: nothing was written");
    let mut report = Tally::new(run_id).finish(vec![], vec![], true);
    report.seal();
    report
}

/// [`run`] with an S3 target built by the caller (the demo's embedded server).
pub async fn run_with(
    settings: Settings,
    s3: S3Target,
    shutdown: CancellationToken,
    run_id: RunId,
) -> Result<Report, PipelineError> {
    run_as(settings, s3, shutdown, started(run_id)).await
}

/// The run id, logged at the start of the run.
fn started(run_id: RunId) -> RunId {
    info!(run_id = %run_id, "run started");
    run_id
}

async fn run_as(
    settings: Settings,
    s3: S3Target,
    shutdown: CancellationToken,
    run_id: RunId,
) -> Result<Report, PipelineError> {
    let css = CssClient::new(settings.css.clone())?;
    let regions = if settings.run.regions.is_empty() {
        tokio::select! {
            r = css.regions_via(&settings.run.discovery_region) => r?,
            _ = shutdown.cancelled() => {
                let mut report = interrupted_at_start(run_id.clone(), "discovering regions");
                let bound = Some(grace_share(settings.shutdown_grace));
                LakeReport::write_for(&s3, &settings.bucket_report, &run_id, &mut report, bound).await;
                return Ok(report);
            }
        }
    } else {
        settings.run.regions.clone()
    };
    info!(regions = ?crate::logging::AsJson(&regions), "regions to sync");
    crate::metrics::init_regions(&regions, &settings.run.filter.types); // issue 7 (metrics)
    let lake = LakeReport::new(&s3, &settings.bucket_report, &run_id); // issue 7 (lakereport)
    let with_lake = |tally: Tally| match &lake {
        Some(l) => tally.with_sink(Arc::new(l.clone())),
        None => tally,
    };
    // issue 10 (wire): the checkpoints, fed by the tally's settled objects.
    let store = crate::state::DocStore::new(s3.clone());
    let checkpoints = checkpoint::Checkpoints::new(&settings, store, run_id.to_string());
    let with_lake = |tally: Tally| match &checkpoints {
        Some(c) => with_lake(tally).with_sink(c.sink.clone()),
        None => with_lake(tally),
    };
    let ctx = Arc::new(Ctx {
        css,
        exporter: Exporter {
            s3: s3.clone(),
            sidecar: settings.s3.sidecar,
            commits: Default::default(),
            zip_bytes_in_flight: settings.s3.zip_bytes_in_flight, // issue 8 (overlap)
        },
        tally: Arc::new(with_lake(
            match &settings.run.ids {
                Some(list) => Tally::new(run_id.clone()).with_ids(list.clone()),
                None => Tally::new(run_id.clone()),
            }
            .with_risk(settings.risk), // issue 7 (metrics)
        )),
        index: settings
            .index
            .enabled
            .then(|| IndexWriter::new(s3.clone(), &settings.index, run_id)),
        lake,
        presence: crate::s3::listing::PresenceSource::new(s3.clone(), settings.s3.presence), // issue 10 (presence)
        checkpoints, // issue 10 (wire)
        settings,
    });

    // Issue 7 (progress): bars or periodic events, read from the tally until `finish`.
    let progress =
        crate::progress::Progress::show(ctx.tally.clone(), &regions, &ctx.settings.progress);
    // With --ids, each region's records come from the id lookups over a channel. Records may
    // arrive for any region at any time, so every region's pipeline is open at once (each
    // still bounded by CSS_JOBS_PER_REGION); waiting regions would otherwise stall the lookups.
    let (mut found, feeds) = id_feeds(&ctx, &regions);
    let region_concurrency = match found.is_empty() {
        true => ctx.settings.run.region_concurrency,
        false => regions.len().max(1),
    };
    let lookups = async {
        match (&ctx.settings.run.ids, ctx.tally.ids()) {
            (Some(list), Some(ledger)) => {
                let n = ctx.settings.run.lookup_concurrency;
                let shard = ctx.settings.run.shard; // issue 10 (shard)
                crate::lookup::resolve(&ctx.css, list, feeds, n, ledger, shard).await
            }
            _ => None,
        }
    };
    let all = futures::stream::iter(regions.clone())
        .map(|region| {
            let ctx = ctx.clone();
            let source = match ctx.settings.run.ids {
                None => Source::Catalog,
                Some(_) => Source::Found(found.remove(&region)),
            };
            async move {
                let started = Instant::now();
                let result = sync_region(&ctx, &region, source).await;
                ctx.tally.region_done(&region, started.elapsed());
                result.map_err(|e| format!("region {region}: {e}"))
            }
        })
        .buffer_unordered(region_concurrency)
        .filter_map(|r| async move { r.err() })
        .collect::<Vec<String>>();
    let all = async {
        let (lookup_error, mut errors) = tokio::join!(lookups, all);
        errors.extend(lookup_error);
        errors
    };

    let (mut errors, interrupted) = tokio::select! {
        errors = all => (errors, false),
        _ = shutdown.cancelled() => (vec![], true),
    };
    // Objects S3 confirmed before the interrupt cut their zip off count as exported.
    for (region, rec, committed) in ctx.exporter.commits.drain() {
        ctx.exported(&region, &rec, &committed).await;
    }
    // Uploads dropped mid-way (interrupt) abort in the background: let them finish, within
    // the shutdown grace's share ([`crate::defaults::SHUTDOWN_GRACE`]).
    let grace = ctx.settings.shutdown_grace;
    let aborts_unconfirmed = s3.wait_for_aborts_within(abort_share(grace)).await;
    for e in &errors {
        error!(error = %e, "region incomplete");
    }
    // Rows only for objects committed and counted, whatever the end (an interrupt included);
    // after a signal, bounded by the rest of the grace.
    let index = match &ctx.index {
        Some(index) if interrupted => {
            match tokio::time::timeout(index_share(grace), index.finish()).await {
                Ok((summary, index_errors)) => {
                    errors.extend(index_errors);
                    Some(summary)
                }
                Err(_) => {
                    errors.push("metadata index not written: shutdown grace ran out".into());
                    None
                }
            }
        }
        Some(index) => {
            let (summary, index_errors) = index.finish().await;
            errors.extend(index_errors);
            Some(summary)
        }
        None => None,
    };
    progress.finish().await; // issue 7 (progress): bars end before the summary
    let mut report = ctx.tally.finish(regions, errors, interrupted);
    if let Some(c) = &ctx.checkpoints {
        // issue 10 (wire): the run's last checkpoint write (after a signal, within a share of
        // the grace); a failed write makes the run's exit code 1, so the code written stands.
        c.write_all(
            report.exit_code(),
            interrupted.then(|| checkpoint_share(grace)),
        )
        .await;
        let (errors, states) = c.finish();
        report.errors.extend(errors);
        report.state = states;
    }
    report.time_filter_fallback = ctx.css.time_filter_fallback_regions(); // issue 10 (css)
    report.index = index;
    report.aborts_unconfirmed = aborts_unconfirmed as u64;
    let shard = ctx.settings.run.shard; // issue 10 (shard)
    report.shard = shard.is_split().then(|| shard.scope());
    match &ctx.lake {
        Some(lake) => {
            lake.write(&mut report, interrupted.then(|| grace_share(grace)))
                .await
        }
        None => report.seal(),
    }
    Ok(report)
}

/// Of the shutdown grace: the wait for multipart aborts (half) …
fn abort_share(grace: std::time::Duration) -> std::time::Duration {
    grace / 2
}

/// … and the metadata index of an interrupted run (a quarter); the last quarter is margin
/// for the report before the process watchdog (`main`) ends the process.
fn index_share(grace: std::time::Duration) -> std::time::Duration {
    grace / 4
}

/// … and the run's last checkpoint writes after a signal (an eighth, taken from the margin).
fn checkpoint_share(grace: std::time::Duration) -> std::time::Duration {
    grace / 8 // issue 10 (wire)
}

/// One region: catalog (or id lookups) → skip present → batches → jobs (bounded) → S3.
async fn sync_region(ctx: &Arc<Ctx>, region: &str, source: Source) -> Result<(), CssError> {
    let run = &ctx.settings.run;
    let (tx, rx) = mpsc::channel::<Work>(run.jobs_per_region);
    let Some(records) = records_of(ctx, region, source).await else {
        return Ok(()); // issue 10 (wire): the checkpoint's error is the run's
    };
    let producer = async {
        let listed = catalog::find_work(ctx.clone(), region.to_string(), records, tx).await;
        ctx.tally.listing_done(region); // issue 7 (progress)
        listed
    };
    let downloads = Arc::new(Semaphore::new(run.downloads_per_region));
    // issue 8 (polling): one all-jobs status round per interval serves every job in flight.
    let gap = crate::poller::rules::FIRST_CHECK_MIN.min(run.poll_interval);
    let (poller, polling) = Poller::new(
        ctx.css.clone(),
        region.to_string(),
        gap,
        run.jobs_per_region,
    );
    let jobs = tokio_stream_from(rx)
        .map(move |work| {
            let (ctx, downloads, region) = (ctx.clone(), downloads.clone(), region.to_string());
            let poller = poller.clone();
            async move {
                match work {
                    Work::Bulk(records) => {
                        deliver::bulk(&ctx, &region, records, &downloads, &poller).await
                    }
                    Work::Single(rec) => deliver::single(&ctx, &region, *rec, &downloads).await,
                }
            }
        })
        .buffer_unordered(run.jobs_per_region);
    // The stream (and every poller handle in it) is dropped when it ends, which ends `polling`.
    let consumer = async move { jobs.collect::<()>().await };
    let region_run = async { tokio::join!(producer, consumer, polling) };
    let (found, (), ()) = match &ctx.checkpoints {
        // issue 10 (wire): the checkpoint every interval while the region runs, then once.
        Some(c) => {
            let every = c.every(region, ctx.settings.incremental.checkpoint_interval);
            let ended = tokio::select! { r = region_run => r, never = every => match never {} };
            c.write(region, None).await;
            ended
        }
        None => region_run.await,
    };
    found
}

//! One batch's way through bulk jobs (or one large object's through single download) into
//! S3: run the job the [`crate::decide`] plan hands out, stream its zip through the verifying
//! exporter, settle each object as exported, or charge it and let the plan decide what is
//! next. It never chooses what to export (the catalog side of [`super`] does) and holds no
//! rule of its own about splitting or retrying.

use super::Ctx;
use crate::css::model::ObjectRecord;
use crate::decide::{self, BatchPlan, Failure, Pending, Settled};
use crate::failure::{error_chain, Cause, Rejection, Stage};
use crate::job::{self, JobEnd, PollPolicy};
use tokio::sync::Semaphore;
use tracing::warn;

/// One batch through bulk jobs until every object is exported or out of attempts; what to do
/// after each job is [`decide`]'s business.
pub(super) async fn bulk(
    ctx: &Ctx,
    region: &str,
    records: Vec<ObjectRecord>,
    downloads: &Semaphore,
) {
    let run = &ctx.settings.run;
    let poll = PollPolicy {
        interval: run.poll_interval,
        deadline: run.job_deadline,
    };
    let mut plan = BatchPlan::new(records, run.object_attempts);
    while let Some(piece) = plan.next_piece() {
        let ids: Vec<String> = piece.iter().map(|p| p.rec.id.clone()).collect();
        let (failure, why) = match job::run(&ctx.css, region, &ids, poll).await {
            Ok(JobEnd::Ready { zip_name, .. }) => {
                let rest = stream_zip(ctx, region, &zip_name, piece, downloads).await;
                let settled = plan.undelivered(rest);
                settle(ctx, region, settled).await;
                continue;
            }
            Ok(JobEnd::Failed { zip_name, state }) => {
                warn!(region, zip = %zip_name, ?state, objects = piece.len(), "bulk job failed");
                let why = Cause::JobEnded { zip_name, state };
                (Failure::JobFailed, why)
            }
            Ok(JobEnd::TimedOut { zip_name }) => {
                let deadline = poll.deadline;
                (Failure::TimedOut, Cause::JobTimedOut { zip_name, deadline })
            }
            Err(e) => {
                let failure = decide::classify(&e);
                warn!(region, objects = piece.len(), ?failure, error = %error_chain(&e), "bulk job could not run");
                (failure, Cause::Css(e))
            }
        };
        let settled = plan.failed(piece, failure, Rejection::new(Stage::Job, why));
        settle(ctx, region, settled).await;
    }
}

/// Downloads a finished job's zip and exports its entries; returns the objects that did not
/// make it, each with its reason (bad bytes, missing from the zip, the zip broke).
async fn stream_zip(
    ctx: &Ctx,
    region: &str,
    zip_name: &str,
    piece: Vec<Pending>,
    downloads: &Semaphore,
) -> Vec<(Pending, Rejection)> {
    let _permit = downloads.acquire().await;
    let body = match ctx.css.download_bulk(region, zip_name).await {
        Ok(body) => body,
        Err(e) => return with_reason(piece, Rejection::new(Stage::Download, e)),
    };
    let records: Vec<ObjectRecord> = piece.iter().map(|p| p.rec.clone()).collect();
    let out = ctx
        .exporter
        .export_zip(region, &records, body, unzip_limits(ctx))
        .await;
    let zip_name = zip_name.to_string();
    let missing = match out.broken {
        Some(why) => {
            warn!(region, zip = %zip_name, why = %error_chain(&*why), "zip stream ended early");
            Rejection::new(Stage::Missing, Cause::ZipBroke { zip_name, why })
        }
        None => Rejection::new(Stage::Missing, Cause::NotInZip { zip_name }),
    };
    let mut rest = Vec::new();
    for p in piece {
        if let Some(committed) = out.exported.get(&p.rec.id) {
            ctx.exported(region, &p.rec, committed).await;
            continue;
        }
        let why = out.rejected.get(&p.rec.id).unwrap_or(&missing).clone();
        rest.push((p, why));
    }
    rest
}

/// One object too large for a zip, through single-object download, with the same attempts.
pub(super) async fn single(ctx: &Ctx, region: &str, rec: ObjectRecord, downloads: &Semaphore) {
    let mut plan = BatchPlan::new(vec![rec], ctx.settings.run.object_attempts);
    while let Some(piece) = plan.next_piece() {
        for p in piece {
            let result = {
                let _permit = downloads.acquire().await;
                match ctx.css.download_object(region, &p.rec.id).await {
                    Ok(body) => ctx.exporter.export_single(region, &p.rec, body).await,
                    Err(e) => Err(Rejection::new(Stage::Download, e)),
                }
            };
            match result {
                Ok(committed) => ctx.exported(region, &p.rec, &committed).await,
                Err(why) => {
                    let settled = plan.undelivered(vec![(p, why)]);
                    settle(ctx, region, settled).await;
                }
            }
        }
    }
}

/// Reports the objects out of attempts, then waits before a retry if one is due.
async fn settle(ctx: &Ctx, region: &str, settled: Settled) {
    for g in settled.gave_up {
        warn!(region, id = %g.rec.id, stage = %g.last.stage, attempts = g.attempts, reason = %g.last.reason(), "object failed");
        ctx.tally.failed(region, &g.rec, &g.last, g.attempts);
    }
    if settled.back_off {
        tokio::time::sleep(job::jittered(ctx.settings.run.poll_interval)).await;
    }
}

/// Records the same failed-attempt reason on every object of a piece.
fn with_reason(piece: Vec<Pending>, why: Rejection) -> Vec<(Pending, Rejection)> {
    piece.into_iter().map(|p| (p, why.clone())).collect()
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

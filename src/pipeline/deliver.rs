//! One batch's way through bulk jobs (or one large object's through single download) into
//! S3: run the job the [`crate::decide`] plan hands out, stream its zip (or each of its zips,
//! when the start answered several) through the verifying exporter, count each object exported
//! the moment its upload is proven (mid-zip), or charge it and let the plan decide what is
//! next. It never chooses what to export (the catalog side of [`super`] does) and holds no
//! rule of its own about splitting or retrying.

use super::Ctx;
use crate::batch;
use crate::css::model::ObjectRecord;
use crate::decide::{self, BatchPlan, Failure, Pending, Settled};
use crate::failure::{error_chain, Cause, Rejection, Stage};
use crate::job::{self, JobEnd, PollPolicy};
use crate::poller::Poller; // issue 8 (polling)
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use tokio::sync::Semaphore;
use tracing::warn;

/// One batch through bulk jobs until every object is exported or out of attempts; what to do
/// after each job is [`decide`]'s business.
pub(super) async fn bulk(
    ctx: &Ctx,
    region: &str,
    records: Vec<ObjectRecord>,
    downloads: &Semaphore,
    poller: &Poller, // issue 8 (polling)
) {
    let run = &ctx.settings.run;
    let poll = PollPolicy {
        interval: run.poll_interval,
        deadline: run.job_deadline,
    };
    let mut plan = BatchPlan::new(records, run.object_attempts);
    while let Some(piece) = plan.next_piece() {
        let ids: Vec<String> = piece.iter().map(|p| p.rec.id.clone()).collect();
        let bytes = piece.iter().map(|p| p.rec.stored_bytes).sum(); // issue 8 (polling)
        let (failure, why) = match job::run(&ctx.css, region, &ids, bytes, poll, poller).await {
            Ok(ends) => {
                let (ready, not_ready) = split_ends(ends, poll.deadline);
                match (ready.is_empty(), not_ready) {
                    // Every zip ended badly: the job failed as a whole.
                    (true, Some((failure, why))) => (failure, why),
                    (_, not_ready) => {
                        let lost = not_ready.map(|(_, why)| Rejection::new(Stage::Job, why));
                        let rest = stream_zips(ctx, region, &ready, piece, lost, downloads).await;
                        // Retried in jobs where no two names share a last segment, so entries
                        // named by that segment alone are never ambiguous again.
                        let mut settled = Settled::default();
                        for group in batch::unique_suffix_groups(rest, |(p, _)| &p.rec.object_name)
                        {
                            let s = plan.undelivered(group);
                            settled.gave_up.extend(s.gave_up);
                            settled.back_off |= s.back_off;
                        }
                        settle(ctx, region, settled).await;
                        continue;
                    }
                }
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

/// The zips ready to download, and how the first of the others ended (if any did not end
/// DONE / PARTIAL_DONE).
fn split_ends(ends: Vec<JobEnd>, deadline: Duration) -> (Vec<String>, Option<(Failure, Cause)>) {
    let mut ready = Vec::new();
    let mut not_ready = None;
    for end in ends {
        let bad = match end {
            JobEnd::Ready { zip_name, .. } => {
                ready.push(zip_name);
                continue;
            }
            JobEnd::Failed { zip_name, state } => {
                warn!(zip = %zip_name, ?state, "bulk job failed");
                (Failure::JobFailed, Cause::JobEnded { zip_name, state })
            }
            JobEnd::TimedOut { zip_name } => {
                (Failure::TimedOut, Cause::JobTimedOut { zip_name, deadline })
            }
        };
        not_ready.get_or_insert(bad);
    }
    (ready, not_ready)
}

/// Downloads each finished zip of a job in turn (one download permit at a time) and exports
/// its entries, matching them across all the zips: an object already exported from one zip is
/// a duplicate in the others. Returns the objects that did not make it, each with its reason:
/// bad bytes, a zip that broke or could not be downloaded, a zip of the job that never became
/// ready (`lost`), or in none of the zips.
async fn stream_zips(
    ctx: &Ctx,
    region: &str,
    zips: &[String],
    piece: Vec<Pending>,
    lost: Option<Rejection>,
    downloads: &Semaphore,
) -> Vec<(Pending, Rejection)> {
    let records: Vec<ObjectRecord> = piece.iter().map(|p| p.rec.clone()).collect();
    let mut done: HashSet<String> = HashSet::new();
    let mut rejected: HashMap<String, Rejection> = HashMap::new();
    let mut broke: Option<Rejection> = None;
    for zip_name in zips {
        let out = {
            let _permit = downloads.acquire().await;
            let _downloading = downloading(region);
            match ctx.css.download_bulk(region, zip_name).await {
                Ok(body) => {
                    // Each object counts (tally, metrics, index row) the moment it is proven.
                    let counted = |rec: ObjectRecord, committed| async move {
                        ctx.exported(region, &rec, &committed).await;
                    };
                    let limits = unzip_limits(ctx);
                    ctx.exporter
                        .export_zip(region, &records, &done, body, limits, counted)
                        .await
                }
                Err(e) => {
                    warn!(region, zip = %zip_name, error = %error_chain(&e), "zip download failed");
                    broke.get_or_insert(Rejection::new(Stage::Download, e));
                    continue;
                }
            }
        };
        if let Some(why) = out.broken {
            warn!(region, zip = %zip_name, why = %error_chain(&*why), "zip stream ended early");
            let zip_name = zip_name.clone();
            broke.get_or_insert(Rejection::new(
                Stage::Missing,
                Cause::ZipBroke { zip_name, why },
            ));
        }
        // Already counted by `export_zip`'s callback as each was proven.
        for id in out.exported.keys() {
            rejected.remove(id);
            done.insert(id.clone());
        }
        for (id, why) in out.rejected {
            if !done.contains(&id) {
                rejected.insert(id, why);
            }
        }
    }
    let missing = broke.or(lost).unwrap_or_else(|| {
        let zip_name = zips.join(", ");
        Rejection::new(Stage::Missing, Cause::NotInZip { zip_name })
    });
    piece
        .into_iter()
        .filter(|p| !done.contains(&p.rec.id))
        .map(|p| {
            let why = rejected
                .remove(&p.rec.id)
                .unwrap_or_else(|| missing.clone());
            (p, why)
        })
        .collect()
}

/// One object too large for a zip, through single-object download, with the same attempts.
pub(super) async fn single(ctx: &Ctx, region: &str, rec: ObjectRecord, downloads: &Semaphore) {
    let mut plan = BatchPlan::new(vec![rec], ctx.settings.run.object_attempts);
    while let Some(piece) = plan.next_piece() {
        for p in piece {
            let result = {
                let _permit = downloads.acquire().await;
                let _downloading = downloading(region);
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

/// `css_sync_downloads_in_flight` while the guard lives (a download opened and streamed).
fn downloading(region: &str) -> crate::metrics::InFlight {
    let gauge =
        metrics::gauge!(crate::metrics::DOWNLOADS_IN_FLIGHT, "region" => region.to_string());
    crate::metrics::InFlight::new(gauge, 1)
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

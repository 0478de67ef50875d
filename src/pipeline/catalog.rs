//! The catalog side of one region's sync: pages the catalog (or takes the records the id
//! lookups found), counts every record in the tally, settles what needs nothing (not
//! AVAILABLE — an ARCHIVED one restored first with `CSS_RESTORE_ARCHIVED` —, no key, already in S3 as css-sync committed it — [`crate::s3::presence`]) and
//! hands the rest to the batcher, whose batches go on to [`super::deliver`]. A catalog that
//! fails part-way ends the listing, never the objects already listed. It never downloads or
//! uploads an object.

use super::Ctx;
use crate::batch::{self, Batcher, Work};
use crate::css::model::ObjectRecord;
use crate::css::CssError;
use crate::failure::{error_chain, Cause, Rejection, Stage};
use crate::s3::Presence;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use std::sync::Arc;
use tokio::sync::mpsc;
use tracing::{info, warn};

/// A region's records: the catalog's pages, the checkpoint's retries and slices, or the
/// looked-up records (issue 10, wire: one path for all three).
pub(super) type Records = BoxStream<'static, Result<ObjectRecord, CssError>>;

/// Takes the region's records, settles objects already in S3, and sends the rest on as
/// batches.
pub(super) async fn find_work(
    ctx: Arc<Ctx>,
    region: String,
    records: Records,
    tx: mpsc::Sender<Work>,
) -> Result<(), CssError> {
    let run = &ctx.settings.run;
    let mut batcher = Batcher::new(batch::Limits {
        max_objects: run.batch_max_objects,
        max_bytes: run.batch_max_bytes,
    });
    let mut needed = std::pin::pin!(records
        .map_ok(|rec| {
            let ctx = ctx.clone();
            let region = region.clone();
            async move { needs_export(&ctx, &region, rec).await }
        })
        .try_buffered(run.check_concurrency));
    let mut found = 0u64;
    // A catalog error ends the listing, never the objects already listed: the checks in
    // flight still settle and every batch (the partial one too) is still sent on.
    let mut failure = None;
    while let Some(next) = needed.next().await {
        let rec = match next {
            Ok(rec) => rec,
            Err(e) => {
                warn!(region, found, error = %error_chain(&e), "catalog failed part-way; exporting what was listed");
                failure.get_or_insert(e);
                continue;
            }
        };
        found += 1;
        if let Some(rec) = rec {
            for work in batcher.push(rec) {
                if tx.send(work).await.is_err() {
                    return failure.map_or(Ok(()), Err);
                }
            }
        }
    }
    for work in batcher.finish() {
        if tx.send(work).await.is_err() {
            break;
        }
    }
    match failure {
        None => {
            info!(region, objects = found, "catalog read");
            Ok(())
        }
        Some(e) => Err(e),
    }
}

/// Counts the record and settles it if nothing needs doing; `Some` if it must be exported.
async fn needs_export(
    ctx: &Ctx,
    region: &str,
    rec: ObjectRecord,
) -> Result<Option<ObjectRecord>, CssError> {
    // issue 10 (shard): another shard's object is not this worker's to find.
    if !ctx.settings.run.shard.owns(&rec.id) {
        ctx.tally.other_shard(region, &rec);
        return Ok(None);
    }
    if let Some(lake) = &ctx.lake {
        lake.ready().await; // lines in memory stay bounded while S3 is slow
    }
    ctx.tally.found(region, &rec);
    // issue 10 (css): not AVAILABLE is an outcome of its own, not a failure.
    if let Some(state) = rec.object_state.as_deref().filter(|s| *s != "AVAILABLE") {
        let restore = ctx.settings.run.restore_archived && state == "ARCHIVED";
        let requested = match restore {
            false => false,
            true => match ctx.css.restore(region, &rec.id).await {
                Ok(_) => true,
                Err(e) => {
                    warn!(region, id = %rec.id, error = %error_chain(&e), "restore request failed");
                    let why = Rejection::new(Stage::Catalog, Cause::Css(e));
                    ctx.tally.failed(region, &rec, &why, 1);
                    return Ok(None);
                }
            },
        };
        ctx.tally.not_available(region, &rec, state, requested);
        return Ok(None);
    }
    let key = match ctx.exporter.key(region, &rec) {
        Ok(k) => k,
        Err(rej) => {
            ctx.tally.failed(region, &rec, &rej, 0);
            return Ok(None);
        }
    };
    // Present only when S3 proves it holds what css-sync committed (crate::s3::presence).
    match ctx.presence.check(&key, &rec).await {
        Ok((Presence::Present, _)) => {
            ctx.tally.present(region, &rec);
            Ok(None)
        }
        Ok((Presence::RepairSidecar, Some(object))) => {
            ctx.exporter.repair_sidecar(region, &rec, &object).await;
            ctx.tally.present(region, &rec);
            Ok(None)
        }
        Ok((Presence::NotOurs(why), _)) => {
            metrics::counter!(crate::metrics::PRESENCE_REFUSED, "reason" => why).increment(1);
            warn!(region, id = %rec.id, key, reason = why,
                "object in S3 is not the one css-sync committed; exporting it again");
            // With If-None-Match on, our write would be refused by the object it replaces.
            ctx.exporter.s3.clear_for_rewrite(&key).await;
            Ok(Some(rec))
        }
        Ok(_) => Ok(Some(rec)),
        Err(e) => {
            // Unknown state: export again rather than skip (an overwrite is harmless).
            warn!(region, id = %rec.id, error = %error_chain(&e), "S3 check failed; exporting");
            Ok(Some(rec))
        }
    }
}

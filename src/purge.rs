//! `css-sync purge`, top to bottom: connect to CSS and S3, then per region page the catalog
//! with the sync's own search (same regions, types, window, filter), and for each record:
//! catalog rules (state, `--min-age`, checksum form) → `--max` → a fresh `HeadObject` at the
//! sync's key → a streamed read-back when the ETag cannot prove the bytes → the gate
//! ([`crate::purge_rules::decide`]). Verified objects collect in batches of at most
//! [`DELETE_BATCH_MAX`]; in a dry run a batch is only reported, with `--confirm` it is sent as
//! one `DELETE …/bulk` and every id's state is then read again, so the report says exactly
//! which ids are gone. A DELETE with an unknown outcome is never re-sent (see
//! `css::delete`). Nothing is deleted that the gate did not prove in this run.

use crate::config::purge::PurgeSettings;
use crate::css::model::ObjectRecord;
use crate::css::{CssClient, CssError, DELETE_BATCH_MAX};
use crate::failure::error_chain;
use crate::pipeline::PipelineError;
use crate::purge_report::{DeleteProblem, Outcome, PurgeItem, PurgeReport};
use crate::purge_rules::{self, Decision, LakeEvidence, LakeProof, Refusal};
use crate::s3::S3Target;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// One verified object waiting for its batch's DELETE.
struct Candidate {
    rec: ObjectRecord,
    key: String,
    proof: LakeProof,
}

struct Ctx {
    css: CssClient,
    s3: S3Target,
    settings: PurgeSettings,
    now: DateTime<Utc>,
    shutdown: CancellationToken,
}

/// Runs a purge to the end (or until `shutdown`), returning the report.
pub async fn run(
    settings: PurgeSettings,
    shutdown: CancellationToken,
) -> Result<PurgeReport, PipelineError> {
    let s3 = tokio::select! {
        s3 = S3Target::connect(settings.sync.s3.clone()) => s3?,
        _ = shutdown.cancelled() => return Ok(interrupted_at_start(&settings)),
    };
    run_with(settings, s3, shutdown).await
}

/// The report of a purge stopped by a signal during start-up: nothing was deleted.
fn interrupted_at_start(settings: &PurgeSettings) -> PurgeReport {
    warn!("interrupted during start-up: nothing was deleted");
    let mut report = PurgeReport::new(
        settings.confirm,
        Utc::now(),
        settings.min_age,
        settings.max,
        vec![],
    );
    report.interrupted = true;
    report.finish();
    report
}

/// [`run`] with an S3 target built by the caller.
pub async fn run_with(
    settings: PurgeSettings,
    s3: S3Target,
    shutdown: CancellationToken,
) -> Result<PurgeReport, PipelineError> {
    let css = CssClient::new(settings.sync.css.clone())?;
    let run = &settings.sync.run;
    let regions = if run.regions.is_empty() {
        tokio::select! {
            r = css.regions_via(&run.discovery_region) => r?,
            _ = shutdown.cancelled() => return Ok(interrupted_at_start(&settings)),
        }
    } else {
        run.regions.clone()
    };
    let now = Utc::now();
    info!(regions = ?regions, confirm = settings.confirm, min_age = ?settings.min_age, max = settings.max, "purge");
    let mut report = PurgeReport::new(
        settings.confirm,
        now,
        settings.min_age,
        settings.max,
        regions.clone(),
    );
    let ctx = Ctx {
        css,
        s3,
        settings,
        now,
        shutdown,
    };
    let mut budget = ctx.settings.max;
    for region in &regions {
        if ctx.shutdown.is_cancelled() {
            break;
        }
        if let Err(e) = purge_region(&ctx, region, &mut budget, &mut report).await {
            let msg = format!("region {region}: {}", error_chain(&e));
            warn!(error = %msg, "region incomplete");
            report.errors.push(msg);
        }
    }
    report.interrupted = ctx.shutdown.is_cancelled();
    report.finish();
    Ok(report)
}

/// One region: search → gate each record → batches → DELETE (or report).
async fn purge_region(
    ctx: &Ctx,
    region: &str,
    budget: &mut usize,
    report: &mut PurgeReport,
) -> Result<(), CssError> {
    let filter = &ctx.settings.sync.run.filter;
    let mut search = std::pin::pin!(ctx.css.search_window(region, filter));
    let mut batch: Vec<Candidate> = Vec::new();
    let mut failure = None;
    loop {
        let next = tokio::select! {
            next = search.try_next() => next,
            _ = ctx.shutdown.cancelled() => break,
        };
        let rec = match next {
            Ok(Some(rec)) => rec,
            Ok(None) => break,
            Err(e) => {
                // Objects verified so far are still verified: their batch goes out below.
                failure = Some(e);
                break;
            }
        };
        report.selected();
        if let Some(c) = gate(ctx, region, rec, budget, report).await {
            *budget -= 1;
            batch.push(c);
            if batch.len() >= DELETE_BATCH_MAX {
                flush(ctx, region, std::mem::take(&mut batch), report).await;
            }
        }
    }
    flush(ctx, region, batch, report).await;
    match failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The gate for one record: `Some` when its lake copy is verified in this run (and `--max`
/// leaves room); otherwise the refusal is reported and `None` returned.
async fn gate(
    ctx: &Ctx,
    region: &str,
    rec: ObjectRecord,
    budget: &usize,
    report: &mut PurgeReport,
) -> Option<Candidate> {
    let min_age = ctx.settings.min_age;
    let key = match ctx.s3.key_for(&rec, region) {
        Ok(k) => k,
        Err(e) => {
            report.refuse(region, &rec, None, Refusal::Key(error_chain(&e)));
            return None;
        }
    };
    if let Err(why) = purge_rules::catalog_gate(&rec, ctx.now, min_age) {
        report.refuse(region, &rec, Some(&key), why);
        return None;
    }
    if *budget == 0 {
        report.refuse(region, &rec, Some(&key), Refusal::OverMax(ctx.settings.max));
        return None;
    }
    let mut evidence = ctx.s3.lake_evidence(&key).await;
    if let Ok(true) = purge_rules::needs_read_back(&rec, &key, &evidence) {
        if let LakeEvidence::Found(lake) = &mut evidence {
            lake.read_back = Some(ctx.s3.read_back(&key, rec.stored_bytes).await);
        }
    }
    match purge_rules::decide(&rec, &key, &evidence, ctx.now, min_age) {
        Decision::Delete(proof) => Some(Candidate { rec, key, proof }),
        Decision::Refuse(why) => {
            report.refuse(region, &rec, Some(&key), why);
            None
        }
    }
}

fn item(region: &str, c: &Candidate) -> PurgeItem {
    PurgeItem {
        region: region.to_string(),
        id: c.proof.id().to_string(),
        key: c.key.clone(),
        object_type: c.rec.object_type.clone(),
        object_name: c.rec.object_name.clone(),
        stored_bytes: c.rec.stored_bytes,
        created_time: c.rec.created_time.clone(),
        proof: c.proof.kind(),
        state_after: None,
        note: None,
    }
}

/// Reports a batch (dry run) or deletes it and re-reads every id's state (`--confirm`).
async fn flush(ctx: &Ctx, region: &str, batch: Vec<Candidate>, report: &mut PurgeReport) {
    if batch.is_empty() {
        return;
    }
    if !ctx.settings.confirm {
        for c in &batch {
            report.would_delete(item(region, c));
        }
        return;
    }
    if ctx.shutdown.is_cancelled() {
        for c in &batch {
            report.problem(DeleteProblem {
                region: region.to_string(),
                id: c.proof.id().to_string(),
                key: c.key.clone(),
                outcome: Outcome::NotSent,
                detail: "interrupted before the DELETE was sent".into(),
            });
        }
        return;
    }
    // Only ids carried by a proof from the gate are ever sent.
    let ids: Vec<String> = batch.iter().map(|c| c.proof.id().to_string()).collect();
    report.totals.delete_requests += 1;
    let call = ctx.css.delete_bulk(region, &ids).await;
    let call_note = match &call {
        Ok(()) => None,
        Err(e) => {
            let msg = error_chain(e);
            warn!(region, objects = ids.len(), error = %msg, "DELETE bulk failed or has an unknown outcome; re-reading each id, not re-sending");
            Some(msg)
        }
    };
    for c in &batch {
        let state = ctx.css.object_state(region, c.proof.id()).await;
        let problem = |outcome, detail: String| DeleteProblem {
            region: region.to_string(),
            id: c.proof.id().to_string(),
            key: c.key.clone(),
            outcome,
            detail,
        };
        let after = |what: String| match &call_note {
            None => what,
            Some(e) => format!("{what}; the DELETE answered: {e}"),
        };
        match state {
            Ok(s) if s.is_deleted() => {
                let mut it = item(region, c);
                it.state_after = Some(s.label().to_string());
                it.note = call_note
                    .as_ref()
                    .map(|e| format!("deleted although the DELETE answered: {e}"));
                report.deleted(it);
            }
            Ok(s) => report.problem(problem(
                Outcome::NotDeleted,
                after(format!("still {} after the DELETE", s.label())),
            )),
            Err(e) => report.problem(problem(
                Outcome::Unknown,
                after(format!(
                    "state after the DELETE could not be read: {}",
                    error_chain(&e)
                )),
            )),
        }
    }
}

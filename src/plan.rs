//! `css-sync plan`, top to bottom: a dry run of the sync with the same settings. It connects
//! read-only ([`S3Target::connect_read_only`]: no probe write, no abort of stale uploads),
//! finds the regions, then per region (bounded by CSS_REGION_CONCURRENCY) pages the catalog
//! with the sync's search and judges every record with the sync's own presence rules
//! ([`S3Target::presence`], at most S3_CHECK_CONCURRENCY at once; a read-back where the
//! rules ask for one), and feeds the records to export to the real [`Batcher`] to count
//! the bulk jobs and single downloads a sync would start. It starts no bulk job, never
//! writes, repairs or deletes anything in S3; the rules and the report are
//! [`crate::plan_rules`].

use crate::batch::{self, Batcher};
use crate::config::Settings;
use crate::css::model::ObjectRecord;
use crate::css::{CssClient, CssError};
use crate::failure::error_chain;
use crate::pipeline::PipelineError;
use crate::plan_rules::{self, Plan, RegionPlan, Verdict};
use crate::s3::S3Target;
use futures::{StreamExt, TryStreamExt};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// Plans a sync (or stops at `shutdown`, the plan then marked interrupted).
pub async fn run(settings: Settings, shutdown: CancellationToken) -> Result<Plan, PipelineError> {
    let s3 = tokio::select! {
        s3 = S3Target::connect_read_only(settings.s3.clone()) => s3?,
        _ = shutdown.cancelled() => return Ok(Plan::new(vec![], vec![], true)),
    };
    run_with(settings, s3, shutdown).await
}

/// [`run`] with an S3 target built by the caller.
pub async fn run_with(
    settings: Settings,
    s3: S3Target,
    shutdown: CancellationToken,
) -> Result<Plan, PipelineError> {
    let css = CssClient::new(settings.css.clone())?;
    let run = &settings.run;
    let regions = if run.regions.is_empty() {
        tokio::select! {
            r = css.regions_via(&run.discovery_region) => r?,
            _ = shutdown.cancelled() => return Ok(Plan::new(vec![], vec![], true)),
        }
    } else {
        run.regions.clone()
    };
    info!(regions = ?regions, "planning (dry run: nothing is started or written)");
    let plans = futures::stream::iter(regions.clone())
        .map(|region| {
            let (css, s3, settings) = (&css, &s3, &settings);
            async move {
                let plan = plan_region(css, s3, settings, &region).await;
                (region, plan)
            }
        })
        .buffered(run.region_concurrency)
        .collect::<Vec<_>>();
    let (plans, interrupted) = tokio::select! {
        plans = plans => (plans, false),
        _ = shutdown.cancelled() => (vec![], true),
    };
    let mut plan = Plan::new(regions, plans, interrupted);
    plan.shard = run.shard.is_split().then(|| run.shard.scope()); // issue 10 (shard)
    Ok(plan)
}

/// One region: catalog → presence (read-only, bounded) → batcher; a catalog error ends the
/// listing and is the region's error (the plan is then incomplete: exit 3).
async fn plan_region(
    css: &CssClient,
    s3: &S3Target,
    settings: &Settings,
    region: &str,
) -> RegionPlan {
    let run = &settings.run;
    let mut plan = RegionPlan::default();
    let mut batcher = Batcher::new(batch::Limits {
        max_objects: run.batch_max_objects,
        max_bytes: run.batch_max_bytes,
    });
    let mut judged = std::pin::pin!(css
        .search_window(region, &run.filter)
        .map_ok(|rec| async move {
            // issue 10 (shard): another shard's object costs no S3 check.
            let v = match run.shard.owns(&rec.id) {
                true => judge(s3, region, &rec).await,
                false => Verdict::OtherShard,
            };
            Ok::<_, CssError>((rec, v))
        })
        .try_buffered(run.check_concurrency));
    while let Some(next) = judged.next().await {
        let (rec, verdict) = match next {
            Ok(judged) => judged,
            Err(e) => {
                warn!(region, error = %error_chain(&e), "catalog failed part-way; the plan is incomplete");
                plan.error = Some(error_chain(&e));
                break;
            }
        };
        plan.by_type
            .entry(rec.object_type.clone())
            .or_default()
            .add(verdict, rec.stored_bytes);
        if matches!(verdict, Verdict::Export | Verdict::ExportCheckFailed) {
            for work in batcher.push(rec) {
                plan.jobs.add(&work);
            }
        }
    }
    for work in batcher.finish() {
        plan.jobs.add(&work);
    }
    plan
}

/// What a sync would do with `rec`, judged without writing.
async fn judge(s3: &S3Target, region: &str, rec: &ObjectRecord) -> Verdict {
    if let Some(v) = plan_rules::catalog_verdict(rec.object_state.as_deref()) {
        return v;
    }
    let Ok(key) = s3.key_for(rec, region) else {
        return Verdict::KeyFailed;
    };
    let presence = s3.presence(&key, rec).await.map(|(p, _)| p);
    if let Err(e) = &presence {
        warn!(region, id = %rec.id, error = %error_chain(e), "S3 check failed; a sync would export it");
    }
    plan_rules::lake_verdict(&presence)
}

//! Issue 10 (wire): the incremental sync's runner, beside the pipeline. Per region at the
//! start it loads and checks the region's checkpoint (a newer version or a foreign document
//! fails that region loudly and is never overwritten), computes the window, finds the oldest
//! object and plans the slices ([`crate::incremental`]), and registers the region's
//! [`RegionRun`] with the tally's [`Settlements`] sink. It builds the region's record stream —
//! the open entries looked up by id first, then the slices oldest first — for the ordinary
//! `find_work` path, and writes the checkpoint (a merge into whatever is current) every
//! `CSS_CHECKPOINT_INTERVAL`, at the region's end and once more at the run's end. It never
//! decides what to export, and a failed write is an error of the run, never silent.

use crate::config::Settings;
use crate::css::model::ObjectRecord;
use crate::css::{CssClient, CssError};
use crate::failure::error_chain;
use crate::incremental::feed::{self, lock, Settlements, Shared};
use crate::incremental::format::{Checkpoint, LastRun, RunWindow};
use crate::incremental::region::RegionRun;
use crate::incremental::window::{self, Inputs, Kind, Window};
use crate::incremental::{merge, slices};
use crate::report::state::RegionState;
use crate::state::{checkpoint_key, DocStore};
use chrono::{DateTime, Utc};
use futures::stream::{BoxStream, StreamExt};
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use tracing::{info, warn};

type Records = BoxStream<'static, Result<ObjectRecord, CssError>>;

/// The run's checkpoints: the bucket's document store, the sink and each region's state.
#[derive(Debug)]
pub(super) struct Checkpoints {
    store: DocStore,
    pub sink: Arc<Settlements>,
    run_id: String,
    started_at: DateTime<Utc>,
    regions: Mutex<BTreeMap<String, Region>>,
    /// Errors of regions whose checkpoint could not be read, checked or written.
    errors: Mutex<BTreeMap<String, String>>,
}

#[derive(Debug, Clone)]
struct Region {
    key: String,
    scope: String,
    run: Shared,
    report: Arc<Mutex<RegionState>>,
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Backfill => "backfill",
        Kind::Incremental => "incremental",
        Kind::OneOff => "one_off",
        Kind::Stateless => "stateless",
    }
}

impl Checkpoints {
    /// `None` when the run uses no checkpoint (`CSS_INCREMENTAL=false`, `--ids`).
    pub fn new(settings: &Settings, store: DocStore, run_id: String) -> Option<Checkpoints> {
        let on = settings.incremental.enabled && settings.run.ids.is_none();
        on.then(|| Checkpoints {
            store,
            sink: Arc::default(),
            run_id,
            started_at: Utc::now(),
            regions: Mutex::default(),
            errors: Mutex::default(),
        })
    }

    /// Reads `region`'s checkpoint, plans its window and returns its record stream. An error
    /// (unreadable, newer version, wrong place) names the region; nothing of the region is
    /// listed then.
    pub async fn start(
        &self,
        css: &CssClient,
        settings: &Settings,
        region: &str,
    ) -> Result<Records, String> {
        let scope = settings.run.shard.scope();
        let key =
            checkpoint_key(&settings.state_prefix, region, &scope).map_err(|e| error_chain(&e))?;
        let loaded = self
            .store
            .load::<Checkpoint>(&key)
            .await
            .map_err(|e| format!("checkpoint {key}: {}", error_chain(&e)))?
            .map(|v| v.doc);
        if let Some(cp) = &loaded {
            cp.check(region, &scope)
                .map_err(|e| format!("checkpoint {key} ({}): {e}", e.kind()))?;
        }
        let (filter, inc) = (&settings.run.filter, &settings.incremental);
        let now = Utc::now();
        let w = window::window(Inputs {
            incremental: true,
            ids: false,
            since: filter.since,
            until: filter.until,
            watermark: loaded.as_ref().and_then(|c| c.watermark),
            now,
            lookback: inc.lookback,
            settle: inc.settle,
        });
        let plan = match w.kind {
            // A one-off window is listed as before (one search); it never moves the watermark.
            Kind::OneOff | Kind::Stateless => Vec::new(),
            Kind::Backfill | Kind::Incremental => {
                let until = w.until.unwrap_or(now);
                // Without the oldest object (e.g. a region refusing time filters) the window
                // is one slice: listed newest first, settled as a whole.
                let oldest = match oldest(css, region, filter, &w, until).await {
                    Ok(t) => Some(t),
                    Err(why) => {
                        warn!(region, error = why, "oldest object unknown: one slice");
                        None
                    }
                };
                let time_filters = oldest.is_some() && !css.time_filters_refused(region);
                slices::plan(w.since, until, oldest.flatten(), inc.slice, time_filters)
            }
        };
        let run = RegionRun::new(w, plan.clone(), loaded.as_ref(), settings.risk.retention);
        let open: Vec<String> = run.before.keys().cloned().collect();
        let report = RegionState {
            region: region.to_string(),
            key: key.clone(),
            kind: kind_name(w.kind).to_string(),
            watermark_before: loaded.as_ref().and_then(|c| c.watermark),
            since: w.since,
            until: w.until,
            slices: plan.len(),
            open_before: open.len(),
            open_earliest_deadline: earliest(loaded.as_ref()),
            ..RegionState::default()
        };
        info!(region, key, kind = kind_name(w.kind), since = ?w.since, until = ?w.until,
            slices = plan.len(), open = open.len(), "checkpoint read");
        let run: Shared = Arc::new(Mutex::new(run));
        self.sink.register(region, run.clone());
        let report = Arc::new(Mutex::new(report));
        let entry = Region {
            key,
            scope,
            run: run.clone(),
            report: report.clone(),
        };
        lock_map(&self.regions).insert(region.to_string(), entry);
        let retried = retry_open(css, region, open.clone(), run.clone(), report, settings);
        let skip = Arc::new(open.into_iter().collect::<HashSet<String>>());
        let listed = match w.kind {
            Kind::Backfill | Kind::Incremental => feed::slices(
                css.clone(),
                region.to_string(),
                filter.clone(),
                run,
                skip,
                settings.run.shard,
            ),
            _ => css
                .search_window(region, filter)
                .filter(move |r| {
                    let keep = !matches!(r, Ok(rec) if skip.contains(&rec.id));
                    futures::future::ready(keep)
                })
                .boxed(),
        };
        Ok(retried.chain(listed).boxed())
    }

    /// Merges `region`'s delta into its current checkpoint. `exit_code`: the run's, once known.
    pub async fn write(&self, region: &str, exit_code: Option<u8>) {
        let Some(r) = lock_map(&self.regions).get(region).cloned() else {
            return;
        };
        let w = lock(&r.run).window;
        let last = LastRun {
            run_id: self.run_id.clone(),
            started_at: self.started_at,
            ended_at: Utc::now(),
            exit_code,
            window: RunWindow {
                since: w.since,
                until: w.until,
            },
        };
        let (delta, done) = {
            let run = lock(&r.run);
            (run.delta_now(last), run.tracker.slices_done())
        };
        let written = self
            .store
            .update::<Checkpoint, _>(&r.key, |cur| merge::apply(cur, &delta, region, &r.scope))
            .await;
        let mut report = r.report.lock().unwrap_or_else(|e| e.into_inner());
        report.slices_done = done;
        report.dropped = delta.gone.len() as u64;
        match written {
            Ok(v) => {
                report.watermark_after = v.doc.watermark;
                report.open_after = Some(v.doc.open.len());
                report.open_earliest_deadline = earliest(Some(&v.doc));
                report.written = !lock_map(&self.errors).contains_key(region);
                info!(region, key = r.key, watermark = ?v.doc.watermark, open = v.doc.open.len(),
                    "checkpoint written");
            }
            Err(e) => {
                let why = format!("checkpoint {} not written: {}", r.key, error_chain(&e));
                warn!(region, error = why, "checkpoint write failed");
                report.written = false;
                self.fail(region, why);
            }
        }
    }

    /// Every `CSS_CHECKPOINT_INTERVAL` while the region runs (never ends by itself).
    pub async fn every(
        &self,
        region: &str,
        interval: std::time::Duration,
    ) -> std::convert::Infallible {
        loop {
            tokio::time::sleep(interval).await;
            self.write(region, None).await;
        }
    }

    /// The last write of the run, for every region started; `bound`: after a signal, the
    /// share of the shutdown grace it may take (past it, an error per region not written).
    pub async fn write_all(&self, exit_code: u8, bound: Option<std::time::Duration>) {
        let regions: Vec<String> = lock_map(&self.regions).keys().cloned().collect();
        let all = futures::future::join_all(regions.iter().map(|r| self.write(r, Some(exit_code))));
        let Some(bound) = bound else {
            all.await;
            return;
        };
        if tokio::time::timeout(bound, all).await.is_err() {
            for region in &regions {
                self.fail(
                    region,
                    "checkpoint not written: shutdown grace ran out".into(),
                );
            }
        }
    }

    /// Records a region's checkpoint error (the first one per region is kept).
    pub fn fail(&self, region: &str, why: String) {
        lock_map(&self.errors)
            .entry(region.to_string())
            .or_insert(why);
    }

    /// The errors for the report, and each region's `state` section.
    pub fn finish(&self) -> (Vec<String>, Vec<RegionState>) {
        let errors = lock_map(&self.errors)
            .iter()
            .map(|(region, why)| format!("region {region}: {why}"))
            .collect();
        let states = lock_map(&self.regions)
            .values()
            .map(|r| r.report.lock().unwrap_or_else(|e| e.into_inner()).clone())
            .collect();
        (errors, states)
    }
}

fn lock_map<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn earliest(cp: Option<&Checkpoint>) -> Option<DateTime<Utc>> {
    cp?.open.iter().filter_map(|e| e.retention_deadline).min()
}

/// The `createdTime` of the window's oldest object (one ascending request).
async fn oldest(
    css: &CssClient,
    region: &str,
    filter: &crate::css::fiql::SearchFilter,
    w: &Window,
    until: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, String> {
    let within = crate::css::fiql::SearchFilter {
        since: w.since,
        until: Some(until),
        ..filter.clone()
    };
    let fiql = within.to_fiql().map_err(|e| error_chain(&e))?;
    match css.oldest(region, fiql).await {
        Ok(rec) => Ok(rec.as_ref().and_then(crate::purge_rules::created_at)),
        Err(e) => Err(format!("oldest object not found: {}", error_chain(&e))),
    }
}

/// The open entries, looked up by id (even outside the window): each record found is handed
/// on; one CSS no longer has is dropped with a warning; a failed lookup leaves it open.
fn retry_open(
    css: &CssClient,
    region: &str,
    ids: Vec<String>,
    run: Shared,
    report: Arc<Mutex<RegionState>>,
    settings: &Settings,
) -> Records {
    let (css, region_name) = (css.clone(), region.to_string());
    futures::stream::iter(ids)
        .map(move |id| {
            let (css, region) = (css.clone(), region_name.clone());
            async move {
                let found = css.object(&region, &id).await;
                (region, id, found)
            }
        })
        .buffered(settings.run.lookup_concurrency.max(1))
        .filter_map(move |(region, id, found)| {
            let rec = match found {
                Ok(Some(rec)) => {
                    report.lock().unwrap_or_else(|e| e.into_inner()).retried += 1;
                    Some(Ok(rec))
                }
                Ok(None) => {
                    warn!(region, id, "open entry no longer in CSS (404): dropped");
                    lock(&run).gone(&id);
                    None
                }
                Err(e) => {
                    warn!(region, id, error = %error_chain(&e), "open entry lookup failed; it stays open");
                    None
                }
            };
            futures::future::ready(rec)
        })
        .boxed()
}

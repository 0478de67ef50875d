//! Issue 10 (incr): the catalog side of a region's incremental run — the window's slices
//! listed one after the other (oldest first; newest first inside each, the ordinary
//! [`CssClient::search`]), each record marked found in its slice and each slice marked listed
//! once its last page came, so the [`super::tracker::Tracker`] knows how far the watermark may
//! go; and the [`Settlements`] sink that hands the tally's settled objects to each region's
//! [`RegionRun`]. Ids retried from the open list are skipped here (they are exported once, by
//! id). It never decides what to export or writes the checkpoint.

use super::region::RegionRun;
use super::slices::Slice;
use crate::css::fiql::SearchFilter;
use crate::css::model::ObjectRecord;
use crate::css::{CssClient, CssError};
use crate::report::objects::{ObjectEvent, ObjectSink};
use futures::stream::{BoxStream, StreamExt};
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// A region's run state, shared by the feed, the sink and the checkpoint writer.
pub type Shared = Arc<Mutex<RegionRun>>;

/// Locks a region's state (a poisoned lock only means a task panicked mid-update of counters).
pub fn lock(s: &Shared) -> std::sync::MutexGuard<'_, RegionRun> {
    s.lock().unwrap_or_else(|e| e.into_inner())
}

/// `filter` restricted to `slice` (its time bounds replace the filter's own).
pub fn slice_filter(filter: &SearchFilter, slice: &Slice) -> SearchFilter {
    SearchFilter {
        since: slice.start,
        until: Some(slice.end),
        ..filter.clone()
    }
}

/// Every record of the window's slices, oldest slice first, skipping `skip` (the open
/// entries retried by id). A catalog error ends the stream after it is yielded: the slice it
/// broke is never marked listed, so the watermark stays below it. Another shard's records
/// are passed on (the tally counts them) but never awaited by the tracker. Each slice goes
/// through [`CssClient::search_window`], so a region refusing time filters is windowed
/// client-side (issue 10, wire).
pub fn slices(
    css: CssClient,
    region: String,
    filter: SearchFilter,
    run: Shared,
    skip: Arc<HashSet<String>>,
    shard: crate::shard::Shard,
) -> BoxStream<'static, Result<ObjectRecord, CssError>> {
    let slices: Vec<(usize, Slice)> = lock(&run)
        .tracker
        .slices()
        .iter()
        .copied()
        .enumerate()
        .collect();
    futures::stream::iter(slices)
        .map(move |(k, slice)| {
            let records = css.search_window(&region, &slice_filter(&filter, &slice));
            let broke = Arc::new(AtomicBool::new(false));
            let (seen, end) = (run.clone(), run.clone());
            let (skip, broke_end) = (skip.clone(), broke.clone());
            let listed = futures::stream::once(async move {
                // Reached only after the slice's last page (or its error) went downstream.
                if !broke_end.load(Ordering::Relaxed) {
                    lock(&end).tracker.listed(k);
                }
                None
            });
            records
                .filter_map(move |r| {
                    let keep = match &r {
                        Ok(rec) if skip.contains(&rec.id) => false,
                        Ok(rec) => {
                            if shard.owns(&rec.id) {
                                lock(&seen).tracker.found(k, &rec.id);
                            }
                            true
                        }
                        Err(_) => {
                            broke.store(true, Ordering::Relaxed);
                            true
                        }
                    };
                    futures::future::ready(keep.then_some(Some(r)))
                })
                .chain(listed)
                .filter_map(futures::future::ready)
                .boxed()
        })
        .flatten()
        .boxed()
}

/// The tally's settled objects, handed to the run state of their region.
#[derive(Debug, Default)]
pub struct Settlements {
    regions: Mutex<BTreeMap<String, Shared>>,
}

impl Settlements {
    /// `region`'s events go to `run` from now on.
    pub fn register(&self, region: &str, run: Shared) {
        let mut r = self.regions.lock().unwrap_or_else(|e| e.into_inner());
        r.insert(region.to_string(), run);
    }
}

impl ObjectSink for Settlements {
    fn object(&self, event: &ObjectEvent<'_>) {
        let run = {
            let r = self.regions.lock().unwrap_or_else(|e| e.into_inner());
            r.get(event.region).cloned()
        };
        if let Some(run) = run {
            lock(&run).object(event);
        }
    }
}

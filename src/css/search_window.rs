//! issue 10 (css): [`CssClient::search_window`], the search every caller (sync, plan, audit,
//! purge) uses: the filter's FIQL as is, or — once the server has refused `createdTime`
//! filters in a region (see [`super::time_fallback`] for the rules) — the listing without
//! them, cut to the window client-side with an early stop. The refusal is sticky per region
//! for the life of the client (one run), logged once, and exposed to the slicing and the
//! report. It never changes what the window is, only who applies it.

use std::collections::BTreeSet;
use std::sync::Mutex;

use futures::stream::{self, BoxStream};
use futures::{future, StreamExt};
use tracing::warn;

use super::fiql::SearchFilter;
use super::model::ObjectRecord;
use super::time_fallback::{self as tf, Step, Verdict};
use super::{CssClient, CssError};
use crate::chain::error_chain;
use crate::metrics::TIME_FILTER_FALLBACK;

type Records = BoxStream<'static, Result<ObjectRecord, CssError>>;

/// The regions whose server refused `createdTime` filters in this run.
#[derive(Debug, Default)]
pub(super) struct Refused(Mutex<BTreeSet<String>>);

impl Refused {
    /// Marks `region`; true the first time (the one warning).
    fn mark(&self, region: &str) -> bool {
        let mut set = self.0.lock().unwrap_or_else(|e| e.into_inner());
        set.insert(region.to_string())
    }

    fn has(&self, region: &str) -> bool {
        let set = self.0.lock().unwrap_or_else(|e| e.into_inner());
        set.contains(region)
    }

    fn all(&self) -> Vec<String> {
        let set = self.0.lock().unwrap_or_else(|e| e.into_inner());
        set.iter().cloned().collect()
    }
}

impl CssClient {
    /// Every record of `filter` in `region`, newest first: [`CssClient::search`] with the
    /// filter's FIQL, falling back to a client-side `createdTime` window when the server
    /// answers a windowed search with a persistent 5xx while the same filter without the time
    /// clauses works (then for the rest of the run in this region). A filter that cannot be
    /// built is the stream's one error.
    pub fn search_window(&self, region: &str, filter: &SearchFilter) -> Records {
        let fiql = match filter.to_fiql() {
            Ok(f) => f,
            Err(e) => return stream::once(future::ready(Err(e))).boxed(),
        };
        if !tf::has_time_window(filter) {
            return self.search(region, fiql).boxed();
        }
        if self.time_filters_refused(region) {
            return match self.unwindowed(region, filter) {
                Ok(s) => tf::windowed(s, filter.since, filter.until).boxed(),
                Err(e) => stream::once(future::ready(Err(e))).boxed(),
            };
        }
        let (client, region, filter) = (self.clone(), region.to_string(), filter.clone());
        let mut normal = self.search(&region, fiql).boxed();
        stream::once(async move {
            let first = normal.next().await;
            let step = match &first {
                Some(Err(e)) => tf::after_first_page(&filter, Err(e)),
                _ => Step::AsIs,
            };
            match (step, first) {
                (Step::Probe, Some(Err(original))) => {
                    client.probe(&region, &filter, original).await
                }
                (_, first) => stream::iter(first).chain(normal).boxed(),
            }
        })
        .flatten()
        .boxed()
    }

    /// True once `region`'s server refused `createdTime` filters in this run: its window is
    /// then applied client-side over a newest-first listing, so a caller slicing a window
    /// should list it as one slice (each slice would re-read the newer records).
    pub fn time_filters_refused(&self, region: &str) -> bool {
        self.inner.time_refused.has(region)
    }

    /// The regions listed with the client-side window in this run (for the report), sorted.
    pub fn time_filter_fallback_regions(&self) -> Vec<String> {
        self.inner.time_refused.all()
    }

    /// The probe (the first page of the listing without the time clauses) and what follows
    /// from it: the fallback listing (that page included), or `original` as the one error.
    async fn probe(&self, region: &str, filter: &SearchFilter, original: CssError) -> Records {
        let mut fallback = match self.unwindowed(region, filter) {
            Ok(s) => s,
            Err(_) => return stream::once(future::ready(Err(original))).boxed(),
        };
        let first = fallback.next().await;
        let verdict = match &first {
            Some(Err(e)) => {
                warn!(region, error = %error_chain(e), "the search without createdTime clauses failed too; keeping the original error");
                tf::after_probe(Err(e))
            }
            _ => tf::after_probe(Ok(())),
        };
        match verdict {
            Verdict::OriginalError => stream::once(future::ready(Err(original))).boxed(),
            Verdict::FallBack => {
                if self.inner.time_refused.mark(region) {
                    warn!(region, error = %error_chain(&original),
                        "CSS refuses createdTime filters in this region; listing newest first without them and applying the window here (stopping at its start) for the rest of the run");
                    metrics::gauge!(TIME_FILTER_FALLBACK, "region" => region.to_string()).set(1.0);
                }
                let listing = stream::iter(first).chain(fallback);
                tf::windowed(listing, filter.since, filter.until).boxed()
            }
        }
    }

    /// The search of `filter` without its time window, as is (newest first).
    fn unwindowed(&self, region: &str, filter: &SearchFilter) -> Result<Records, CssError> {
        let fiql = tf::without_window(filter).to_fiql()?;
        Ok(self.search(region, fiql).boxed())
    }
}

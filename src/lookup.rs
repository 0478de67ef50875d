//! The record source of an `--ids` run: each listed id's catalog record, fetched by id
//! (`GET …/objects/{id}`, at most `CSS_LOOKUP_CONCURRENCY` at once) region by region until one
//! knows it, then handed to that region's pipeline exactly as a catalog search would hand it
//! on. An id is `not_found` only when every region answered 404; a lookup that failed (after
//! the client's retries) in a region that might hold the id makes it `failed`; a record that
//! is not AVAILABLE is `not_available` and goes no further. Every id gets its outcome here or,
//! once handed on, from the pipeline.

use crate::css::model::ObjectRecord;
use crate::css::{CssClient, CssError};
use crate::failure::{error_chain, Stage};
use crate::ids::{IdList, Ledger, Outcome};
use futures::StreamExt;
use std::sync::OnceLock;
use tokio::sync::mpsc;
use tracing::{info, warn};

/// Each region's channel into its pipeline, in the order regions are asked.
pub type Feeds = Vec<(String, mpsc::Sender<ObjectRecord>)>;

/// Where one id turned out to be.
enum Found {
    In(String, Box<ObjectRecord>),
    Nowhere,
    /// No region had it, and at least one could not answer: the first such error.
    Failed(String, CssError),
}

/// Looks every id of `list` up and sends each AVAILABLE record to its region's channel in
/// `feeds` (a region absent from `feeds` is never asked). Settles every id it does not hand
/// on. Returns a run-level error when CSS refused our credentials (the ids still unasked are
/// failed without a request).
pub async fn resolve(
    css: &CssClient,
    list: &IdList,
    feeds: Feeds,
    concurrency: usize,
    ledger: &Ledger,
    shard: crate::shard::Shard,
) -> Option<String> {
    let regions: Vec<&str> = feeds.iter().map(|(r, _)| r.as_str()).collect();
    let fatal: OnceLock<String> = OnceLock::new();
    // Another shard's ids are settled without a request: their owner looks them up.
    let mut others = 0u64;
    let mine = list.ids().iter().filter(|id| {
        let owned = shard.owns(id);
        if !owned {
            ledger.settle(id, crate::ids::Outcome::OtherShard);
            others += 1;
        }
        owned
    });
    let mut found = futures::stream::iter(mine)
        .map(|id| {
            let (regions, fatal) = (&regions, &fatal);
            async move {
                if let Some(why) = fatal.get() {
                    return (id, Err(why.clone()));
                }
                let found = locate(css, regions, id).await;
                if let Found::Failed(_, e) = &found {
                    if matches!(e.kind(), "auth_rejected" | "unauthorized") {
                        let _ = fatal.set(format!("id lookups stopped: {}", error_chain(e)));
                    }
                }
                (id, Ok(found))
            }
        })
        .buffer_unordered(concurrency);
    let (mut handed_on, mut not_found) = (0u64, 0u64);
    while let Some((id, found)) = found.next().await {
        let failed = |region: Option<String>, reason: String| Outcome::Failed {
            region,
            stage: Stage::Catalog,
            reason,
        };
        match found {
            Err(why) => ledger.settle(id, failed(None, format!("not looked up: {why}"))),
            Ok(Found::Nowhere) => {
                not_found += 1;
                ledger.settle(id, Outcome::NotFound);
            }
            Ok(Found::Failed(region, e)) => {
                warn!(region, id, error = %error_chain(&e), "object lookup failed");
                ledger.settle(id, failed(Some(region), error_chain(&e)));
            }
            Ok(Found::In(region, rec)) => {
                if let Some(state) = rec.object_state.as_deref().filter(|s| *s != "AVAILABLE") {
                    ledger.settle(
                        id,
                        Outcome::NotAvailable {
                            region,
                            object_state: state.to_string(),
                        },
                    );
                    continue;
                }
                let feed = feeds.iter().find(|(r, _)| *r == region).map(|(_, tx)| tx);
                let sent = match feed {
                    Some(tx) => tx.send(*rec).await.is_ok(),
                    None => false,
                };
                if sent {
                    handed_on += 1;
                } else {
                    let why = "the region's pipeline stopped before the record reached it";
                    ledger.settle(id, failed(Some(region), why.into()));
                }
            }
        }
    }
    drop(found);
    info!(
        ids = list.len(),
        handed_on,
        not_found,
        other_shards = others,
        "id lookups done"
    );
    fatal.into_inner()
}

/// Asks each region in turn; the first record wins. 404 moves on to the next region.
async fn locate(css: &CssClient, regions: &[&str], id: &str) -> Found {
    let mut first_error = None;
    for region in regions {
        match css.object(region, id).await {
            Ok(Some(rec)) => return Found::In(region.to_string(), Box::new(rec)),
            Ok(None) => {}
            Err(e) => {
                if matches!(e.kind(), "auth_rejected" | "unauthorized") {
                    return Found::Failed(region.to_string(), e);
                }
                first_error.get_or_insert((region.to_string(), e));
            }
        }
    }
    match first_error {
        Some((region, e)) => Found::Failed(region, e),
        None => Found::Nowhere,
    }
}

//! Where each region's records come from, for [`super::sync_region`]: the catalog search
//! (with a checkpoint: the open entries by id first, then the window's slices — issue 10), or
//! the `--ids` lookups over one channel per region. It never checks S3 or exports anything:
//! the records go on to [`super::catalog::find_work`].

use super::{catalog, Ctx};
use crate::css::model::ObjectRecord;
use crate::lookup::Feeds;
use futures::StreamExt;
use std::collections::HashMap;
use tokio::sync::mpsc;
use tracing::error;

/// Where a region's records come from.
pub(super) enum Source {
    /// The catalog search with the run's filter.
    Catalog,
    /// `--ids`: the records the id lookups found in this region (`None`: a region listed
    /// twice, fed once).
    Found(Option<mpsc::Receiver<ObjectRecord>>),
}

/// `--ids`: one channel per distinct region, the receivers by region and the senders for
/// [`crate::lookup::resolve`], in region order. Empty without `--ids`.
pub(super) fn id_feeds(
    ctx: &Ctx,
    regions: &[String],
) -> (HashMap<String, mpsc::Receiver<ObjectRecord>>, Feeds) {
    let (mut rxs, mut txs) = (HashMap::new(), Vec::new());
    if ctx.settings.run.ids.is_some() {
        for region in regions {
            if !rxs.contains_key(region) {
                let (tx, rx) = mpsc::channel(ctx.settings.run.lookup_concurrency);
                rxs.insert(region.clone(), rx);
                txs.push((region.clone(), tx));
            }
        }
    }
    (rxs, txs)
}

/// The region's record stream: the catalog (with checkpoints: the open entries by id, then the
/// window's slices), or the id lookups. `None`: the region's checkpoint failed (recorded).
pub(super) async fn records_of(
    ctx: &Ctx,
    region: &str,
    source: Source,
) -> Option<catalog::Records> {
    Some(match source {
        Source::Catalog => match &ctx.checkpoints {
            // issue 10 (wire)
            Some(c) => match c.start(&ctx.css, &ctx.settings, region).await {
                Ok(records) => records,
                Err(why) => {
                    error!(
                        region,
                        error = why,
                        "checkpoint unusable: region not synced"
                    );
                    c.fail(region, why);
                    return None;
                }
            },
            None => ctx.css.search_window(region, &ctx.settings.run.filter), // issue 10 (css)
        },
        Source::Found(Some(rx)) => tokio_stream_from(rx).map(Ok).boxed(),
        Source::Found(None) => futures::stream::empty().boxed(),
    })
}

pub(super) fn tokio_stream_from<T: Send + 'static>(
    mut rx: mpsc::Receiver<T>,
) -> impl futures::Stream<Item = T> {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

//! Issue 10 (incr): the oldest object of a window with ONE catalog request —
//! `GET …/objects?filter=…&sortField=createdTime&sortDirection=ASC&pageKey=0&limit=1`, the
//! ascending sort the vendor's bulk-download guide shows — where the retention-first slices
//! of a backfill start. It never pages: ascending order is unsafe to page through while
//! retention deletes the oldest objects (see [`super::paging`]), and one record is all it needs.

use reqwest::Method;

use super::model::ObjectRecord;
use super::{CssClient, CssError};

const EP: &str = "objects";

impl CssClient {
    /// The oldest record matching `filter` in `region` (`None`: the search matches nothing).
    pub async fn oldest(
        &self,
        region: &str,
        filter: Option<String>,
    ) -> Result<Option<ObjectRecord>, CssError> {
        let mut req = self.json_req(EP, region, Method::GET, &["objects"])?;
        {
            let mut q = req.url.query_pairs_mut();
            if let Some(f) = &filter {
                q.append_pair("filter", f);
            }
            q.append_pair("sortField", "createdTime")
                .append_pair("sortDirection", "ASC")
                .append_pair("pageKey", "0")
                .append_pair("limit", "1");
        }
        let body = self.fetch_json(&req).await?;
        let page = super::paging::parse_page(&body)?;
        Ok(page.content.into_iter().next())
    }
}

//! Catalog search as a `Stream` of records: `GET …/objects` page by page, sorted by
//! `createdTime` descending, asking for the key [`super::page_key`] infers from each answer
//! (next offset, next page number, or the page just served). End of data is `lastPage`, never
//! the `pageKey`. It refuses to loop or skip (an answer the paging rules cannot follow is a
//! typed error) and drops ids seen twice. It never filters records otherwise.

use std::collections::HashSet;

use futures::{stream, Stream, TryStreamExt};
use reqwest::Method;
use serde::Deserialize;
use tracing::{debug, warn};

use super::model::{ObjectRecord, Page};
use super::page_key::{Answer, PageKeys, Step};
use super::{CssClient, CssError};

const EP: &str = "objects";

/// Where the pager stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cursor {
    Start,
    Next(u64),
    Done,
}

struct Pager {
    client: CssClient,
    region: String,
    filter: Option<String>,
    seen: HashSet<String>,
    duplicates: u64,
    pages: u64,
    keys: PageKeys,
}

impl CssClient {
    /// Every record matching `filter` (FIQL, see [`super::SearchFilter`]) in `region`, newest
    /// first (`createdTime` descending), one page request at a time. The stream ends after the
    /// page marked `lastPage`; it yields an error (and then ends) on any request or paging
    /// failure.
    pub fn search(
        &self,
        region: &str,
        filter: Option<String>,
    ) -> impl Stream<Item = Result<ObjectRecord, CssError>> + Send + 'static {
        let pager = Pager {
            client: self.clone(),
            region: region.to_string(),
            filter,
            seen: HashSet::new(),
            duplicates: 0,
            pages: 0,
            keys: PageKeys::new(self.page_size()),
        };
        stream::try_unfold((pager, Cursor::Start), |(mut pager, cursor)| async move {
            let key = match cursor {
                Cursor::Done => return Ok::<_, CssError>(None),
                Cursor::Start => PageKeys::FIRST,
                Cursor::Next(k) => k,
            };
            let page = pager.fetch(key).await?;
            let mut answer = Answer {
                page_key: page.page_key,
                records: page.content.len() as u64,
                last_page: page.last_page,
                total: page.total,
                all_repeated: false,
            };
            let records = pager.dedupe(page.content);
            answer.all_repeated = records.is_empty() && answer.records > 0;
            let next = match pager.keys.after(key, &answer)? {
                Step::Next(k) => Cursor::Next(k),
                Step::Done => Cursor::Done,
            };
            if next == Cursor::Done && pager.duplicates > 0 {
                warn!(region = %pager.region, duplicates = pager.duplicates, "CSS search returned ids more than once; duplicates dropped");
            }
            Ok(Some((records, (pager, next))))
        })
        .map_ok(|records| stream::iter(records.into_iter().map(Ok)))
        .try_flatten()
    }
}

impl Pager {
    async fn fetch(&mut self, key: u64) -> Result<Page, CssError> {
        let mut req = self
            .client
            .json_req(EP, &self.region, Method::GET, &["objects"])?;
        {
            let mut q = req.url.query_pairs_mut();
            if let Some(f) = &self.filter {
                q.append_pair("filter", f);
            }
            // Newest first: `pageKey` is an offset (or a page number), and the catalog changes while we page.
            // Retention deletes the oldest objects, which sit after every offset still to come
            // in this order, so they shift nothing; new objects arrive at the front, which
            // shifts later pages forward into records already seen (dropped as duplicates)
            // rather than past records never seen. Ascending order would skip records.
            q.append_pair("sortField", "createdTime")
                .append_pair("sortDirection", "DESC")
                .append_pair("pageKey", &key.to_string())
                .append_pair("limit", &self.client.page_size().to_string());
        }
        let body = self.client.fetch_json(&req).await?;
        self.pages += 1;
        let page = parse_page(&body)?;
        debug!(region = %self.region, endpoint = EP, page_key = key, records = page.content.len(), last_page = page.last_page, "CSS search page");
        Ok(page)
    }

    fn dedupe(&mut self, records: Vec<ObjectRecord>) -> Vec<ObjectRecord> {
        let before = records.len();
        let kept: Vec<ObjectRecord> = records
            .into_iter()
            .filter(|r| self.seen.insert(r.id.clone()))
            .collect();
        let dropped = (before - kept.len()) as u64;
        if dropped > 0 {
            self.duplicates += dropped;
            warn!(region = %self.region, page = self.pages, dropped, "CSS search page repeated ids already seen");
        }
        kept
    }
}

/// A page as the guide shows it (an object) or as the spec declares it (an array holding one).
pub(super) fn parse_page(body: &[u8]) -> Result<Page, CssError> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        // Array first: serde also reads a struct from a sequence, so `[]` must not be a Page.
        Many(Vec<Page>),
        One(Page),
    }
    let parsed: OneOrMany = serde_json::from_slice(body).map_err(|source| CssError::Decode {
        endpoint: EP,
        source,
    })?;
    match parsed {
        OneOrMany::One(p) => Ok(p),
        OneOrMany::Many(mut v) if v.len() == 1 => Ok(v.remove(0)),
        OneOrMany::Many(v) => Err(CssError::Paging(format!(
            "expected one page, got an array of {}",
            v.len()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(json: &str) -> Page {
        parse_page(json.as_bytes()).unwrap()
    }

    const REC: &str = r#"{"id":"a","type":"t","objectName":"n","storedBytes":1,"createdTime":"2022-06-24T05:22:35"}"#;

    #[test]
    fn spec_array_shape_accepted_with_exactly_one_page() {
        let p = page(&format!(
            r#"[{{"lastPage":true,"pageKey":0,"content":[{REC}]}}]"#
        ));
        assert_eq!(p.content.len(), 1);
        assert!(matches!(parse_page(b"[]"), Err(CssError::Paging(_))));
        assert!(matches!(
            parse_page(b"{\"content\":7}"),
            Err(CssError::Decode { .. })
        ));
    }
}

//! `GET …/objects` semantics, apart from HTTP: validate the query parameters, filter with FIQL
//! (only AVAILABLE objects unless the filter names objectState), sort (any field or tag,
//! stable, ties by id) and cut a page exactly as the guide describes: pageKey is an offset and
//! the answered pageKey is always pageKey + limit, even on the last page — or, with
//! `--page-keys next-page|page-served`, pageKey is a page number and the answer names the next
//! page or the page just served, with `total` counting pages. It never renders JSON or
//! computes digests itself.

use super::catalog::SimObject;
use super::config::{PageKeys, TimeFilter};
use super::fiql::{self, Expr, Fields};
use std::collections::HashMap;
use std::sync::Arc;

/// One page of search results.
#[derive(Debug)]
pub struct PageOut {
    pub items: Vec<Arc<SimObject>>,
    pub last_page: bool,
    /// The next offset (the request's pageKey + limit), or a page number (see [`PageKeys`]).
    pub page_key: u64,
    /// Records in this page.
    pub page_size: u64,
    /// Pages in all, answered by the page-number forms only.
    pub total_pages: Option<u64>,
}

/// A validated search request.
#[derive(Debug)]
pub struct Search {
    pub filter: Option<Expr>,
    pub page_key: u64,
    pub limit: u64,
    pub sort_field: Option<String>,
    pub descending: bool,
    /// How `page_key` is read and answered (offset unless set).
    pub page_keys: PageKeys,
}

const TIME_FIELDS: [&str; 2] = ["createdTime", "updatedTime"];

impl Search {
    /// Validates raw query parameters; errors are readable 400 messages.
    pub fn from_params(p: &HashMap<String, String>, max_page: u64) -> Result<Self, String> {
        let filter = match p.get("filter").map(|s| s.trim()).filter(|s| !s.is_empty()) {
            None => None,
            Some(f) => {
                let e = fiql::parse(f).map_err(|e| format!("{e} (filter: {f:?})"))?;
                for (field, _, value) in e.comparisons() {
                    if TIME_FIELDS.contains(&field) && value.parse::<i64>().is_err() {
                        return Err(format!(
                            "{field} must be compared with a unix timestamp in milliseconds \
                             (e.g. {field}=ge=1725148800000), got {value:?}"
                        ));
                    }
                }
                Some(e)
            }
        };
        let page_key = match p.get("pageKey").map(|s| s.trim()) {
            None | Some("") => 0,
            Some(s) => s.parse::<u64>().map_err(|_| {
                format!("pageKey must be a whole number >= 0 (an offset), got {s:?}")
            })?,
        };
        let limit = match p.get("limit").map(|s| s.trim()) {
            None | Some("") => 100.min(max_page),
            Some(s) => match s.parse::<i64>() {
                Ok(n) if n >= 1 && n as u64 <= max_page => n as u64,
                _ => {
                    return Err(format!(
                        "limit must be a whole number between 1 and {max_page}, got {s:?}"
                    ))
                }
            },
        };
        let sort_field = p
            .get("sortField")
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        let descending = match p
            .get("sortDirection")
            .map(|s| s.trim().to_ascii_uppercase())
        {
            None => false,
            Some(d) if d.is_empty() || d == "ASC" => false,
            Some(d) if d == "DESC" => true,
            Some(d) => return Err(format!("sortDirection must be ASC or DESC, got {d:?}")),
        };
        Ok(Search {
            filter,
            page_key,
            limit,
            sort_field,
            descending,
            page_keys: PageKeys::Offset,
        })
    }

    /// The same search with pageKey read and answered per `page_keys`.
    pub fn with_page_keys(mut self, page_keys: PageKeys) -> Self {
        self.page_keys = page_keys;
        self
    }

    /// issue 10 (css): true if `mode` makes this search fail: `error-500` and a filter that
    /// mentions createdTime.
    pub fn refused_by(&self, mode: TimeFilter) -> bool {
        mode == TimeFilter::Error500
            && self
                .filter
                .as_ref()
                .is_some_and(|f| f.mentions("createdTime"))
    }

    /// True if filtering or sorting needs every candidate's checksum computed first.
    pub fn needs_checksums(&self) -> bool {
        self.filter.as_ref().is_some_and(|f| f.mentions("checksum"))
            || self.sort_field.as_deref() == Some("checksum")
    }

    /// Runs the search over one region's objects (in catalog order).
    pub fn run<'a>(&self, objects: impl Iterator<Item = &'a Arc<SimObject>>) -> PageOut {
        let all_states = self
            .filter
            .as_ref()
            .is_some_and(|f| f.mentions("objectState"));
        let mut hits: Vec<&Arc<SimObject>> = objects
            .filter(|o| all_states || o.is_available())
            .filter(|o| self.filter.as_ref().is_none_or(|f| f.matches(o.as_ref())))
            .collect();
        if let Some(field) = &self.sort_field {
            let mut keyed: Vec<_> = hits.into_iter().map(|o| (o.field(field), o)).collect();
            keyed.sort_by(|(ka, a), (kb, b)| {
                let by_field = fiql::order(ka, kb);
                let by_field = if self.descending {
                    by_field.reverse()
                } else {
                    by_field
                };
                by_field.then_with(|| a.id.cmp(&b.id))
            });
            hits = keyed.into_iter().map(|(_, o)| o).collect();
        } else if self.descending {
            hits.reverse();
        }
        let total = hits.len() as u64;
        let offset = match self.page_keys {
            PageKeys::Offset => self.page_key,
            PageKeys::NextPage | PageKeys::PageServed => self.page_key.saturating_mul(self.limit),
        };
        let start = offset.min(total) as usize;
        let end = offset.saturating_add(self.limit).min(total) as usize;
        let items: Vec<Arc<SimObject>> = hits[start..end].iter().map(|o| (*o).clone()).collect();
        let (page_key, total_pages) = match self.page_keys {
            PageKeys::Offset => (offset.saturating_add(self.limit), None),
            PageKeys::NextPage => (
                self.page_key.saturating_add(1),
                Some(total.div_ceil(self.limit)),
            ),
            PageKeys::PageServed => (self.page_key, Some(total.div_ceil(self.limit))),
        };
        PageOut {
            last_page: offset.saturating_add(self.limit) >= total,
            page_key,
            page_size: items.len() as u64,
            total_pages,
            items,
        }
    }
}

#[cfg(test)]
#[path = "query_tests.rs"]
mod tests;

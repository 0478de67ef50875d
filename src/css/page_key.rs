//! What the catalog's `pageKey` means, inferred from what the server answers, and the key to
//! ask for next. The documents disagree: the guide makes the answered `pageKey` the next
//! *offset* (request + limit); the vendor's newer spec (v3.1.6) calls it a *page number*
//! (`total` counting pages), and a public client asks for the answered `pageKey + 1`, i.e. the
//! answer names the page just served. The first page (always requested at `pageKey=0` with
//! `limit` L) tells them apart:
//!
//! | answered `pageKey` | records n | meaning | next request |
//! |---|---|---|---|
//! | 0 | any | page just served (0-based) | 1 |
//! | L | any | next offset | L |
//! | 1 (L > 1) | n > 1 | next page number | 1 |
//! | n (1 < n < L) | n | next offset (short page) | n |
//! | 1 (L > 1) | 1 | ambiguous: offset 1 or page 1 | error |
//! | anything else | | unknown | error |
//!
//! (With L = 1 offsets and page numbers coincide, so `pageKey=1` is followed either way.)
//! Every later page must answer consistently with the semantics chosen: an offset that does
//! not advance or jumps past the records served, a page number that is not the one expected, a
//! page-number page holding only records already seen (the server ignored our key), or a next
//! page at or past `total` on a page not marked `lastPage` is a [`PageKeyError`], never a
//! silent skip or repeat. `lastPage` alone ends the data, whatever `pageKey` says. Pure: no
//! I/O, no records, only numbers.

/// How the server's `pageKey` is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Semantics {
    /// The guide: the answered `pageKey` is the offset of the next page.
    NextOffset,
    /// The answered `pageKey` is the number of the next page (0-based pages).
    NextPage,
    /// The answered `pageKey` is the number of the page just served; ask for `+ 1`.
    PageServed,
}

/// What one page answered, as far as paging cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub page_key: Option<u64>,
    /// Records on the page (before dropping ids already seen).
    pub records: u64,
    pub last_page: bool,
    pub total: Option<u64>,
    /// Every record of the page was already seen on an earlier page.
    pub all_repeated: bool,
}

/// After a page: ask for this key, or stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Next(u64),
    Done,
}

/// An answer that cannot be followed without risking a skipped or repeated record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageKeyError {
    #[error("page at pageKey {requested} is empty but not marked lastPage")]
    EmptyPage { requested: u64 },
    #[error("page at pageKey {requested} has no pageKey and is not marked lastPage")]
    NoPageKey { requested: u64 },
    #[error(
        "first page (limit {limit}) answered pageKey {answered} with {records} record(s): \
         neither a next offset nor a page number"
    )]
    Unrecognised {
        answered: u64,
        records: u64,
        limit: u64,
    },
    #[error(
        "first page (limit {limit}) answered pageKey 1 with one record: next offset 1 and \
         next page 1 cannot be told apart"
    )]
    Ambiguous { limit: u64 },
    #[error("pageKey does not advance ({requested} -> {answered}) on a page not marked lastPage")]
    Backwards { requested: u64, answered: u64 },
    #[error(
        "next offset {answered} after pageKey {requested} with limit {limit} would skip records"
    )]
    SkipsRecords {
        requested: u64,
        answered: u64,
        limit: u64,
    },
    #[error("page {requested} answered pageKey {answered}, expected {expected} ({semantics:?})")]
    Inconsistent {
        semantics: Semantics,
        requested: u64,
        answered: u64,
        expected: u64,
    },
    #[error("page {requested} repeats only records already seen (the page number was ignored)")]
    RepeatedPage { requested: u64 },
    #[error("next page {next} is past total {total} on a page not marked lastPage")]
    PastTotal { next: u64, total: u64 },
}

/// The paging state of one search: the page size asked for and the semantics, once known.
#[derive(Debug, Clone)]
pub struct PageKeys {
    limit: u64,
    semantics: Option<Semantics>,
}

impl PageKeys {
    /// The first request is always `pageKey=0` with `limit` records.
    pub const FIRST: u64 = 0;

    pub fn new(limit: u32) -> Self {
        PageKeys {
            limit: u64::from(limit.max(1)),
            semantics: None,
        }
    }

    /// The semantics inferred so far (after the first non-final page).
    pub fn semantics(&self) -> Option<Semantics> {
        self.semantics
    }

    /// The key to request after the page fetched with `requested` answered `a`.
    pub fn after(&mut self, requested: u64, a: &Answer) -> Result<Step, PageKeyError> {
        if a.last_page {
            return Ok(Step::Done);
        }
        if a.records == 0 {
            return Err(PageKeyError::EmptyPage { requested });
        }
        let answered = a.page_key.ok_or(PageKeyError::NoPageKey { requested })?;
        let semantics = match self.semantics {
            Some(s) => s,
            None => infer(answered, a.records, self.limit)?,
        };
        let next = match semantics {
            Semantics::NextOffset if answered <= requested => {
                return Err(PageKeyError::Backwards {
                    requested,
                    answered,
                })
            }
            Semantics::NextOffset if answered > requested.saturating_add(self.limit) => {
                return Err(PageKeyError::SkipsRecords {
                    requested,
                    answered,
                    limit: self.limit,
                })
            }
            Semantics::NextOffset => answered,
            Semantics::NextPage | Semantics::PageServed => {
                let expected = match semantics {
                    Semantics::NextPage => requested.saturating_add(1),
                    _ => requested,
                };
                if answered != expected {
                    return Err(PageKeyError::Inconsistent {
                        semantics,
                        requested,
                        answered,
                        expected,
                    });
                }
                if a.all_repeated {
                    return Err(PageKeyError::RepeatedPage { requested });
                }
                let next = requested.saturating_add(1);
                // `total` counts pages (spec) or records (older answers); either way a next
                // page number at or past it contradicts a page not marked lastPage.
                if let Some(total) = a.total.filter(|t| *t > 0 && next >= *t) {
                    return Err(PageKeyError::PastTotal { next, total });
                }
                next
            }
        };
        self.semantics = Some(semantics);
        Ok(Step::Next(next))
    }
}

/// The semantics from the first page's answer (requested at `pageKey=0`), per the table above.
fn infer(answered: u64, records: u64, limit: u64) -> Result<Semantics, PageKeyError> {
    match answered {
        0 => Ok(Semantics::PageServed),
        a if a == limit => Ok(Semantics::NextOffset),
        1 if records == 1 => Err(PageKeyError::Ambiguous { limit }),
        1 => Ok(Semantics::NextPage),
        a if a == records && records < limit => Ok(Semantics::NextOffset),
        _ => Err(PageKeyError::Unrecognised {
            answered,
            records,
            limit,
        }),
    }
}

#[cfg(test)]
#[path = "page_key_tests.rs"]
mod tests;

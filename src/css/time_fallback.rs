//! issue 10 (css): the rules for accounts whose server refuses `createdTime` filters (a public
//! client reports "date filter returns 500 on this account"). When a windowed search fails
//! with a 5xx after the normal retries, one probe of the same filter without its time clauses
//! decides: the probe works → fall back for that region (list by the other clauses only,
//! newest first, and keep the window client-side, stopping at the first record older than
//! `since`); the probe fails too → the original error, never a silent fallback. This module
//! owns the decision (pure, table-tested) and the client-side window over a record stream
//! ([`windowed`]); it never sends a request — `CssClient::search_window` does, in `paging`.

use chrono::{DateTime, NaiveDateTime, Utc};
use futures::{future, Stream, TryStreamExt};

use super::fiql::SearchFilter;
use super::model::ObjectRecord;
use super::CssError;

/// True if `filter` has a `createdTime` window (the clauses a refusing server chokes on).
pub fn has_time_window(filter: &SearchFilter) -> bool {
    filter.since.is_some() || filter.until.is_some()
}

/// `filter` without its time window: what the probe and the fallback listing send.
pub fn without_window(filter: &SearchFilter) -> SearchFilter {
    SearchFilter {
        since: None,
        until: None,
        ..filter.clone()
    }
}

/// A failure that may be the server refusing the time clauses: a 5xx that outlived the retry
/// policy. A 4xx (a filter the server reads and rejects), a timeout or a decode error is not.
pub fn refusal_suspected(err: &CssError) -> bool {
    matches!(err, CssError::Http { status, .. } if *status >= 500)
}

/// What to do about a windowed search's first answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Keep what the windowed search answered (records, or its error as is).
    AsIs,
    /// Send the probe: the same filter without the time clauses.
    Probe,
}

/// The first answer of a windowed search (`first`: `Ok` when a page came back) → [`Step`].
pub fn after_first_page(filter: &SearchFilter, first: Result<(), &CssError>) -> Step {
    match first {
        Err(e) if has_time_window(filter) && refusal_suspected(e) => Step::Probe,
        _ => Step::AsIs,
    }
}

/// What the probe decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The server refuses time filters only: list without them, window client-side, for the
    /// rest of the run in this region.
    FallBack,
    /// The probe failed as well: the original error stands (the fault is not the time
    /// clauses, or not only them).
    OriginalError,
}

/// The probe's answer (`Ok` when its first page came back) → [`Verdict`].
pub fn after_probe(probe: Result<(), &CssError>) -> Verdict {
    match probe {
        Ok(()) => Verdict::FallBack,
        Err(_) => Verdict::OriginalError,
    }
}

/// Where one record of a newest-first listing stands against `[since, until)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Inside the window: yielded.
    Keep,
    /// Newer than the window (`createdTime >= until`): dropped, listing goes on.
    TooNew,
    /// Older than `since`: every later record is older still (createdTime descending), so the
    /// listing stops here and no further page is requested.
    Stop,
}

/// The rule for one record. A `createdTime` css-sync cannot read is kept (the server would
/// have judged it; dropping it could lose an object of the window) and never stops the
/// listing.
pub fn place(
    created: Option<DateTime<Utc>>,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> Place {
    let Some(t) = created else {
        return Place::Keep;
    };
    if since.is_some_and(|s| t < s) {
        Place::Stop
    } else if until.is_some_and(|u| t >= u) {
        Place::TooNew
    } else {
        Place::Keep
    }
}

/// `createdTime` as the guide writes it (ISO 8601 without offset = UTC) or with an offset.
pub fn created(rec: &ObjectRecord) -> Option<DateTime<Utc>> {
    let t = rec.created_time.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|n| n.and_utc())
}

/// A newest-first record stream cut to `[since, until)` client-side: records newer than the
/// window are dropped, the stream ends at the first record older than `since` (its source is
/// no longer polled, so no further page is asked for). Errors pass through.
pub fn windowed<S>(
    records: S,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> impl Stream<Item = Result<ObjectRecord, CssError>> + Send + 'static
where
    S: Stream<Item = Result<ObjectRecord, CssError>> + Send + 'static,
{
    records
        .try_take_while(move |r| future::ready(Ok(place(created(r), since, until) != Place::Stop)))
        .try_filter(move |r| future::ready(place(created(r), since, until) == Place::Keep))
}

#[cfg(test)]
#[path = "time_fallback_tests.rs"]
mod tests;

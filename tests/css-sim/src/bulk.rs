//! Bulk download handlers: start (validating ids, region, batch size and the 2 GB limit),
//! status of one or all jobs (the all-jobs one always the spec's array, or refused / empty
//! with `--status-all off|empty`), cancel, and the zip download (streamed through
//! [`super::zip::zip_stream`], never assembled, with Range support). Start, single status and
//! cancel answer in the configured shape (guide object or spec array); a start split over
//! several zips (`--zips-per-job`) always answers the array of their statuses. The job life cycle
//! itself lives in [`super::jobs`].

use super::body::{self, RangeSpec, CHUNK};
use super::config::{ResponseShape, StatusAll};
use super::jobs::{Job, JobState, StatusJson};
use super::state::{error, AppState, St};
use super::zip::zip_stream;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::Arc;

fn shaped(st: &AppState, v: StatusJson) -> Response {
    match st.cfg.start_response {
        ResponseShape::Object => Json(v).into_response(),
        ResponseShape::Array => Json(vec![v]).into_response(),
    }
}

/// Parses a start or delete body: a non-empty JSON array of string ids, duplicates dropped (order kept).
pub fn parse_ids(body: &[u8]) -> Result<Vec<String>, String> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| format!("the body must be a JSON array of object ids: {e}"))?;
    let arr = v
        .as_array()
        .ok_or("the body must be a JSON array of object ids")?;
    if arr.is_empty() {
        return Err("the array of object ids is empty".into());
    }
    let mut seen = HashSet::new();
    let mut ids = Vec::new();
    for (i, x) in arr.iter().enumerate() {
        let id = x
            .as_str()
            .ok_or(format!("element {i} is not a string object id"))?;
        if seen.insert(id.to_string()) {
            ids.push(id.to_string());
        }
    }
    Ok(ids)
}

/// Parses and validates a start body; the error is a readable 400 message.
pub fn validate_start(
    st: &AppState,
    region: &str,
    body: &[u8],
) -> Result<Vec<Arc<super::catalog::SimObject>>, String> {
    let ids = parse_ids(body)?;
    let max = st.cfg.max_batch_objects;
    if ids.len() > max {
        return Err(format!(
            "{} object ids requested; at most {max} per bulk download",
            ids.len()
        ));
    }
    let mut unknown = Vec::new();
    let mut objs = Vec::new();
    for id in &ids {
        match st.catalog.get(id.as_str()) {
            None => unknown.push(id),
            Some(o) if o.region != region => {
                return Err(format!(
                    "object {id:?} is stored in region {}, not {region}",
                    o.region
                ))
            }
            Some(o) if !o.is_available() => {
                return Err(format!(
                    "object {id:?} is {}; only AVAILABLE objects can be downloaded",
                    o.current_state()
                ))
            }
            Some(o) => objs.push(o.clone()),
        }
    }
    if !unknown.is_empty() {
        let shown: Vec<_> = unknown.iter().take(10).collect();
        return Err(format!("{} unknown object id(s): {shown:?}", unknown.len()));
    }
    let total: u64 = objs.iter().map(|o| o.stored_bytes).sum();
    if total > st.cfg.max_zip_bytes {
        return Err(format!(
            "the requested objects hold {total} bytes; a bulk download is limited to {} bytes",
            st.cfg.max_zip_bytes
        ));
    }
    Ok(objs)
}

pub async fn start(
    State(st): St,
    Path((region, _v)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let objs = match validate_start(&st, &region, &body) {
        Ok(o) => o,
        Err(msg) => return error(StatusCode::BAD_REQUEST, msg),
    };
    // `--zips-per-job N`: the objects split in order over up to N jobs, one zip each.
    let zips = (st.cfg.zips_per_job as usize).clamp(1, objs.len().max(1));
    let per_zip = objs.len().div_ceil(zips);
    let chunks: Vec<&[Arc<super::catalog::SimObject>]> = objs.chunks(per_zip.max(1)).collect();
    let statuses: Vec<StatusJson> = chunks
        .iter()
        .enumerate()
        .map(|(i, chunk)| {
            let mut objects = chunk.to_vec();
            // `--zips-overlap`: the previous zip's last object once more, first in this one.
            if let (true, Some(prev)) = (st.cfg.zips_overlap, i.checked_sub(1)) {
                objects.insert(0, chunks[prev][chunks[prev].len() - 1].clone());
            }
            let job = st.jobs.create(&st.cfg, &st.faults, &region, objects);
            // The guide: "the status should be NOT_STARTED or DONE if it has completed very
            // quickly".
            let state = match job.state() {
                JobState::Done => JobState::Done,
                _ => JobState::NotStarted,
            };
            job.status_json(state)
        })
        .collect();
    match <[StatusJson; 1]>::try_from(statuses) {
        Ok([one]) => shaped(&st, one),
        // Several zips: only the spec's array can say so.
        Err(many) => Json(many).into_response(),
    }
}

fn find(st: &AppState, region: &str, zip: &str) -> Result<Arc<Job>, Box<Response>> {
    st.jobs
        .get(zip)
        .filter(|j| j.region == region)
        .ok_or_else(|| {
            Box::new(error(
                StatusCode::NOT_FOUND,
                format!("no bulk download {zip:?} in region {region}"),
            ))
        })
}

pub async fn status_one(
    State(st): St,
    Path((region, _v, zip)): Path<(String, String, String)>,
) -> Response {
    match find(&st, &region, &zip) {
        Ok(j) => shaped(&st, j.status_json(j.state())),
        Err(r) => *r,
    }
}

pub async fn status_all(State(st): St, Path((region, _v)): Path<(String, String)>) -> Response {
    // issue 8 (polling): `--status-all off|empty`.
    match st.cfg.status_all {
        StatusAll::Off => {
            return error(
                StatusCode::NOT_FOUND,
                "the all-jobs status is not offered (--status-all off)".to_string(),
            )
        }
        StatusAll::Empty => return Json(Vec::<StatusJson>::new()).into_response(),
        StatusAll::On => {}
    }
    let all: Vec<StatusJson> = st
        .jobs
        .all()
        .iter()
        .filter(|j| j.region == region)
        .map(|j| j.status_json(j.state()))
        .collect();
    Json(all).into_response()
}

pub async fn cancel(
    State(st): St,
    Path((region, _v, zip)): Path<(String, String, String)>,
) -> Response {
    match find(&st, &region, &zip) {
        Ok(j) => shaped(&st, j.status_json(j.cancel())),
        Err(r) => *r,
    }
}

pub async fn download(
    State(st): St,
    Path((region, _v, zip)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let job = match find(&st, &region, &zip) {
        Ok(j) => j,
        Err(r) => return *r,
    };
    let state = job.state();
    let ready = match job.ready() {
        Some(r) if state.downloadable() => r,
        _ => {
            return error(
                StatusCode::CONFLICT,
                format!("bulk download {zip} is {}, not DONE", state.as_str()),
            )
        }
    };
    let total = ready.len;
    let Some((range, a, b)) = body::requested(&headers, total) else {
        return body::unsatisfiable(total);
    };
    let stream = zip_stream(ready.plan.clone(), zip_range(range), CHUNK);
    let stream = body::shape(Box::pin(stream), st.shaping(b - a));
    body::respond(range, total, "application/zip", Some(&zip), stream)
}

/// The range argument of `zip_stream`: `None` = whole zip, else `(start, end_exclusive)`.
fn zip_range(r: RangeSpec) -> Option<(u64, u64)> {
    match r {
        // RangeSpec is end-exclusive; the zip writer takes an inclusive last byte. An empty
        // part cannot occur (those are answered 416 before streaming).
        RangeSpec::Part(a, b) => Some((a, b.saturating_sub(1).max(a))),
        _ => None,
    }
}

/// `GET /_sim/jobs`: every job with its fault decisions, for tests.
pub async fn sim_jobs(State(st): St) -> Response {
    let all: Vec<Value> = st
        .jobs
        .all()
        .iter()
        .map(|j| {
            let id_at = |i: Option<usize>| i.and_then(|i| j.included.get(i)).map(|o| o.id.clone());
            json!({
                "zipName": j.zip_name,
                "region": j.region,
                "index": j.index,
                "status": j.state().as_str(),
                "outcome": format!("{:?}", j.outcome),
                "ids": j.ids,
                "included": j.included.iter().map(|o| o.id.clone()).collect::<Vec<_>>(),
                "truncated": j.truncate.is_some(),
                "corruptId": id_at(j.corrupt),
                "duplicateId": id_at(j.duplicate),
                "zipBytes": j.ready().map(|r| r.len),
            })
        })
        .collect();
    Json(all).into_response()
}

//! `css-sync audit`, top to bottom: the catalog of the selection against the lake. It
//! connects read-only ([`S3Target::connect_read_only`]), pages the catalog per region with
//! the sync's search into the keys the sync would have written (at most
//! CSS_AUDIT_MAX_OBJECTS held), then lists the bucket under S3_PREFIX with ListObjectsV2
//! (1000 keys a page, one page held at a time) and judges each listed object: its catalog
//! record's size and MD5 ETag from the listing where they decide, `HeadObject` of the object
//! and its sidecar where they do not, and of unmatched objects to see whether they are in the
//! selection's scope (extras) — the HEADs of a page at most S3_CHECK_CONCURRENCY at once.
//! What is left of the catalog's keys after the listing is missing. The rules are
//! [`crate::audit_rules`], the report [`crate::audit_report`]. Never writes anything.

use crate::audit_report::{AuditReport, Finding, Kind};
use crate::audit_rules::{self as rules, Expected, Listed, Scope, Verdict, Written};
use crate::config::Settings;
use crate::css::CssClient;
use crate::failure::error_chain;
use crate::pipeline::PipelineError;
use crate::s3::{proof, S3Target};
use futures::{StreamExt, TryStreamExt};
use std::collections::HashMap;
use tokio_util::sync::CancellationToken;
use tracing::info;

/// ListObjectsV2 page size (S3's maximum).
const LIST_PAGE: i32 = 1000;

/// Audits the lake (or stops at `shutdown`, the report then marked interrupted).
pub async fn run(
    settings: Settings,
    max_objects: usize,
    shutdown: CancellationToken,
) -> Result<AuditReport, PipelineError> {
    let s3 = tokio::select! {
        s3 = S3Target::connect_read_only(settings.s3.clone()) => s3?,
        _ = shutdown.cancelled() => return Ok(stopped()),
    };
    let css = CssClient::new(settings.css.clone())?;
    let run = &settings.run;
    let regions = if run.regions.is_empty() {
        tokio::select! {
            r = css.regions_via(&run.discovery_region) => r?,
            _ = shutdown.cancelled() => return Ok(stopped()),
        }
    } else {
        run.regions.clone()
    };
    let f = &run.filter;
    let scope = Scope {
        regions: regions.clone(),
        types: f.types.clone(),
        since: f.since,
        until: f.until,
        // issue 10 (shard): the lake holds every shard's objects and keys carry no shard, so
        // one shard's audit cannot tell another shard's object from an extra: none judged.
        filtered: f.extra.is_some() || run.shard.is_split(),
    };
    let label = match (scope.filtered, scope.is_whole_lake()) {
        (true, _) if run.shard.is_split() => "not-judged (CSS_SHARD_COUNT)",
        (true, _) => "not-judged (CSS_FILTER)",
        (false, true) => "whole-lake",
        (false, false) => "selection",
    };
    info!(regions = ?regions, extras = label, "auditing the lake against the catalog");
    let mut report = AuditReport::new(regions.clone(), label, max_objects);
    let audit = async {
        match catalog(&css, &s3, &settings, &regions, max_objects, &mut report).await {
            Ok(expected) => lake(&s3, &settings, &scope, expected, &mut report).await,
            Err(e) => report.errors.push(e),
        }
    };
    let interrupted = tokio::select! {
        () = audit => false,
        _ = shutdown.cancelled() => true,
    };
    report.interrupted = interrupted;
    report.finish();
    Ok(report)
}

fn stopped() -> AuditReport {
    let mut r = AuditReport::new(vec![], "whole-lake", 0);
    r.interrupted = true;
    r
}

/// Every catalog object of the selection that must be in the lake, by its key.
async fn catalog(
    css: &CssClient,
    s3: &S3Target,
    settings: &Settings,
    regions: &[String],
    max_objects: usize,
    report: &mut AuditReport,
) -> Result<HashMap<String, Expected>, String> {
    let filter = &settings.run.filter;
    let mut expected = HashMap::new();
    for region in regions {
        let mut search = std::pin::pin!(css.search_window(region, filter));
        while let Some(rec) = search
            .try_next()
            .await
            .map_err(|e| format!("region {region}: {}", error_chain(&e)))?
        {
            // issue 10 (shard): only this shard's objects can be missing from its audit.
            if !settings.run.shard.owns(&rec.id) {
                report.other_shard(region, &rec.object_type);
                continue;
            }
            if rec
                .object_state
                .as_deref()
                .is_some_and(|s| s != "AVAILABLE")
            {
                report.skipped(region, &rec.object_type, true);
                continue;
            }
            let Ok(key) = s3.key_for(&rec, region) else {
                report.skipped(region, &rec.object_type, false);
                continue;
            };
            if expected.len() >= max_objects {
                return Err(format!(
                    "the selection holds more than {max_objects} objects \
                     (CSS_AUDIT_MAX_OBJECTS): narrow it (CSS_REGIONS, CSS_TYPES, CSS_SINCE, \
                     CSS_UNTIL) or raise the bound"
                ));
            }
            let e = Expected {
                region: region.clone(),
                id: rec.id.clone(),
                object_type: rec.object_type.clone(),
                size: rec.stored_bytes,
                checksum: crate::verify::catalog_checksum(&rec),
            };
            report.expected(&e);
            expected.insert(key, e);
        }
    }
    Ok(expected)
}

/// Lists the lake page by page, judging each object; what the listing never showed is
/// missing.
async fn lake(
    s3: &S3Target,
    settings: &Settings,
    scope: &Scope,
    mut expected: HashMap<String, Expected>,
    report: &mut AuditReport,
) {
    let prefix = settings.s3.keys.prefix();
    // Excluded whether or not this run writes the index: earlier runs may have.
    let index_root = settings.index.root.as_str();
    let kms = matches!(settings.s3.sse, Some(crate::s3::Sse::Kms { .. }));
    let mut pages = s3
        .client()
        .list_objects_v2()
        .bucket(&settings.s3.bucket)
        .prefix(prefix)
        .max_keys(LIST_PAGE)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(p) => p,
            Err(e) => {
                let e = s3.ctx.map("ListObjectsV2", e);
                report.errors.push(error_chain(&e));
                return;
            }
        };
        let mut heads = Vec::new();
        for o in page.contents() {
            let Some(key) = o.key() else { continue };
            if rules::is_own_file(key, prefix, index_root) {
                continue;
            }
            report.listed_objects += 1;
            let listed = Listed {
                size: o.size().and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
                e_tag: o.e_tag().map(proof::normalize),
            };
            match expected.remove(key) {
                Some(want) => match rules::judge_listed(&want, &listed, kms) {
                    Verdict::NeedsHead => heads.push(Head::Object(key.to_string(), want)),
                    v => record(report, &want, key, v),
                },
                None if scope.filtered => {}
                None => heads.push(Head::Unmatched(key.to_string(), listed.size)),
            }
        }
        let n = settings.run.check_concurrency;
        let judged: Vec<_> = futures::stream::iter(heads)
            .map(|h| head(s3, scope, kms, h))
            .buffer_unordered(n)
            .collect()
            .await;
        for j in judged {
            match j {
                Ok(Judged::Object(key, want, v)) => record(report, &want, &key, v),
                Ok(Judged::Extra(key, size)) => report.extra(Finding::extra(&key, size)),
                Ok(Judged::OutOfScope) => {}
                Err(e) => report.errors.push(e),
            }
        }
    }
    for (key, want) in expected {
        report.judged(Kind::Missing, Finding::of(&want, &key));
    }
}

/// A listed object the listing could not decide.
enum Head {
    Object(String, Expected),
    Unmatched(String, u64),
}

enum Judged {
    Object(String, Expected, Verdict),
    Extra(String, u64),
    OutOfScope,
}

fn listed_of(o: &crate::s3::ExistingObject) -> Listed {
    Listed {
        size: o.size,
        e_tag: o.e_tag.clone(),
    }
}

async fn head(s3: &S3Target, scope: &Scope, kms: bool, h: Head) -> Result<Judged, String> {
    let failed = |key: &str, e: crate::s3::S3Error| format!("{key}: {}", error_chain(&e));
    match h {
        Head::Object(key, want) => {
            let (object, recorded) = tokio::try_join!(s3.existing(&key), s3.recorded(&key))
                .map_err(|e| failed(&key, e))?;
            let v = match object {
                // Deleted between the listing and the HEAD.
                None => return Ok(Judged::Object(key, want, Verdict::NeedsHead)),
                // Servers whose listing carries no ETag (s3s-fs): the HEAD's ETag first.
                Some(o) => match rules::judge_listed(&want, &listed_of(&o), kms) {
                    Verdict::NeedsHead => rules::judge_headed(
                        &want,
                        o.e_tag.as_deref(),
                        o.md5_meta.as_deref(),
                        recorded.as_ref(),
                    ),
                    decided => decided,
                },
            };
            Ok(Judged::Object(key, want, v))
        }
        Head::Unmatched(key, size) => {
            let Some(o) = s3.head(&key).await.map_err(|e| failed(&key, e))? else {
                return Ok(Judged::OutOfScope);
            };
            let get = |k: &str| {
                o.metadata()
                    .and_then(|m| m.get(k))
                    .map(|s| s.trim().to_string())
            };
            let written = Written {
                region: get("css-region"),
                object_type: get("css-type"),
                created_time: get("css-created-time"),
            };
            Ok(match rules::is_extra(scope, &written) {
                true => Judged::Extra(key, size),
                false => Judged::OutOfScope,
            })
        }
    }
}

fn record(report: &mut AuditReport, want: &Expected, key: &str, v: Verdict) {
    let mut f = Finding::of(want, key);
    let kind = match v {
        Verdict::Match => Kind::Matched,
        Verdict::Unverified => Kind::Unverified,
        // Gone between the listing and its HEAD.
        Verdict::NeedsHead => Kind::Missing,
        Verdict::Mismatch {
            what,
            expected,
            found,
        } => {
            f.what = Some(what);
            f.expected = Some(expected);
            f.found = Some(found);
            Kind::Mismatched
        }
    };
    report.judged(kind, f);
}

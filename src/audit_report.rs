//! The report of `css-sync audit`: counts per region and type, each missing, mismatched,
//! unverified and extra object (id, key, expected vs found), the text summary and the exit
//! code (1 when anything is missing or mismatched; extras alone are listed, exit 0; 3 when
//! the audit could not be completed). Lists are bounded (`max_listed`); counts never are.

use crate::audit_rules::Expected;
use crate::report::exit;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One object the audit reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub object_type: Option<String>,
    pub key: String,
    /// What differs (`size`, `md5`, `css-md5`, `etag`), for mismatches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub what: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
}

impl Finding {
    pub fn of(e: &Expected, key: &str) -> Finding {
        Finding {
            region: Some(e.region.clone()),
            id: Some(e.id.clone()),
            object_type: Some(e.object_type.clone()),
            key: key.to_string(),
            what: None,
            expected: None,
            found: None,
        }
    }

    pub fn extra(key: &str, size: u64) -> Finding {
        Finding {
            region: None,
            id: None,
            object_type: None,
            key: key.to_string(),
            what: None,
            expected: None,
            found: Some(format!("{size} bytes")),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AuditCounts {
    /// Catalog objects of the selection that must be in the lake (AVAILABLE, key rendered).
    pub expected: u64,
    pub matched: u64,
    pub missing: u64,
    pub mismatched: u64,
    pub unverified: u64,
    pub not_available: u64,
    pub key_failed: u64,
    /// issue 10 (shard): catalog objects other shards own (not expected here); absent when 0.
    #[serde(skip_serializing_if = "is_zero")]
    pub other_shards: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditGroup {
    pub region: String,
    #[serde(rename = "type")]
    pub object_type: String,
    #[serde(flatten)]
    pub counts: AuditCounts,
}

/// The JSON report (`CSS_AUDIT_REPORT`).
#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    pub command: &'static str,
    pub regions: Vec<String>,
    /// How extras were judged: `whole-lake`, `selection` or `not-judged (CSS_FILTER)`.
    pub extras_scope: &'static str,
    pub listed_objects: u64,
    pub totals: AuditCounts,
    pub extra_count: u64,
    pub groups: Vec<AuditGroup>,
    pub missing: Vec<Finding>,
    pub mismatched: Vec<Finding>,
    pub unverified: Vec<Finding>,
    pub extra: Vec<Finding>,
    /// Findings beyond `max_listed` per list are counted, not listed.
    pub lists_truncated: bool,
    pub errors: Vec<String>,
    pub interrupted: bool,
    #[serde(skip)]
    max_listed: usize,
    #[serde(skip)]
    by_group: BTreeMap<(String, String), AuditCounts>,
}

/// Which list a finding goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Matched,
    Missing,
    Mismatched,
    Unverified,
}

impl AuditReport {
    pub fn new(regions: Vec<String>, extras_scope: &'static str, max_listed: usize) -> Self {
        AuditReport {
            command: "audit",
            regions,
            extras_scope,
            listed_objects: 0,
            totals: AuditCounts::default(),
            extra_count: 0,
            groups: vec![],
            missing: vec![],
            mismatched: vec![],
            unverified: vec![],
            extra: vec![],
            lists_truncated: false,
            errors: vec![],
            interrupted: false,
            max_listed,
            by_group: BTreeMap::new(),
        }
    }

    fn group(&mut self, region: &str, object_type: &str) -> &mut AuditCounts {
        self.by_group
            .entry((region.to_string(), object_type.to_string()))
            .or_default()
    }

    /// A catalog record that never reaches the lake (not AVAILABLE / no key).
    pub fn skipped(&mut self, region: &str, object_type: &str, not_available: bool) {
        let g = self.group(region, object_type);
        match not_available {
            true => g.not_available += 1,
            false => g.key_failed += 1,
        }
    }

    /// issue 10 (shard): a catalog object another shard owns (not this audit's to judge).
    pub fn other_shard(&mut self, region: &str, object_type: &str) {
        self.group(region, object_type).other_shards += 1;
    }

    /// A catalog object expected at a key.
    pub fn expected(&mut self, e: &Expected) {
        self.group(&e.region, &e.object_type).expected += 1;
    }

    /// The verdict on an expected object.
    pub fn judged(&mut self, kind: Kind, finding: Finding) {
        let region = finding.region.clone().unwrap_or_default();
        let t = finding.object_type.clone().unwrap_or_default();
        let g = self.group(&region, &t);
        let list = match kind {
            Kind::Matched => {
                g.matched += 1;
                return;
            }
            Kind::Missing => {
                g.missing += 1;
                &mut self.missing
            }
            Kind::Mismatched => {
                g.mismatched += 1;
                &mut self.mismatched
            }
            Kind::Unverified => {
                g.unverified += 1;
                &mut self.unverified
            }
        };
        if list.len() < self.max_listed {
            list.push(finding);
        } else {
            self.lists_truncated = true;
        }
    }

    pub fn extra(&mut self, finding: Finding) {
        self.extra_count += 1;
        if self.extra.len() < self.max_listed {
            self.extra.push(finding);
        } else {
            self.lists_truncated = true;
        }
    }

    /// Folds the groups into rows and totals; sorts the lists by key.
    pub fn finish(&mut self) {
        let mut t = AuditCounts::default();
        for ((region, object_type), c) in std::mem::take(&mut self.by_group) {
            t.expected += c.expected;
            t.matched += c.matched;
            t.missing += c.missing;
            t.mismatched += c.mismatched;
            t.unverified += c.unverified;
            t.not_available += c.not_available;
            t.key_failed += c.key_failed;
            t.other_shards += c.other_shards;
            self.groups.push(AuditGroup {
                region,
                object_type,
                counts: c,
            });
        }
        self.totals = t;
        for list in [
            &mut self.missing,
            &mut self.mismatched,
            &mut self.unverified,
            &mut self.extra,
        ] {
            list.sort_by(|a, b| a.key.cmp(&b.key));
        }
    }

    pub fn exit_code(&self) -> u8 {
        if self.interrupted {
            exit::INTERRUPTED
        } else if !self.errors.is_empty() {
            exit::FATAL
        } else if self.totals.missing > 0 || self.totals.mismatched > 0 {
            exit::OBJECTS_FAILED
        } else {
            exit::OK
        }
    }

    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let table = crate::report::table::Table {
            columns: &[
                ("expected", 8),
                ("matched", 8),
                ("missing", 8),
                ("mismatched", 10),
                ("unverified", 10),
            ],
        };
        table.header(&mut s);
        let row = |s: &mut String, r: &str, t: &str, c: &AuditCounts| {
            let cells = [c.expected, c.matched, c.missing, c.mismatched, c.unverified];
            table.row(s, r, t, &cells);
        };
        for g in &self.groups {
            row(&mut s, &g.region, &g.object_type, &g.counts);
        }
        row(&mut s, "total", "", &self.totals);
        let _ = writeln!(
            s,
            "extra objects ({}): {}; objects listed: {}",
            self.extras_scope, self.extra_count, self.listed_objects
        );
        for f in &self.missing {
            let _ = writeln!(s, "MISSING {} {}", f.id.as_deref().unwrap_or("?"), f.key);
        }
        for f in &self.mismatched {
            let _ = writeln!(
                s,
                "MISMATCHED {} {}: {} expected {}, found {}",
                f.id.as_deref().unwrap_or("?"),
                f.key,
                f.what.unwrap_or("?"),
                f.expected.as_deref().unwrap_or("?"),
                f.found.as_deref().unwrap_or("?")
            );
        }
        for f in &self.extra {
            let _ = writeln!(s, "EXTRA {} ({})", f.key, f.found.as_deref().unwrap_or(""));
        }
        if self.lists_truncated {
            let _ = writeln!(s, "(lists truncated; the counts are complete)");
        }
        for e in &self.errors {
            let _ = writeln!(s, "error: {e}");
        }
        if self.interrupted {
            let _ = writeln!(s, "interrupted: the audit is incomplete");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(id: &str) -> Expected {
        Expected {
            region: "us-east".into(),
            id: id.into(),
            object_type: "callrecording".into(),
            size: 1,
            checksum: "x".into(),
        }
    }

    #[test]
    fn exit_code_follows_missing_and_mismatched_not_extras() {
        let table: [(&[Kind], u64, bool, bool, u8); 7] = [
            (&[Kind::Matched], 0, false, false, exit::OK),
            (
                &[Kind::Matched, Kind::Unverified],
                0,
                false,
                false,
                exit::OK,
            ),
            (&[Kind::Matched], 3, false, false, exit::OK),
            (&[Kind::Missing], 0, false, false, exit::OBJECTS_FAILED),
            (&[Kind::Mismatched], 1, false, false, exit::OBJECTS_FAILED),
            (&[Kind::Mismatched], 0, true, false, exit::FATAL),
            (&[Kind::Matched], 0, true, true, exit::INTERRUPTED),
        ];
        for (i, (kinds, extras, error, interrupted, want)) in table.iter().enumerate() {
            let mut r = AuditReport::new(vec!["us-east".into()], "whole-lake", 10);
            for (n, k) in kinds.iter().enumerate() {
                let x = e(&format!("id{n}"));
                r.expected(&x);
                r.judged(*k, Finding::of(&x, &format!("k{n}")));
            }
            for n in 0..*extras {
                r.extra(Finding::extra(&format!("extra{n}"), 5));
            }
            if *error {
                r.errors.push("listing failed".into());
            }
            r.interrupted = *interrupted;
            r.finish();
            assert_eq!(r.exit_code(), *want, "row {i}");
            assert_eq!(r.totals.expected, kinds.len() as u64, "row {i}");
            assert_eq!(r.extra_count, *extras, "row {i}");
        }
    }

    #[test]
    fn lists_are_bounded_counts_are_not() {
        let mut r = AuditReport::new(vec![], "whole-lake", 2);
        for n in 0..5 {
            let x = e(&format!("id{n}"));
            r.expected(&x);
            r.judged(Kind::Missing, Finding::of(&x, &format!("k{}", 4 - n)));
            r.extra(Finding::extra(&format!("x{n}"), 1));
        }
        r.finish();
        assert_eq!(r.totals.missing, 5);
        assert_eq!(r.missing.len(), 2);
        assert_eq!(r.missing[0].key, "k3", "sorted by key");
        assert_eq!((r.extra_count, r.extra.len()), (5, 2));
        assert!(r.lists_truncated);
        assert!(r
            .to_text()
            .contains("(lists truncated; the counts are complete)"));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["groups"][0]["missing"], 5);
        assert_eq!(json["missing"][0]["id"], "id1");
        assert!(json["extra"][0].get("id").is_none());
    }
}

//! Pure batching: catalog records → bulk-job batches. A batch is bounded by object count and
//! by total storedBytes (well under the server's 2 GB zip limit), and never holds two objects
//! with the same objectName — zip entries are matched to records by name, so a repeated name
//! inside one zip would be ambiguous. Objects too large for any batch become single-object
//! downloads. No I/O here.

use crate::css::model::ObjectRecord;
use std::collections::HashSet;

/// How many batches stay open for first-fit placement before the oldest is emitted; a few
/// open batches absorb objectName collisions and large objects without emitting tiny batches.
const MAX_OPEN: usize = 4;

/// Bounds of one bulk job.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_objects: usize,
    pub max_bytes: u64,
}

/// A unit of download work.
#[derive(Debug, Clone, PartialEq)]
pub enum Work {
    /// Objects for one bulk download job (a zip).
    Bulk(Vec<ObjectRecord>),
    /// One object too large for any zip: single-object download.
    Single(Box<ObjectRecord>),
}

#[derive(Debug, Default)]
struct Open {
    records: Vec<ObjectRecord>,
    bytes: u64,
    names: HashSet<String>,
}

impl Open {
    fn fits(&self, rec: &ObjectRecord, limits: Limits) -> bool {
        self.records.len() < limits.max_objects
            && self.bytes + rec.stored_bytes <= limits.max_bytes
            && !self.names.contains(&rec.object_name)
    }
}

/// Groups records into [`Work`] as they stream in.
#[derive(Debug)]
pub struct Batcher {
    limits: Limits,
    open: Vec<Open>,
}

impl Batcher {
    pub fn new(limits: Limits) -> Self {
        assert!(
            limits.max_objects > 0 && limits.max_bytes > 0,
            "limits are validated in config"
        );
        Batcher {
            limits,
            open: Vec::new(),
        }
    }

    /// Adds a record; returns the work that became ready (zero, one or two items).
    pub fn push(&mut self, rec: ObjectRecord) -> Vec<Work> {
        if rec.stored_bytes > self.limits.max_bytes {
            return vec![Work::Single(Box::new(rec))];
        }
        let mut ready = Vec::new();
        let idx = match self.open.iter().position(|b| b.fits(&rec, self.limits)) {
            Some(i) => i,
            None => {
                if self.open.len() == MAX_OPEN {
                    ready.push(Work::Bulk(self.open.remove(0).records));
                }
                self.open.push(Open::default());
                self.open.len() - 1
            }
        };
        let batch = &mut self.open[idx];
        batch.bytes += rec.stored_bytes;
        batch.names.insert(rec.object_name.clone());
        batch.records.push(rec);
        if batch.records.len() == self.limits.max_objects || batch.bytes == self.limits.max_bytes {
            ready.push(Work::Bulk(self.open.remove(idx).records));
        }
        ready
    }

    /// Emits every open batch (end of the catalog).
    pub fn finish(self) -> Vec<Work> {
        self.open
            .into_iter()
            .filter(|b| !b.records.is_empty())
            .map(|b| Work::Bulk(b.records))
            .collect()
    }
}

/// Splits objects to retry into groups in which no two share a last name segment (the part
/// after the last `/` or `:`), first fit, order kept: a zip whose entry names drop the
/// directories (see [`crate::entry_names`]) is ambiguous only when such names share a job.
/// One group when the segments are already unique (the usual case).
pub fn unique_suffix_groups<T>(items: Vec<T>, name: impl Fn(&T) -> &str) -> Vec<Vec<T>> {
    let mut groups: Vec<(HashSet<Vec<u8>>, Vec<T>)> = Vec::new();
    for item in items {
        let last = crate::entry_names::last_segment(name(&item).as_bytes()).to_vec();
        match groups.iter_mut().find(|(seen, _)| !seen.contains(&last)) {
            Some((seen, group)) => {
                seen.insert(last);
                group.push(item);
            }
            None => groups.push((HashSet::from([last]), vec![item])),
        }
    }
    groups.into_iter().map(|(_, g)| g).collect()
}

/// Splits a batch in two halves, to isolate a poison object after a FAILED job.
pub fn split<T>(mut items: Vec<T>) -> (Vec<T>, Vec<T>) {
    let back = items.split_off(items.len() / 2);
    (items, back)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: usize, name: &str, bytes: u64) -> ObjectRecord {
        serde_json::from_value(serde_json::json!({
            "id": format!("id-{id}"), "type": "callrecording", "objectName": name,
            "storedBytes": bytes, "createdTime": "2026-11-01T00:00:00"
        }))
        .unwrap()
    }

    fn run(limits: Limits, recs: Vec<ObjectRecord>) -> Vec<Work> {
        let mut b = Batcher::new(limits);
        let mut out: Vec<Work> = recs.into_iter().flat_map(|r| b.push(r)).collect();
        out.extend(b.finish());
        out
    }

    fn ids(w: &[Work]) -> Vec<String> {
        let mut v: Vec<String> = w
            .iter()
            .flat_map(|w| match w {
                Work::Bulk(r) => r.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
                Work::Single(r) => vec![r.id.clone()],
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn bounded_by_count_and_bytes_and_nothing_lost() {
        let limits = Limits {
            max_objects: 3,
            max_bytes: 100,
        };
        let recs: Vec<_> = (0..20)
            .map(|i| rec(i, &format!("n{i}"), 10 + i as u64 * 3))
            .collect();
        let mut want: Vec<String> = recs.iter().map(|r| r.id.clone()).collect();
        want.sort();
        let work = run(limits, recs);
        assert_eq!(ids(&work), want, "every record exactly once");
        for w in &work {
            let Work::Bulk(r) = w else {
                panic!("no singles expected")
            };
            assert!(!r.is_empty() && r.len() <= 3);
            assert!(r.iter().map(|r| r.stored_bytes).sum::<u64>() <= 100);
        }
    }

    #[test]
    fn too_large_goes_single_and_exact_fit_emits() {
        let limits = Limits {
            max_objects: 10,
            max_bytes: 100,
        };
        let work = run(
            limits,
            vec![rec(1, "a", 101), rec(2, "b", 100), rec(3, "c", 0)],
        );
        assert_eq!(work[0], Work::Single(Box::new(rec(1, "a", 101))));
        assert_eq!(work[1], Work::Bulk(vec![rec(2, "b", 100)]));
        assert_eq!(work[2], Work::Bulk(vec![rec(3, "c", 0)]));
    }

    #[test]
    fn repeated_object_names_never_share_a_batch() {
        let limits = Limits {
            max_objects: 100,
            max_bytes: 1 << 30,
        };
        let recs: Vec<_> = (0..30)
            .map(|i| rec(i, if i % 3 == 0 { "same" } else { "x" }, 1))
            .collect();
        let work = run(limits, recs);
        assert_eq!(ids(&work).len(), 30);
        for w in &work {
            let Work::Bulk(r) = w else { panic!() };
            let names: HashSet<_> = r.iter().map(|r| &r.object_name).collect();
            assert_eq!(names.len(), r.len(), "duplicate name in one batch");
        }
    }

    #[test]
    fn retry_groups_keep_last_segments_unique() {
        let names = [
            "a/x.mp3", "b:x.mp3", "c/y.mp3", "x.mp3", "d/z.mp3", "e/y.mp3",
        ];
        let groups = unique_suffix_groups(names.to_vec(), |n| n);
        assert_eq!(
            groups,
            vec![
                vec!["a/x.mp3", "c/y.mp3", "d/z.mp3"],
                vec!["b:x.mp3", "e/y.mp3"],
                vec!["x.mp3"],
            ]
        );
        let unique = unique_suffix_groups(vec!["a/1", "a/2", "b:3"], |n| n);
        assert_eq!(unique, vec![vec!["a/1", "a/2", "b:3"]]);
        assert!(unique_suffix_groups(Vec::<&str>::new(), |n| n).is_empty());
    }

    #[test]
    fn split_halves() {
        let (a, b) = split((0..5).map(|i| rec(i, "n", 1)).collect());
        assert_eq!((a.len(), b.len()), (2, 3));
        let (a, b) = split(vec![rec(0, "n", 1)]);
        assert_eq!((a.len(), b.len()), (0, 1));
    }
}

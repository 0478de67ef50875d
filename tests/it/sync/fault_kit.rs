//! The fault suite's shared parts: a small catalog that exercises both upload paths (single
//! PutObject and multipart with 5 MiB parts), the measurement every fault scenario makes —
//! reading the bucket DIRECTLY (never through the proxy) and hashing every object against the
//! catalog — as one [`Row`] (optionally appended to the markdown table `$FAULT_TABLE`), and
//! the assertions of the fixed behaviour: nothing corrupt left looking verified, a truthful
//! report, the documented exit code, and after a clean re-run every object exactly once,
//! intact, with no multipart upload left open. It never injects a fault itself.

use super::check::{assert_bucket_matches, available};
use crate::support::fault_proxy::{Entry, Op};
use crate::support::procs::{run_sync_at, sim_catalog, spawn_sim, Proc, SyncRun};
use crate::support::s3::{read_back, S3Kind, S3Server};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

pub const BUCKET: &str = "lake";
pub const MIB: u64 = 1024 * 1024;
/// The flags every fault run uses: 5 MiB parts (the S3 minimum) so that the two large objects
/// go multipart, small batches so that several jobs run.
pub const FLAGS: &[&str] = &["--part-size", "5MiB", "--batch-max-objects", "4"];
/// How long a fault run may take before it counts as hung (killed, exit -1).
pub const RUN_LIMIT: Duration = Duration::from_secs(150);

/// 10 objects, 16.5 MiB: 8 small ones and two multipart ones (2 and 3 parts).
pub fn catalog() -> Vec<Value> {
    let sizes = [
        1,
        700,
        10_000,
        64_000,
        100_000,
        200_000,
        300_000,
        512_000,
        5 * MIB + 1,
        11 * MIB,
    ];
    sizes
        .iter()
        .enumerate()
        .map(|(i, size)| {
            json!({
                "id": format!("fa000000-0000-4000-8000-{i:012}"), "region": "us-east",
                "type": "callrecording", "mimeType": "audio/mpeg",
                "objectName": format!("fault-{i}.mp3"), "storedBytes": size,
                "createdTime": "2026-11-20T10:15:00", "objectState": "AVAILABLE",
                "tags": [{"key": "callId", "value": format!("call-{i}")}]
            })
        })
        .collect()
}

/// css-sim over [`catalog`] with `extra` flags, and its AVAILABLE records.
pub async fn sim(extra: &[&str]) -> (Proc, Vec<Value>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.json");
    std::fs::write(&path, serde_json::to_vec(&catalog()).unwrap()).unwrap();
    let mut args = vec![
        "--catalog",
        path.to_str().unwrap(),
        "--prep-base-ms",
        "0",
        "--prep-rate",
        "0",
        "--regions",
        "us-east",
    ];
    args.extend_from_slice(extra);
    let sim = spawn_sim(&args);
    let expected = available(&sim_catalog(&sim).await);
    assert_eq!(expected.len(), 10);
    (sim, expected, dir)
}

/// A started S3 server of `kind` with the bucket.
pub async fn s3(kind: S3Kind) -> S3Server {
    let s3 = S3Server::start_async(kind).await;
    s3.create_bucket(BUCKET).await;
    s3
}

/// A run through `endpoint` with the suite's flags (plus `extra`), limited to [`RUN_LIMIT`].
pub async fn run(sim: &Proc, s3: &S3Server, endpoint: &str, extra: &[&str]) -> SyncRun {
    let mut flags = FLAGS.to_vec();
    flags.extend_from_slice(extra);
    run_sync_at(sim, s3, endpoint, BUCKET, &flags, &[], RUN_LIMIT).await
}

/// One line of the before/after table.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub scenario: String,
    pub objects: usize,
    /// Selected objects whose bytes in the bucket are the catalog's (MD5 read back).
    pub landed_intact: usize,
    pub lost: usize,
    /// Keys written more than once by an un-faulted, successful PutObject or
    /// CompleteMultipartUpload (proxy log): two workers, or a write that was not needed.
    pub written_twice: usize,
    /// Objects whose stored bytes differ from the catalog while carrying its `css-md5`.
    pub corrupt_but_verified: usize,
    pub orphan_uploads: usize,
    pub exit: i32,
}

/// What the bucket holds now, measured against `expected`: (landed intact, corrupt but
/// labelled verified).
pub async fn bucket_state(s3: &S3Server, expected: &[Value]) -> (usize, usize) {
    let by_id: BTreeMap<&str, &Value> = expected
        .iter()
        .map(|o| (o["id"].as_str().unwrap(), o))
        .collect();
    let mut intact = std::collections::BTreeSet::new();
    let mut corrupt = 0;
    for (key, obj) in read_back(&s3.client(), BUCKET).await {
        if key.ends_with(".metadata.json") || super::check::is_own_file(&key) {
            continue;
        }
        let Some(rec) = obj
            .metadata
            .get("css-object-id")
            .and_then(|id| by_id.get(id.as_str()))
        else {
            continue;
        };
        let good = obj.md5 == rec["md5"].as_str().unwrap()
            && obj.size == rec["storedBytes"].as_u64().unwrap();
        if good {
            intact.insert(rec["id"].as_str().unwrap().to_string());
        } else if obj.metadata.contains_key("css-md5") {
            corrupt += 1;
        }
    }
    (intact.len(), corrupt)
}

/// Keys written while an earlier write of theirs still stood: a successful, un-faulted
/// PutObject / CompleteMultipartUpload over an object that no DeleteObject had removed (two
/// workers, or a write that was not needed). A write whose stored bytes failed their proof
/// is deleted by css-sync before its retry, so that retry does not count.
pub fn written_twice(log: &[Entry]) -> usize {
    let twice = doubles(log, false);
    if !twice.is_empty() {
        eprintln!("keys written more than once: {twice:?}");
    }
    twice.len()
}

/// Of [`written_twice`], the keys whose two writes were in flight at the same time (the
/// server's `If-None-Match` check raced: moto checks, then completes, without a lock), and
/// the sidecars of those objects (each writer then writes its own).
pub fn raced_writes(log: &[Entry]) -> usize {
    let raced = doubles(log, true);
    let twice = doubles(log, false);
    twice
        .iter()
        .filter(|k| {
            raced.contains(*k)
                || k.strip_suffix(".metadata.json")
                    .is_some_and(|object| raced.contains(object))
        })
        .count()
}

/// Keys written over a standing write of theirs; with `overlapping`, only where the two
/// writes overlapped in time.
fn doubles(log: &[Entry], overlapping: bool) -> std::collections::BTreeSet<&str> {
    let ok = |e: &Entry| e.fault.is_none() && e.status.is_some_and(|s| (200..300).contains(&s));
    let mut standing: BTreeMap<&str, Option<&Entry>> = BTreeMap::new();
    let mut twice = std::collections::BTreeSet::new();
    for e in log.iter().filter(|e| ok(e)) {
        let write = match e.op {
            Op::PutObject | Op::CompleteMultipartUpload => true,
            Op::DeleteObject => false,
            _ => continue,
        };
        let path = e.path.as_str();
        if let (true, Some(Some(prev))) = (write, standing.get(path)) {
            let raced = prev.during.end > e.during.start && e.during.end > prev.during.start;
            if !overlapping || raced {
                twice.insert(path);
            }
        }
        standing.insert(path, write.then_some(e));
    }
    twice
}

impl Row {
    /// The row after the faulted run `faulted` (before any re-run).
    pub async fn measure(
        scenario: &str,
        s3: &S3Server,
        expected: &[Value],
        log: &[Entry],
        faulted: &SyncRun,
    ) -> Row {
        let (landed_intact, corrupt_but_verified) = bucket_state(s3, expected).await;
        Row {
            scenario: scenario.to_string(),
            objects: expected.len(),
            landed_intact,
            lost: expected.len() - landed_intact,
            written_twice: written_twice(log),
            corrupt_but_verified,
            orphan_uploads: s3.open_multipart_uploads(BUCKET).await,
            exit: faulted.code,
        }
    }

    /// After the next clean run: uploads still open, and corrupt objects still verified.
    pub async fn after_rerun(&mut self, s3: &S3Server, expected: &[Value], log: &[Entry]) {
        self.orphan_uploads = s3.open_multipart_uploads(BUCKET).await;
        let (_, corrupt) = bucket_state(s3, expected).await;
        self.corrupt_but_verified = self.corrupt_but_verified.max(corrupt);
        self.written_twice = written_twice(log);
    }

    /// Appends the row to `$FAULT_TABLE` (markdown; the header when the file is new).
    pub fn record(&self) {
        eprintln!("fault row: {self:?}");
        let Some(path) = std::env::var_os("FAULT_TABLE") else {
            return;
        };
        let new = std::fs::metadata(&path)
            .map(|m| m.len() == 0)
            .unwrap_or(true);
        let mut text = String::new();
        if new {
            text.push_str("| scenario | objects | landed intact | lost | written twice | corrupt-but-verified | orphan uploads | exit |\n|---|---|---|---|---|---|---|---|\n");
        }
        let exit = if self.exit == -1 {
            "hung (killed)".to_string()
        } else {
            self.exit.to_string()
        };
        text.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            self.scenario,
            self.objects,
            self.landed_intact,
            self.lost,
            self.written_twice,
            self.corrupt_but_verified,
            self.orphan_uploads,
            exit
        ));
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .expect("open FAULT_TABLE");
        f.write_all(text.as_bytes()).expect("write FAULT_TABLE");
    }
}

/// Sidecars in the bucket whose object is not there.
pub async fn sidecars_without_object(s3: &S3Server) -> Vec<String> {
    let stored = read_back(&s3.client(), BUCKET).await;
    stored
        .keys()
        .filter_map(|k| k.strip_suffix(".metadata.json"))
        .filter(|object| !stored.contains_key(*object))
        .map(str::to_string)
        .collect()
}

/// The report tells the truth: found = present + exported + failed, every failure has a
/// stage and a reason, and it claims no more objects than landed intact.
pub fn assert_truthful(run: &SyncRun, landed_intact: usize) {
    assert!(
        run.report.is_object(),
        "no JSON report (exit {}):\n{}",
        run.code,
        run.stderr
    );
    let found = run.total("found");
    let (present, exported, failed) = (
        run.total("already_present"),
        run.total("exported"),
        run.total("failed"),
    );
    assert_eq!(
        found,
        present + exported + failed,
        "bookkeeping: {}",
        run.report["totals"]
    );
    let listed = run.report["failed"].as_array().expect("failed list");
    assert_eq!(listed.len() as u64, failed, "one entry per failed object");
    for f in listed {
        assert!(
            !f["reason"].as_str().unwrap_or("").is_empty() && f["stage"].is_string(),
            "a failure without stage or reason: {f}"
        );
    }
    assert!(
        (present + exported) as usize <= landed_intact,
        "the report claims {present} present + {exported} exported but only {landed_intact} are intact"
    );
}

/// The documented exit code of a run that could proceed: 0 when nothing failed, 1 otherwise.
pub fn assert_exit_matches_report(run: &SyncRun) {
    let want = if run.total("failed") == 0 { 0 } else { 1 };
    assert_eq!(
        run.code, want,
        "exit code vs report {}:\n{}",
        run.report["totals"], run.stderr
    );
}

/// The next run, clean: no fault (through `endpoint`, which may be a proxy without rules, so
/// that its writes are counted too). `envs` e.g. `S3_ABORT_UPLOADS_OLDER_THAN`.
pub async fn clean_rerun(
    sim: &Proc,
    s3: &S3Server,
    endpoint: &str,
    envs: &[(&str, &str)],
) -> SyncRun {
    run_sync_at(sim, s3, endpoint, BUCKET, FLAGS, envs, RUN_LIMIT).await
}

/// After the clean re-run: exit 0, every object exactly once with the catalog's bytes and
/// its sidecar, nothing else, no multipart upload open.
pub async fn assert_clean(s3: &S3Server, expected: &[Value], again: &SyncRun) {
    assert_eq!(again.code, 0, "the clean re-run failed:\n{}", again.stderr);
    assert_truthful(again, expected.len());
    assert_bucket_matches(s3, BUCKET, expected).await;
}

#[test]
fn written_twice_counts_overwrites_not_retries_after_our_delete() {
    let t0 = std::time::Instant::now();
    let at = |ms: u64| t0 + Duration::from_millis(ms);
    let n = std::cell::Cell::new(0);
    let e = |op: Op, path: &str, status: u16, fault: Option<&'static str>| {
        // One after another, 10 ms each.
        n.set(n.get() + 1);
        Entry {
            method: String::new(),
            path: path.to_string(),
            query: String::new(),
            op,
            status: Some(status),
            fault,
            during: at(20 * n.get())..at(20 * n.get() + 10),
        }
    };
    let log = [
        // a: written, proof failed, deleted, written again: once.
        e(Op::PutObject, "/b/a", 200, None),
        e(Op::DeleteObject, "/b/a", 204, None),
        e(Op::PutObject, "/b/a", 200, None),
        // b: a faulted write and a refused (412) one do not count.
        e(Op::PutObject, "/b/b", 200, Some("flip")),
        e(Op::PutObject, "/b/b", 200, None),
        e(Op::PutObject, "/b/b", 412, None),
        // c: written twice with nothing removing the first.
        e(Op::CompleteMultipartUpload, "/b/c", 200, None),
        e(Op::PutObject, "/b/c", 200, None),
    ];
    assert_eq!(written_twice(&log), 1);
    assert_eq!(raced_writes(&log), 0);
    // d: two writes in flight at once, both answered 200 (the server's check raced), and
    // then both writers' sidecars.
    let mut d = e(Op::CompleteMultipartUpload, "/b/d", 200, None);
    let mut d2 = d.clone();
    d.during = at(1000)..at(1100);
    d2.during = at(1050)..at(1150);
    let template = d.clone();
    let sidecar = |ms| Entry {
        path: "/b/d.metadata.json".into(),
        op: Op::PutObject,
        during: at(ms)..at(ms + 10),
        ..template.clone()
    };
    let log: Vec<Entry> = log
        .into_iter()
        .chain([d, d2, sidecar(1200), sidecar(1300)])
        .collect();
    assert_eq!(written_twice(&log), 3);
    assert_eq!(raced_writes(&log), 2);
}

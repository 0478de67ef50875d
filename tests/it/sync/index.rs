//! The metadata index end to end: a real sync into s3s-fs (which stores objects as plain
//! files, so the index is read from disk), then DuckDB (PyPI `duckdb`, installed by
//! tests/run.sh) reads the JSON Lines back with Hive partitioning. Its count per type and day
//! must equal the run's JSON report and css-sim's catalog; every row's key must be in S3 with
//! the row's ETag; failed objects have no row; a no-op re-run writes no index file.

use super::check::{assert_bucket_matches, available, INDEX_ROOT};
use crate::support::procs::{run_sync, sim_catalog, spawn_sim, words};
use crate::support::s3::{S3Kind, S3Server};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every file under `dir`, as paths relative to `base` with `/` separators.
fn files_under(base: &Path, dir: &Path, out: &mut BTreeSet<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries {
        let path = e.unwrap().path();
        if path.is_dir() {
            files_under(base, &path, out);
        } else {
            let rel = path.strip_prefix(base).unwrap().to_string_lossy();
            out.insert(rel.replace('\\', "/"));
        }
    }
}

/// The index files of `bucket` as s3s-fs stored them: key → path on disk.
fn index_files(s3: &S3Server, bucket: &str) -> BTreeSet<String> {
    let base = s3.root().join(bucket);
    let mut out = BTreeSet::new();
    files_under(&base, &base.join(INDEX_ROOT), &mut out);
    out
}

/// Runs `sql` in DuckDB (python3 -c), returning the rows as JSON objects.
pub fn duckdb(sql: &str) -> Vec<Value> {
    const SCRIPT: &str = "import duckdb, json, sys\n\
        r = duckdb.sql(sys.argv[1])\n\
        cols = [d[0] for d in r.description]\n\
        print(json.dumps([dict(zip(cols, row)) for row in r.fetchall()], default=str))";
    let out = std::process::Command::new("python3")
        .args(["-c", SCRIPT, sql])
        .output()
        .expect("run python3 (install duckdb: see tests/run.sh)");
    assert!(
        out.status.success(),
        "duckdb query failed:\n{sql}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("duckdb JSON")
}

/// `read_json_auto` over the index files of `bucket`, Hive partitions as columns.
fn index_table(s3: &S3Server, bucket: &str) -> String {
    let glob = s3.root().join(bucket).join(INDEX_ROOT).join("**/*.jsonl");
    format!(
        "read_json_auto('{}', hive_partitioning = true, format = 'newline_delimited')",
        glob.display()
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn index_rows_match_report_catalog_and_s3_and_a_rerun_adds_no_file() {
    let sim = spawn_sim(&words(concat!(
        "--seed 21 --objects 40 --max-object-size 60KB --prep-base-ms 0 --prep-rate 0",
        " --window-days 3 --now 2026-11-21T12:00:00 --fault-poison-count 1",
    )));
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket("lake").await;
    let catalog = sim_catalog(&sim).await;
    let poison: Vec<&str> = catalog
        .iter()
        .filter(|o| o["poison"] == true)
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    let exported: Vec<Value> = available(&catalog)
        .into_iter()
        .filter(|o| !poison.contains(&o["id"].as_str().unwrap()))
        .collect();
    let flags = [
        "--batch-max-objects",
        "8",
        "--object-attempts",
        "2",
        "--index-file-max-rows",
        "2",
    ];
    let run = run_sync(&sim, &s3, "lake", &flags).await;
    assert_eq!(run.code, 1, "the poison object fails\n{}", run.stderr);
    assert_bucket_matches(&s3, "lake", &exported).await;
    let run_id = run.report["run_id"].as_str().expect("run_id in the report");
    assert!(run.stderr.contains(run_id), "the run id is logged");

    // The files on disk are the ones the report lists, named after the run.
    let on_disk = index_files(&s3, "lake");
    let listed: BTreeSet<String> = run.report["index"]["files"]
        .as_array()
        .expect("index.files")
        .iter()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    assert_eq!(on_disk, listed);
    assert_eq!(run.report["index"]["rows"], exported.len());
    assert!(
        listed
            .iter()
            .any(|k| k.ends_with(&format!("part-{run_id}.jsonl"))),
        "{listed:?}"
    );
    assert!(
        listed
            .iter()
            .any(|k| k.ends_with(&format!("part-{run_id}-0002.jsonl"))),
        "partitions over 2 rows get numbered files: {listed:?}"
    );
    for k in &listed {
        let rest = k.strip_prefix(INDEX_ROOT).unwrap();
        let parts: Vec<&str> = rest.split('/').collect();
        assert_eq!(parts.len(), 4, "{k}");
        assert!(parts[0].starts_with("region=") && parts[1].starts_with("type="));
        assert!(parts[2].starts_with("date=2026-11-"), "{k}");
    }

    // DuckDB: count per type and day, against the catalog and the report.
    let table = index_table(&s3, "lake");
    let counted = duckdb(&format!(
        "SELECT type, CAST(date AS VARCHAR) AS day, count(*) AS n FROM {table} GROUP BY ALL"
    ));
    let from_duckdb: BTreeMap<(String, String), u64> = counted
        .iter()
        .map(|r| {
            let key = (r["type"].as_str().unwrap(), r["day"].as_str().unwrap());
            ((key.0.into(), key.1.into()), r["n"].as_u64().unwrap())
        })
        .collect();
    let mut from_catalog: BTreeMap<(String, String), u64> = BTreeMap::new();
    for o in &exported {
        let day = o["createdTime"].as_str().unwrap()[..10].to_string();
        *from_catalog
            .entry((o["type"].as_str().unwrap().into(), day))
            .or_default() += 1;
    }
    assert_eq!(from_duckdb, from_catalog, "count per type and day");
    let mut per_type: BTreeMap<String, u64> = BTreeMap::new();
    for ((ty, _), n) in &from_duckdb {
        *per_type.entry(ty.clone()).or_default() += n;
    }
    let mut report_per_type: BTreeMap<String, u64> = BTreeMap::new();
    for g in run.report["groups"].as_array().unwrap() {
        let n = g["exported"].as_u64().unwrap();
        if n > 0 {
            *report_per_type
                .entry(g["type"].as_str().unwrap().into())
                .or_default() += n;
        }
    }
    assert_eq!(
        per_type, report_per_type,
        "count per type against the report"
    );

    // Every row: its object, in S3 with that ETag; the run id; the catalog's tags.
    let rows = duckdb(&format!(
        "SELECT id, s3_key, etag, run_id, region, checksum, stored_bytes, duration, \
         to_json(tags) AS tags FROM {table}"
    ));
    assert_eq!(rows.len(), exported.len());
    let by_id: BTreeMap<&str, &Value> = exported
        .iter()
        .map(|o| (o["id"].as_str().unwrap(), o))
        .collect();
    let client = s3.client();
    let mut ids = BTreeSet::new();
    for r in &rows {
        let id = r["id"].as_str().unwrap();
        assert!(ids.insert(id), "one row per object: {id}");
        assert!(!poison.contains(&id), "the failed object has no row");
        let rec = by_id
            .get(id)
            .unwrap_or_else(|| panic!("row for unexported {id}"));
        assert_eq!(r["run_id"], run_id);
        assert_eq!(r["region"], rec["region"]);
        assert_eq!(r["checksum"], rec["checksum"]);
        assert_eq!(r["stored_bytes"], rec["storedBytes"]);
        let tags: Value = serde_json::from_str(r["tags"].as_str().unwrap()).unwrap();
        for t in rec["tags"].as_array().unwrap() {
            let key = t["key"].as_str().unwrap();
            assert!(tags.get(key).is_some(), "{id}: tag {key} in {tags}");
        }
        let want_duration = rec["tags"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["key"] == "duration")
            .and_then(|t| t["value"].as_str()?.parse::<i64>().ok());
        assert_eq!(r["duration"].as_i64(), want_duration, "{id}: duration");
        let head = client
            .head_object()
            .bucket("lake")
            .key(r["s3_key"].as_str().unwrap())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{id}: key {} not in S3: {e:?}", r["s3_key"]));
        assert_eq!(
            head.e_tag().map(|t| t.trim_matches('"')),
            r["etag"].as_str(),
            "{id}: ETag"
        );
    }
    for f in run.report["failed"].as_array().unwrap() {
        assert!(
            !ids.contains(f["id"].as_str().unwrap()),
            "failed {f} has a row"
        );
    }

    // A re-run exports nothing (the poison object fails again) and writes no index file.
    let again = run_sync(&sim, &s3, "lake", &flags).await;
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert_eq!(again.total("exported"), 0);
    assert_eq!(again.report["index"]["files"], serde_json::json!([]));
    assert_eq!(index_files(&s3, "lake"), on_disk, "no new index file");
}

#[tokio::test(flavor = "multi_thread")]
async fn index_off_writes_nothing_and_a_prefix_moves_it() {
    let sim = spawn_sim(&words(
        "--seed 4 --objects 6 --max-object-size 20KB --prep-base-ms 0 --prep-rate 0",
    ));
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket("lake").await;
    let off = run_sync(&sim, &s3, "lake", &["--index", "false"]).await;
    assert_eq!(off.code, 0, "{}", off.stderr);
    assert!(off.report.get("index").is_none());
    assert!(index_files(&s3, "lake").is_empty());

    s3.create_bucket("other").await;
    let moved = run_sync(
        &sim,
        &s3,
        "other",
        &["--prefix", "lake/v1", "--index-prefix", "meta/idx"],
    )
    .await;
    assert_eq!(moved.code, 0, "{}", moved.stderr);
    let files = moved.report["index"]["files"].as_array().unwrap();
    assert!(!files.is_empty());
    for f in files {
        let key = f.as_str().unwrap();
        assert!(key.starts_with("lake/v1/meta/idx/region="), "{key}");
        assert!(s3.root().join("other").join(key).is_file(), "{key}");
    }
}

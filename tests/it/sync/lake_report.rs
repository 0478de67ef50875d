//! Issue 7 (lakereport): the run report in the bucket, `_css-sync/reports/<run-id>.json` and
//! `.jsonl`, written by the real binary into SeaweedFS and moto. The summary must carry the
//! local report's numbers; `errors` (default) lists exactly the failed objects with stage and
//! reason; `all` lists every object found, with the key, size, checksum and ETag of what is
//! really in the bucket, split into numbered files at a small line bound. The runs that end
//! otherwise (exit 3, interrupt, a report that cannot be written) are in `lake_report_ends.rs`.

use super::check::{assert_bucket_matches, available, REPORTS_ROOT};
use crate::support::procs::{run_sync, sim_catalog, spawn_sim, words, SyncRun};
use crate::support::s3::{read_back, S3Kind, S3Server, Stored};
use serde_json::Value;
use std::collections::BTreeMap;

/// The report files of `run_id` in the bucket: the summary and every line of its `.jsonl`
/// files (in file order), with the files' keys.
pub(super) struct InBucket {
    pub summary: Value,
    pub files: Vec<String>,
    pub lines: Vec<Value>,
}

pub(super) fn reports_of(stored: &BTreeMap<String, Stored>, run_id: &str) -> InBucket {
    let prefix = format!("{REPORTS_ROOT}{run_id}");
    let body = |k: &str| stored[k].body.clone().expect("report body");
    let summary_key = format!("{prefix}.json");
    assert!(
        stored.contains_key(&summary_key),
        "no {summary_key}: {:?}",
        stored.keys()
    );
    let summary = serde_json::from_slice(&body(&summary_key)).expect("summary JSON");
    let files: Vec<String> = stored
        .keys()
        .filter(|k| k.starts_with(&prefix) && k.ends_with(".jsonl"))
        .cloned()
        .collect();
    let lines = files
        .iter()
        .flat_map(|k| {
            String::from_utf8(body(k))
                .expect("UTF-8")
                .lines()
                .map(|l| serde_json::from_str::<Value>(l).expect("line JSON"))
                .collect::<Vec<_>>()
        })
        .collect();
    InBucket {
        summary,
        files,
        lines,
    }
}

pub(super) fn run_id(run: &SyncRun) -> String {
    run.report["run_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no run_id in {}\n{}", run.report, run.stderr))
        .to_string()
}

/// The summary carries the local report's numbers.
pub(super) fn assert_same_numbers(summary: &Value, report: &Value) {
    for field in [
        "run_id",
        "started_at",
        "regions",
        "totals",
        "groups",
        "errors",
        "interrupted",
        "unsettled",
        "exit_code",
    ] {
        assert_eq!(summary[field], report[field], "{field}");
    }
    assert_eq!(
        summary["failed_objects"].as_u64(),
        report["failed"].as_array().map(|f| f.len() as u64)
    );
    assert_eq!(
        summary["objects"], report["bucket_report"],
        "what was written"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn default_mode_lists_exactly_the_failed_objects_with_stage_and_reason() {
    let sim = spawn_sim(&words(
        "--seed 9 --objects 30 --max-object-size 200KB --prep-base-ms 0 --prep-rate 0 --fault-poison-count 2",
    ));
    let s3 = S3Server::start_async(S3Kind::Seaweed).await;
    s3.create_bucket("lake").await;
    let catalog = sim_catalog(&sim).await;
    let poison: BTreeMap<&str, &Value> = catalog
        .iter()
        .filter(|o| o["poison"] == true)
        .map(|o| (o["id"].as_str().unwrap(), o))
        .collect();
    assert_eq!(poison.len(), 2);
    let healthy: Vec<Value> = available(&catalog)
        .into_iter()
        .filter(|o| !poison.contains_key(o["id"].as_str().unwrap()))
        .collect();

    let run = run_sync(
        &sim,
        &s3,
        "lake",
        &["--batch-max-objects", "8", "--object-attempts", "2"],
    )
    .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.report["exit_code"], 1);
    assert_eq!(run.total("exported"), healthy.len() as u64);
    assert_bucket_matches(&s3, "lake", &healthy).await;

    let stored = read_back(&s3.client(), "lake").await;
    let got = reports_of(&stored, &run_id(&run));
    assert_same_numbers(&got.summary, &run.report);
    assert_eq!(got.summary["objects"]["mode"], "errors");
    assert_eq!(got.summary["objects"]["lines"], 2);
    assert_eq!(
        got.files,
        vec![format!("{REPORTS_ROOT}{}.jsonl", run_id(&run))]
    );
    assert_eq!(
        got.lines.len(),
        2,
        "one line per failed object: {:?}",
        got.lines
    );
    for line in &got.lines {
        let id = line["id"].as_str().unwrap();
        let rec = poison
            .get(id)
            .unwrap_or_else(|| panic!("{id} did not fail: {line}"));
        assert_eq!(line["outcome"], "failed");
        assert_eq!(line["stage"], "job");
        assert!(
            line["reason"]
                .as_str()
                .is_some_and(|r| r.contains("after 2 attempts")),
            "{line}"
        );
        assert_eq!(line["region"], rec["region"]);
        assert_eq!(line["type"], rec["type"]);
        assert_eq!(line["object_name"], rec["objectName"]);
        assert_eq!(line["size"], rec["storedBytes"]);
        assert_eq!(line["checksum"], rec["checksum"]);
        assert_eq!(line["run_id"], run.report["run_id"]);
        let key = line["key"].as_str().unwrap();
        assert!(
            key.contains(id) && !stored.contains_key(key),
            "{key}: not in the bucket"
        );
        assert!(line.get("etag").is_none(), "{line}");
    }
    assert_eq!(
        run.metric_sum("css_sync_objects_exported_total"),
        healthy.len() as f64,
        "the report is never counted as an exported object"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn all_mode_has_one_line_per_object_found_matching_the_bucket_in_numbered_files() {
    let sim = spawn_sim(&words(
        "--seed 4 --objects 24 --max-object-size 100KB --prep-base-ms 0 --prep-rate 0 --part-checksum-share 0",
    ));
    let s3 = S3Server::start_async(S3Kind::Moto).await;
    s3.create_bucket("lake").await;
    let expected = available(&sim_catalog(&sim).await);
    let by_id: BTreeMap<&str, &Value> = expected
        .iter()
        .map(|o| (o["id"].as_str().unwrap(), o))
        .collect();
    let flags = [
        "--bucket-report",
        "all",
        "--bucket-report-file-max-lines",
        "7",
    ];
    let run = run_sync(&sim, &s3, "lake", &flags).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_bucket_matches(&s3, "lake", &expected).await;
    let stored = read_back(&s3.client(), "lake").await;
    let id = run_id(&run);
    let got = reports_of(&stored, &id);
    assert_same_numbers(&got.summary, &run.report);
    let n = expected.len();
    assert_eq!(got.lines.len(), n, "one line per object found");
    let files: Vec<String> = (1..=n.div_ceil(7))
        .map(|seq| format!("{REPORTS_ROOT}{id}-{seq:04}.jsonl"))
        .collect();
    assert_eq!(got.files, files, "streamed in files of 7 lines");
    let listed: Vec<(String, u64)> = got.summary["objects"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["key"].as_str().unwrap().to_string(),
                f["lines"].as_u64().unwrap(),
            )
        })
        .collect();
    let sizes: Vec<u64> = (0..files.len())
        .map(|i| (n - 7 * i).min(7) as u64)
        .collect();
    assert_eq!(listed, files.iter().cloned().zip(sizes).collect::<Vec<_>>());
    let mut seen = std::collections::BTreeSet::new();
    for line in &got.lines {
        let oid = line["id"].as_str().unwrap();
        assert!(seen.insert(oid.to_string()), "{oid} listed twice");
        let rec = by_id[oid];
        assert_eq!(line["outcome"], "exported", "{line}");
        let key = line["key"].as_str().unwrap();
        let obj = stored
            .get(key)
            .unwrap_or_else(|| panic!("{key} not in the bucket"));
        assert_eq!(
            obj.md5,
            line["checksum"].as_str().unwrap(),
            "{key}: MD5 of the stored bytes"
        );
        assert_eq!(line["checksum"], rec["md5"]);
        assert_eq!(line["size"].as_u64(), Some(obj.size));
        let head = s3
            .client()
            .head_object()
            .bucket("lake")
            .key(key)
            .send()
            .await
            .unwrap();
        assert_eq!(
            line["etag"].as_str(),
            head.e_tag().map(|e| e.trim_matches('"')),
            "{key}: the ETag S3 answered"
        );
    }

    // The re-run: every object present, one file, the earlier report untouched.
    let again = run_sync(&sim, &s3, "lake", &["--bucket-report", "all"]).await;
    assert_eq!(again.code, 0, "{}", again.stderr);
    let stored = read_back(&s3.client(), "lake").await;
    let second = reports_of(&stored, &run_id(&again));
    assert_eq!(
        second.files,
        vec![format!("{REPORTS_ROOT}{}.jsonl", run_id(&again))]
    );
    assert_eq!(second.lines.len(), n);
    assert!(second
        .lines
        .iter()
        .all(|l| l["outcome"] == "present" && l["etag"].is_null()));
    assert_eq!(
        reports_of(&stored, &id).lines,
        got.lines,
        "the first run's report stays"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn duckdb_reads_the_lines_as_the_readme_shows() {
    let sim = spawn_sim(&words(
        "--seed 9 --objects 20 --max-object-size 50KB --prep-base-ms 0 --prep-rate 0 --fault-poison-count 1",
    ));
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket("lake").await;
    let flags = ["--bucket-report", "all", "--object-attempts", "1"];
    let run = run_sync(&sim, &s3, "lake", &flags).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let glob = s3.root().join("lake").join(REPORTS_ROOT).join("*.jsonl");
    let rows = super::index::duckdb(&format!(
        "SELECT outcome, stage, count(*) AS objects FROM read_json_auto('{}', \
         format = 'newline_delimited') GROUP BY ALL ORDER BY ALL",
        glob.display()
    ));
    let got: Vec<(String, Option<String>, u64)> = rows
        .iter()
        .map(|r| {
            let s = |f: &str| r[f].as_str().map(str::to_string);
            (
                s("outcome").unwrap(),
                s("stage"),
                r["objects"].as_u64().unwrap(),
            )
        })
        .collect();
    let want = vec![
        ("exported".to_string(), None, run.total("exported")),
        ("failed".to_string(), Some("job".to_string()), 1),
    ];
    assert_eq!(got, want, "{rows:?}");
}

//! `css-sync sync --ids FILE`: exactly the listed objects land, whatever their age, looked up
//! by id region by region (never a catalog search), through the same verified pipeline; the
//! report's `ids` section gives each id exactly one truthful outcome; stdin works; a list
//! combined with a type/time filter, or a bad list, is a usage error (exit 2).

use super::check::assert_bucket_matches;
use crate::support::procs::{run_sync, sim_catalog, sim_requests, spawn_sim, sync_command, Proc};
use crate::support::s3::{S3Kind, S3Server};
use serde_json::{json, Value};
use std::process::Stdio;
use tokio::io::AsyncWriteExt;

const OLD: &str = "e1000000-0000-4000-8000-000000000001"; // us-east, 2019
const NEW_UK: &str = "e1000000-0000-4000-8000-000000000002"; // uk, only the second region asked
const PRESENT: &str = "e1000000-0000-4000-8000-000000000003"; // uk, exported by a first run
const REVOKED: &str = "e1000000-0000-4000-8000-000000000004"; // us-east, not AVAILABLE
const UNLISTED: &str = "e1000000-0000-4000-8000-000000000005"; // AVAILABLE, never asked for
const BIG: &str = "e1000000-0000-4000-8000-000000000006"; // over the batch limit: single download
const UNKNOWN: &str = "e1000000-0000-4000-8000-0000000000ff"; // in no region

fn record(id: &str, region: &str, created: &str, size: u64, state: &str) -> Value {
    json!({
        "id": id, "region": region, "type": "callrecording", "mimeType": "audio/mpeg",
        "objectName": format!("rec-{id}.mp3"), "storedBytes": size, "createdTime": created,
        "objectState": state, "tags": [{"key": "callId", "value": format!("call-{id}")}]
    })
}

fn catalog() -> Vec<Value> {
    vec![
        record(OLD, "us-east", "2019-05-11T00:55:24", 1234, "AVAILABLE"),
        record(NEW_UK, "uk", "2026-11-20T10:15:00", 4321, "AVAILABLE"),
        record(PRESENT, "uk", "2023-02-01T08:00:00", 777, "AVAILABLE"),
        record(REVOKED, "us-east", "2024-01-01T00:00:00", 10, "REVOKED"),
        record(UNLISTED, "us-east", "2026-11-21T00:00:00", 99, "AVAILABLE"),
        record(BIG, "uk", "2021-07-07T07:07:07", 300_000, "AVAILABLE"),
    ]
}

struct Env {
    _dir: tempfile::TempDir,
    dir: std::path::PathBuf,
    sim: Proc,
    s3: S3Server,
    catalog: Vec<Value>,
}

async fn env() -> Env {
    env_with(&[]).await
}

async fn env_with(sim_args: &[&str]) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.json");
    std::fs::write(&path, serde_json::to_vec(&catalog()).unwrap()).unwrap();
    let sim = spawn_sim(
        &[
            "--catalog",
            path.to_str().unwrap(),
            "--prep-base-ms",
            "0",
            "--prep-rate",
            "0",
        ]
        .iter()
        .chain(sim_args)
        .copied()
        .collect::<Vec<&str>>(),
    );
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket("lake").await;
    let catalog = sim_catalog(&sim).await;
    Env {
        dir: dir.path().to_path_buf(),
        _dir: dir,
        sim,
        s3,
        catalog,
    }
}

impl Env {
    fn records(&self, ids: &[&str]) -> Vec<Value> {
        ids.iter()
            .map(|id| {
                self.catalog
                    .iter()
                    .find(|o| o["id"] == *id)
                    .unwrap_or_else(|| panic!("{id} in the sim catalog"))
                    .clone()
            })
            .collect()
    }

    fn list(&self, name: &str, text: &str) -> String {
        let p = self.dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    }
}

/// The `ids.objects` entries by id.
fn outcomes(report: &Value) -> std::collections::BTreeMap<String, Value> {
    report["ids"]["objects"]
        .as_array()
        .unwrap_or_else(|| panic!("ids.objects in {report}"))
        .iter()
        .map(|o| (o["id"].as_str().unwrap().to_string(), o.clone()))
        .collect()
}

const SMALL_BATCHES: [&str; 2] = ["--batch-max-bytes", "100KB"];

#[tokio::test(flavor = "multi_thread")]
async fn exactly_the_listed_objects_land_with_one_outcome_each() {
    let e = env().await;
    // A first run exports one id, so the main run finds it already present.
    let first = e.list("first.txt", &format!("{PRESENT}\n"));
    let run = run_sync(&e.sim, &e.s3, "lake", &["--ids", &first]).await;
    assert_eq!(run.code, 0, "first run:\n{}", run.stderr);
    assert_eq!(
        run.report["ids"]["outcomes"]["exported"], 1,
        "{}",
        run.report
    );

    let before = sim_requests(&e.sim).await.len();
    let list = e.list(
        "ids.txt",
        &format!(
            "# backfill for ticket 42\n{OLD}\n\n  {NEW_UK}  \n{PRESENT} # exported last week\n\
             {REVOKED}\n{UNKNOWN}\n{OLD}\n{BIG}\r\n"
        ),
    );
    let run = run_sync(
        &e.sim,
        &e.s3,
        "lake",
        &[&["--ids", &list][..], &SMALL_BATCHES[..]].concat(),
    )
    .await;
    assert_eq!(run.code, 1, "an unknown id fails the run:\n{}", run.stderr);

    // Exactly the listed AVAILABLE objects, with the catalog's bytes; nothing else.
    assert_bucket_matches(&e.s3, "lake", &e.records(&[OLD, NEW_UK, PRESENT, BIG])).await;

    let ids = &run.report["ids"];
    assert_eq!(ids["source"], list.as_str());
    assert_eq!(ids["count"], 6, "{ids}");
    assert_eq!(ids["duplicate_lines"], 1);
    assert_eq!(ids["conflicts"], 0);
    assert_eq!(
        ids["outcomes"],
        json!({"exported": 3, "present": 1, "failed": 0, "not_found": 1,
               "not_available": 1, "unsettled": 0})
    );
    let by_id = outcomes(&run.report);
    assert_eq!(by_id.len(), 6);
    let expect = [
        (
            OLD,
            json!({"id": OLD, "outcome": "exported", "region": "us-east"}),
        ),
        (
            NEW_UK,
            json!({"id": NEW_UK, "outcome": "exported", "region": "uk"}),
        ),
        (
            BIG,
            json!({"id": BIG, "outcome": "exported", "region": "uk"}),
        ),
        (
            PRESENT,
            json!({"id": PRESENT, "outcome": "present", "region": "uk"}),
        ),
        (
            REVOKED,
            json!({"id": REVOKED, "outcome": "not_available", "region": "us-east",
                   "object_state": "REVOKED"}),
        ),
        (UNKNOWN, json!({"id": UNKNOWN, "outcome": "not_found"})),
    ];
    for (id, want) in expect {
        assert_eq!(by_id[id], want, "outcome of {id}");
    }
    // List order is kept.
    assert_eq!(run.report["ids"]["objects"][0]["id"], OLD);
    // The per-region totals agree with the id outcomes.
    assert_eq!(run.total("exported"), 3);
    assert_eq!(run.total("already_present"), 1);
    assert_eq!(run.total("failed"), 0);
    assert_eq!(run.report["unaccounted"], 0);
    assert!(
        run.stderr.contains(&format!("ID NOT FOUND {UNKNOWN}")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!(
            "ID NOT AVAILABLE {REVOKED} in us-east: objectState REVOKED"
        )),
        "{}",
        run.stderr
    );

    // Lookups by id, never a catalog search; each id asked region by region until found.
    let requests = &sim_requests(&e.sim).await[before..];
    let paths: Vec<&str> = requests
        .iter()
        .filter(|r| r["method"] == "GET")
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert!(
        !paths.iter().any(|p| p.ends_with("/objects")),
        "no catalog search with --ids: {paths:?}"
    );
    let lookups = |id: &str| -> Vec<&str> {
        paths
            .iter()
            .filter(|p| p.ends_with(&format!("/objects/{id}")))
            .copied()
            .collect()
    };
    assert_eq!(
        lookups(OLD),
        ["/storage/us-east/v3/objects/".to_string() + OLD],
        "asked once, found in the first region"
    );
    assert_eq!(
        lookups(NEW_UK),
        [
            format!("/storage/us-east/v3/objects/{NEW_UK}"),
            format!("/storage/uk/v3/objects/{NEW_UK}")
        ]
    );
    assert_eq!(
        lookups(UNKNOWN).len(),
        2,
        "every region asked before not_found"
    );
    assert!(lookups(UNLISTED).is_empty());
    assert!(
        paths
            .iter()
            .any(|p| p.ends_with(&format!("/objects/{BIG}/content"))),
        "the large object went through single download: {paths:?}"
    );
    assert!(
        requests.iter().any(|r| r["path"]
            .as_str()
            .unwrap()
            .ends_with("/bulk/download/start")),
        "the small objects went through bulk jobs"
    );
    let lookup_metric = run
        .metrics
        .lines()
        .any(|l| l.starts_with("css_sync_css_requests_total") && l.contains("endpoint=\"object\""));
    assert!(lookup_metric, "{}", run.metrics);
}

#[tokio::test(flavor = "multi_thread")]
async fn list_from_stdin() {
    let e = env().await;
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let mut child = sync_command(&e.sim, &e.s3, "lake")
        .args(["--poll-interval", "0.05", "--ids", "-"])
        .arg("--report")
        .arg(&report)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn css-sync");
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("# from a pipe\n{NEW_UK}\n{OLD}\n{NEW_UK}\n").as_bytes())
        .await
        .unwrap();
    drop(stdin);
    let out = tokio::time::timeout(
        std::time::Duration::from_secs(300),
        child.wait_with_output(),
    )
    .await
    .expect("css-sync finished")
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let report: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(report["ids"]["source"], "stdin");
    assert_eq!(report["ids"]["count"], 2);
    assert_eq!(report["ids"]["duplicate_lines"], 1);
    assert_eq!(report["ids"]["outcomes"]["exported"], 2, "{report}");
    assert_bucket_matches(&e.s3, "lake", &e.records(&[NEW_UK, OLD])).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_combinations_and_bad_lists_exit_2_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("ids.txt");
    std::fs::write(&good, format!("{OLD}\n")).unwrap();
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, format!("{OLD}\n../etc/passwd\n")).unwrap();
    let good = good.to_str().unwrap();
    let bad = bad.to_str().unwrap();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_css-sync"))
            .args([
                "sync",
                "--client-id",
                "x",
                "--client-secret",
                "y",
                "--bucket",
                "lake",
            ])
            .args(args)
            .env_remove("CSS_TYPES")
            .env_remove("CSS_SINCE")
            .env_remove("CSS_UNTIL")
            .env_remove("CSS_FILTER")
            .envs(env.iter().copied())
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    type Case<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, Vec<&'a str>);
    let cases: Vec<Case> = vec![
        (
            vec!["--ids", good, "--since", "48h"],
            vec![],
            vec!["CSS_IDS_FILE", "CSS_SINCE"],
        ),
        (
            vec![],
            vec![
                ("CSS_IDS_FILE", good),
                ("CSS_TYPES", "voicemail"),
                ("CSS_UNTIL", "1h"),
            ],
            vec!["CSS_IDS_FILE", "CSS_TYPES", "CSS_UNTIL"],
        ),
        (
            vec!["--ids", good, "--filter", "duration=gt=1"],
            vec![],
            vec!["CSS_FILTER"],
        ),
        (vec!["--ids", bad], vec![], vec!["CSS_IDS_FILE", "line 2"]),
        (
            vec!["--ids", "/no/such/file"],
            vec![],
            vec!["CSS_IDS_FILE", "/no/such/file"],
        ),
    ];
    for (args, env, needles) in cases {
        let (code, text) = run(&args, &env);
        assert_eq!(code, Some(2), "{args:?} {env:?}: {text}");
        for n in needles {
            assert!(text.contains(n), "{args:?} {env:?} lacks {n}: {text}");
        }
    }
}

/// A lookup that fails after the client's retries is `failed` (stage catalog), never
/// `not_found`, even when the other region answered 404; a lookup that fails once is retried
/// by the client's one retry mechanism.
#[tokio::test(flavor = "multi_thread")]
async fn failed_lookups_are_failed_not_missing_and_retried_within_budget() {
    let fault = ["--fault-500-count", "1", "--fault-scope", "object"];
    let e = env_with(&fault).await;
    let list = e.list("unknown.txt", &format!("{UNKNOWN}\n"));
    let run = run_sync(
        &e.sim,
        &e.s3,
        "lake",
        &["--ids", &list, "--max-attempts", "1"],
    )
    .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let got = &outcomes(&run.report)[UNKNOWN];
    assert_eq!(got["outcome"], "failed", "{got}");
    assert_eq!(got["stage"], "catalog");
    assert_eq!(got["region"], "us-east");
    assert!(
        got["reason"].as_str().unwrap().contains("HTTP 500"),
        "{got}"
    );
    assert_bucket_matches(&e.s3, "lake", &[]).await;

    let e = env_with(&fault).await;
    let list = e.list("old.txt", &format!("{OLD}\n"));
    let run = run_sync(&e.sim, &e.s3, "lake", &["--ids", &list]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(outcomes(&run.report)[OLD]["outcome"], "exported");
    let statuses: Vec<u64> = sim_requests(&e.sim)
        .await
        .iter()
        .filter(|r| r["path"] == format!("/storage/us-east/v3/objects/{OLD}").as_str())
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [500, 200], "retried once");
    assert_bucket_matches(&e.s3, "lake", &e.records(&[OLD])).await;
}

//! Every job and zip fault is observable from a client, and count-limited faults let a
//! client recover deterministically.

use super::harness::{py_entries, Sim, REGION};
use serde_json::Value;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

async fn job(sim: &Sim, n: usize) -> (Vec<String>, String, Value) {
    let ids = sim.some_ids(REGION, n).await;
    let zip = sim.start_job(REGION, &ids).await;
    let st = sim.wait_job(REGION, &zip, WAIT).await;
    (ids, zip, st)
}

#[tokio::test]
async fn reset_cuts_the_body_once_then_recovers() {
    let sim = Sim::start(&["--fault-reset-count", "1"]).await;
    let (_, zip, st) = job(&sim, 3).await;
    assert_eq!(st["status"], "DONE");
    let r = sim
        .get(&sim.url(REGION, &format!("bulk/download/{zip}")))
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.is_err(), "the first body is cut by a reset");
    let bytes = sim.download(REGION, &zip).await;
    assert_eq!(
        py_entries(&bytes)
            .expect("second download is whole")
            .0
            .len(),
        3
    );
    assert_eq!(sim.sim_json("faults").await["reset"], 1);
}

#[tokio::test]
async fn truncated_zip_ends_cleanly_but_is_unreadable() {
    let sim = Sim::start(&["--fault-truncate-count", "1"]).await;
    let (_, zip, st) = job(&sim, 3).await;
    assert_eq!(st["status"], "DONE");
    let bytes = sim.download(REGION, &zip).await; // Content-Length matched the body
    assert!(py_entries(&bytes).is_err(), "no central directory");
    let jobs = sim.sim_json("jobs").await;
    assert_eq!(jobs[0]["truncated"], true);
    assert_eq!(jobs[0]["zipBytes"].as_u64().unwrap(), bytes.len() as u64);
}

#[tokio::test]
async fn corrupt_entry_has_consistent_crc_but_wrong_md5() {
    let sim = Sim::start(&["--fault-corrupt-count", "1"]).await;
    let (ids, zip, _) = job(&sim, 4).await;
    let bytes = sim.download(REGION, &zip).await;
    let (entries, bad) = py_entries(&bytes).unwrap();
    assert_eq!(bad, None, "CRC matches the corrupted bytes");
    let catalog = sim.catalog().await;
    let wrong: Vec<_> = ids
        .iter()
        .filter(|id| {
            let c = &catalog[*id];
            entries.iter().any(|(n, m, _)| {
                n == c["objectName"].as_str().unwrap() && m != c["md5"].as_str().unwrap()
            })
        })
        .collect();
    assert_eq!(wrong.len(), 1);
    assert_eq!(
        sim.sim_json("jobs").await[0]["corruptId"],
        wrong[0].as_str()
    );
}

#[tokio::test]
async fn partial_done_lists_what_the_zip_holds() {
    let sim = Sim::start(&["--fault-partial-count", "1"]).await;
    let (ids, zip, st) = job(&sim, 8).await;
    assert_eq!(st["status"], "PARTIAL_DONE");
    let included: Vec<String> = serde_json::from_value(st["content"].clone()).unwrap();
    assert_eq!(included.len(), 6);
    assert!(included.iter().all(|i| ids.contains(i)));
    let (entries, _) = py_entries(&sim.download(REGION, &zip).await).unwrap();
    let catalog = sim.catalog().await;
    let mut names: Vec<_> = entries.into_iter().map(|e| e.0).collect();
    let mut want: Vec<_> = included
        .iter()
        .map(|i| catalog[i]["objectName"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    want.sort();
    assert_eq!(names, want);
}

#[tokio::test]
async fn failed_and_cancelled_jobs() {
    let sim = Sim::start(&["--fault-failed-count", "1", "--fault-cancel-count", "1"]).await;
    let (_, zip, st) = job(&sim, 2).await;
    assert_eq!(st["status"], "FAILED");
    assert_eq!(
        sim.get_json(&sim.url(REGION, &format!("bulk/download/{zip}")))
            .await
            .0,
        409
    );
    let (_, zip, st) = job(&sim, 2).await;
    assert_eq!(st["status"], "CANCELLED");
    assert_eq!(
        sim.get_json(&sim.url(REGION, &format!("bulk/download/{zip}")))
            .await
            .0,
        409
    );
    let (_, _, st) = job(&sim, 2).await;
    assert_eq!(st["status"], "DONE", "both faults were limited to one job");
}

#[tokio::test]
async fn stuck_job_never_finishes() {
    let sim = Sim::start(&["--fault-stuck-count", "1"]).await;
    let ids = sim.some_ids(REGION, 2).await;
    let zip = sim.start_job(REGION, &ids).await;
    let st = sim.wait_job(REGION, &zip, Duration::from_millis(500)).await;
    assert_eq!(st["status"], "IN_PROGRESS");
    let (_, other, st) = job(&sim, 2).await;
    assert_eq!(st["status"], "DONE", "{other}: only the first job is stuck");
}

#[tokio::test]
async fn duplicate_name_carries_wrong_bytes() {
    let sim = Sim::start(&["--fault-duplicate-count", "1"]).await;
    let (ids, zip, _) = job(&sim, 3).await;
    let (entries, _) = py_entries(&sim.download(REGION, &zip).await).unwrap();
    assert_eq!(entries.len(), 4);
    let dup = &entries[3];
    let first = entries[..3]
        .iter()
        .find(|e| e.0 == dup.0)
        .expect("same name earlier");
    assert_ne!(first.1, dup.1);
    let catalog = sim.catalog().await;
    let id = ids
        .iter()
        .find(|i| catalog[*i]["objectName"] == dup.0.as_str())
        .unwrap();
    assert_eq!(first.1, catalog[id]["md5"].as_str().unwrap());
}

#[tokio::test]
async fn hostile_names_reach_the_zip() {
    let sim = Sim::start(&["--hostile-names", "30"]).await;
    let catalog = sim.catalog().await;
    let hostile: Vec<String> = catalog
        .values()
        .filter(|r| r["region"] == REGION && r["objectState"] == "AVAILABLE")
        .filter(|r| {
            let n = r["objectName"].as_str().unwrap();
            n.starts_with("../") || n.starts_with('/') || n.contains('\\') || n.contains("/../")
        })
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert!(hostile.len() >= 3);
    let zip = sim.start_job(REGION, &hostile).await;
    sim.wait_job(REGION, &zip, WAIT).await;
    let (entries, _) = py_entries(&sim.download(REGION, &zip).await).unwrap();
    for id in &hostile {
        let name = catalog[id]["objectName"].as_str().unwrap();
        // Python normalises '\' only on Windows; compare raw names.
        assert!(entries.iter().any(|e| e.0 == name), "{name}");
    }
}

#[tokio::test]
async fn poison_object_fails_every_job_it_is_in() {
    let sim = Sim::start(&["--fault-poison-count", "1"]).await;
    let catalog = sim.catalog().await;
    let poison = catalog.values().find(|r| r["poison"] == true).unwrap();
    let region = poison["region"].as_str().unwrap();
    let pid = poison["id"].as_str().unwrap().to_string();
    let others: Vec<String> = sim
        .some_ids(region, 5)
        .await
        .into_iter()
        .filter(|i| *i != pid)
        .take(3)
        .collect();
    let mut with = others.clone();
    with.push(pid.clone());
    let zip = sim.start_job(region, &with).await;
    assert_eq!(sim.wait_job(region, &zip, WAIT).await["status"], "FAILED");
    let zip = sim.start_job(region, &others).await;
    assert_eq!(sim.wait_job(region, &zip, WAIT).await["status"], "DONE");
    let zip = sim.start_job(region, std::slice::from_ref(&pid)).await;
    assert_eq!(sim.wait_job(region, &zip, WAIT).await["status"], "FAILED");
}

#[tokio::test]
async fn bandwidth_caps_download_speed() {
    let sim = Sim::start(&["--bandwidth", "400KB"]).await;
    let (_, zip, _) = job(&sim, 3).await;
    let t0 = std::time::Instant::now();
    let bytes = sim.download(REGION, &zip).await;
    let secs = bytes.len() as f64 / 400_000.0;
    assert!(
        t0.elapsed().as_secs_f64() >= secs * 0.8,
        "{:?} for {} bytes",
        t0.elapsed(),
        bytes.len()
    );
}

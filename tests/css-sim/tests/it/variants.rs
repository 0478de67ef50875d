//! The answer variants the vendor's documents allow, as css-sim serves them: a start split
//! over several zips (`--zips-per-job`), entries named by the objectName's last `/`·`:`
//! segment (`--entry-names suffix`), and page-number paging (`--page-keys next-page |
//! page-served`). Each is read back over HTTP and checked against `/_sim/catalog`.

use super::harness::{py_entries, Sim, REGION};
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::Duration;

/// Plain MD5 checksums, so an entry's MD5 is its record's `checksum`.
const FAST: [&str; 8] = [
    "--objects",
    "40",
    "--prep-base-ms",
    "50",
    "--prep-rate",
    "0",
    "--part-checksum-share",
    "0",
];

fn args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut v: Vec<&str> = FAST.to_vec();
    v.extend_from_slice(extra);
    v
}

#[tokio::test]
async fn zips_per_job_splits_a_start_over_several_zips_holding_every_object_once() {
    let sim = Sim::start(&args(&["--zips-per-job", "3", "--max-object-size", "20KB"])).await;
    let ids = sim.some_ids(REGION, 7).await;
    assert_eq!(ids.len(), 7);
    let (s, v) = sim
        .post_json(
            &sim.url(REGION, "bulk/download/start"),
            &serde_json::json!(ids),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let jobs = v.as_array().expect("an array of zips");
    assert_eq!(jobs.len(), 3, "{v}");
    let catalog = sim.catalog().await;
    let mut names = Vec::new();
    for job in jobs {
        let zip = job["zipName"].as_str().expect("zipName");
        assert_eq!(job["status"], "NOT_STARTED");
        let st = sim.wait_job(REGION, zip, Duration::from_secs(20)).await;
        assert_eq!(st["status"], "DONE", "{st}");
        let (entries, bad) = py_entries(&sim.download(REGION, zip).await).expect("zip");
        assert_eq!(bad, None);
        for (name, md5, size) in entries {
            let rec = catalog
                .values()
                .find(|r| r["objectName"] == name.as_str())
                .expect("entry is a catalog object");
            assert_eq!(rec["checksum"].as_str(), Some(md5.as_str()));
            assert_eq!(rec["storedBytes"].as_u64(), Some(size));
            names.push(name);
        }
    }
    // 7 objects over 3 zips: 3 + 3 + 1, each exactly once.
    assert_eq!(names.len(), 7);
    assert_eq!(names.iter().collect::<BTreeSet<_>>().len(), 7);
    let sim_jobs = sim.sim_json("jobs").await;
    let sizes: Vec<usize> = sim_jobs
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["ids"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [3, 3, 1]);
}

#[tokio::test]
async fn zips_overlap_repeats_the_previous_zips_last_object_first() {
    let sim = Sim::start(&args(&["--zips-per-job", "2", "--zips-overlap"])).await;
    let ids = sim.some_ids(REGION, 6).await;
    let (s, v) = sim
        .post_json(
            &sim.url(REGION, "bulk/download/start"),
            &serde_json::json!(ids),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v.as_array().map(Vec::len), Some(2), "{v}");
    let jobs = sim.sim_json("jobs").await;
    let lists: Vec<Vec<String>> = jobs
        .as_array()
        .unwrap()
        .iter()
        .map(|j| serde_json::from_value(j["ids"].clone()).unwrap())
        .collect();
    assert_eq!(lists[0], ids[..3]);
    assert_eq!(lists[1][0], ids[2], "the first zip's last object again");
    assert_eq!(lists[1][1..], ids[3..]);
}

#[tokio::test]
async fn suffix_entry_names_drop_everything_up_to_the_last_slash_or_colon() {
    let sim = Sim::start(&args(&[
        "--entry-names",
        "suffix",
        "--types",
        "callrecording,voicemail,callcenterrecording",
        "--max-object-size",
        "20KB",
    ]))
    .await;
    let ids = sim.some_ids(REGION, 10).await;
    let zip = sim.start_job(REGION, &ids).await;
    let st = sim.wait_job(REGION, &zip, Duration::from_secs(20)).await;
    assert_eq!(st["status"], "DONE", "{st}");
    let (entries, bad) = py_entries(&sim.download(REGION, &zip).await).expect("zip");
    assert_eq!(bad, None);
    let catalog = sim.catalog().await;
    let mut shortened = 0;
    for id in &ids {
        let rec = &catalog[id];
        let full = rec["objectName"].as_str().unwrap();
        let want = full.rsplit(['/', ':']).next().unwrap();
        shortened += usize::from(want != full);
        let (_, md5, size) = entries
            .iter()
            .find(|(n, _, _)| n == want)
            .unwrap_or_else(|| panic!("no entry {want:?} for {full:?}"));
        assert_eq!(rec["checksum"].as_str(), Some(md5.as_str()));
        assert_eq!(rec["storedBytes"].as_u64(), Some(*size));
    }
    assert_eq!(entries.len(), ids.len());
    assert!(
        shortened > 0,
        "the generated names hold ':' (callrecording/voicemail)"
    );
}

/// Pages with a page-number form; returns every record id and the requested keys.
async fn page_numbers(sim: &Sim, served: bool, limit: u64) -> (Vec<String>, Vec<u64>) {
    let (mut ids, mut keys, mut key) = (Vec::new(), Vec::new(), 0u64);
    loop {
        keys.push(key);
        let url = format!("{}?pageKey={key}&limit={limit}", sim.url(REGION, "objects"));
        let (s, v) = sim.get_json(&url).await;
        assert_eq!(s, 200, "{v}");
        let want_key = if served { key } else { key + 1 };
        assert_eq!(v["pageKey"].as_u64(), Some(want_key), "{v}");
        let content = v["content"].as_array().unwrap();
        assert_eq!(v["pageSize"].as_u64(), Some(content.len() as u64));
        ids.extend(
            content
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_string()),
        );
        let total = v["total"].as_u64().expect("total pages");
        if v["lastPage"].as_bool().unwrap() {
            assert_eq!(total, key + 1, "total counts pages");
            return (ids, keys);
        }
        key += 1;
    }
}

#[tokio::test]
async fn page_number_forms_serve_every_record_once() {
    for (mode, served) in [("next-page", false), ("page-served", true)] {
        let sim = Sim::start(&args(&["--page-keys", mode])).await;
        let (ids, keys) = page_numbers(&sim, served, 3).await;
        let catalog = sim.catalog().await;
        let want: BTreeSet<&String> = catalog
            .iter()
            .filter(|(_, r)| r["region"] == REGION && r["objectState"] == "AVAILABLE")
            .map(|(id, _)| id)
            .collect();
        assert_eq!(ids.len(), want.len(), "{mode}: no record twice");
        assert_eq!(ids.iter().collect::<BTreeSet<_>>(), want, "{mode}");
        assert_eq!(keys.len() as u64, (want.len() as u64).div_ceil(3), "{mode}");
        // The guide's offset form answers no `total`.
        let offset = Sim::start(&FAST).await;
        let (_, v): (u16, Value) = offset
            .get_json(&format!(
                "{}?pageKey=0&limit=3",
                offset.url(REGION, "objects")
            ))
            .await;
        assert_eq!(v["pageKey"], 3);
        assert!(v.get("total").is_none(), "{v}");
    }
}

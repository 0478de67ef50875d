//! The bulk download guide end to end, every zip layout read back by two unzippers, HTTP
//! Range, single downloads and the guide's 245-record paging example.

use super::harness::{py_entries, unzip_test, Sim, REGION};
use serde_json::Value;
use std::time::Duration;

#[tokio::test]
async fn guide_six_steps_end_to_end() {
    let sim = Sim::start(&[
        "--objects",
        "60",
        "--prep-base-ms",
        "100",
        "--prep-rate",
        "2MB",
    ])
    .await;
    // 1. token (done by the harness) — 2. regions, from any valid region.
    for region in ["us-east", "uk", "ap"] {
        let (s, v) = sim.get_json(&sim.url(region, "regions")).await;
        assert_eq!((s, v), (200, serde_json::json!(["us-east", "uk"])));
    }
    // 3. find objects, as in the guide (duration is a tag, compared numerically).
    let filter = "type==callcenterrecording;duration=gt=100";
    let records = sim.list(REGION, Some(filter), 3).await;
    assert!(!records.is_empty());
    let catalog = sim.catalog().await;
    let expected: Vec<&Value> = catalog
        .values()
        .filter(|r| {
            r["region"] == REGION
                && r["type"] == "callcenterrecording"
                && r["objectState"] == "AVAILABLE"
        })
        .collect();
    assert_eq!(records.len(), expected.len());
    for r in &records {
        assert_eq!(
            r["checksum"],
            catalog[r["id"].as_str().unwrap()]["checksum"]
        );
        assert_eq!(r["checksumType"], "MD5");
        assert!(r["storedBytes"].is_u64());
    }
    // 4. start — 5. status until DONE — 6. download.
    let ids: Vec<String> = records
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    let zip = sim.start_job(REGION, &ids).await;
    assert!(zip.ends_with(".zip"));
    let (_, first) = sim
        .get_json(&sim.url(REGION, &format!("bulk/download/status/{zip}")))
        .await;
    assert_eq!(
        first["status"], "NOT_STARTED",
        "prep-base-ms keeps it queued at first"
    );
    let done = sim.wait_job(REGION, &zip, Duration::from_secs(20)).await;
    assert_eq!(done["status"], "DONE");
    assert_eq!(done["zipName"], zip);
    let bytes = sim.download(REGION, &zip).await;
    let (entries, bad) = py_entries(&bytes).expect("python reads the zip");
    assert_eq!(bad, None);
    let mut got: Vec<(String, String, u64)> = entries;
    let mut want: Vec<(String, String, u64)> = records
        .iter()
        .map(|r| {
            let c = &catalog[r["id"].as_str().unwrap()];
            (
                c["objectName"].as_str().unwrap().into(),
                c["md5"].as_str().unwrap().into(),
                c["storedBytes"].as_u64().unwrap(),
            )
        })
        .collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    unzip_test(&bytes).expect("unzip -t");
    // the request log saw the whole flow
    let log = sim.sim_json("requests").await;
    let paths: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths[0], "/oauth/v2/token");
    assert!(paths
        .iter()
        .any(|p| p.ends_with(&format!("/bulk/download/{zip}"))));
}

#[tokio::test]
async fn every_layout_reads_back_in_python_and_unzip() {
    for layout in ["java", "stored", "stored-descriptor", "zip64"] {
        let sim = Sim::start(&["--zip-layout", layout, "--objects", "12"]).await;
        let ids = sim.some_ids(REGION, 4).await;
        let zip = sim.start_job(REGION, &ids).await;
        assert_eq!(
            sim.wait_job(REGION, &zip, Duration::from_secs(20)).await["status"],
            "DONE"
        );
        let bytes = sim.download(REGION, &zip).await;
        let (entries, bad) = py_entries(&bytes).unwrap_or_else(|e| panic!("{layout}: {e}"));
        assert_eq!(bad, None, "{layout}");
        let catalog = sim.catalog().await;
        assert_eq!(entries.len(), 4, "{layout}");
        for id in &ids {
            let c = &catalog[id];
            assert!(
                entries
                    .iter()
                    .any(|(n, m, _)| n == c["objectName"].as_str().unwrap()
                        && m == c["md5"].as_str().unwrap()),
                "{layout} {id}"
            );
        }
        unzip_test(&bytes).unwrap_or_else(|e| panic!("{layout}: {e}"));
    }
}

#[tokio::test]
async fn range_requests_reassemble_the_zip() {
    let sim = Sim::start(&[]).await;
    let ids = sim.some_ids(REGION, 3).await;
    let zip = sim.start_job(REGION, &ids).await;
    sim.wait_job(REGION, &zip, Duration::from_secs(20)).await;
    let whole = sim.download(REGION, &zip).await;
    let n = whole.len() as u64;
    let url = sim.url(REGION, &format!("bulk/download/{zip}"));
    let get = |range: String| {
        let req = sim
            .http
            .get(&url)
            .bearer_auth(&sim.token)
            .header("Range", range);
        async move { req.send().await.expect("range GET") }
    };
    let mut parts = Vec::new();
    for range in [
        "bytes=0-999".to_string(),
        format!("bytes=1000-{}", n / 2),
        format!("bytes={}-", n / 2 + 1),
    ] {
        let r = get(range.clone()).await;
        assert_eq!(r.status(), 206, "{range}");
        assert!(r.headers()["content-range"]
            .to_str()
            .unwrap()
            .ends_with(&format!("/{n}")));
        parts.extend_from_slice(&r.bytes().await.unwrap());
    }
    assert_eq!(parts, whole);
    let tail = get("bytes=-100".into()).await;
    assert_eq!(
        tail.headers()["content-range"],
        format!("bytes {}-{}/{n}", n - 100, n - 1).as_str()
    );
    assert_eq!(
        tail.bytes().await.unwrap().as_ref(),
        &whole[whole.len() - 100..]
    );
    let r = get(format!("bytes={n}-")).await;
    assert_eq!(r.status(), 416);
    assert_eq!(
        r.headers()["content-range"],
        format!("bytes */{n}").as_str()
    );
}

#[tokio::test]
async fn single_object_download_with_range() {
    let sim = Sim::start(&[]).await;
    let catalog = sim.catalog().await;
    let rec = catalog
        .values()
        .find(|r| r["region"] == REGION && r["objectState"] == "AVAILABLE")
        .unwrap();
    let id = rec["id"].as_str().unwrap();
    let url = sim.url(REGION, &format!("objects/{id}/content"));
    let r = sim.get(&url).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        rec["mimeType"].as_str().unwrap()
    );
    let body = r.bytes().await.unwrap();
    assert_eq!(body.len() as u64, rec["storedBytes"].as_u64().unwrap());
    assert_eq!(md5_hex(&body), rec["md5"].as_str().unwrap());
    let r = sim
        .http
        .get(&url)
        .bearer_auth(&sim.token)
        .header("Range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.unwrap().as_ref(), &body[10..20]);
    let (s, meta) = sim
        .get_json(&sim.url(REGION, &format!("objects/{id}")))
        .await;
    assert_eq!(s, 200);
    assert_eq!(meta["checksum"], rec["checksum"]);
    let (s, _) = sim.get_json(&sim.url("uk", &format!("objects/{id}"))).await;
    assert_eq!(s, 404, "objects are regional");
}

pub fn md5_hex(b: &[u8]) -> String {
    use md5::Digest as _;
    hex::encode(md5::Md5::digest(b))
}

#[tokio::test]
async fn guide_pagination_example_245_records() {
    let sim = Sim::start(&[
        "--objects",
        "245",
        "--types",
        "callrecording",
        "--regions",
        "us-east",
        "--unavailable-share",
        "0",
    ])
    .await;
    let mut key = 0;
    let mut pages = Vec::new();
    let mut ids = std::collections::HashSet::new();
    loop {
        let (s, v) = sim
            .get_json(&sim.url(REGION, &format!("objects?pageKey={key}&limit=100")))
            .await;
        assert_eq!(s, 200);
        pages.push((
            v["lastPage"].as_bool().unwrap(),
            v["pageKey"].as_u64().unwrap(),
            v["pageSize"].as_u64().unwrap(),
        ));
        for r in v["content"].as_array().unwrap() {
            ids.insert(r["id"].as_str().unwrap().to_string());
        }
        if v["lastPage"].as_bool().unwrap() {
            break;
        }
        key = v["pageKey"].as_u64().unwrap();
    }
    assert_eq!(
        pages,
        vec![(false, 100, 100), (false, 200, 100), (true, 300, 45)]
    );
    assert_eq!(ids.len(), 245);
}

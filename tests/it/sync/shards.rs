//! issue 10 (shard): three shard processes run at once over one css-sim catalog into one
//! bucket, each through its own proxy so its S3 requests are its own. Every AVAILABLE object
//! lands exactly once with css-sim's bytes; the shards' exported ids are disjoint and together
//! the AVAILABLE set; no key (objects, sidecars, index and report files) is PUT by two shards;
//! each shard's `other_shards` is exactly the others' share; and an `--ids` run of a shard
//! looks up only its own ids.

use super::check::{assert_bucket_matches, available};
use super::plan::run_cmd;
use crate::support::fault_proxy::FaultProxy;
use crate::support::procs::{
    run_sync, run_sync_at, sim_catalog, sim_requests, spawn_catalog_sim, SyncRun,
};
use crate::support::s3::{S3Kind, S3Server};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;

const SHARDS: u32 = 3;
/// The bucket `super::plan::run_cmd` aims at.
const BUCKET: &str = "plan";

fn catalog() -> Vec<Value> {
    (0..36u32)
        .map(|n| {
            let (region, ty) = match n % 3 {
                0 => ("us-east", "callrecording"),
                1 => ("uk", "callcenterrecording"),
                _ => ("us-east", "voicemail"),
            };
            // All AVAILABLE: css-sim's search leaves other states out, so they never reach a shard.
            let state = "AVAILABLE";
            json!({
                "id": format!("5a000000-0000-4000-8000-{n:012}"), "region": region, "type": ty,
                "mimeType": "audio/mpeg", "objectName": format!("shard-{n}.mp3"),
                "storedBytes": 500 + u64::from(n) * 997, "createdTime": "2026-11-20T10:15:00",
                "objectState": state, "tags": []
            })
        })
        .collect()
}

/// The shard (of `SHARDS`) that owns `id`: the documented rule, computed here on its own.
fn owner(id: &str) -> u32 {
    use md5::{Digest, Md5};
    let d = Md5::digest(id.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&d[..8]);
    (u64::from_be_bytes(first) % u64::from(SHARDS)) as u32
}

fn ids_where(report: &Value, pick: impl Fn(&Value) -> bool) -> BTreeSet<String> {
    report["ids"]["objects"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|o| pick(o))
                .map(|o| o["id"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn other_shards(run: &SyncRun) -> u64 {
    run.report["totals"]["other_shards"].as_u64().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn three_shards_export_each_object_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let sim = spawn_catalog_sim(dir.path(), &Value::from(catalog()), &[]);
    let s3 = S3Server::start_async(S3Kind::S3sFs).await;
    s3.create_bucket(BUCKET).await;
    let all = sim_catalog(&sim).await;
    let expected = available(&all);
    let ids_of = |objs: &[Value], shard: u32| -> BTreeSet<String> {
        objs.iter()
            .map(|o| o["id"].as_str().unwrap().to_string())
            .filter(|id| owner(id) == shard)
            .collect()
    };
    for shard in 0..SHARDS {
        assert!(
            !ids_of(&expected, shard).is_empty(),
            "every shard owns some of the catalog"
        );
    }

    // `plan` of shard 0 shows its share: its objects found, the rest other_shards, and S3
    // checks (HEADs) for its own objects only.
    let planner = FaultProxy::start(&s3.endpoint, 9, vec![]).await;
    let (code, plan, stderr) = run_cmd(
        "plan",
        &sim,
        &s3,
        &planner.url,
        &["--shard-index", "0", "--shard-count", "3"],
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    let mine0 = ids_of(&all, 0);
    assert_eq!(plan["shard"], "shard-0-of-3");
    assert_eq!(plan["totals"]["found"], mine0.len() as u64, "{plan}");
    assert_eq!(
        plan["totals"]["other_shards"],
        (all.len() - mine0.len()) as u64,
        "{plan}"
    );
    assert_eq!(
        plan["totals"]["to_export"],
        ids_of(&expected, 0).len() as u64,
        "{plan}"
    );
    let heads: Vec<String> = planner
        .log()
        .into_iter()
        .filter(|e| e.method == "HEAD")
        .map(|e| e.path)
        .collect();
    for o in &all {
        let id = o["id"].as_str().unwrap();
        if !mine0.contains(id) {
            assert!(
                !heads.iter().any(|p| p.contains(id)),
                "plan of shard 0 checked {id} of another shard"
            );
        }
    }

    let proxies = [
        FaultProxy::start(&s3.endpoint, 1, vec![]).await,
        FaultProxy::start(&s3.endpoint, 2, vec![]).await,
        FaultProxy::start(&s3.endpoint, 3, vec![]).await,
    ];
    let runs = futures::future::join_all((0..SHARDS).map(|shard| {
        let (sim, s3, endpoint) = (&sim, &s3, proxies[shard as usize].url.clone());
        async move {
            let index = shard.to_string();
            let count = SHARDS.to_string();
            // Shard 1 takes its index from Kubernetes' variable, as in an Indexed Job.
            let (flags, envs): (Vec<&str>, Vec<(&str, &str)>) = match shard {
                1 => (
                    vec!["--batch-max-objects", "4"],
                    vec![
                        ("JOB_COMPLETION_INDEX", index.as_str()),
                        ("CSS_SHARD_COUNT", count.as_str()),
                    ],
                ),
                _ => (
                    vec![
                        "--batch-max-objects",
                        "4",
                        "--shard-index",
                        index.as_str(),
                        "--shard-count",
                        count.as_str(),
                    ],
                    vec![],
                ),
            };
            run_sync_at(
                sim,
                s3,
                &endpoint,
                BUCKET,
                &flags,
                &envs,
                Duration::from_secs(60),
            )
            .await
        }
    }))
    .await;

    let mut exported_union = BTreeSet::new();
    let mut keys_by_shard: Vec<BTreeSet<String>> = vec![];
    for (shard, run) in runs.iter().enumerate() {
        let shard = shard as u32;
        let mine = ids_of(&all, shard);
        let mine_available = ids_of(&expected, shard);
        let revoked = (mine.len() - mine_available.len()) as u64;
        // REVOKED objects are failed at stage catalog: exit 1 exactly when the shard owns one.
        assert_eq!(
            run.code,
            if revoked > 0 { 1 } else { 0 },
            "shard {shard}:\n{}",
            run.stderr
        );
        assert_eq!(
            run.report["shard"],
            format!("shard-{shard}-of-{SHARDS}"),
            "shard {shard}"
        );
        assert_eq!(
            run.total("found"),
            mine.len() as u64,
            "shard {shard} finds its own only"
        );
        assert_eq!(
            run.total("exported"),
            mine_available.len() as u64,
            "shard {shard}"
        );
        assert_eq!(run.total("failed"), revoked, "shard {shard}");
        assert_eq!(
            other_shards(run),
            (all.len() - mine.len()) as u64,
            "shard {shard}"
        );
        // Per region: other_shards + found = that region's catalog.
        for g in run.report["groups"].as_array().unwrap() {
            let (region, ty) = (g["region"].as_str().unwrap(), g["type"].as_str().unwrap());
            let in_group: Vec<&Value> = all
                .iter()
                .filter(|o| o["region"] == region && o["type"] == ty)
                .collect();
            let owned = in_group
                .iter()
                .filter(|o| owner(o["id"].as_str().unwrap()) == shard)
                .count() as u64;
            assert_eq!(
                g["found"].as_u64().unwrap(),
                owned,
                "shard {shard} {region}/{ty}"
            );
            assert_eq!(
                g["other_shards"].as_u64().unwrap_or(0),
                in_group.len() as u64 - owned,
                "{region}/{ty}"
            );
        }
        let failed: BTreeSet<String> = run.report["failed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect();
        assert!(
            failed
                .iter()
                .all(|id| mine.contains(id) && !mine_available.contains(id)),
            "shard {shard} failed only its REVOKED: {failed:?}"
        );
        // The object PUTs of this shard (its proxy's log): exactly its own objects.
        let puts: Vec<String> = proxies[shard as usize]
            .log()
            .into_iter()
            .filter(|e| e.method == "PUT" && e.status.is_some_and(|s| s < 300))
            .map(|e| e.path)
            .collect();
        let keys: BTreeSet<String> = puts.iter().cloned().collect();
        let objects: BTreeSet<&String> = keys
            .iter()
            .filter(|k| {
                !k.contains("/_css-sync/")
                    && !k.ends_with(".metadata.json")
                    && !k.contains("/_index/")
            })
            .collect();
        assert_eq!(
            objects.len(),
            mine_available.len(),
            "shard {shard} PUT its own objects once each: {objects:?}"
        );
        for id in &mine_available {
            assert!(
                objects.iter().any(|k| k.contains(id.as_str())),
                "shard {shard} PUT {id}"
            );
            assert!(
                exported_union.insert(id.clone()),
                "{id} exported by two shards"
            );
        }
        keys_by_shard.push(keys);
    }
    // No key is written by two shards: objects, sidecars, index files and reports alike.
    for a in 0..keys_by_shard.len() {
        for b in a + 1..keys_by_shard.len() {
            let both: Vec<&String> = keys_by_shard[a].intersection(&keys_by_shard[b]).collect();
            assert!(both.is_empty(), "shards {a} and {b} both PUT {both:?}");
        }
    }
    let want: BTreeSet<String> = expected
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        exported_union, want,
        "together the shards exported the AVAILABLE set"
    );
    // Bytes, metadata and sidecars against css-sim's MD5s; each object once.
    assert_bucket_matches(&s3, BUCKET, &expected).await;
    let sum: u64 = runs.iter().map(other_shards).sum();
    assert_eq!(
        sum,
        (SHARDS as u64 - 1) * all.len() as u64,
        "each object is another shard's for the other two"
    );

    // `--ids` on shard 2: only its own ids are looked up (GET …/objects/{id}); the others are
    // `other_shard`, without a request.
    let list = dir.path().join("ids.txt");
    let ids: Vec<String> = all
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    std::fs::write(&list, ids.join("\n")).unwrap();
    let before = sim_requests(&sim).await.len();
    let run = run_sync(
        &sim,
        &s3,
        BUCKET,
        &[
            "--ids",
            list.to_str().unwrap(),
            "--shard-index",
            "2",
            "--shard-count",
            "3",
        ],
    )
    .await;
    let mine = ids_of(&all, 2);
    let looked_up: BTreeSet<String> = sim_requests(&sim).await[before..]
        .iter()
        .filter(|r| r["method"] == "GET")
        .filter_map(|r| {
            r["path"]
                .as_str()?
                .rsplit_once("/objects/")
                .map(|(_, id)| id.to_string())
        })
        .collect();
    assert_eq!(looked_up, mine, "shard 2 looks up its own ids only");
    let others = ids_where(&run.report, |o| o["outcome"] == "other_shard");
    assert_eq!(
        others.len(),
        ids.len() - mine.len(),
        "{}",
        run.report["ids"]
    );
    assert!(others.is_disjoint(&mine));
    assert_eq!(
        run.report["ids"]["outcomes"]["other_shard"],
        (ids.len() - mine.len()) as u64
    );
    let present = ids_where(&run.report, |o| o["outcome"] == "present");
    assert_eq!(
        present,
        ids_of(&expected, 2),
        "its AVAILABLE ids are present already"
    );
    assert_eq!(run.total("exported"), 0);
}

//! Refusals: 400s with readable messages, 401 (credentials, expiry), 404s, 409, 429/5xx faults.

use super::harness::{Sim, REGION};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn bad_queries_are_readable_400s() {
    let sim = Sim::start(&[]).await;
    for (q, needle) in [
        ("objects?filter=type==a;;", "position 8"),
        ("objects?filter=type=like=a", "=like="),
        ("objects?filter=(type==a", "')'"),
        ("objects?filter=createdTime=ge=2024-09-01", "milliseconds"),
        ("objects?limit=0", "between 1 and 100"),
        ("objects?limit=101", "between 1 and 100"),
        ("objects?pageKey=x", "pageKey"),
        ("objects?sortDirection=UP", "ASC or DESC"),
    ] {
        let (s, v) = sim.get_json(&sim.url(REGION, q)).await;
        assert_eq!(s, 400, "{q}");
        let msg = v["message"].as_str().unwrap_or_default();
        assert!(msg.contains(needle), "{q}: {msg}");
    }
}

#[tokio::test]
async fn bad_starts_are_readable_400s() {
    let sim = Sim::start(&["--max-batch-objects", "3", "--max-zip-bytes", "200KB"]).await;
    let catalog = sim.catalog().await;
    let in_uk = catalog.values().find(|r| r["region"] == "uk").unwrap()["id"].clone();
    let big: Vec<_> = catalog
        .values()
        .filter(|r| {
            r["region"] == REGION
                && r["objectState"] == "AVAILABLE"
                && r["storedBytes"].as_u64().unwrap() > 80_000
        })
        .take(3)
        .map(|r| r["id"].clone())
        .collect();
    assert_eq!(big.len(), 3, "seed 11 has three objects over 80 kB");
    let ids = sim.some_ids(REGION, 4).await;
    let url = sim.url(REGION, "bulk/download/start");
    for (body, needle) in [
        (json!([]), "empty"),
        (json!({"ids": []}), "JSON array"),
        (json!(["no-such-id"]), "unknown object id"),
        (json!([in_uk]), "region uk"),
        (json!(ids), "at most 3"),
        (json!(big), "limited to 200000 bytes"),
    ] {
        let (s, v) = sim.post_json(&url, &body).await;
        assert_eq!(s, 400, "{body}");
        let msg = v["message"].as_str().unwrap_or_default();
        assert!(msg.contains(needle), "{body}: {msg}");
    }
    let not_available = catalog
        .values()
        .find(|r| r["region"] == REGION && r["objectState"] != "AVAILABLE");
    if let Some(r) = not_available {
        let (s, _) = sim.post_json(&url, &json!([r["id"]])).await;
        assert_eq!(s, 400);
    }
}

#[tokio::test]
async fn tokens_credentials_and_expiry() {
    let sim = Sim::start(&["--token-ttl", "1"]).await;
    let r = sim
        .token_response("demo-client", "wrong", "client_credentials")
        .await;
    assert_eq!(r.status(), 401);
    let r = sim
        .token_response("demo-client", "demo-secret", "password")
        .await;
    assert_eq!(r.status(), 401);
    let r = sim
        .token_response("demo-client", "demo-secret", "client_credentials")
        .await;
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["token_type"], "BearerToken");
    assert_eq!(v["expires_in"], "0");
    assert!(v["issued_at"].as_str().unwrap().parse::<u64>().is_ok());
    let url = sim.url(REGION, "regions");
    assert_eq!(sim.get(&url).await.status(), 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let r = sim.get(&url).await;
    assert_eq!(r.status(), 401);
    let v: serde_json::Value = r.json().await.unwrap();
    assert!(v["message"].as_str().unwrap().contains("expired"));
    let r = sim.http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 401, "no Authorization header");
}

#[tokio::test]
async fn not_found_and_conflict() {
    let sim = Sim::start(&["--prep-base-ms", "60000"]).await;
    assert_eq!(sim.get_json(&sim.url("mars", "regions")).await.0, 404);
    assert_eq!(
        sim.get_json(&format!("{}/storage/us-east/v2/regions", sim.base))
            .await
            .0,
        404
    );
    assert_eq!(
        sim.get_json(&sim.url(REGION, "bulk/download/status/nope.zip"))
            .await
            .0,
        404
    );
    assert_eq!(
        sim.get_json(&sim.url(REGION, "bulk/download/nope.zip"))
            .await
            .0,
        404
    );
    let ids = sim.some_ids(REGION, 2).await;
    let zip = sim.start_job(REGION, &ids).await;
    let (s, v) = sim
        .get_json(&sim.url(REGION, &format!("bulk/download/{zip}")))
        .await;
    assert_eq!(s, 409, "{v}");
    assert!(v["message"].as_str().unwrap().contains("NOT_STARTED"));
    assert_eq!(
        sim.get_json(&sim.url("uk", &format!("bulk/download/status/{zip}")))
            .await
            .0,
        404
    );
    let (s, all) = sim.get_json(&sim.url(REGION, "bulk/download/status")).await;
    assert_eq!(s, 200);
    assert_eq!(all.as_array().unwrap().len(), 1);
    let (s, v) = sim
        .post_json(
            &sim.url(REGION, &format!("bulk/download/cancel/{zip}")),
            &json!(null),
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("CANCELLED")));
    assert_eq!(
        sim.wait_job(REGION, &zip, Duration::ZERO).await["status"],
        "CANCELLED"
    );
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let sim = Sim::start(&["--fault-429-count", "1", "--retry-after", "3"]).await;
    let r = sim
        .token_response("demo-client", "demo-secret", "client_credentials")
        .await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "3");
    let r = sim
        .token_response("demo-client", "demo-secret", "client_credentials")
        .await;
    assert_eq!(r.status(), 200, "only the first request is limited");
    let log = sim.sim_json("requests").await;
    let statuses: Vec<u64> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, vec![429, 200]);
}

#[tokio::test]
async fn server_errors_by_rate_and_scope() {
    let sim = Sim::start(&[
        "--fault-503-rate",
        "1",
        "--fault-500-count",
        "1",
        "--fault-scope",
        "objects",
    ])
    .await;
    let mut sim = sim;
    sim.token = sim.new_token().await; // token is out of scope
    let r = sim.get(&sim.url(REGION, "objects")).await;
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(sim.get(&sim.url(REGION, "regions")).await.status(), 200);
    assert_eq!(sim.sim_json("faults").await["503"], 1);
}

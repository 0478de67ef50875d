//! `DELETE …/bulk` per the spec (JSON array of ids; 200/204, no per-id answer) and css-sim's
//! documented assumptions: unknown or other-region ids make the request 404 and delete
//! nothing; deleted objects become DELETED everywhere; the request log names the ids.

use crate::harness::{Sim, REGION};
use serde_json::{json, Value};

async fn delete(sim: &Sim, region: &str, body: &Value) -> (u16, Value) {
    let r = sim
        .http
        .delete(sim.url(region, "bulk"))
        .bearer_auth(&sim.token)
        .json(body)
        .send()
        .await
        .expect("DELETE");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn bulk_delete_marks_objects_deleted_and_logs_the_ids() {
    let sim = Sim::start(&["--regions", "us-east,uk"]).await;
    let ids = sim.some_ids(REGION, 3).await;
    let uk = sim.some_ids("uk", 1).await;
    let before = sim.list(REGION, None, 100).await.len();

    // Bad bodies: readable 400s, nothing deleted.
    for body in [json!([]), json!({"ids": ids}), json!([1, 2])] {
        let (s, v) = delete(&sim, REGION, &body).await;
        assert_eq!(s, 400, "{body}: {v}");
        assert!(v["message"].is_string(), "{v}");
    }
    // An unknown id or one from another region: 404, and nothing of the request is deleted.
    let (s, v) = delete(&sim, REGION, &json!([ids[0], "no-such-id"])).await;
    assert_eq!(s, 404, "{v}");
    assert!(v["message"].as_str().unwrap().contains("no-such-id"), "{v}");
    let (s, _) = delete(&sim, REGION, &json!([ids[0], uk[0]])).await;
    assert_eq!(s, 404);
    assert_eq!(sim.catalog().await[&ids[0]]["objectState"], "AVAILABLE");

    // Two ids deleted: 204, DELETED in the catalog and by id, gone from the default search.
    let (s, _) = delete(&sim, REGION, &json!([ids[0], ids[1]])).await;
    assert_eq!(s, 204);
    let cat = sim.catalog().await;
    assert_eq!(cat[&ids[0]]["objectState"], "DELETED");
    assert_eq!(cat[&ids[1]]["objectState"], "DELETED");
    assert_eq!(cat[&ids[2]]["objectState"], "AVAILABLE");
    assert_eq!(cat[&uk[0]]["objectState"], "AVAILABLE");
    let (s, v) = sim
        .get_json(&sim.url(REGION, &format!("objects/{}", ids[0])))
        .await;
    assert_eq!((s, v["objectState"].as_str()), (200, Some("DELETED")));
    assert_eq!(sim.list(REGION, None, 100).await.len(), before - 2);
    let r = sim
        .get(&sim.url(REGION, &format!("objects/{}/content", ids[0])))
        .await;
    assert_eq!(r.status(), 404, "a deleted object's content is gone");

    // A repeat changes nothing further (still 204; no id newly deleted).
    let (s, _) = delete(&sim, REGION, &json!([ids[1]])).await;
    assert_eq!(s, 204);

    let log = sim.sim_json("requests").await;
    let deletes: Vec<&Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["method"] == "DELETE")
        .collect();
    assert_eq!(deletes.len(), 7, "{deletes:?}");
    let ok: Vec<(&Value, &Value)> = deletes
        .iter()
        .filter(|e| e["status"] == 204)
        .map(|e| (&e["ids"], &e["deleted"]))
        .collect();
    assert_eq!(
        ok,
        vec![
            (&json!([ids[0], ids[1]]), &json!([ids[0], ids[1]])),
            (&json!([ids[1]]), &json!([]))
        ]
    );
    assert!(deletes
        .iter()
        .filter(|e| e["status"] == 404)
        .all(|e| e["deleted"] == json!([])));
}

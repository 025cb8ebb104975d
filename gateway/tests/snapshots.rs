//! Snapshots you can keep and restores you can take back: pins that block deletion, retention
//! of the newest unpinned, the automatic snapshot before a restore, and who took each one.

mod common;

use common::Gateway;
use reqwest::Method;
use serde_json::{json, Value};

fn ids(body: &Value) -> Vec<u64> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_u64().unwrap())
        .collect()
}

async fn take(gw: &Gateway, token: &str) -> Value {
    let (code, s) = gw.send(token, Method::POST, "/admin/snapshots", None).await;
    assert_eq!(code, 201, "{s}");
    s
}

async fn audit_of(gw: &Gateway, token: &str, action: &str) -> Vec<Value> {
    gw.get(token, &format!("/admin/audit?action={action}&limit=200"))
        .await["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_pinned_snapshot_cannot_be_deleted_until_unpinned_and_only_admins_pin() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    let (_, operator) = gw.signed_in("otto", "operator").await;
    let s = take(&gw, &operator).await;
    assert_eq!(
        (
            s["pinned"].clone(),
            s["label"].clone(),
            s["created_by"].clone()
        ),
        (json!(false), Value::Null, json!("otto"))
    );
    let id = s["id"].as_u64().unwrap();
    let pin = format!("/admin/snapshots/{id}/pin");
    assert_eq!(gw.status(&operator, Method::PUT, &pin).await, 403);
    let (code, pinned) = gw.send(&token, Method::PUT, &pin, None).await;
    assert_eq!((code, pinned["pinned"].clone()), (200, json!(true)));
    // Again: nothing changes, nothing is recorded.
    assert_eq!(gw.status(&token, Method::PUT, &pin).await, 200);
    assert_eq!(audit_of(&gw, &token, "snapshot.pin").await.len(), 1);

    let (code, body) = gw
        .delete(&token, &format!("/admin/snapshots/{id}"), Some("cleanup"))
        .await;
    assert_eq!(
        (code, body["code"].as_str()),
        (409, Some("snapshot_pinned"))
    );
    assert_eq!(gw.get(&token, "/admin/snapshots").await["total"], 1);

    let (code, unpinned) = gw.send(&token, Method::DELETE, &pin, None).await;
    assert_eq!((code, unpinned["pinned"].clone()), (200, json!(false)));
    let entry = &audit_of(&gw, &token, "snapshot.unpin").await[0];
    assert_eq!(
        (entry["before"].as_str(), entry["after"].as_str()),
        (Some("true"), Some("false"))
    );
    assert_eq!(
        gw.status(&token, Method::DELETE, &format!("/admin/snapshots/{id}"))
            .await,
        204
    );
    assert_eq!(gw.status(&token, Method::PUT, &pin).await, 404);
    assert_eq!(
        gw.status(&token, Method::PUT, "/admin/snapshots/0/pin")
            .await,
        422
    );
}

#[tokio::test]
async fn retention_keeps_the_newest_unpinned_and_never_deletes_a_pinned_one() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    let (code, item) = gw
        .send(
            &token,
            Method::PUT,
            "/admin/config/snapshot_retention",
            Some(json!({ "value": 3 })),
        )
        .await;
    assert_eq!((code, item["value"].clone()), (200, json!(3)));
    for bad in [json!(0), json!(1001), json!(2.5)] {
        let (code, _) = gw
            .send(
                &token,
                Method::PUT,
                "/admin/config/snapshot_retention",
                Some(json!({ "value": bad })),
            )
            .await;
        assert_eq!(code, 422, "{bad}");
    }

    let first = take(&gw, &token).await["id"].as_u64().unwrap();
    gw.send(
        &token,
        Method::PUT,
        &format!("/admin/snapshots/{first}/pin"),
        None,
    )
    .await;
    let mut taken = vec![first];
    for _ in 0..5 {
        taken.push(take(&gw, &token).await["id"].as_u64().unwrap());
    }
    // A scheduled one counts too, and is by no one.
    let response = gw.dev(Method::POST, "/__dev/snapshots", json!({})).await;
    let scheduled: Value = response.json().await.unwrap();
    assert_eq!(scheduled["created_by"], Value::Null);
    taken.push(scheduled["id"].as_u64().unwrap());

    let list = gw.get(&token, "/admin/snapshots").await;
    let newest: Vec<u64> = taken[taken.len() - 3..].iter().rev().copied().collect();
    let mut expected = newest.clone();
    expected.push(first);
    assert_eq!(
        ids(&list),
        expected,
        "the newest three unpinned and the pinned one"
    );

    let deletes = audit_of(&gw, &token, "snapshot.delete").await;
    assert_eq!(deletes.len(), 3);
    for d in &deletes {
        assert_eq!(
            (d["admin"].as_str(), d["detail"].as_str()),
            (Some("(system)"), Some("retention"))
        );
    }
    let deleted: Vec<u64> = deletes
        .iter()
        .map(|d| d["target_id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(
        deleted,
        [taken[3], taken[2], taken[1]],
        "oldest first, newest entry first"
    );
    let creates = audit_of(&gw, &token, "snapshot.create").await;
    assert_eq!(creates[0]["admin"], "(system)");

    // Down to one: the next snapshot leaves only itself and the pinned one.
    gw.send(
        &token,
        Method::PUT,
        "/admin/config/snapshot_retention",
        Some(json!({ "value": 1 })),
    )
    .await;
    let last = take(&gw, &token).await["id"].as_u64().unwrap();
    assert_eq!(
        ids(&gw.get(&token, "/admin/snapshots").await),
        [last, first]
    );
}

#[tokio::test]
async fn a_restore_keeps_the_world_before_and_restoring_that_undoes_it() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    let (_, operator) = gw.signed_in("otto", "operator").await;
    gw.dev(Method::PUT, "/__dev/tick", json!({ "tick": 1000 }))
        .await;
    gw.send(&token, Method::POST, "/admin/game/pause", None)
        .await;
    let old = take(&gw, &operator).await;
    let old_id = old["id"].as_u64().unwrap();
    assert_eq!(old["tick_number"], 1000);
    gw.dev(Method::PUT, "/__dev/tick", json!({ "tick": 9000 }))
        .await;

    let (code, restored) = gw
        .send(
            &token,
            Method::POST,
            &format!("/admin/snapshots/{old_id}/restore"),
            Some(json!({ "reason": "bad deploy" })),
        )
        .await;
    assert_eq!(code, 200, "{restored}");
    assert_eq!(restored["tick"], 1000, "the world moved back");
    assert_eq!(restored["paused"], true);
    assert_eq!(restored["restored"]["id"], old_id);
    let safety = &restored["safety_snapshot"];
    assert_eq!(safety["tick_number"], 9000, "the world as it was");
    assert_eq!(
        safety["label"].as_str(),
        Some(format!("before restore of #{old_id}").as_str())
    );
    assert_eq!(safety["created_by"], "admin");
    assert_eq!(safety["pinned"], false);
    let safety_id = safety["id"].as_u64().unwrap();
    let list = gw.get(&token, "/admin/snapshots").await;
    assert_eq!(ids(&list), [safety_id, old_id]);
    assert_eq!(list["items"][0], *safety);

    let entry = &audit_of(&gw, &token, "snapshot.restore").await[0];
    assert_eq!(
        (entry["before"].as_str(), entry["after"].as_str()),
        (Some("9000"), Some("1000"))
    );
    assert!(
        entry["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("#{safety_id}")),
        "{entry}"
    );
    let create = &audit_of(&gw, &token, "snapshot.create").await[0];
    assert_eq!(
        create["target_id"].as_str(),
        Some(safety_id.to_string().as_str())
    );

    // The wrong restore, undone.
    let (code, undone) = gw
        .send(
            &token,
            Method::POST,
            &format!("/admin/snapshots/{safety_id}/restore"),
            None,
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(undone["tick"], 9000, "back where it was before the restore");
    assert_eq!(gw.get(&token, "/admin/game/status").await["tick"], 9000);
    assert_eq!(
        undone["safety_snapshot"]["label"].as_str(),
        Some(format!("before restore of #{safety_id}").as_str())
    );
    assert_eq!(undone["safety_snapshot"]["tick_number"], 1000);
}

#[tokio::test]
async fn retention_during_a_restore_spares_the_snapshot_restored() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    gw.send(
        &token,
        Method::PUT,
        "/admin/config/snapshot_retention",
        Some(json!({ "value": 1 })),
    )
    .await;
    gw.send(&token, Method::POST, "/admin/game/pause", None)
        .await;
    let only = take(&gw, &token).await["id"].as_u64().unwrap();
    let (code, restored) = gw
        .send(
            &token,
            Method::POST,
            &format!("/admin/snapshots/{only}/restore"),
            None,
        )
        .await;
    assert_eq!(code, 200);
    let safety = restored["safety_snapshot"]["id"].as_u64().unwrap();
    assert_eq!(
        ids(&gw.get(&token, "/admin/snapshots").await),
        [safety, only]
    );
}

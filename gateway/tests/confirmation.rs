//! Dangerous actions take a fresh proof bound to the very action and target: refused without
//! one (and nothing changes), done with one, and a proof for one action or target approves no
//! other. Proofs take the second factor's code when the account has one, else its password.

mod common;

use common::{player, read, Gateway, PASSWORD};
use galaxy_gateway::Settings;
use reqwest::Method;
use serde_json::{json, Value};
use totp_rs::{Algorithm, Secret, TOTP};

async fn asking() -> Gateway {
    let mut settings = Settings::for_tests(250);
    settings.confirm_dangerous_actions = true;
    Gateway::start_with(settings).await
}

/// A call with an optional proof in `X-Confirmation`.
async fn with_proof(
    gw: &Gateway,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
    proof: Option<&str>,
) -> (u16, Value) {
    let mut request = gw.request(method, path).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    if let Some(proof) = proof {
        request = request.header("x-confirmation", proof);
    }
    read(request.send().await.unwrap()).await
}

async fn prove(gw: &Gateway, token: &str, body: Value) -> (u16, Value) {
    gw.send(token, Method::POST, "/admin/auth/confirm", Some(body))
        .await
}

async fn paused_with_snapshots(gw: &Gateway, token: &str) -> (u64, u64) {
    let mut ids = vec![];
    for _ in 0..2 {
        let (_, s) = gw.send(token, Method::POST, "/admin/snapshots", None).await;
        ids.push(s["id"].as_u64().unwrap());
    }
    gw.send(token, Method::POST, "/admin/game/pause", None)
        .await;
    (ids[0], ids[1])
}

#[tokio::test]
async fn a_restore_takes_a_proof_for_that_snapshot_and_no_other_proof_will_do() {
    let gw = asking().await;
    let token = gw.login().await;
    let (first, second) = paused_with_snapshots(&gw, &token).await;
    let restore = |id: u64| format!("/admin/snapshots/{id}/restore");

    let (status, refused) =
        with_proof(&gw, &token, Method::POST, &restore(first), None, None).await;
    assert_eq!(status, 403, "{refused}");
    assert_eq!(
        (
            &refused["code"],
            &refused["action"],
            &refused["target"],
            &refused["methods"]
        ),
        (
            &json!("confirmation_required"),
            &json!("restoreSnapshot"),
            &json!(first.to_string()),
            &json!(["password"])
        )
    );
    assert_eq!(refused["summary"], format!("Restore snapshot {first}"));

    // A wrong password is refused on its field; the right one gives a proof.
    let ask = |password: &str| {
        json!({ "action": "restoreSnapshot", "target": first.to_string(), "password": password,
                "summary": format!("Restore snapshot {first}") })
    };
    let (status, body) = prove(&gw, &token, ask("not my password")).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["detail"][0]["loc"], json!(["body", "password"]));
    let (status, body) = prove(&gw, &token, ask(PASSWORD)).await;
    assert_eq!(status, 200, "{body}");
    let proof = body["confirmation"].as_str().unwrap().to_owned();

    // Not for the other snapshot, not for deleting a player.
    let (status, _) = with_proof(
        &gw,
        &token,
        Method::POST,
        &restore(second),
        None,
        Some(&proof),
    )
    .await;
    assert_eq!(
        status, 403,
        "a proof for snapshot {first} does not restore {second}"
    );
    let (status, body) = with_proof(
        &gw,
        &token,
        Method::DELETE,
        &format!("/admin/players/{}", player(1)),
        None,
        Some(&proof),
    )
    .await;
    assert_eq!((status, &body["action"]), (403, &json!("deletePlayer")));
    // Not for another account either.
    let (_, other) = gw.signed_in("other_admin", "admin").await;
    let (status, _) = with_proof(
        &gw,
        &other,
        Method::POST,
        &restore(first),
        None,
        Some(&proof),
    )
    .await;
    assert_eq!(status, 403);

    let (status, body) = with_proof(
        &gw,
        &token,
        Method::POST,
        &restore(first),
        None,
        Some(&proof),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let log = gw.get(&token, "/admin/audit?limit=20").await;
    let items = log["items"].as_array().unwrap();
    let actions: Vec<&str> = items
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    let restored = actions
        .iter()
        .position(|a| *a == "snapshot.restore")
        .unwrap();
    let confirmed = actions.iter().position(|a| *a == "auth.confirm").unwrap();
    assert!(
        restored < confirmed,
        "newest first: the confirmation, then the restore: {actions:?}"
    );
    let entry = &items[confirmed];
    assert_eq!(
        (&entry["target_type"], &entry["target_id"], &entry["target"]),
        (
            &json!("snapshot"),
            &json!(first.to_string()),
            &json!(format!("Restore snapshot {first}"))
        )
    );
    assert!(entry["detail"]
        .as_str()
        .unwrap()
        .starts_with("restoreSnapshot confirmed with the password"));
    assert!(actions.contains(&"auth.confirm_failed"));
    assert!(!log.to_string().contains(PASSWORD));
}

#[tokio::test]
async fn an_account_with_a_second_factor_confirms_with_a_code_that_works_once() {
    let gw = asking().await;
    let (_, token) = gw.signed_in("vera", "admin").await;
    let (_, offered) = gw
        .send(&token, Method::POST, "/admin/auth/totp/secret", None)
        .await;
    let secret = offered["secret"].as_str().unwrap().to_owned();
    let code = |ahead: u64| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let bytes = Secret::Encoded(secret.clone()).to_bytes().unwrap();
        TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes, None, "x".into())
            .unwrap()
            .generate(now + ahead)
    };
    let (_, enrolled) = gw
        .send(
            &token,
            Method::PUT,
            "/admin/auth/totp",
            Some(json!({ "secret": secret, "code": code(0), "current_password": "vera password" })),
        )
        .await;
    let token = enrolled["access_token"].as_str().unwrap().to_owned();
    let target = player(2);
    let (status, refused) = with_proof(
        &gw,
        &token,
        Method::DELETE,
        &format!("/admin/players/{target}"),
        None,
        None,
    )
    .await;
    assert_eq!(
        (status, &refused["methods"]),
        (403, &json!(["totp", "recovery_code"]))
    );
    // The password does not do where a second factor exists.
    let (status, body) = prove(
        &gw,
        &token,
        json!({ "action": "deletePlayer", "target": target, "password": "vera password" }),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["detail"][0]["loc"], json!(["body", "code"]));
    let next = code(30);
    let ask = json!({ "action": "deletePlayer", "target": target, "code": next });
    let (status, body) = prove(&gw, &token, ask.clone()).await;
    assert_eq!(status, 200, "{body}");
    let proof = body["confirmation"].as_str().unwrap().to_owned();
    let (status, _) = prove(&gw, &token, ask).await;
    assert_eq!(status, 422, "the same code a second time");
    let (status, body) = with_proof(
        &gw,
        &token,
        Method::DELETE,
        &format!("/admin/players/{target}"),
        None,
        Some(&proof),
    )
    .await;
    assert_eq!(status, 204, "{body}");
}

#[tokio::test]
async fn a_bulk_ban_of_more_than_ten_takes_a_proof_for_exactly_those_players() {
    let gw = asking().await;
    let token = gw.login().await;
    let ban = |ids: Vec<String>| json!({ "action": "ban", "ids": ids, "reason": "botting", "duration_seconds": 3600 });
    let ten: Vec<String> = (1..=10).map(player).collect();
    let (status, body) = with_proof(
        &gw,
        &token,
        Method::POST,
        "/admin/players/bulk",
        Some(ban(ten)),
        None,
    )
    .await;
    assert_eq!(status, 200, "ten need no proof: {body}");
    let eleven: Vec<String> = (11..=21).map(player).collect();
    let (status, refused) = with_proof(
        &gw,
        &token,
        Method::POST,
        "/admin/players/bulk",
        Some(ban(eleven.clone())),
        None,
    )
    .await;
    assert_eq!(
        (status, &refused["summary"]),
        (403, &json!("Ban 11 players")),
        "{refused}"
    );
    let (_, body) = prove(
        &gw,
        &token,
        json!({ "action": "bulkPlayers", "target": refused["target"], "password": PASSWORD }),
    )
    .await;
    let proof = body["confirmation"].as_str().unwrap().to_owned();
    let mut others = eleven.clone();
    others[0] = player(30);
    let (status, _) = with_proof(
        &gw,
        &token,
        Method::POST,
        "/admin/players/bulk",
        Some(ban(others)),
        Some(&proof),
    )
    .await;
    assert_eq!(status, 403, "another set of players");
    let mut reordered = eleven.clone();
    reordered.reverse();
    let (status, body) = with_proof(
        &gw,
        &token,
        Method::POST,
        "/admin/players/bulk",
        Some(ban(reordered)),
        Some(&proof),
    )
    .await;
    assert_eq!(status, 200, "the same players in another order: {body}");
    // Kicking any number needs none.
    let kick = json!({ "action": "kick", "ids": (31..=45).map(player).collect::<Vec<_>>() });
    let (status, _) = with_proof(
        &gw,
        &token,
        Method::POST,
        "/admin/players/bulk",
        Some(kick),
        None,
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_proof_for_a_role_names_the_role() {
    let gw = asking().await;
    let token = gw.login().await;
    let (id, _) = gw.signed_in("tom", "viewer").await;
    let path = format!("/admin/accounts/{id}/role");
    let (_, refused) = with_proof(
        &gw,
        &token,
        Method::PUT,
        &path,
        Some(json!({ "role": "operator" })),
        None,
    )
    .await;
    assert_eq!(refused["target"], format!("{id}/operator"));
    let (_, body) = prove(
        &gw,
        &token,
        json!({ "action": "setAccountRole", "target": refused["target"], "password": PASSWORD }),
    )
    .await;
    let proof = body["confirmation"].as_str().unwrap().to_owned();
    let (status, _) = with_proof(
        &gw,
        &token,
        Method::PUT,
        &path,
        Some(json!({ "role": "admin" })),
        Some(&proof),
    )
    .await;
    assert_eq!(status, 403, "a proof for operator does not make an admin");
    let (status, body) = with_proof(
        &gw,
        &token,
        Method::PUT,
        &path,
        Some(json!({ "role": "operator" })),
        Some(&proof),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // An unknown action gets no proof.
    let (status, _) = prove(
        &gw,
        &token,
        json!({ "action": "pauseGame", "target": "game", "password": PASSWORD }),
    )
    .await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn creating_a_privileged_account_or_resetting_a_password_takes_a_proof_in_this_session() {
    let gw = asking().await;
    let token = gw.login().await;
    let create = |name: &str, role: &str| json!({ "username": name, "role": role });
    let (status, _) = with_proof(
        &gw,
        &token,
        Method::POST,
        "/admin/accounts",
        Some(create("newbie", "viewer")),
        None,
    )
    .await;
    assert_eq!(status, 201, "a viewer needs no proof");
    let (status, refused) = with_proof(
        &gw,
        &token,
        Method::POST,
        "/admin/accounts",
        Some(create("boss", "admin")),
        None,
    )
    .await;
    assert_eq!((status, &refused["target"]), (403, &json!("boss/admin")));
    let (status, body) = prove(
        &gw,
        &token,
        json!({ "action": "createAccount", "target": "boss/admin", "password": PASSWORD }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let proof = body["confirmation"].as_str().unwrap().to_owned();
    // Not from another session of the same account.
    let other = gw.login().await;
    let (status, _) = with_proof(
        &gw,
        &other,
        Method::POST,
        "/admin/accounts",
        Some(create("boss", "admin")),
        Some(&proof),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = with_proof(
        &gw,
        &token,
        Method::POST,
        "/admin/accounts",
        Some(create("boss", "admin")),
        Some(&proof),
    )
    .await;
    assert_eq!(status, 201);
    // The audit entry says what was approved in the gateway's words, whatever the client showed.
    let (_, body) = prove(&gw, &token, json!({ "action": "restoreSnapshot", "target": "7", "password": PASSWORD, "summary": "Restore snapshot 8" })).await;
    assert!(body["confirmation"].is_string(), "{body}");
    let log = gw
        .get(&token, "/admin/audit?action=auth.confirm&limit=1")
        .await;
    assert_eq!(log["items"][0]["target"], "Restore snapshot 7");

    let newbie = gw.get(&token, "/admin/accounts").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == "newbie")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, refused) = with_proof(
        &gw,
        &token,
        Method::POST,
        &format!("/admin/accounts/{newbie}/password"),
        None,
        None,
    )
    .await;
    assert_eq!(
        (status, &refused["action"]),
        (403, &json!("resetAccountPassword"))
    );
    let (status, _) = prove(
        &gw,
        &token,
        json!({ "action": "restoreSnapshot", "target": "x".repeat(201), "password": PASSWORD }),
    )
    .await;
    assert_eq!(status, 422, "a target longer than any the gateway names");
}

#[tokio::test]
async fn in_production_a_config_change_takes_a_proof_for_that_value() {
    let mut settings = Settings::for_tests(250);
    settings.confirm_dangerous_actions = true;
    settings.confirm_config_changes = true;
    let gw = Gateway::start_with(settings).await;
    let token = gw.login().await;
    let set = |value: &str| json!({ "value": value });
    let (status, refused) = with_proof(
        &gw,
        &token,
        Method::PUT,
        "/admin/config/motd",
        Some(set("Maintenance at 04:00")),
        None,
    )
    .await;
    assert_eq!(
        (status, &refused["action"]),
        (403, &json!("setConfig")),
        "{refused}"
    );
    let (_, body) = prove(
        &gw,
        &token,
        json!({ "action": "setConfig", "target": refused["target"], "password": PASSWORD }),
    )
    .await;
    let proof = body["confirmation"].as_str().unwrap().to_owned();
    let (status, _) = with_proof(
        &gw,
        &token,
        Method::PUT,
        "/admin/config/motd",
        Some(set("Free gold for all")),
        Some(&proof),
    )
    .await;
    assert_eq!(status, 403, "a proof for one value approves no other");
    let (status, body) = with_proof(
        &gw,
        &token,
        Method::PUT,
        "/admin/config/motd",
        Some(set("Maintenance at 04:00")),
        Some(&proof),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, refused) = with_proof(
        &gw,
        &token,
        Method::DELETE,
        "/admin/config/motd",
        None,
        None,
    )
    .await;
    assert_eq!((status, &refused["target"]), (403, &json!("motd")));
    // Outside production (the default) a change needs none.
    let gw = asking().await;
    let token = gw.login().await;
    let (status, _) = with_proof(
        &gw,
        &token,
        Method::PUT,
        "/admin/config/motd",
        Some(set("hi")),
        None,
    )
    .await;
    assert_eq!(status, 200);
}

//! API keys over real HTTP: made with a role no higher than their creator's, shown once, used
//! as a bearer token, limited to address blocks, revoked, refused when their creator may no
//! longer grant their role, unable to do what only a person may, and attributed in the audit
//! log.

mod common;

use common::{read, Gateway};
use reqwest::Method;
use serde_json::{json, Value};

async fn make_key(gw: &Gateway, token: &str, body: Value) -> (u16, Value) {
    gw.send(token, Method::POST, "/admin/api-keys", Some(body))
        .await
}

/// A key made by `token` with `role`, from anywhere, for 30 days; its secret and id.
async fn key(gw: &Gateway, token: &str, name: &str, role: &str) -> (String, String) {
    let (status, body) = make_key(
        gw,
        token,
        json!({ "name": name, "role": role, "expires_in_days": 30 }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    (
        body["key"].as_str().unwrap().to_owned(),
        body["id"].as_str().unwrap().to_owned(),
    )
}

async fn entries(gw: &Gateway, action: &str) -> Vec<Value> {
    let admin = gw.login().await;
    gw.get(&admin, &format!("/admin/audit?action={action}&limit=50"))
        .await["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_key_is_shown_once_listed_without_its_secret_and_acts_with_its_own_role() {
    let gw = Gateway::start().await;
    let (_, nina) = gw.signed_in("nina", "operator").await;
    let (status, made) = make_key(
        &gw,
        &nina,
        json!({ "name": "  status board ", "role": "viewer", "expires_in_days": 7 }),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    let secret = made["key"].as_str().unwrap();
    assert!(secret.starts_with("gak_") && secret.len() == 47, "{secret}");
    assert_eq!(made["name"], "status board");
    assert_eq!(made["role"], "viewer");
    assert_eq!(made["created_by"]["username"], "nina");
    assert!(secret.starts_with(made["shown"].as_str().unwrap()));

    let listed = gw.get(&nina, "/admin/api-keys").await;
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert!(
        items[0].get("key").is_none(),
        "the secret is shown once: {listed}"
    );
    assert!(!listed.to_string().contains(&secret[10..]));

    // A viewer's key reads, and may not pause, whatever its creator may.
    assert_eq!(
        gw.status(secret, Method::GET, "/admin/game/status").await,
        200
    );
    let (status, body) = gw
        .send(
            secret,
            Method::POST,
            "/admin/game/pause",
            Some(json!({ "reason": "x" })),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, me) = gw.send(secret, Method::GET, "/admin/auth/me", None).await;
    assert_eq!(
        (status, &me["username"], &me["role"]),
        (200, &json!("nina"), &json!("viewer"))
    );
}

#[tokio::test]
async fn a_key_is_at_most_its_creators_role_and_its_fields_are_checked() {
    let gw = Gateway::start().await;
    let (_, vic) = gw.signed_in("vic", "viewer").await;
    let (status, body) = make_key(
        &gw,
        &vic,
        json!({ "name": "ci", "role": "operator", "expires_in_days": 30 }),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        (&body["detail"][0]["loc"], &body["detail"][0]["msg"]),
        (
            &json!(["body", "role"]),
            &json!("Value error, at most your own role, viewer")
        )
    );
    let (status, body) = make_key(
        &gw,
        &vic,
        json!({
            "name": "",
            "role": "viewer",
            "expires_in_days": 366,
            "allowed_addresses": ["10.0.0.0/8", "not an address"],
        }),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let locs: Vec<Value> = body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["loc"].clone())
        .collect();
    assert_eq!(
        locs,
        vec![
            json!(["body", "name"]),
            json!(["body", "expires_in_days"]),
            json!(["body", "allowed_addresses", 1])
        ]
    );
}

#[tokio::test]
async fn what_a_key_does_is_attributed_to_it_and_its_use_is_recorded_once_a_minute() {
    let gw = Gateway::start().await;
    let admin = gw.login().await;
    let (secret, _) = key(&gw, &admin, "night shift", "operator").await;
    for _ in 0..3 {
        assert_eq!(
            gw.status(&secret, Method::GET, "/admin/game/status").await,
            200
        );
    }
    let (status, body) = gw
        .send(
            &secret,
            Method::POST,
            "/admin/game/pause",
            Some(json!({ "reason": "maintenance" })),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let pause = &entries(&gw, "game.pause").await[0];
    assert_eq!(
        (&pause["admin"], &pause["role"]),
        (&json!("admin"), &json!("operator"))
    );
    assert!(
        pause["detail"]
            .as_str()
            .unwrap()
            .contains("with API key “night shift” (gak_"),
        "{pause}"
    );
    let uses = entries(&gw, "auth.api_key_use").await;
    assert_eq!(
        uses.len(),
        1,
        "four requests within a minute are one use: {uses:?}"
    );
    assert!(
        uses[0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("from 127.0.0.1"),
        "{}",
        uses[0]
    );
    let made = &entries(&gw, "api_key.create").await[0];
    assert_eq!(made["after"], "operator");
    assert!(
        !made.to_string().contains(&secret[4..]),
        "never the key itself"
    );
}

#[tokio::test]
async fn a_key_limited_to_addresses_is_refused_elsewhere_and_the_refusal_recorded() {
    let gw = Gateway::start().await;
    let admin = gw.login().await;
    let (status, made) = make_key(
        &gw,
        &admin,
        json!({ "name": "office", "role": "viewer", "expires_in_days": 1, "allowed_addresses": ["10.0.0.0/8"] }),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["allowed_addresses"], json!(["10.0.0.0/8"]));
    let secret = made["key"].as_str().unwrap();
    let (status, body) = gw
        .send(secret, Method::GET, "/admin/game/status", None)
        .await;
    assert_eq!(
        (status, &body["detail"]),
        (
            401,
            &json!("This API key may not be used from this address")
        )
    );
    // Used again at once: refused again, recorded once a minute.
    assert_eq!(
        gw.status(secret, Method::GET, "/admin/game/status").await,
        401
    );
    let refusals = entries(&gw, "auth.api_key_refused").await;
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    let refused = &refusals[0];
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("from 127.0.0.1"),
        "{refused}"
    );

    let (_, loopback) = make_key(
        &gw,
        &admin,
        json!({ "name": "here", "role": "viewer", "expires_in_days": 1, "allowed_addresses": ["127.0.0.1"] }),
    )
    .await;
    let secret = loopback["key"].as_str().unwrap();
    assert_eq!(
        gw.status(secret, Method::GET, "/admin/game/status").await,
        200
    );
}

#[tokio::test]
async fn revoked_keys_and_keys_of_demoted_or_disabled_creators_are_refused() {
    let gw = Gateway::start().await;
    let admin = gw.login().await;
    let (nina_id, nina) = gw.signed_in("nina", "operator").await;
    let (ops, ops_id) = key(&gw, &nina, "ops", "operator").await;
    let (reader, _) = key(&gw, &nina, "reader", "viewer").await;

    // Someone else's key is not theirs to see or revoke; an admin sees and revokes any.
    let (_, vic) = gw.signed_in("vic", "viewer").await;
    assert_eq!(gw.get(&vic, "/admin/api-keys").await["items"], json!([]));
    let (status, _) = gw
        .delete(&vic, &format!("/admin/api-keys/{ops_id}"), None)
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        gw.get(&admin, "/admin/api-keys").await["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Demoted to viewer, nina can no longer grant "operator": her operator key stops, her
    // viewer key goes on.
    let (status, body) = gw
        .send(
            &admin,
            Method::PUT,
            &format!("/admin/accounts/{nina_id}/role"),
            Some(json!({ "role": "viewer" })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = gw.send(&ops, Method::GET, "/admin/game/status", None).await;
    assert_eq!(
        (status, &body["detail"]),
        (
            401,
            &json!("This API key's creator may no longer grant its role")
        )
    );
    assert_eq!(
        gw.status(&reader, Method::GET, "/admin/game/status").await,
        200
    );

    let (status, _) = gw
        .delete(
            &admin,
            &format!("/admin/api-keys/{ops_id}"),
            Some("leaked in a log"),
        )
        .await;
    assert_eq!(status, 204);
    let (status, body) = gw.send(&ops, Method::GET, "/admin/game/status", None).await;
    assert_eq!(
        (status, &body["detail"]),
        (401, &json!("This API key was revoked"))
    );
    let (status, _) = gw
        .delete(&admin, &format!("/admin/api-keys/{ops_id}"), None)
        .await;
    assert_eq!(status, 409, "already revoked");
    let revoked = &entries(&gw, "api_key.revoke").await[0];
    assert_eq!(
        (&revoked["reason"], &revoked["target"]),
        (&json!("leaked in a log"), &json!("nina"))
    );

    let (status, body) = gw
        .send(
            &admin,
            Method::PUT,
            &format!("/admin/accounts/{nina_id}/disabled"),
            Some(json!({ "disabled": true })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        gw.status(&reader, Method::GET, "/admin/game/status").await,
        401
    );

    let (status, body) = gw
        .send("gak_not-a-key", Method::GET, "/admin/game/status", None)
        .await;
    assert_eq!((status, &body["detail"]), (401, &json!("Invalid API key")));
}

#[tokio::test]
async fn a_key_cannot_do_what_only_a_person_may() {
    let gw = Gateway::start().await;
    let admin = gw.login().await;
    let (secret, _) = key(&gw, &admin, "ci", "admin").await;
    for (method, path, body) in [
        (
            Method::POST,
            "/admin/api-keys",
            Some(json!({ "name": "more", "role": "viewer", "expires_in_days": 1 })),
        ),
        (
            Method::POST,
            "/admin/auth/password",
            Some(json!({ "current_password": "x", "new_password": "y" })),
        ),
        (Method::POST, "/admin/auth/logout", None),
        (Method::GET, "/admin/auth/sessions", None),
        // Nor hand out a credential or a role through account management.
        (
            Method::POST,
            "/admin/accounts",
            Some(
                json!({ "username": "sleeper", "role": "admin", "password": "a long password 1" }),
            ),
        ),
        (
            Method::POST,
            "/admin/accounts/00000000-0000-4000-8000-000000000000/password",
            None,
        ),
    ] {
        let (status, answer) = gw.send(&secret, method, path, body).await;
        assert_eq!(
            (status, &answer["code"]),
            (403, &json!("not_for_api_keys")),
            "{path}: {answer}"
        );
    }
    // What an admin may otherwise do, it does.
    let (status, _) = read(gw.call(&secret, Method::GET, "/admin/accounts", None).await).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_key_is_told_a_dangerous_action_needs_a_person_when_the_gateway_asks_for_proofs() {
    let mut settings = galaxy_gateway::Settings::for_tests(250);
    settings.confirm_dangerous_actions = true;
    let gw = Gateway::start_with(settings).await;
    let admin = gw.login().await;
    let (secret, _) = key(&gw, &admin, "nightly", "admin").await;
    let (status, snapshot) = gw
        .send(&secret, Method::POST, "/admin/snapshots", None)
        .await;
    assert_eq!(status, 201, "{snapshot}");
    let id = &snapshot["id"];
    let (status, answer) = gw
        .send(
            &secret,
            Method::POST,
            &format!("/admin/snapshots/{id}/restore"),
            None,
        )
        .await;
    assert_eq!(
        (status, &answer["code"]),
        (403, &json!("not_for_api_keys")),
        "{answer}"
    );
    assert!(
        answer["detail"]
            .as_str()
            .unwrap()
            .starts_with(&format!("Restore snapshot {id}")),
        "{answer}"
    );
    // A person is asked for a proof of the same action instead.
    let (status, answer) = gw
        .send(
            &admin,
            Method::POST,
            &format!("/admin/snapshots/{id}/restore"),
            None,
        )
        .await;
    assert_eq!(
        (status, &answer["code"]),
        (403, &json!("confirmation_required")),
        "{answer}"
    );
}

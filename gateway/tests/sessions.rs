//! Console sessions over real HTTP: "Your sessions" with device, address and times; ending
//! one, or all the others; signing out, after which a captured token is refused; an admin
//! ending another account's sessions; a password change ending the others.

mod common;

use common::{read, Gateway};
use reqwest::Method;
use serde_json::{json, Value};

const ENDED: &str = "This session was ended; log in again";

/// A sign-in from a browser that says it is `device`.
async fn sign_in_from(gw: &Gateway, username: &str, device: &str) -> String {
    let (status, body) = read(
        gw.request(Method::POST, "/admin/auth/login")
            .header("user-agent", device)
            .json(&json!({ "username": username, "password": format!("{username} password") }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

fn items(body: &Value) -> Vec<Value> {
    body["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn an_operator_sees_their_sessions_and_ends_a_stolen_one() {
    let gw = Gateway::start().await;
    gw.add_account("nina", "nina password", "operator").await;
    let laptop = sign_in_from(&gw, "nina", "Firefox on the laptop").await;
    let stolen = sign_in_from(&gw, "nina", "Chrome on a phone").await;

    let mine = items(&gw.get(&laptop, "/admin/auth/sessions").await);
    assert_eq!(mine.len(), 2, "{mine:?}");
    assert_eq!(mine[0]["device"], "Chrome on a phone", "newest first");
    assert_eq!(
        (&mine[0]["current"], &mine[1]["current"]),
        (&json!(false), &json!(true))
    );
    assert_eq!(mine[1]["address"], "127.0.0.1");
    for key in ["created_at", "last_seen_at", "expires_at"] {
        assert!(mine[0][key].is_string(), "{key}");
    }
    let phone = mine[0]["id"].as_str().unwrap().to_owned();

    assert_eq!(
        gw.status(&stolen, Method::GET, "/admin/game/status").await,
        200
    );
    let (status, _) = gw
        .send(
            &laptop,
            Method::DELETE,
            &format!("/admin/auth/sessions/{phone}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, body) = gw
        .send(&stolen, Method::GET, "/admin/game/status", None)
        .await;
    assert_eq!((status, &body["detail"]), (401, &json!(ENDED)));
    let (status, _) = gw
        .send(
            &laptop,
            Method::DELETE,
            &format!("/admin/auth/sessions/{phone}"),
            None,
        )
        .await;
    assert_eq!(status, 404, "already ended");
    assert_eq!(
        items(&gw.get(&laptop, "/admin/auth/sessions").await).len(),
        1
    );

    // Another account's session cannot be ended from here.
    let other = sign_in_from(&gw, "nina", "a tablet").await;
    gw.add_account("omar", "omar password", "operator").await;
    let omar = sign_in_from(&gw, "omar", "omar's pc").await;
    let omars = items(&gw.get(&omar, "/admin/auth/sessions").await);
    let (status, _) = gw
        .send(
            &laptop,
            Method::DELETE,
            &format!("/admin/auth/sessions/{}", omars[0]["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(status, 404);
    // All the others at once.
    let (status, body) = gw
        .send(
            &laptop,
            Method::POST,
            "/admin/auth/sessions/end-others",
            None,
        )
        .await;
    assert_eq!((status, &body["ended"]), (200, &json!(1)));
    assert_eq!(gw.status(&other, Method::GET, "/admin/auth/me").await, 401);
    assert_eq!(gw.status(&omar, Method::GET, "/admin/auth/me").await, 200);

    let admin = gw.login().await;
    let log = gw.get(&admin, "/admin/audit?actor=nina").await;
    let actions: Vec<Value> = items(&log).iter().map(|e| e["action"].clone()).collect();
    assert!(actions.contains(&json!("auth.session_end")), "{actions:?}");
    assert!(actions.contains(&json!("auth.sessions_end")), "{actions:?}");
    let ended = items(&log)
        .into_iter()
        .find(|e| e["action"] == "auth.session_end")
        .unwrap();
    assert_eq!(
        ended["detail"],
        "ended the session of Chrome on a phone from 127.0.0.1"
    );
}

#[tokio::test]
async fn a_token_replayed_after_signing_out_is_refused() {
    let gw = Gateway::start().await;
    gw.add_account("pia", "pia password", "viewer").await;
    let token = sign_in_from(&gw, "pia", "Safari").await;
    let response = gw
        .request(Method::POST, "/admin/auth/logout")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        response.headers()["clear-site-data"],
        "\"cache\", \"storage\""
    );
    let (status, body) = gw
        .send(&token, Method::GET, "/admin/game/status", None)
        .await;
    assert_eq!((status, &body["detail"]), (401, &json!(ENDED)));
    // From another origin (a dashboard on another port) the header could not take effect,
    // and browsers report it as an error: it is left out.
    let elsewhere = sign_in_from(&gw, "pia", "Safari").await;
    let response = gw
        .request(Method::POST, "/admin/auth/logout")
        .bearer_auth(&elsewhere)
        .header("origin", "https://localhost:30001")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert!(response.headers().get("clear-site-data").is_none());
    let admin = gw.login().await;
    let log = gw.get(&admin, "/admin/audit?action=auth.logout").await;
    assert_eq!(items(&log)[0]["admin"], "pia");
    assert_eq!(items(&log)[0]["detail"], "Safari from 127.0.0.1");
}

#[tokio::test]
async fn an_admin_ends_every_session_of_another_account() {
    let gw = Gateway::start().await;
    let rex = gw.add_account("rex", "rex password", "operator").await;
    let one = sign_in_from(&gw, "rex", "one").await;
    let two = sign_in_from(&gw, "rex", "two").await;
    let admin = gw.login().await;
    let listed = items(
        &gw.get(&admin, &format!("/admin/accounts/{rex}/sessions"))
            .await,
    );
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|s| s["current"] == false));
    let (status, body) = gw
        .delete(
            &admin,
            &format!("/admin/accounts/{rex}/sessions"),
            Some("laptop stolen"),
        )
        .await;
    assert_eq!((status, &body["ended"]), (200, &json!(2)), "{body}");
    for token in [&one, &two] {
        assert_eq!(gw.status(token, Method::GET, "/admin/auth/me").await, 401);
    }
    let log = gw
        .get(&admin, "/admin/audit?action=account.sessions_end")
        .await;
    let entry = &items(&log)[0];
    assert_eq!(
        (&entry["target_id"], &entry["reason"], &entry["detail"]),
        (
            &json!(rex),
            &json!("laptop stolen"),
            &json!("ended 2 sessions of rex")
        )
    );
    // Not one's own account (the others, from one's own sessions), not as an operator.
    let me = gw.get(&admin, "/admin/auth/me").await;
    let (status, _) = gw
        .delete(
            &admin,
            &format!("/admin/accounts/{}/sessions", me["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(status, 409);
    let (_, operator) = gw.signed_in("olaf", "operator").await;
    let (status, _) = gw
        .delete(&operator, &format!("/admin/accounts/{rex}/sessions"), None)
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn a_password_change_ends_the_other_sessions_and_goes_on_in_a_new_one() {
    let gw = Gateway::start().await;
    gw.add_account("sam", "sam password", "viewer").await;
    let here = sign_in_from(&gw, "sam", "here").await;
    let there = sign_in_from(&gw, "sam", "there").await;
    let (status, body) = gw
        .send(
            &here,
            Method::POST,
            "/admin/auth/password",
            Some(json!({ "current_password": "sam password", "new_password": "a much better passphrase" })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let renewed = body["access_token"].as_str().unwrap();
    assert_eq!(gw.status(&there, Method::GET, "/admin/auth/me").await, 401);
    let mine = items(&gw.get(renewed, "/admin/auth/sessions").await);
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["current"], true);
}

//! The second factor over real HTTP: enrolling an authenticator app, the second step of a
//! sign-in with a code that works once or a recovery code that works once, the limit on wrong
//! codes, the per-role policy that sends an account to enrol first, and an admin's reset.
//! Codes are computed here with `totp-rs` from the secret the gateway handed out, as a phone
//! would.

mod common;

use common::{read, Gateway, PASSWORD};
use galaxy_gateway::domain::roles::Role;
use galaxy_gateway::Settings;
use reqwest::Method;
use serde_json::{json, Value};
use totp_rs::{Algorithm, Secret, TOTP};

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The code a phone shows for `secret` (base32) at `time`.
fn code(secret: &str, time: u64) -> String {
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().unwrap();
    TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes, None, "x".into())
        .unwrap()
        .generate(time)
}

/// The authenticator app of the account signed in with `token` (whose password is
/// `password`): its secret, the recovery codes and the answer.
async fn enrol(gw: &Gateway, token: &str, password: &str) -> (String, Vec<String>, Value) {
    let (status, offered) = gw
        .send(token, Method::POST, "/admin/auth/totp/secret", None)
        .await;
    assert_eq!(status, 200, "{offered}");
    let secret = offered["secret"].as_str().unwrap().to_owned();
    let (status, body) = gw
        .send(
            token,
            Method::PUT,
            "/admin/auth/totp",
            Some(json!({ "secret": secret, "code": code(&secret, now()), "current_password": password })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let codes = body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (secret, codes, body)
}

/// The first step of a sign-in that needs a second factor: the challenge.
async fn challenge(gw: &Gateway, username: &str, password: &str) -> String {
    let (status, body) = read(gw.try_login(username, password, None).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["second_factor_required"], true, "{body}");
    assert!(body.get("access_token").is_none(), "no session yet: {body}");
    assert_eq!(body["methods"], json!(["totp", "recovery_code"]));
    body["challenge"].as_str().unwrap().to_owned()
}

async fn second_step(gw: &Gateway, body: Value) -> (u16, Value) {
    read(
        gw.request(Method::POST, "/admin/auth/login/second-factor")
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn audit_text(gw: &Gateway) -> (Vec<Value>, String) {
    let token = gw.login().await;
    let body = gw.get(&token, "/admin/audit?limit=100").await;
    (body["items"].as_array().unwrap().clone(), body.to_string())
}

#[tokio::test]
async fn an_enrolled_account_signs_in_with_a_code_that_works_once() {
    let gw = Gateway::start().await;
    let (_, token) = gw.signed_in("alice", "operator").await;
    let (status, offered) = gw
        .send(&token, Method::POST, "/admin/auth/totp/secret", None)
        .await;
    assert_eq!(status, 200);
    let secret = offered["secret"].as_str().unwrap();
    let url = offered["otpauth_url"].as_str().unwrap();
    assert!(
        url.starts_with("otpauth://totp/Galaxy%20admin:alice?"),
        "{url}"
    );
    let size = offered["qr"]["size"].as_u64().unwrap() as usize;
    assert_eq!(
        offered["qr"]["modules"].as_str().unwrap().len(),
        size * size
    );
    // A wrong code does not enrol.
    let (status, body) = gw
        .send(
            &token,
            Method::PUT,
            "/admin/auth/totp",
            Some(json!({ "secret": secret, "code": "000000" })),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["detail"][0]["loc"], json!(["body", "code"]));
    // Without the password a session alone cannot add an app.
    let (_, offered) = gw
        .send(&token, Method::POST, "/admin/auth/totp/secret", None)
        .await;
    let first = offered["secret"].as_str().unwrap();
    let (status, body) = gw
        .send(
            &token,
            Method::PUT,
            "/admin/auth/totp",
            Some(
                json!({ "secret": first, "code": code(first, now()), "current_password": "guess" }),
            ),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["detail"][0]["loc"],
        json!(["body", "current_password"])
    );
    let (secret, codes, enrolled) = enrol(&gw, &token, "alice password").await;
    assert_eq!(codes.len(), 10);
    // The session that enrolled was replaced by a new one.
    assert_eq!(gw.status(&token, Method::GET, "/admin/auth/me").await, 401);
    let token = enrolled["access_token"].as_str().unwrap().to_owned();
    let me = gw.get(&token, "/admin/auth/me").await;
    assert_eq!(me["second_factor"]["totp"], true, "{me}");
    assert_eq!(me["second_factor"]["recovery_codes_left"], 10);

    let password = "alice password";
    let first = challenge(&gw, "alice", password).await;
    // The code that confirmed the app cannot sign in; the next one can, once.
    let next = code(&secret, now() + 30);
    let (status, body) = second_step(&gw, json!({ "challenge": first, "code": next })).await;
    assert_eq!(status, 200, "{body}");
    let session = body["access_token"].as_str().unwrap();
    assert_eq!(
        gw.status(session, Method::GET, "/admin/game/status").await,
        200
    );
    let again = challenge(&gw, "alice", password).await;
    let (status, body) = second_step(&gw, json!({ "challenge": again, "code": next })).await;
    assert_eq!((status, &body["detail"]), (401, &json!("Incorrect code")));
    // A challenge is not a session.
    assert_eq!(gw.status(&again, Method::GET, "/admin/auth/me").await, 401);

    let (items, text) = audit_text(&gw).await;
    let of =
        |action: &str| -> Vec<&Value> { items.iter().filter(|e| e["action"] == action).collect() };
    assert_eq!(of("auth.factor_enrol").len(), 1);
    assert_eq!(of("auth.factor_enrol")[0]["after"], "totp");
    assert!(of("auth.login").iter().any(|e| e["admin"] == "alice"
        && e["detail"]
            .as_str()
            .unwrap()
            .ends_with("with password and an authenticator code")));
    assert!(of("auth.login_failed")
        .iter()
        .any(|e| e["target"] == "alice"
            && e["detail"]
                .as_str()
                .unwrap()
                .contains("already used authenticator code")));
    for secret_text in codes
        .iter()
        .map(String::as_str)
        .chain([secret.as_str(), next.as_str()])
    {
        assert!(
            !text.contains(secret_text),
            "{secret_text} is in the audit log"
        );
    }
}

#[tokio::test]
async fn a_recovery_code_works_once_however_it_is_typed() {
    let gw = Gateway::start().await;
    let (_, token) = gw.signed_in("bob", "viewer").await;
    let (_, codes, _) = enrol(&gw, &token, "bob password").await;
    let password = "bob password";
    let step = challenge(&gw, "bob", password).await;
    let (status, body) =
        second_step(&gw, json!({ "challenge": step, "recovery_code": codes[0] })).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) =
        second_step(&gw, json!({ "challenge": step, "recovery_code": codes[0] })).await;
    assert_eq!(status, 401, "used");
    let typed = codes[1].replace('-', " ").to_uppercase();
    let (status, body) =
        second_step(&gw, json!({ "challenge": step, "recovery_code": typed })).await;
    assert_eq!(status, 200, "{body}");
    let me = gw
        .get(body["access_token"].as_str().unwrap(), "/admin/auth/me")
        .await;
    assert_eq!(me["second_factor"]["recovery_codes_left"], 8);
    let (status, body) = second_step(&gw, json!({ "challenge": step })).await;
    assert_eq!(status, 422, "{body}");
}

#[tokio::test]
async fn wrong_codes_count_towards_the_login_limit() {
    let gw = Gateway::start().await;
    let (_, token) = gw.signed_in("carol", "operator").await;
    let (secret, _, _) = enrol(&gw, &token, "carol password").await;
    let step = challenge(&gw, "carol", "carol password").await;
    for _ in 0..5 {
        let (status, _) = second_step(&gw, json!({ "challenge": step, "code": "123456" })).await;
        assert_eq!(status, 401);
    }
    let right = code(&secret, now() + 30);
    let (status, _) = second_step(&gw, json!({ "challenge": step, "code": right })).await;
    assert_eq!(status, 429, "locked, even with the right code");
    let (items, _) = audit_text(&gw).await;
    assert!(items
        .iter()
        .any(|e| e["action"] == "auth.login_locked" && e["target"] == "carol"));
}

#[tokio::test]
async fn the_policy_sends_an_account_of_a_required_role_to_enrol_first() {
    let mut settings = Settings::for_tests(250);
    settings.second_factor_roles = vec![Role::Admin];
    let gw = Gateway::start_with(settings).await;
    let (status, body) = read(gw.try_login("admin", PASSWORD, None).await).await;
    assert_eq!((status, &body["must_enrol"]), (200, &json!(true)), "{body}");
    let limited = body["access_token"].as_str().unwrap().to_owned();
    let (status, refused) = gw
        .send(&limited, Method::GET, "/admin/game/status", None)
        .await;
    assert_eq!(status, 403);
    assert_eq!(refused["code"], "second_factor_required");
    let me = gw.get(&limited, "/admin/auth/me").await;
    assert_eq!(
        (&me["must_enrol"], &me["second_factor"]["required"]),
        (&json!(true), &json!(true))
    );
    let (_, _, enrolled) = enrol(&gw, &limited, PASSWORD).await;
    let full = enrolled["access_token"].as_str().unwrap();
    assert_eq!(
        gw.status(full, Method::GET, "/admin/game/status").await,
        200
    );
    assert_eq!(
        gw.status(&limited, Method::GET, "/admin/game/status").await,
        401,
        "the enrolment session ended with the enrolment"
    );
    // A role the policy does not name signs in with its password alone.
    gw.add_account("viv", "viv password", "operator").await;
    let (_, body) = read(gw.try_login("viv", "viv password", None).await).await;
    assert_eq!(body["must_enrol"], false, "{body}");
}

#[tokio::test]
async fn replacing_a_factor_takes_a_code_of_the_current_one() {
    let gw = Gateway::start().await;
    let (_, token) = gw.signed_in("dave", "operator").await;
    let (old, _, enrolled) = enrol(&gw, &token, "dave password").await;
    let token = enrolled["access_token"].as_str().unwrap().to_owned();
    let (_, offered) = gw
        .send(&token, Method::POST, "/admin/auth/totp/secret", None)
        .await;
    let new = offered["secret"].as_str().unwrap();
    let attempt = |current: Option<String>| {
        let mut body = json!({ "secret": new, "code": code(new, now()) });
        if let Some(current) = current {
            body["current_code"] = json!(current);
        }
        gw.send(&token, Method::PUT, "/admin/auth/totp", Some(body))
    };
    let (status, body) = attempt(None).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["detail"][0]["loc"], json!(["body", "current_code"]));
    let (status, body) = attempt(Some(code(&old, now() + 30))).await;
    assert_eq!(status, 200, "{body}");
    // A lost phone: one of the current recovery codes replaces the app too, once.
    let token = body["access_token"].as_str().unwrap().to_owned();
    let recovery = body["recovery_codes"][0].as_str().unwrap().to_owned();
    let (_, offered) = gw
        .send(&token, Method::POST, "/admin/auth/totp/secret", None)
        .await;
    let newest = offered["secret"].as_str().unwrap();
    let with_recovery =
        json!({ "secret": newest, "code": code(newest, now()), "current_recovery_code": recovery });
    let (status, body) = gw
        .send(
            &token,
            Method::PUT,
            "/admin/auth/totp",
            Some(with_recovery.clone()),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap().to_owned();
    let (status, _) = gw
        .send(&token, Method::PUT, "/admin/auth/totp", Some(with_recovery))
        .await;
    assert_eq!(status, 422, "that recovery code is gone with the old app");
}

#[tokio::test]
async fn an_admin_resets_another_accounts_factor_but_not_their_own() {
    let gw = Gateway::start().await;
    let (erin, token) = gw.signed_in("erin", "operator").await;
    enrol(&gw, &token, "erin password").await;
    let admin = gw.login().await;
    let (status, body) = gw
        .delete(
            &admin,
            &format!("/admin/accounts/{erin}/second-factor"),
            Some("lost phone"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["account"]["second_factor"], false);
    assert_eq!(
        gw.status(&token, Method::GET, "/admin/auth/me").await,
        401,
        "erin's sessions ended"
    );
    let (_, body) = read(gw.try_login("erin", "erin password", None).await).await;
    assert!(
        body["access_token"].is_string(),
        "the password alone again: {body}"
    );
    let me = gw.get(&admin, "/admin/auth/me").await;
    let own = me["id"].as_str().unwrap();
    let (status, _) = gw
        .delete(
            &admin,
            &format!("/admin/accounts/{own}/second-factor"),
            None,
        )
        .await;
    assert_eq!(status, 409);
    // An operator may not reset anyone's.
    let (_, operator) = gw.signed_in("olga", "operator").await;
    let (status, _) = gw
        .delete(
            &operator,
            &format!("/admin/accounts/{erin}/second-factor"),
            None,
        )
        .await;
    assert_eq!(status, 403);
    let (items, _) = audit_text(&gw).await;
    let reset = items
        .iter()
        .find(|e| e["action"] == "account.factor_reset")
        .unwrap();
    assert_eq!(
        (
            &reset["target_id"],
            &reset["before"],
            &reset["after"],
            &reset["reason"]
        ),
        (
            &json!(erin),
            &json!("totp"),
            &json!("none"),
            &json!("lost phone")
        )
    );
}

//! Console accounts over real HTTP: management, the last-admin rule, sessions that end the
//! moment their account changes, own password changes, per-account lockout, audit, reset.

mod common;

use common::{read, retry_after, validation_loc, Gateway, PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};

const SESSION_ENDED: &str = "Session ended: the account's role or password changed; log in again";

async fn detail(
    gw: &Gateway,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let (code, body) = gw.send(token, method, path, body).await;
    (code, body["detail"].clone())
}

async fn me_status(gw: &Gateway, token: &str) -> (u16, Value) {
    detail(gw, token, Method::GET, "/admin/auth/me", None).await
}

#[tokio::test]
async fn an_admin_creates_an_account_with_a_one_time_password_shown_once() {
    let gw = Gateway::start().await;
    let admin = gw.login().await;
    let (code, created) = gw
        .send(
            &admin,
            Method::POST,
            "/admin/accounts",
            Some(json!({ "username": "otto", "role": "operator" })),
        )
        .await;
    assert_eq!(code, 201, "{created}");
    let account = &created["account"];
    assert_eq!(
        (
            account["username"].as_str(),
            account["role"].as_str(),
            account["disabled"].as_bool()
        ),
        (Some("otto"), Some("operator"), Some(false))
    );
    assert!(account["last_login_at"].is_null());
    let mut keys: Vec<&String> = account.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "created_at",
            "disabled",
            "id",
            "last_login_at",
            "role",
            "second_factor",
            "username"
        ]
    );
    let id: uuid::Uuid = account["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(id.get_version(), Some(uuid::Version::Random));
    let password = created["one_time_password"].as_str().unwrap().to_owned();
    assert_eq!(password.len(), 20);

    let token = gw.login_as("otto", &password).await;
    let me = gw.get(&token, "/admin/auth/me").await;
    assert_eq!(
        (me["id"].as_str(), me["role"].as_str()),
        (Some(id.to_string().as_str()), Some("operator"))
    );
    let shown = gw.get(&admin, &format!("/admin/accounts/{id}")).await;
    assert!(shown["last_login_at"].is_string(), "{shown}");
    assert!(shown.get("one_time_password").is_none() && !shown.to_string().contains(&password));

    // A given password is kept and not returned.
    let (code, given) = gw
        .send(
            &admin,
            Method::POST,
            "/admin/accounts",
            Some(
                json!({ "username": "vera", "role": "viewer", "password": "a long viewer secret" }),
            ),
        )
        .await;
    assert_eq!(code, 201);
    assert!(given["one_time_password"].is_null());
    gw.login_as("vera", "a long viewer secret").await;

    let list = gw.get(&admin, "/admin/accounts").await;
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["admin", "otto", "vera"], "oldest first");
    assert!(!list.to_string().contains("argon2"), "no hash is ever sent");
}

#[tokio::test]
async fn account_creation_is_validated() {
    let gw = Gateway::start().await;
    let admin = gw.login().await;
    let create = |body: Value| {
        let gw = &gw;
        let admin = admin.clone();
        async move {
            gw.send(&admin, Method::POST, "/admin/accounts", Some(body))
                .await
        }
    };
    for (body, loc, kind) in [
        (
            json!({ "username": "no-dashes", "role": "viewer" }),
            "username",
            "string_pattern_mismatch",
        ),
        (
            json!({ "username": "ab", "role": "viewer" }),
            "username",
            "string_pattern_mismatch",
        ),
        (
            json!({ "username": "valid_name", "role": "viewer", "password": "too short" }),
            "password",
            "string_too_short",
        ),
        (
            json!({ "username": "valid_name", "role": "viewer", "password": "my VALID_NAME secret" }),
            "password",
            "value_error",
        ),
    ] {
        let (code, response) = create(body.clone()).await;
        assert_eq!(code, 422, "{body}");
        assert_eq!(
            validation_loc(&response),
            [json!("body"), json!(loc)],
            "{body}"
        );
        assert_eq!(response["detail"][0]["type"], kind, "{body}");
    }
    for body in [
        json!({ "username": "valid_name", "role": "superuser" }),
        json!({ "username": "valid_name" }),
        json!({ "username": "valid_name", "role": "viewer", "extra": 1 }),
    ] {
        assert_eq!(create(body.clone()).await.0, 422, "{body}");
    }
    assert_eq!(
        create(json!({ "username": "twin", "role": "viewer" }))
            .await
            .0,
        201
    );
    let (code, response) = create(json!({ "username": "twin", "role": "admin" })).await;
    assert_eq!(
        (code, response["detail"].as_str()),
        (409, Some("An account named twin already exists"))
    );
    assert_eq!(
        create(json!({ "username": "Twin", "role": "viewer" }))
            .await
            .0,
        201,
        "case-sensitive, as in Postgres"
    );
    let (code, response) = gw
        .send(&admin, Method::GET, "/admin/accounts/42", None)
        .await;
    assert_eq!(
        (code, validation_loc(&response)),
        (422, vec![json!("path"), json!("account_id")])
    );
    let missing = format!("/admin/accounts/{}", uuid::Uuid::nil());
    for (method, path, body) in [
        (Method::GET, missing.clone(), None),
        (Method::DELETE, missing.clone(), None),
        (
            Method::PUT,
            format!("{missing}/role"),
            Some(json!({ "role": "viewer" })),
        ),
        (
            Method::PUT,
            format!("{missing}/disabled"),
            Some(json!({ "disabled": true })),
        ),
        (Method::POST, format!("{missing}/password"), None),
    ] {
        let (code, d) = detail(&gw, &admin, method.clone(), &path, body).await;
        assert_eq!(
            (code, d),
            (
                404,
                json!(format!("Account {} not found", uuid::Uuid::nil()))
            ),
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn a_role_change_ends_the_sessions_at_once_and_the_new_role_applies_at_login() {
    let gw = Gateway::start().await;
    let admin = gw.login().await;
    let (id, token) = gw.signed_in("otto", "operator").await;
    assert_eq!(
        gw.status(&token, Method::POST, "/admin/game/pause").await,
        200
    );
    // Setting the role it has changes nothing.
    let (code, same) = gw
        .send(
            &admin,
            Method::PUT,
            &format!("/admin/accounts/{id}/role"),
            Some(json!({ "role": "operator" })),
        )
        .await;
    assert_eq!((code, same["role"].as_str()), (200, Some("operator")));
    assert_eq!(me_status(&gw, &token).await.0, 200);

    let (code, changed) = gw
        .send(
            &admin,
            Method::PUT,
            &format!("/admin/accounts/{id}/role"),
            Some(json!({ "role": "viewer" })),
        )
        .await;
    assert_eq!((code, changed["role"].as_str()), (200, Some("viewer")));
    assert_eq!(me_status(&gw, &token).await, (401, json!(SESSION_ENDED)));
    let viewer = gw.login_as("otto", "otto password").await;
    assert_eq!(gw.get(&viewer, "/admin/auth/me").await["role"], "viewer");
    assert_eq!(
        gw.status(&viewer, Method::POST, "/admin/game/resume").await,
        403
    );
    // Promotion ends the session too: the token's role must be the account's.
    gw.send(
        &admin,
        Method::PUT,
        &format!("/admin/accounts/{id}/role"),
        Some(json!({ "role": "admin" })),
    )
    .await;
    assert_eq!(me_status(&gw, &viewer).await, (401, json!(SESSION_ENDED)));
    let promoted = gw.login_as("otto", "otto password").await;
    assert_eq!(
        gw.status(&promoted, Method::GET, "/admin/accounts").await,
        200
    );
}

#[tokio::test]
async fn a_disabled_account_loses_its_sessions_and_cannot_log_in_until_enabled() {
    let gw = Gateway::start().await;
    let admin = gw.login().await;
    let (id, token) = gw.signed_in("otto", "operator").await;
    let disabled = format!("/admin/accounts/{id}/disabled");
    let (code, account) = gw
        .send(
            &admin,
            Method::PUT,
            &disabled,
            Some(json!({ "disabled": true })),
        )
        .await;
    assert_eq!((code, account["disabled"].as_bool()), (200, Some(true)));
    assert_eq!(
        me_status(&gw, &token).await,
        (401, json!("Account disabled"))
    );
    let (code, body) = read(gw.try_login("otto", "otto password", None).await).await;
    assert_eq!(
        (code, body["detail"].as_str()),
        (
            401,
            Some("This account is disabled; ask an admin to enable it")
        )
    );
    // Without the password nothing tells the account is disabled.
    let (code, body) = read(gw.try_login("otto", "a wrong guess", None).await).await;
    assert_eq!(
        (code, body["detail"].as_str()),
        (401, Some("Incorrect username or password"))
    );

    let (code, account) = gw
        .send(
            &admin,
            Method::PUT,
            &disabled,
            Some(json!({ "disabled": false })),
        )
        .await;
    assert_eq!((code, account["disabled"].as_bool()), (200, Some(false)));
    assert_eq!(
        me_status(&gw, &token).await,
        (401, json!(SESSION_ENDED)),
        "enabling revives no session"
    );
    gw.login_as("otto", "otto password").await;
}

#[tokio::test]
async fn a_password_reset_gives_a_new_one_time_password_and_ends_the_sessions() {
    let gw = Gateway::start().await;
    let admin = gw.login().await;
    let (id, token) = gw.signed_in("otto", "operator").await;
    let (code, reset) = gw
        .send(
            &admin,
            Method::POST,
            &format!("/admin/accounts/{id}/password"),
            None,
        )
        .await;
    assert_eq!(code, 200, "{reset}");
    assert_eq!(reset["account"]["id"], id.as_str());
    let password = reset["one_time_password"].as_str().unwrap();
    assert_eq!(me_status(&gw, &token).await, (401, json!(SESSION_ENDED)));
    assert_eq!(
        gw.try_login("otto", "otto password", None).await.status(),
        401
    );
    gw.login_as("otto", password).await;
}

#[tokio::test]
async fn a_deleted_account_loses_its_sessions_and_its_name_is_free_again() {
    let gw = Gateway::start().await;
    let admin = gw.login().await;
    let (id, token) = gw.signed_in("otto", "operator").await;
    assert_eq!(
        gw.status(&admin, Method::DELETE, &format!("/admin/accounts/{id}"))
            .await,
        204
    );
    assert_eq!(
        me_status(&gw, &token).await,
        (401, json!("Account deleted"))
    );
    assert_eq!(
        gw.status(&admin, Method::GET, &format!("/admin/accounts/{id}"))
            .await,
        404
    );
    assert_eq!(
        gw.try_login("otto", "otto password", None).await.status(),
        401
    );
    let (new_id, again) = gw.signed_in("otto", "viewer").await;
    assert_ne!(new_id, id);
    assert_eq!(
        me_status(&gw, &token).await.0,
        401,
        "the old token names the old account"
    );
    assert_eq!(gw.get(&again, "/admin/auth/me").await["role"], "viewer");
}

#[tokio::test]
async fn the_last_enabled_admin_can_be_neither_demoted_nor_disabled_nor_deleted() {
    let gw = Gateway::start().await;
    let admin = gw.login().await;
    let me = gw.get(&admin, "/admin/auth/me").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let account = format!("/admin/accounts/{me}");
    let refusals = [
        (
            Method::PUT,
            format!("{account}/role"),
            Some(json!({ "role": "operator" })),
            "demoted",
        ),
        (
            Method::PUT,
            format!("{account}/disabled"),
            Some(json!({ "disabled": true })),
            "disabled",
        ),
        (Method::DELETE, account.clone(), None, "deleted"),
    ];
    for (method, path, body, what) in &refusals {
        let (code, d) = detail(&gw, &admin, method.clone(), path, body.clone()).await;
        assert_eq!(
            (code, d),
            (409, json!(format!("admin is the last enabled admin and cannot be {what}; make another account an admin first"))),
            "{method} {path}"
        );
    }
    // A disabled admin is no second admin.
    let (second, _) = gw.signed_in("second", "admin").await;
    gw.send(
        &admin,
        Method::PUT,
        &format!("/admin/accounts/{second}/disabled"),
        Some(json!({ "disabled": true })),
    )
    .await;
    for (method, path, body, _) in &refusals {
        assert_eq!(
            detail(&gw, &admin, method.clone(), path, body.clone())
                .await
                .0,
            409
        );
    }
    // With an enabled second admin, no admin may demote, disable or delete itself, which
    // would end its own session; the other admin may.
    gw.send(
        &admin,
        Method::PUT,
        &format!("/admin/accounts/{second}/disabled"),
        Some(json!({ "disabled": false })),
    )
    .await;
    for ((method, path, body, _), what) in
        refusals
            .iter()
            .zip(["change the role of", "disable", "delete"])
    {
        let (code, d) = detail(&gw, &admin, method.clone(), path, body.clone()).await;
        assert_eq!(
            (code, d),
            (
                409,
                json!(format!(
                    "You cannot {what} the account you are signed in with; another admin can"
                ))
            ),
            "{method} {path}"
        );
    }
    let (code, d) = detail(
        &gw,
        &admin,
        Method::POST,
        &format!("{account}/password"),
        None,
    )
    .await;
    assert_eq!(code, 409, "{d}");
    assert_eq!(
        me_status(&gw, &admin).await.0,
        200,
        "nothing ended the session"
    );
    let second_token = gw.login_as("second", "second password").await;
    let (code, demoted) = gw
        .send(
            &second_token,
            Method::PUT,
            &format!("{account}/role"),
            Some(json!({ "role": "viewer" })),
        )
        .await;
    assert_eq!((code, demoted["role"].as_str()), (200, Some("viewer")));
    assert_eq!(me_status(&gw, &admin).await, (401, json!(SESSION_ENDED)));
    // Now the second is the last enabled admin.
    let (code, _) = detail(
        &gw,
        &second_token,
        Method::DELETE,
        &format!("/admin/accounts/{second}"),
        None,
    )
    .await;
    assert_eq!(code, 409);
    assert_eq!(
        gw.status(&second_token, Method::DELETE, &account).await,
        204
    );
}

#[tokio::test]
async fn everyone_changes_their_own_password_with_the_current_one() {
    let gw = Gateway::start().await;
    let (_, token) = gw.signed_in("vera", "viewer").await;
    let change =
        |current: &str, new: &str| json!({ "current_password": current, "new_password": new });
    for (body, loc, kind) in [
        (
            change("vera password", "short"),
            "new_password",
            "string_too_short",
        ),
        (
            change("vera password", "Vera's long new password"),
            "new_password",
            "value_error",
        ),
        (
            change("not the password", "a perfectly fine passphrase"),
            "current_password",
            "value_error",
        ),
    ] {
        let (code, response) = gw
            .send(
                &token,
                Method::POST,
                "/admin/auth/password",
                Some(body.clone()),
            )
            .await;
        assert_eq!(code, 422, "{body}");
        assert_eq!(
            validation_loc(&response),
            [json!("body"), json!(loc)],
            "{body}"
        );
        assert_eq!(response["detail"][0]["type"], kind);
    }
    assert_eq!(me_status(&gw, &token).await.0, 200, "nothing changed");
    let (code, issued) = gw
        .send(
            &token,
            Method::POST,
            "/admin/auth/password",
            Some(change("vera password", "a perfectly fine passphrase")),
        )
        .await;
    assert_eq!((code, issued["token_type"].as_str()), (200, Some("bearer")));
    let fresh = issued["access_token"].as_str().unwrap();
    assert_eq!(me_status(&gw, &token).await, (401, json!(SESSION_ENDED)));
    assert_eq!(gw.get(fresh, "/admin/auth/me").await["username"], "vera");
    assert_eq!(
        gw.try_login("vera", "vera password", None).await.status(),
        401
    );
    gw.login_as("vera", "a perfectly fine passphrase").await;

    let audit = gw.get(&gw.login().await, "/admin/audit?limit=200").await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"auth.password_change")
            && actions.contains(&"auth.password_change_failed")
    );
    let text = audit.to_string();
    for secret in [
        "vera password",
        "a perfectly fine passphrase",
        "not the password",
    ] {
        assert!(!text.contains(secret), "the audit log holds {secret:?}");
    }
}

#[tokio::test]
async fn wrong_current_passwords_count_as_failed_logins_of_the_account() {
    let gw = Gateway::start().await;
    let (_, token) = gw.signed_in("vera", "viewer").await;
    for _ in 0..5 {
        let body =
            json!({ "current_password": "guess", "new_password": "a perfectly fine passphrase" });
        assert_eq!(
            gw.send(&token, Method::POST, "/admin/auth/password", Some(body))
                .await
                .0,
            422
        );
    }
    let body = json!({ "current_password": "vera password", "new_password": "a perfectly fine passphrase" });
    let response = gw
        .call(&token, Method::POST, "/admin/auth/password", Some(body))
        .await;
    assert_eq!(response.status(), 429);
    assert!(retry_after(&response) >= 59);
    assert_eq!(
        gw.try_login("vera", "vera password", None).await.status(),
        429
    );
    // Another account from the same address is not locked.
    gw.login().await;
}

#[tokio::test]
async fn the_lockout_is_per_account_record_and_a_password_reset_lifts_it() {
    let gw = Gateway::start().await;
    let admin = gw.login().await;
    let otto = gw.add_account("otto", "otto password", "operator").await;
    gw.add_account("vera", "vera password", "viewer").await;
    for _ in 0..5 {
        assert_eq!(gw.try_login("otto", "wrong", None).await.status(), 401);
    }
    assert_eq!(
        gw.try_login("otto", "otto password", None).await.status(),
        429
    );
    gw.login_as("vera", "vera password").await;

    let (_, reset) = gw
        .send(
            &admin,
            Method::POST,
            &format!("/admin/accounts/{otto}/password"),
            None,
        )
        .await;
    gw.login_as("otto", reset["one_time_password"].as_str().unwrap())
        .await;

    for _ in 0..5 {
        gw.try_login("otto", "wrong", None).await;
    }
    assert_eq!(gw.try_login("otto", "anything", None).await.status(), 429);
    assert_eq!(
        gw.status(&admin, Method::DELETE, &format!("/admin/accounts/{otto}"))
            .await,
        204
    );
    gw.add_account("otto", "otto password", "operator").await;
    gw.login_as("otto", "otto password").await;
}

#[tokio::test]
async fn every_audit_entry_names_the_account_and_the_role_it_acted_with() {
    let gw = Gateway::start().await;
    let admin = gw.login().await;
    let admin_id = gw.get(&admin, "/admin/auth/me").await["id"].clone();
    let (otto, operator) = gw.signed_in("otto", "operator").await;
    gw.call(&operator, Method::POST, "/admin/game/pause", None)
        .await;
    gw.try_login("nobody", "wrong", None).await;
    gw.send(
        &admin,
        Method::PUT,
        &format!("/admin/accounts/{otto}/role"),
        Some(json!({ "role": "viewer" })),
    )
    .await;

    let audit = gw.get(&admin, "/admin/audit?limit=200").await;
    let entries = audit["items"].as_array().unwrap();
    let find = |action: &str| {
        entries
            .iter()
            .find(|e| e["action"] == action)
            .unwrap_or_else(|| panic!("no {action}"))
    };
    let pause = find("game.pause");
    assert_eq!(
        (&pause["admin"], &pause["admin_id"], &pause["role"]),
        (&json!("otto"), &json!(otto), &json!("operator"))
    );
    let failed = find("auth.login_failed");
    assert_eq!(
        (&failed["admin"], &failed["admin_id"], &failed["role"]),
        (&json!("(anonymous)"), &Value::Null, &Value::Null)
    );
    let change = find("account.role");
    assert_eq!(
        (&change["admin"], &change["admin_id"], &change["role"]),
        (&json!("admin"), &admin_id, &json!("admin"))
    );
    assert_eq!(
        (change["target"].as_str(), change["detail"].as_str()),
        (Some("otto"), Some("otto: operator to viewer"))
    );
    // The log is asked about an account by the name operators know it by.
    let by_name = gw
        .get(&admin, "/admin/audit?limit=200&action=account&target=OTT")
        .await;
    let found: Vec<&str> = by_name["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(found.contains(&"account.role"), "{found:?}");
    assert_eq!(
        (
            &change["target_type"],
            &change["target_id"],
            &change["before"],
            &change["after"]
        ),
        (
            &json!("account"),
            &json!(otto),
            &json!("operator"),
            &json!("viewer")
        )
    );
    let logins: Vec<&Value> = entries
        .iter()
        .filter(|e| e["action"] == "auth.login")
        .collect();
    assert!(logins
        .iter()
        .any(|e| e["admin"] == "otto" && e["role"] == "operator"));
    for entry in entries {
        let mut keys: Vec<&String> = entry.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "action",
                "admin",
                "admin_id",
                "after",
                "at",
                "before",
                "detail",
                "hash",
                "id",
                "reason",
                "role",
                "target",
                "target_exists",
                "target_id",
                "target_type",
                "tick"
            ]
        );
    }
}

#[tokio::test]
async fn a_reset_leaves_only_the_bootstrap_admin_as_the_secrets_have_it() {
    let gw = Gateway::start().await;
    let admin = gw.login().await;
    let id = gw.get(&admin, "/admin/auth/me").await["id"].clone();
    let (_, operator) = gw.signed_in("otto", "operator").await;
    gw.dev(Method::POST, "/__dev/reset", json!({})).await;
    assert_eq!(
        me_status(&gw, &operator).await,
        (401, json!("Account deleted"))
    );
    let me = gw.get(&admin, "/admin/auth/me").await;
    assert_eq!(
        (&me["id"], me["role"].as_str()),
        (&id, Some("admin")),
        "the admin's token stays valid"
    );
    let list = gw.get(&admin, "/admin/accounts").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    // The secrets' password comes back, and so does the role.
    let (_, fresh) = gw
        .send(
            &admin,
            Method::POST,
            "/admin/auth/password",
            Some(
                json!({ "current_password": PASSWORD, "new_password": "another long passphrase" }),
            ),
        )
        .await;
    let fresh = fresh["access_token"].as_str().unwrap().to_owned();
    let (_, second) = gw.signed_in("second", "admin").await;
    let (code, _) = gw
        .send(
            &second,
            Method::PUT,
            &format!("/admin/accounts/{}/role", id.as_str().unwrap()),
            Some(json!({ "role": "viewer" })),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(me_status(&gw, &fresh).await.0, 401);
    gw.dev(Method::POST, "/__dev/reset", json!({})).await;
    let again = gw.login().await;
    assert_eq!(gw.get(&again, "/admin/auth/me").await["role"], "admin");
    assert_eq!(
        gw.try_login("second", "second password", None)
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn the_dev_control_adds_accounts_with_a_known_password() {
    let gw = Gateway::start().await;
    let (id, token) = gw.signed_in("ops_1", "operator").await;
    let me = gw.get(&token, "/admin/auth/me").await;
    assert_eq!(
        (me["id"].as_str(), me["role"].as_str()),
        (Some(id.as_str()), Some("operator"))
    );
    for body in [
        json!({ "username": "ops_1", "password": "x", "role": "viewer" }),
        json!({ "username": "bad name", "password": "x", "role": "viewer" }),
        json!({ "username": "ops_2", "password": "", "role": "viewer" }),
        json!({ "username": "ops_2", "password": "x", "role": "root" }),
    ] {
        let response = gw
            .request(Method::POST, "/__dev/accounts")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            matches!(response.status().as_u16(), 409 | 422),
            "{body}: {}",
            response.status()
        );
    }
    let response = gw
        .request(Method::POST, "/__dev/accounts")
        .json(
            &json!({ "username": "off_duty", "password": "x", "role": "viewer", "disabled": true }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(gw.try_login("off_duty", "x", None).await.status(), 401);
}

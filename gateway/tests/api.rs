//! Every row of the admin API contract, over real HTTP against a running gateway.

mod common;

use std::time::Duration;

use common::{player, read, retry_after, validation_loc, Gateway, PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn login_issues_a_bearer_token_and_me_describes_it() {
    let gw = Gateway::start().await;
    let response = gw
        .request(Method::POST, "/admin/auth/login")
        .json(&json!({ "username": "admin", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let (status, body) = read(response).await;
    assert_eq!(status, 200);
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 3600);
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(token.split('.').count(), 3, "a JWT");

    let (status, me) = gw.send(token, Method::GET, "/admin/auth/me", None).await;
    assert_eq!(status, 200);
    assert_eq!(me["username"], "admin");
    assert_eq!(me["role"], "admin", "the bootstrap admin");
    let mut keys: Vec<&String> = me.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "expires_at",
            "id",
            "idle_expires_in",
            "idle_timeout_secs",
            "must_enrol",
            "role",
            "second_factor",
            "username"
        ]
    );
    let id: uuid::Uuid = me["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(id.get_version(), Some(uuid::Version::Random));
    let again = gw.login().await;
    let (_, me_again) = gw.send(&again, Method::GET, "/admin/auth/me", None).await;
    assert_eq!(me_again["id"], me["id"], "the admin's id is stable");
    let expires_at = time::OffsetDateTime::parse(
        me["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let left = expires_at - time::OffsetDateTime::now_utc();
    assert!(
        left > time::Duration::minutes(59) && left <= time::Duration::minutes(60),
        "{left}"
    );
}

#[tokio::test]
async fn bad_credentials_get_401_and_five_in_a_row_lock_the_account_with_429() {
    let gw = Gateway::start().await;
    for _ in 0..5 {
        let (status, body) = read(gw.try_login("admin", "wrong", None).await).await;
        assert_eq!(status, 401);
        assert_eq!(body["detail"], "Incorrect username or password");
    }
    let response = gw.try_login("admin", PASSWORD, None).await;
    assert_eq!(
        response.status(),
        429,
        "even right credentials wait out the lockout"
    );
    let seconds = retry_after(&response);
    assert!((59..=60).contains(&seconds), "{seconds}");
    let (_, body) = read(response).await;
    assert_eq!(
        body["detail"],
        format!("Too many failed logins for this username; try again in {seconds} seconds")
    );
}

#[tokio::test]
async fn login_body_is_validated_with_fastapi_422() {
    let gw = Gateway::start().await;
    for body in ["{\"username\": \"admin\"}", "not json", ""] {
        let response = gw
            .request(Method::POST, "/admin/auth/login")
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let (status, json) = read(response).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(validation_loc(&json)[0], "body");
    }
}

#[tokio::test]
async fn every_admin_path_needs_a_valid_token() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    let forged = format!("{}x", token);
    let first_player = format!("/admin/players/{}", player(1));
    let paths = [
        (Method::GET, "/admin/auth/me"),
        (Method::GET, "/admin/game/status"),
        (Method::POST, "/admin/game/pause"),
        (Method::POST, "/admin/game/resume"),
        (Method::GET, "/admin/config"),
        (Method::PUT, "/admin/config/tick_rate"),
        (Method::DELETE, "/admin/config/tick_rate"),
        (Method::GET, "/admin/snapshots"),
        (Method::POST, "/admin/snapshots"),
        (Method::POST, "/admin/snapshots/1/restore"),
        (Method::DELETE, "/admin/snapshots/1"),
        (Method::GET, "/admin/players"),
        (Method::GET, first_player.as_str()),
        (Method::DELETE, first_player.as_str()),
        (Method::GET, "/admin/services"),
        (Method::GET, "/admin/audit"),
    ];
    for (method, path) in paths {
        let missing = gw.request(method.clone(), path).send().await.unwrap();
        assert_eq!(missing.status(), 401, "{method} {path} without a token");
        assert_eq!(missing.headers()["www-authenticate"], "Bearer");
        assert_eq!(read(missing).await.1["detail"], "Not authenticated");
        let bad = gw.call(&forged, method.clone(), path, None).await;
        assert_eq!(bad.status(), 401, "{method} {path} with a forged token");
    }
}

#[tokio::test]
async fn tokens_expire_by_time_and_by_revocation() {
    let gw = Gateway::start().await;
    gw.dev(Method::PUT, "/__dev/token-ttl", json!({ "seconds": 1 }))
        .await;
    let short = gw.login().await;
    assert_eq!(
        gw.status(&short, Method::GET, "/admin/game/status").await,
        200
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, body) = gw
        .send(&short, Method::GET, "/admin/game/status", None)
        .await;
    assert_eq!(
        (status, body["detail"].as_str()),
        (401, Some("Token expired"))
    );

    gw.dev(Method::PUT, "/__dev/token-ttl", json!({ "seconds": 3600 }))
        .await;
    let token = gw.login().await;
    gw.dev(Method::POST, "/__dev/expire-tokens", json!({}))
        .await;
    assert_eq!(
        gw.status(&token, Method::GET, "/admin/game/status").await,
        401
    );
    let fresh = gw.login().await;
    assert_eq!(
        gw.status(&fresh, Method::GET, "/admin/game/status").await,
        200
    );
}

#[tokio::test]
async fn the_game_ticks_pauses_and_resumes_idempotently() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    gw.call(
        &token,
        Method::PUT,
        "/admin/config/tick_rate",
        Some(json!({ "value": 20 })),
    )
    .await;
    let first = gw.get(&token, "/admin/game/status").await;
    for key in [
        "tick",
        "game_time",
        "tick_rate",
        "actual_rate",
        "paused",
        "ticks_behind",
    ] {
        assert!(first.get(key).is_some(), "status lacks {key}: {first}");
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let later = gw.get(&token, "/admin/game/status").await;
    assert!(
        later["tick"].as_u64() > first["tick"].as_u64(),
        "{first} then {later}"
    );
    assert_eq!(later["tick_rate"], 20.0);

    let (code, paused) = gw
        .send(&token, Method::POST, "/admin/game/pause", None)
        .await;
    assert_eq!((code, paused["paused"].as_bool()), (200, Some(true)));
    let (code, again) = gw
        .send(&token, Method::POST, "/admin/game/pause", None)
        .await;
    assert_eq!((code, again["paused"].as_bool()), (200, Some(true)));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let still = gw.get(&token, "/admin/game/status").await;
    assert_eq!(
        still["tick"], paused["tick"],
        "pause really stops the clock"
    );
    assert_eq!(still["actual_rate"], 0.0);

    let (code, resumed) = gw
        .send(&token, Method::POST, "/admin/game/resume", None)
        .await;
    assert_eq!((code, resumed["paused"].as_bool()), (200, Some(false)));
    let (code, _) = gw
        .send(&token, Method::POST, "/admin/game/resume", None)
        .await;
    assert_eq!(code, 200);

    let tick = still["tick"].as_u64().unwrap();
    let expected =
        time::macros::datetime!(2000-01-01 12:00:00 UTC) + time::Duration::seconds(tick as i64);
    let game_time = time::OffsetDateTime::parse(
        still["game_time"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(game_time, expected, "one second of game time per tick");
}

#[tokio::test]
async fn an_engine_without_capacity_falls_behind() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    gw.call(
        &token,
        Method::PUT,
        "/admin/config/tick_rate",
        Some(json!({ "value": 50 })),
    )
    .await;
    gw.dev(
        Method::PUT,
        "/__dev/tick-capacity",
        json!({ "ticks_per_second": 5 }),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (_, s) = gw
        .send(&token, Method::GET, "/admin/game/status", None)
        .await;
    assert!(s["ticks_behind"].as_u64().unwrap() > 5, "{s}");
}

#[tokio::test]
async fn runtime_config_lists_updates_validates_and_resets() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    let (code, list) = gw.send(&token, Method::GET, "/admin/config", None).await;
    assert_eq!(code, 200);
    let keys: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "tick_rate",
            "snapshot_interval",
            "max_players",
            "motd",
            "snapshot_retention"
        ]
    );
    let item = &list["items"][1];
    assert_eq!(
        (
            item["value"].clone(),
            item["default"].clone(),
            item["updated_at"].clone()
        ),
        (json!(60), json!(60), Value::Null)
    );
    assert!(item["description"].is_string());
    let loaded_etag = list["items"][2]["etag"].as_str().unwrap().to_owned();
    assert!(
        loaded_etag.len() > 2 && loaded_etag.starts_with('"') && loaded_etag.ends_with('"'),
        "a strong entity tag, quotes included: {loaded_etag}"
    );

    let response = gw
        .call(
            &token,
            Method::PUT,
            "/admin/config/max_players",
            Some(json!({ "value": 5000 })),
        )
        .await;
    let etag_header = response.headers()["etag"].to_str().unwrap().to_owned();
    let (code, item) = read(response).await;
    assert_eq!((code, item["value"].clone()), (200, json!(5000)));
    assert!(item["updated_at"].is_string());
    assert_eq!(
        item["etag"],
        etag_header.as_str(),
        "the ETag header is the item's"
    );
    assert_ne!(etag_header, loaded_etag, "a change changes the entity tag");

    for (key, value) in [
        ("tick_rate", json!(0)),
        ("tick_rate", json!(100.5)),
        ("snapshot_interval", json!("60")),
        ("motd", json!("x".repeat(201))),
    ] {
        let (code, body) = gw
            .send(
                &token,
                Method::PUT,
                &format!("/admin/config/{key}"),
                Some(json!({ "value": value })),
            )
            .await;
        assert_eq!(code, 422, "{key}={value}");
        assert_eq!(validation_loc(&body), vec![json!("body"), json!("value")]);
    }
    let (code, body) = gw
        .send(
            &token,
            Method::PUT,
            "/admin/config/warp_factor",
            Some(json!({ "value": 9 })),
        )
        .await;
    assert_eq!(
        (code, body["detail"].as_str().unwrap()),
        (404, "Unknown config key: warp_factor")
    );
    assert_eq!(
        gw.status(&token, Method::DELETE, "/admin/config/warp_factor")
            .await,
        404
    );

    let response = gw
        .call(&token, Method::DELETE, "/admin/config/max_players", None)
        .await;
    let reset_etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let (code, item) = read(response).await;
    assert_eq!((code, item["value"].clone()), (200, json!(1000)));
    assert_eq!(item["etag"], reset_etag.as_str());
    assert_ne!(
        reset_etag, etag_header,
        "a reset changes the entity tag too"
    );
}

/// A request to `/admin/config/{key}` with an `If-Match` header.
async fn config_if_match(
    gw: &Gateway,
    token: &str,
    method: Method,
    key: &str,
    if_match: &str,
    value: Option<Value>,
) -> reqwest::Response {
    let mut request = gw
        .request(method, &format!("/admin/config/{key}"))
        .bearer_auth(token)
        .header("if-match", if_match);
    if let Some(value) = value {
        request = request.json(&json!({ "value": value }));
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn config_changes_against_a_stale_entity_tag_get_412_and_change_nothing() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    let list = gw.get(&token, "/admin/config").await;
    let loaded = list["items"][3]["etag"].as_str().unwrap().to_owned();

    // Operator A saves with the tag they loaded: accepted, and the tag moves on.
    let response =
        config_if_match(&gw, &token, Method::PUT, "motd", &loaded, Some(json!("A"))).await;
    assert_eq!(response.status(), 200);
    let after_a = response.headers()["etag"].to_str().unwrap().to_owned();

    // Operator B loaded the same page before A saved: refused, with what A left.
    let response =
        config_if_match(&gw, &token, Method::PUT, "motd", &loaded, Some(json!("B"))).await;
    assert_eq!(response.headers()["etag"], after_a.as_str());
    let (code, body) = read(response).await;
    assert_eq!(code, 412);
    assert_eq!(
        body["detail"],
        "motd was changed by someone else since you loaded it"
    );
    assert_eq!(body["current"]["key"], "motd");
    assert_eq!(body["current"]["value"], "A");
    assert_eq!(body["current"]["etag"], after_a.as_str());
    let (code, _) =
        read(config_if_match(&gw, &token, Method::DELETE, "motd", &loaded, None).await).await;
    assert_eq!(code, 412, "a reset is guarded alike");
    let (code, _) =
        read(config_if_match(&gw, &token, Method::PUT, "motd", &loaded, Some(json!(5))).await)
            .await;
    assert_eq!(
        code, 412,
        "the precondition comes before the value's range check for its key"
    );
    let (code, body) =
        read(config_if_match(&gw, &token, Method::PUT, "motd", &loaded, Some(json!({}))).await)
            .await;
    assert_eq!(
        (code, validation_loc(&body)),
        (422, vec![json!("body"), json!("value")]),
        "but after the body's shape, which FastAPI validates before the handler runs"
    );
    let now = gw.get(&token, "/admin/config").await;
    assert_eq!(
        (
            now["items"][3]["value"].clone(),
            now["items"][3]["etag"].clone()
        ),
        (json!("A"), json!(after_a)),
        "refused changes change nothing"
    );

    // Weak tags never match; a list matches if any member does; * matches whatever is there.
    let weak = format!("W/{after_a}");
    let (code, _) =
        read(config_if_match(&gw, &token, Method::PUT, "motd", &weak, Some(json!("B"))).await)
            .await;
    assert_eq!(code, 412);
    let list_header = format!("\"nope\", {after_a}");
    let response = config_if_match(
        &gw,
        &token,
        Method::PUT,
        "motd",
        &list_header,
        Some(json!("B")),
    )
    .await;
    assert_eq!(response.status(), 200);
    let response = config_if_match(&gw, &token, Method::DELETE, "motd", "*", None).await;
    assert_eq!(response.status(), 200);
    // Unknown keys are 404 whatever the precondition.
    let (code, _) =
        read(config_if_match(&gw, &token, Method::PUT, "warp_factor", "*", Some(json!(1))).await)
            .await;
    assert_eq!(code, 404);

    let audit = gw.get(&token, "/admin/audit?limit=200").await;
    let changes = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target"] == "motd")
        .count();
    assert_eq!(changes, 3, "only the accepted changes are audited");
}

#[tokio::test]
async fn snapshots_are_created_listed_newest_first_restored_only_while_paused_and_deleted() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    gw.call(
        &token,
        Method::PUT,
        "/admin/config/tick_rate",
        Some(json!({ "value": 50 })),
    )
    .await;
    let mut created = vec![];
    for _ in 0..3 {
        let (code, s) = gw
            .send(&token, Method::POST, "/admin/snapshots", None)
            .await;
        assert_eq!(code, 201);
        created.push(s);
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    let (code, list) = gw
        .send(
            &token,
            Method::GET,
            "/admin/snapshots?limit=2&offset=0",
            None,
        )
        .await;
    assert_eq!((code, list["total"].as_u64()), (200, Some(3)));
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"], created[2]["id"], "newest first");
    for key in [
        "id",
        "tick_number",
        "game_time",
        "created_at",
        "size_bytes",
        "pinned",
        "label",
        "created_by",
    ] {
        assert!(items[0].get(key).is_some(), "{key}");
    }
    let (_, second_page) = gw
        .send(
            &token,
            Method::GET,
            "/admin/snapshots?limit=2&offset=2",
            None,
        )
        .await;
    assert_eq!(second_page["items"][0]["id"], created[0]["id"]);

    let first_id = created[0]["id"].as_u64().unwrap();
    let restore = format!("/admin/snapshots/{first_id}/restore");
    let (code, body) = gw.send(&token, Method::POST, &restore, None).await;
    assert_eq!(code, 409);
    assert!(body["detail"].as_str().unwrap().contains("Pause"));

    gw.call(&token, Method::POST, "/admin/game/pause", None)
        .await;
    let (code, status) = gw.send(&token, Method::POST, &restore, None).await;
    assert_eq!(code, 200);
    assert_eq!(
        status["tick"], created[0]["tick_number"],
        "restore moves the tick back"
    );
    assert_eq!(status["game_time"], created[0]["game_time"]);
    assert_eq!(
        gw.status(&token, Method::POST, "/admin/snapshots/999/restore")
            .await,
        404
    );

    assert_eq!(
        gw.status(
            &token,
            Method::DELETE,
            &format!("/admin/snapshots/{first_id}")
        )
        .await,
        204
    );
    assert_eq!(
        gw.status(
            &token,
            Method::DELETE,
            &format!("/admin/snapshots/{first_id}")
        )
        .await,
        404
    );
    let (_, list) = gw.send(&token, Method::GET, "/admin/snapshots", None).await;
    assert_eq!(
        list["total"], 3,
        "two left, and the one taken before the restore"
    );
}

#[tokio::test]
async fn snapshot_ids_are_serial_integers_in_the_path() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    let (_, first) = gw
        .send(&token, Method::POST, "/admin/snapshots", None)
        .await;
    assert_eq!(first["id"], 1, "a SERIAL starts at 1");
    let (_, second) = gw
        .send(&token, Method::POST, "/admin/snapshots", None)
        .await;
    assert_eq!(second["id"], 2);
    gw.call(&token, Method::DELETE, "/admin/snapshots/2", None)
        .await;
    let (_, third) = gw
        .send(&token, Method::POST, "/admin/snapshots", None)
        .await;
    assert_eq!(third["id"], 3, "ids are never reused");

    for (id, kind) in [
        ("0", "greater_than_equal"),
        ("-1", "greater_than_equal"),
        ("2147483648", "less_than_equal"),
        ("99999999999999999999999", "less_than_equal"),
        ("1.0", "int_parsing"),
        ("one", "int_parsing"),
    ] {
        for (method, path) in [
            (Method::DELETE, format!("/admin/snapshots/{id}")),
            (Method::POST, format!("/admin/snapshots/{id}/restore")),
        ] {
            let (code, body) = gw.send(&token, method, &path, None).await;
            assert_eq!(code, 422, "{path}");
            assert_eq!(
                validation_loc(&body),
                [json!("path"), json!("snapshot_id")],
                "{path}"
            );
            assert_eq!(body["detail"][0]["type"], kind, "{path}");
        }
    }
    let (code, body) = gw
        .send(&token, Method::DELETE, "/admin/snapshots/2147483647", None)
        .await;
    assert_eq!(
        (code, body["detail"].as_str()),
        (404, Some("Snapshot 2147483647 not found"))
    );
}

#[tokio::test]
async fn ticks_beyond_two_to_the_53_are_served_as_exact_integers() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    gw.call(&token, Method::POST, "/admin/game/pause", None)
        .await;
    const BIG: u64 = (1 << 53) + 1; // 9007199254740993: a double would make it ...992
    gw.dev(Method::PUT, "/__dev/tick", json!({ "tick": BIG }))
        .await;
    let text = gw
        .call(&token, Method::GET, "/admin/game/status", None)
        .await
        .text()
        .await
        .unwrap();
    assert!(text.contains("\"tick\":9007199254740993"), "{text}");
    let (code, snapshot) = gw
        .send(&token, Method::POST, "/admin/snapshots", None)
        .await;
    assert_eq!((code, snapshot["tick_number"].as_u64()), (201, Some(BIG)));
    let id = snapshot["id"].as_u64().unwrap();

    gw.dev(Method::PUT, "/__dev/tick", json!({ "tick": 5 }))
        .await;
    let (code, restored) = gw
        .send(
            &token,
            Method::POST,
            &format!("/admin/snapshots/{id}/restore"),
            None,
        )
        .await;
    assert_eq!((code, restored["tick"].as_u64()), (200, Some(BIG)));
    assert_eq!(restored["game_time"], snapshot["game_time"]);

    // Resumed, it goes on counting from there.
    gw.call(
        &token,
        Method::PUT,
        "/admin/config/tick_rate",
        Some(json!({ "value": 50 })),
    )
    .await;
    gw.call(&token, Method::POST, "/admin/game/resume", None)
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let status = gw.get(&token, "/admin/game/status").await;
    assert!(status["tick"].as_u64().unwrap() > BIG, "{status}");

    // A BIGINT is the limit.
    let response = gw
        .request(Method::PUT, "/__dev/tick")
        .json(&json!({ "tick": 9_223_372_036_854_775_808u64 }))
        .send()
        .await
        .unwrap();
    let (code, body) = read(response).await;
    assert_eq!(
        (code, validation_loc(&body)),
        (422, vec![json!("body"), json!("tick")])
    );
}

#[tokio::test]
async fn list_parameters_are_validated() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    for query in [
        "limit=0",
        "limit=201",
        "limit=ten",
        "offset=-1",
        "sort=email",
        "order=up",
    ] {
        for path in ["/admin/players", "/admin/snapshots", "/admin/audit"] {
            if (query.starts_with("sort") || query.starts_with("order")) && path != "/admin/players"
            {
                continue;
            }
            let (code, body) = gw
                .send(&token, Method::GET, &format!("{path}?{query}"), None)
                .await;
            assert_eq!(code, 422, "{path}?{query}");
            assert_eq!(validation_loc(&body)[0], "query");
        }
    }
    for id in [
        "abc",
        "42",
        "0f8fad5b-d9cb-469f-a165-70867728950",
        "0f8fad5b-d9cb-469f-a165-70867728950ez",
    ] {
        for method in [Method::GET, Method::DELETE] {
            let (code, body) = gw
                .send(
                    &token,
                    method.clone(),
                    &format!("/admin/players/{id}"),
                    None,
                )
                .await;
            assert_eq!(code, 422, "{method} {id}");
            assert_eq!(validation_loc(&body), [json!("path"), json!("player_id")]);
            assert_eq!(body["detail"][0]["type"], "uuid_parsing");
            let msg = body["detail"][0]["msg"].as_str().unwrap();
            assert!(msg.starts_with("Input should be a valid UUID, "), "{msg}");
        }
    }
}

#[tokio::test]
async fn players_are_searched_sorted_paginated_fetched_and_deleted() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    let (code, all) = gw.send(&token, Method::GET, "/admin/players", None).await;
    assert_eq!((code, all["total"].as_u64()), (200, Some(250)));
    assert_eq!(all["items"].as_array().unwrap().len(), 50, "default limit");
    let names: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["username"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names, sorted, "sorted by username by default");
    let first = all["items"][0].as_object().unwrap();
    let mut keys: Vec<&String> = first.keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        ["ban", "created_at", "id", "online", "ship_id", "username"]
    );
    for p in all["items"].as_array().unwrap() {
        for key in ["id", "ship_id"] {
            let id: uuid::Uuid = p[key].as_str().unwrap().parse().unwrap();
            assert_eq!(p[key], id.to_string(), "canonical, lower case");
            assert_eq!(id.get_version(), Some(uuid::Version::Random));
        }
    }

    let (_, newest) = gw
        .send(
            &token,
            Method::GET,
            "/admin/players?sort=created_at&order=desc&limit=5",
            None,
        )
        .await;
    let dates: Vec<&str> = newest["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["created_at"].as_str().unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");

    let (_, found) = gw
        .send(
            &token,
            Method::GET,
            "/admin/players?search=NOVA&limit=200",
            None,
        )
        .await;
    let total = found["total"].as_u64().unwrap();
    assert!(total > 0 && total < 250);
    assert!(found["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["username"].as_str().unwrap().contains("nova")));

    let (_, page2) = gw
        .send(
            &token,
            Method::GET,
            "/admin/players?limit=10&offset=10",
            None,
        )
        .await;
    assert_eq!(page2["items"][0]["username"], all["items"][10]["username"]);

    let (_, empty) = gw
        .send(
            &token,
            Method::GET,
            "/admin/players?search=nobody_here",
            None,
        )
        .await;
    assert_eq!(
        (
            empty["total"].as_u64(),
            empty["items"].as_array().unwrap().len()
        ),
        (Some(0), 0)
    );

    let id = player(42);
    let path = format!("/admin/players/{id}");
    let (code, found) = gw.send(&token, Method::GET, &path, None).await;
    assert_eq!((code, found["id"].as_str()), (200, Some(id.as_str())));
    let listed = all["items"][7].clone();
    let (_, same) = gw
        .send(
            &token,
            Method::GET,
            &format!("/admin/players/{}", listed["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(same, listed, "a listed id fetches that player");
    // pydantic accepts the other spellings of a UUID too.
    let upper = format!("/admin/players/{}", id.to_uppercase());
    assert_eq!(gw.status(&token, Method::GET, &upper).await, 200);

    let unknown = "0f8fad5b-d9cb-469f-a165-70867728950e";
    let (code, body) = gw
        .send(
            &token,
            Method::GET,
            &format!("/admin/players/{unknown}"),
            None,
        )
        .await;
    assert_eq!(
        (code, body["detail"].as_str().unwrap()),
        (404, format!("Player {unknown} not found").as_str())
    );
    assert_eq!(gw.status(&token, Method::DELETE, &path).await, 204);
    assert_eq!(gw.status(&token, Method::GET, &path).await, 404);
    assert_eq!(gw.status(&token, Method::DELETE, &path).await, 404);
}

#[tokio::test]
async fn services_and_versions_follow_a_backend_deploy() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    let (code, versions) = read(gw.request(Method::GET, "/versions").send().await.unwrap()).await;
    assert_eq!(code, 200);
    for name in [
        "api_gateway",
        "physics",
        "tick_engine",
        "players",
        "galaxy",
        "web_client",
    ] {
        assert!(versions[name].is_string(), "{name}");
    }
    assert_eq!(versions["api_gateway"], "1.4.0");

    gw.dev(
        Method::PUT,
        "/__dev/services/physics",
        json!({ "version": "1.3.0", "status": "not_ready" }),
    )
    .await;
    let (_, versions) = read(gw.request(Method::GET, "/versions").send().await.unwrap()).await;
    assert_eq!(versions["physics"], "1.3.0");
    let (code, services) = gw.send(&token, Method::GET, "/admin/services", None).await;
    assert_eq!(code, 200);
    let physics = services["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "physics")
        .unwrap()
        .clone();
    assert_eq!(
        (physics["version"].as_str(), physics["status"].as_str()),
        (Some("1.3.0"), Some("not_ready"))
    );
    assert!(physics["checked_at"].is_string());
}

#[tokio::test]
async fn health_reports_liveness_and_readiness() {
    let gw = Gateway::start().await;
    let (code, live) = read(
        gw.request(Method::GET, "/health/live")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((code, live), (200, json!({ "status": "alive" })));
    let (code, ready) = read(
        gw.request(Method::GET, "/health/ready")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (code, ready),
        (200, json!({ "status": "ready", "version": "1.4.0" }))
    );
    gw.dev(
        Method::PUT,
        "/__dev/services/api_gateway",
        json!({ "status": "not_ready" }),
    )
    .await;
    let (code, ready) = read(
        gw.request(Method::GET, "/health/ready")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((code, ready["status"].as_str()), (503, Some("not_ready")));
    assert!(ready["reason"].is_string());
}

#[tokio::test]
async fn every_mutating_action_is_audited_newest_first() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    gw.call(&token, Method::POST, "/admin/game/pause", None)
        .await;
    gw.call(
        &token,
        Method::PUT,
        "/admin/config/motd",
        Some(json!({ "value": "hello" })),
    )
    .await;
    gw.call(&token, Method::DELETE, "/admin/config/motd", None)
        .await;
    let (_, snapshot) = gw
        .send(&token, Method::POST, "/admin/snapshots", None)
        .await;
    let id = snapshot["id"].as_u64().unwrap();
    gw.call(
        &token,
        Method::POST,
        &format!("/admin/snapshots/{id}/restore"),
        None,
    )
    .await;
    gw.call(
        &token,
        Method::DELETE,
        &format!("/admin/snapshots/{id}"),
        None,
    )
    .await;
    gw.call(
        &token,
        Method::DELETE,
        &format!("/admin/players/{}", player(7)),
        None,
    )
    .await;
    gw.call(&token, Method::POST, "/admin/game/resume", None)
        .await;

    let (code, audit) = gw
        .send(&token, Method::GET, "/admin/audit?limit=200", None)
        .await;
    assert_eq!(code, 200);
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "game.resume",
            "player.delete",
            "snapshot.delete",
            "snapshot.restore",
            "snapshot.create",
            "snapshot.create",
            "config.reset",
            "config.update",
            "game.pause",
            "auth.login",
        ]
    );
    assert_eq!(audit["total"], 10, "the restore took a snapshot first");
    let entry = &audit["items"][1];
    assert_eq!(
        (entry["admin"].as_str(), entry["target"].as_str()),
        (
            Some("admin"),
            Some(format!("player {}", player(7)).as_str())
        )
    );
    assert!(entry["at"].is_string() && entry.get("detail").is_some());
    let (_, page) = gw
        .send(&token, Method::GET, "/admin/audit?limit=1&offset=9", None)
        .await;
    assert_eq!(page["items"][0]["action"], "auth.login");
}

#[tokio::test]
async fn unknown_paths_are_fastapi_404s() {
    let gw = Gateway::start().await;
    let (code, body) = read(
        gw.request(Method::GET, "/admin/warp-drive")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((code, body), (404, json!({ "detail": "Not Found" })));
}

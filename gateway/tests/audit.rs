//! The audit log you can question: typed targets that know whether they still exist, before
//! and after, reasons, filters, paging that holds while entries arrive, CSV export, deploys
//! recorded by `(system)`, and never a secret.

mod common;

use common::{player, validation_loc, Gateway, PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};

fn items(body: &Value) -> Vec<Value> {
    body["items"].as_array().unwrap().clone()
}

fn actions(body: &Value) -> Vec<String> {
    items(body)
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

async fn csv(gw: &Gateway, token: &str, query: &str) -> (reqwest::header::HeaderMap, String) {
    let response = gw
        .call(
            token,
            Method::GET,
            &format!("/admin/audit/export{query}"),
            None,
        )
        .await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    (headers, response.text().await.unwrap())
}

#[tokio::test]
async fn entries_have_increasing_ids_ticks_typed_targets_and_before_and_after() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    gw.dev(Method::PUT, "/__dev/tick", json!({ "tick": 4242 }))
        .await;
    gw.send(
        &token,
        Method::PUT,
        "/admin/config/motd",
        Some(json!({ "value": "hello" })),
    )
    .await;
    gw.send(&token, Method::DELETE, "/admin/config/motd", None)
        .await;
    let (_, snapshot) = gw
        .send(&token, Method::POST, "/admin/snapshots", None)
        .await;
    let id = snapshot["id"].as_u64().unwrap();
    gw.send(&token, Method::POST, "/admin/game/pause", None)
        .await;
    gw.dev(Method::PUT, "/__dev/tick", json!({ "tick": 5000 }))
        .await;
    let (code, _) = gw
        .send(
            &token,
            Method::POST,
            &format!("/admin/snapshots/{id}/restore"),
            Some(json!({ "reason": "rollback" })),
        )
        .await;
    assert_eq!(code, 200);
    let log = gw.get(&token, "/admin/audit?limit=200").await;
    let entries = items(&log);
    let ids: Vec<u64> = entries.iter().map(|e| e["id"].as_u64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    assert_eq!(log["until_id"], ids[0]);
    let find = |action: &str| {
        entries
            .iter()
            .find(|e| e["action"] == action)
            .unwrap()
            .clone()
    };
    let update = find("config.update");
    assert_eq!(
        (
            &update["target_type"],
            &update["target_id"],
            &update["before"],
            &update["after"],
            &update["target_exists"],
            &update["reason"]
        ),
        (
            &json!("config"),
            &json!("motd"),
            &json!("\"\""),
            &json!("\"hello\""),
            &json!(true),
            &Value::Null
        )
    );
    assert!(update["tick"].as_u64().unwrap() >= 4242);
    let reset = find("config.reset");
    assert_eq!(
        (&reset["before"], &reset["after"]),
        (&json!("\"hello\""), &json!("\"\""))
    );
    let restore = find("snapshot.restore");
    assert_eq!(
        (
            &restore["target_type"],
            &restore["target_id"],
            &restore["before"],
            &restore["after"],
            &restore["reason"]
        ),
        (
            &json!("snapshot"),
            &json!(id.to_string()),
            &json!("5000"),
            &snapshot["tick_number"].to_string().into(),
            &json!("rollback")
        )
    );
    let login = find("auth.login");
    assert_eq!(
        (&login["target_type"], &login["target_exists"]),
        (&Value::Null, &json!(false))
    );
}

#[tokio::test]
async fn targets_that_are_gone_say_so() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    let (_, snapshot) = gw
        .send(&token, Method::POST, "/admin/snapshots", None)
        .await;
    let id = snapshot["id"].as_u64().unwrap();
    let gone = player(5);
    let (code, _) = gw
        .delete(
            &token,
            &format!("/admin/players/{gone}"),
            Some("cheating — reported twice, ✓ “twice”"),
        )
        .await;
    assert_eq!(code, 204);
    let log = gw.get(&token, "/admin/audit").await;
    let delete = &items(&log)[0];
    assert_eq!(
        (
            &delete["action"],
            &delete["target_type"],
            &delete["target_id"],
            &delete["target_exists"],
            &delete["reason"]
        ),
        (
            &json!("player.delete"),
            &json!("player"),
            &json!(gone),
            &json!(false),
            &json!("cheating — reported twice, ✓ “twice”")
        )
    );
    let create = &items(&log)[1];
    assert_eq!(
        (&create["action"], &create["target_exists"]),
        (&json!("snapshot.create"), &json!(true))
    );
    gw.send(
        &token,
        Method::DELETE,
        &format!("/admin/snapshots/{id}"),
        None,
    )
    .await;
    let log = gw.get(&token, "/admin/audit").await;
    assert!(items(&log)
        .iter()
        .filter(|e| e["target_type"] == "snapshot")
        .all(|e| e["target_exists"] == false));
}

#[tokio::test]
async fn reasons_are_trimmed_optional_and_at_most_500_characters() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    let long = "x".repeat(501);
    for path in [
        "/admin/game/pause",
        "/admin/game/resume",
        "/admin/snapshots/1/restore",
    ] {
        let (code, body) = gw
            .send(&token, Method::POST, path, Some(json!({ "reason": long })))
            .await;
        assert_eq!(code, 422, "POST {path}");
        assert_eq!(validation_loc(&body), [json!("body"), json!("reason")]);
        let (code, _) = gw
            .send(&token, Method::POST, path, Some(json!({ "why": "x" })))
            .await;
        assert_eq!(code, 422, "POST {path}: unknown field");
        let (code, _) = gw.send(&token, Method::POST, path, Some(json!([]))).await;
        assert_eq!(code, 422, "POST {path}: an array is no object");
    }
    // A DELETE's reason is a header (some proxies drop a DELETE's body), and a DELETE that
    // still carries a body is refused rather than done without its reason.
    for path in [
        format!("/admin/players/{}", player(1)),
        "/admin/config/motd".to_owned(),
        "/admin/snapshots/1".to_owned(),
        format!("/admin/players/{}/ban", player(1)),
        // Refused before the account is looked up.
        "/admin/accounts/5d0c8b1e-8a4c-4f7e-9a51-8f4f2a9e7c10".to_owned(),
    ] {
        let (code, body) = gw.delete(&token, &path, Some(&long)).await;
        assert_eq!(code, 422, "DELETE {path}");
        assert_eq!(
            validation_loc(&body),
            [json!("header"), json!("x-audit-log-reason")]
        );
        let (code, body) = gw
            .send(
                &token,
                Method::DELETE,
                &path,
                Some(json!({ "reason": "x" })),
            )
            .await;
        assert_eq!(code, 422, "DELETE {path} with a body: {body}");
        assert_eq!(validation_loc(&body), [json!("body")]);
        let invalid_utf8 = gw
            .request(Method::DELETE, &path)
            .bearer_auth(&token)
            .header("x-audit-log-reason", "%C3%28")
            .send()
            .await
            .unwrap();
        assert_eq!(invalid_utf8.status(), 422, "DELETE {path}: not UTF-8");
        let not_encoded = gw
            .request(Method::DELETE, &path)
            .bearer_auth(&token)
            .header("x-audit-log-reason", "50% off")
            .send()
            .await
            .unwrap();
        assert_eq!(
            not_encoded.status(),
            422,
            "DELETE {path}: not percent-encoded"
        );
    }
    let (code, body) = gw
        .send(
            &token,
            Method::PUT,
            "/admin/config/tick_rate",
            Some(json!({ "value": true, "reason": long })),
        )
        .await;
    assert_eq!(code, 422);
    assert_eq!(body["detail"].as_array().unwrap().len(), 2, "{body}");
    let total = gw.get(&token, "/admin/audit").await["total"].clone();
    assert_eq!(total, 1, "only the login: nothing refused was done");

    let (code, _) = gw
        .send(
            &token,
            Method::POST,
            "/admin/game/pause",
            Some(json!({ "reason": "   " })),
        )
        .await;
    assert_eq!(code, 200);
    // No body at all, as before.
    let response = gw
        .request(Method::POST, "/admin/game/resume")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (code, _) = gw
        .send(
            &token,
            Method::PUT,
            "/admin/config/tick_rate",
            Some(json!({ "value": 2, "reason": &"é".repeat(500) })),
        )
        .await;
    assert_eq!(code, 200);
    let log = gw.get(&token, "/admin/audit").await;
    let entries = items(&log);
    assert_eq!(entries[0]["reason"], "é".repeat(500));
    assert_eq!(entries[1]["reason"], Value::Null, "resume without a body");
    assert_eq!(entries[2]["reason"], Value::Null, "blank is none");
}

#[tokio::test]
async fn filters_select_by_actor_action_target_and_time() {
    let gw = Gateway::start().await;
    let admin = gw.login().await;
    let (_, otto) = gw.signed_in("Otto", "operator").await;
    gw.send(&otto, Method::POST, "/admin/game/pause", None)
        .await;
    gw.send(
        &otto,
        Method::PUT,
        "/admin/config/tick_rate",
        Some(json!({ "value": 3 })),
    )
    .await;
    let middle = time::OffsetDateTime::now_utc();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    gw.send(&admin, Method::DELETE, "/admin/config/motd", None)
        .await;
    gw.send(
        &admin,
        Method::DELETE,
        &format!("/admin/players/{}", player(9)),
        None,
    )
    .await;

    let get = |query: &'static str| {
        let (gw, admin) = (&gw, &admin);
        async move { gw.get(admin, &format!("/admin/audit?{query}")).await }
    };
    assert_eq!(
        actions(&get("actor=otto").await),
        ["config.update", "game.pause", "auth.login"]
    );
    assert_eq!(
        actions(&get("action=config").await),
        ["config.reset", "config.update"]
    );
    assert_eq!(actions(&get("action=config.reset").await), ["config.reset"]);
    assert_eq!(actions(&get("action=conf").await), Vec::<String>::new());
    assert_eq!(actions(&get("target=TICK_").await), ["config.update"]);
    let id = player(9);
    let by_id = gw
        .get(&admin, &format!("/admin/audit?target={}", &id[..8]))
        .await;
    assert_eq!(actions(&by_id), ["player.delete"]);
    let stamp = middle
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
        .replace('+', "%2B");
    let after = gw.get(&admin, &format!("/admin/audit?from={stamp}")).await;
    assert_eq!(actions(&after), ["player.delete", "config.reset"]);
    let before = gw.get(&admin, &format!("/admin/audit?to={stamp}")).await;
    assert_eq!(before["total"], 4);
    let both = gw
        .get(
            &admin,
            &format!("/admin/audit?actor=admin&from={stamp}&action=player"),
        )
        .await;
    assert_eq!(
        (actions(&both), both["total"].clone()),
        (vec!["player.delete".to_owned()], json!(1))
    );

    for (query, param) in [
        ("from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "from"),
        ("from=soon", "from"),
        ("until_id=0", "until_id"),
        ("until_id=x", "until_id"),
    ] {
        let (code, body) = gw
            .send(&admin, Method::GET, &format!("/admin/audit?{query}"), None)
            .await;
        assert_eq!(code, 422, "{query}");
        assert_eq!(validation_loc(&body), [json!("query"), json!(param)]);
        let response = gw
            .call(
                &admin,
                Method::GET,
                &format!("/admin/audit/export?{query}"),
                None,
            )
            .await;
        assert_eq!(response.status(), 422, "export {query}");
    }
}

#[tokio::test]
async fn paging_with_until_id_stays_put_while_entries_arrive() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    for value in ["a", "b", "c", "d"] {
        gw.send(
            &token,
            Method::PUT,
            "/admin/config/motd",
            Some(json!({ "value": value })),
        )
        .await;
    }
    let first = gw.get(&token, "/admin/audit?action=config&limit=2").await;
    let until = first["until_id"].as_u64().unwrap();
    assert_eq!(first["total"], 4);
    let values: Vec<Value> = items(&first).iter().map(|e| e["after"].clone()).collect();
    assert_eq!(values, [json!("\"d\""), json!("\"c\"")]);
    // Two more changes arrive before the next page is fetched.
    for value in ["e", "f"] {
        gw.send(
            &token,
            Method::PUT,
            "/admin/config/motd",
            Some(json!({ "value": value })),
        )
        .await;
    }
    let second = gw
        .get(
            &token,
            &format!("/admin/audit?action=config&limit=2&offset=2&until_id={until}"),
        )
        .await;
    assert_eq!(second["until_id"], until);
    assert_eq!(second["total"], 4);
    let values: Vec<Value> = items(&second).iter().map(|e| e["after"].clone()).collect();
    assert_eq!(values, [json!("\"b\""), json!("\"a\"")]);
    let fresh = gw.get(&token, "/admin/audit?action=config&limit=2").await;
    assert_eq!(fresh["total"], 6);
    assert!(fresh["until_id"].as_u64().unwrap() > until);
}

#[tokio::test]
async fn the_export_is_rfc_4180_csv_with_formulas_defused_and_filters_applied() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    gw.send(
        &token,
        Method::PUT,
        "/admin/config/motd",
        Some(json!({ "value": "say \"hi\", all", "reason": "=cmd|' /C calc'!A0" })),
    )
    .await;
    gw.send(
        &token,
        Method::POST,
        "/admin/game/pause",
        Some(json!({ "reason": "-1 lag, \"bad\"\nsee ticket" })),
    )
    .await;
    gw.delete(
        &token,
        &format!("/admin/players/{}", player(4)),
        Some("@once\ttabbed"),
    )
    .await;
    let (headers, text) = csv(&gw, &token, "").await;
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"galaxy-audit-")
            && disposition.ends_with("Z.csv\""),
        "{disposition}"
    );
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "id,at,admin,admin_id,role,action,target_type,target_id,target,before,after,reason,tick,detail,hash"
    );
    assert!(text.ends_with("\r\n"));
    assert_eq!(
        lines.len(),
        1 + 4 + 1,
        "a quoted line break stays inside its record"
    );
    assert!(lines[1].contains(",player.delete,player,"), "{}", lines[1]);
    assert!(lines[1].contains(",'@once\ttabbed,"), "{}", lines[1]);
    assert!(
        lines[2].contains(",game.pause,game,,,,,\"'-1 lag, \"\"bad\"\"\nsee ticket\","),
        "{}",
        lines[2]
    );
    // The old and new values as JSON text, quoted; the formula defused.
    assert!(
        lines[3].contains(
            ",config.update,config,motd,motd,\"\"\"\"\"\",\"\"\"say \\\"\"hi\\\"\", all\"\"\",'=cmd|' /C calc'!A0,"
        ),
        "{}",
        lines[3]
    );
    let (_, only_config) = csv(&gw, &token, "?action=config").await;
    assert_eq!(
        only_config.split("\r\n").filter(|l| !l.is_empty()).count(),
        2
    );
    let (_, by_target) = csv(&gw, &token, &format!("?target={}", player(4))).await;
    assert_eq!(by_target.split("\r\n").filter(|l| !l.is_empty()).count(), 2);
    let (_, nobody) = csv(&gw, &token, "?actor=nobody").await;
    assert_eq!(nobody.split("\r\n").filter(|l| !l.is_empty()).count(), 1);

    // The browser may read the file name across origins.
    let response = gw
        .request(Method::GET, "/admin/audit/export")
        .bearer_auth(&token)
        .header("origin", "https://localhost:30001")
        .send()
        .await
        .unwrap();
    let exposed = response.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(exposed.contains("content-disposition"), "{exposed}");
}

#[tokio::test]
async fn a_new_service_version_is_a_deploy_by_the_system() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    gw.dev(
        Method::PUT,
        "/__dev/services/tick_engine",
        json!({ "version": "1.4.0" }),
    )
    .await;
    gw.dev(
        Method::PUT,
        "/__dev/services/tick_engine",
        json!({ "version": "1.4.0", "status": "not_ready" }),
    )
    .await;
    let log = gw.get(&token, "/admin/audit?action=service").await;
    assert_eq!(log["total"], 1, "the same version again is no deploy");
    let deploy = &items(&log)[0];
    assert_eq!(
        (
            &deploy["admin"],
            &deploy["admin_id"],
            &deploy["role"],
            &deploy["target_type"],
            &deploy["target_id"],
            &deploy["before"],
            &deploy["after"],
            &deploy["target_exists"]
        ),
        (
            &json!("(system)"),
            &Value::Null,
            &Value::Null,
            &json!("service"),
            &json!("tick_engine"),
            &json!("1.3.1"),
            &json!("1.4.0"),
            &json!(true)
        )
    );
    let by_system = gw.get(&token, "/admin/audit?actor=(SYSTEM)").await;
    assert_eq!(by_system["total"], 1);
}

#[tokio::test]
async fn no_password_or_token_ever_reaches_the_log_or_the_export() {
    let gw = Gateway::start().await;
    let wrong = "wrong-Secret-Guess-123";
    gw.try_login("admin", wrong, None).await;
    gw.try_login("ghost_user", "ghost-Secret-456", None).await;
    let token = gw.login().await;
    let (id, viewer) = gw.signed_in("vera", "viewer").await;
    let (code, _) = gw
        .send(
            &viewer,
            Method::POST,
            "/admin/auth/password",
            Some(json!({ "current_password": "not-Her-Password-789", "new_password": "a fresh passphrase 1" })),
        )
        .await;
    assert_eq!(code, 422);
    let (code, reset) = gw
        .send(
            &token,
            Method::POST,
            &format!("/admin/accounts/{id}/password"),
            None,
        )
        .await;
    assert_eq!(code, 200);
    let one_time = reset["one_time_password"].as_str().unwrap().to_owned();
    let log = gw.get(&token, "/admin/audit?limit=200").await;
    let logins: Vec<String> = actions(&log)
        .into_iter()
        .filter(|a| a.starts_with("auth.login"))
        .collect();
    assert_eq!(
        logins,
        [
            "auth.login",
            "auth.login",
            "auth.login_failed",
            "auth.login_failed"
        ]
    );
    let (_, export) = csv(&gw, &token, "").await;
    let json_text = log.to_string();
    for secret in [
        wrong,
        "ghost-Secret-456",
        PASSWORD,
        "vera password",
        "not-Her-Password-789",
        "a fresh passphrase 1",
        one_time.as_str(),
        token.as_str(),
        viewer.as_str(),
    ] {
        assert!(!json_text.contains(secret), "the log holds {secret:?}");
        assert!(!export.contains(secret), "the export holds {secret:?}");
    }
    // Nor any part of a token (its signature or claims).
    for part in token.split('.').chain(viewer.split('.')) {
        assert!(!json_text.contains(part) && !export.contains(part));
    }
}

/// The string literals of a Rust source that name an audit action (`family.verb`).
fn action_literals(source: &str) -> Vec<String> {
    const FAMILIES: [&str; 7] = [
        "game", "config", "snapshot", "player", "service", "auth", "account",
    ];
    source
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| {
            s.split_once('.').is_some_and(|(family, verb)| {
                FAMILIES.contains(&family)
                    && !verb.is_empty()
                    && verb.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            })
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_dashboard_suggests_every_action_the_gateway_records() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut recorded = Vec::new();
    // Every source file, in the layers' directories too.
    let mut dirs = vec![root.join("src")];
    while let Some(dir) = dirs.pop() {
        for file in std::fs::read_dir(dir).unwrap() {
            let path = file.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                recorded.extend(action_literals(&std::fs::read_to_string(path).unwrap()));
            }
        }
    }
    recorded.sort();
    recorded.dedup();
    assert!(recorded.len() > 20, "found only {recorded:?}");
    let suggested = action_literals(
        &std::fs::read_to_string(root.join("../src/pages/audit/filters.rs")).unwrap(),
    );
    let missing: Vec<&String> = recorded.iter().filter(|a| !suggested.contains(a)).collect();
    assert!(
        missing.is_empty(),
        "the audit filter does not offer {missing:?}"
    );
}

async fn verify(gw: &Gateway, token: &str) -> Value {
    let (status, body) = common::read(
        gw.call(token, Method::GET, "/admin/audit/verify", None)
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The whole log, oldest first.
async fn whole_log(gw: &Gateway, token: &str) -> Vec<Value> {
    let mut log = items(&gw.get(token, "/admin/audit?limit=100").await);
    log.reverse();
    log
}

#[tokio::test]
async fn the_hash_chain_holds_and_a_changed_entry_breaks_it_where_it_was_changed() {
    let gw = Gateway::start().await;
    gw.try_login("nobody_here", "wrong", None).await;
    let token = gw.login().await;
    gw.send(
        &token,
        Method::POST,
        "/admin/game/pause",
        // Text PostgreSQL cannot hold (NUL) and text of several bytes per character.
        Some(json!({ "reason": "naïve \u{0} 🚀, \"quoted\"" })),
    )
    .await;
    gw.send(
        &token,
        Method::PUT,
        "/admin/config/tick_rate",
        Some(json!({ "value": 30 })),
    )
    .await;
    gw.send(&token, Method::POST, "/admin/game/resume", None)
        .await;

    let log = whole_log(&gw, &token).await;
    assert!(log.len() >= 5, "{log:?}");
    for e in &log {
        let hash = e["hash"].as_str().unwrap();
        assert!(
            hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
            "{e}"
        );
    }
    let found = verify(&gw, &token).await;
    let newest = log.last().unwrap();
    assert_eq!(found["broken_at"], Value::Null, "{found}");
    assert_eq!(found["verified_from"], log[0]["id"], "{found}");
    assert_eq!(found["verified_through"], newest["id"]);
    assert_eq!(found["newest_id"], newest["id"]);
    assert_eq!(found["checked"], json!(log.len()));
    assert_eq!(found["head"], newest["hash"]);

    // The config change's entry, changed by someone with access to the store.
    let changed = log.iter().find(|e| e["action"] == "config.update").unwrap()["id"]
        .as_u64()
        .unwrap();
    if gw.owner.is_some() {
        gw.as_owner(&format!(
            "UPDATE admin_audit SET after = '10' WHERE id = {changed}"
        ))
        .await;
    } else {
        gw.dev(
            Method::POST,
            &format!("/__dev/audit/{changed}/tamper"),
            json!({ "after": "10" }),
        )
        .await;
    }
    let found = verify(&gw, &token).await;
    assert_eq!(found["broken_at"], changed, "{found}");
    let before = log
        .iter()
        .rev()
        .find(|e| e["id"].as_u64().unwrap() < changed);
    assert_eq!(found["verified_through"], before.unwrap()["id"]);
    // The listing shows the entry as it now is: the check is what tells.
    let after: Vec<Value> = whole_log(&gw, &token)
        .await
        .into_iter()
        .filter(|e| e["id"] == changed)
        .collect();
    assert_eq!(after[0]["after"], "10");
}

#[tokio::test]
async fn a_change_to_the_very_first_entry_breaks_the_chain_there() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    gw.send(&token, Method::POST, "/admin/game/pause", None)
        .await;
    let log = whole_log(&gw, &token).await;
    let first = log[0]["id"].as_u64().unwrap();
    assert_eq!(verify(&gw, &token).await["verified_from"], first);
    // Nothing links to the first entry but its own hash, so only knowing that it begins the
    // chain (its link is to the zeros) tells a change to it.
    if gw.owner.is_some() {
        gw.as_owner(&format!(
            "UPDATE admin_audit SET admin = 'mallory' WHERE id = {first}"
        ))
        .await;
    } else {
        gw.dev(
            Method::POST,
            &format!("/__dev/audit/{first}/tamper"),
            json!({ "after": "mallory" }),
        )
        .await;
    }
    let found = verify(&gw, &token).await;
    assert_eq!(found["broken_at"], first, "{found}");
    assert_eq!(found["verified_through"], Value::Null, "{found}");
}

#[tokio::test]
async fn removing_the_very_first_entry_breaks_the_chain_at_the_one_left_oldest() {
    let gw = Gateway::start().await;
    if gw.owner.is_none() {
        // Only PostgreSQL's owner can remove an entry.
        return;
    }
    let token = gw.login().await;
    gw.send(&token, Method::POST, "/admin/game/pause", None)
        .await;
    let log = whole_log(&gw, &token).await;
    let (first, second) = (&log[0]["id"], &log[1]["id"]);
    gw.as_owner(&format!("DELETE FROM admin_audit WHERE id = {first}"))
        .await;
    // Nothing links to a removed first entry; the record of where the chain begins tells.
    let found = verify(&gw, &token).await;
    assert_eq!(found["broken_at"], *second, "{found}");
    assert_eq!(found["verified_through"], Value::Null, "{found}");
}

#[tokio::test]
async fn a_removed_entry_breaks_the_chain_at_the_entry_after_it() {
    let gw = Gateway::start().await;
    if gw.owner.is_none() {
        // Only PostgreSQL's owner can remove an entry; the check is the same in memory.
        return;
    }
    let token = gw.login().await;
    gw.send(&token, Method::POST, "/admin/game/pause", None)
        .await;
    gw.send(&token, Method::POST, "/admin/game/resume", None)
        .await;
    let log = whole_log(&gw, &token).await;
    let pause = log
        .iter()
        .position(|e| e["action"] == "game.pause")
        .unwrap();
    let removed = log[pause]["id"].as_u64().unwrap();
    gw.as_owner(&format!("DELETE FROM admin_audit WHERE id = {removed}"))
        .await;
    let found = verify(&gw, &token).await;
    assert_eq!(found["broken_at"], log[pause + 1]["id"], "{found}");
}

#[tokio::test]
async fn the_memory_ring_checks_from_the_entry_before_its_oldest_and_a_reset_keeps_the_chain() {
    let gw = Gateway::start().await;
    if gw.owner.is_some() {
        return;
    }
    let token = gw.login().await;
    gw.send(&token, Method::POST, "/admin/game/pause", None)
        .await;
    let head = verify(&gw, &token).await["head"].clone();
    gw.dev(Method::POST, "/__dev/reset", json!({})).await;
    let token = gw.login().await;
    let log = whole_log(&gw, &token).await;
    let found = verify(&gw, &token).await;
    assert_eq!(found["broken_at"], Value::Null, "{found}");
    assert_eq!(found["checked"], json!(log.len()));
    // The first entry after the reset links to the last one before it.
    assert_ne!(found["head"], head);
}

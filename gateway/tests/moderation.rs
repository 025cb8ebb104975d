//! Player moderation: bans that end by themselves, permanent bans, unbans, kicks, notes, the
//! per-player timeline, the banned and online filters, bulk actions with mixed results, and
//! the streamed CSV export of a whole search.

mod common;

use std::time::{Duration, Instant};

use common::{player, validation_loc, Gateway};
use galaxy_gateway::Settings;
use reqwest::Method;
use serde_json::{json, Value};

/// A player id no seeded player has.
fn unknown_id() -> String {
    "0f8fad5b-d9cb-469f-a165-70867728950e".to_owned()
}

fn items(body: &Value) -> Vec<Value> {
    body["items"].as_array().unwrap().clone()
}

async fn audit_of(gw: &Gateway, token: &str, action: &str) -> Vec<Value> {
    items(
        &gw.get(token, &format!("/admin/audit?action={action}&limit=200"))
            .await,
    )
}

async fn set_online(gw: &Gateway, id: &str, online: bool) {
    gw.dev(
        Method::PUT,
        &format!("/__dev/players/{id}/online"),
        json!({ "online": online }),
    )
    .await;
}

async fn ban(gw: &Gateway, token: &str, id: &str, body: Value) -> (u16, Value) {
    gw.send(
        token,
        Method::POST,
        &format!("/admin/players/{id}/ban"),
        Some(body),
    )
    .await
}

#[tokio::test]
async fn a_ban_with_a_duration_ends_by_itself_and_is_recorded_once() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    let id = player(10);
    let (code, banned) = ban(
        &gw,
        &token,
        &id,
        json!({ "reason": "  griefing at spawn  ", "duration_seconds": 86_400 }),
    )
    .await;
    assert_eq!(code, 200, "{banned}");
    let b = &banned["ban"];
    assert_eq!(b["reason"], "griefing at spawn", "trimmed");
    assert_eq!(b["by"], "admin");
    assert!(b["by_id"].as_str().unwrap().parse::<uuid::Uuid>().is_ok());
    let at = time::OffsetDateTime::parse(
        b["banned_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let until = time::OffsetDateTime::parse(
        b["until"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(until - at, time::Duration::days(1));
    assert_eq!(banned["online"], false);

    let entry = &audit_of(&gw, &token, "player.ban").await[0];
    assert_eq!(
        (
            entry["target_type"].as_str(),
            entry["target_id"].as_str(),
            entry["after"].as_str(),
            entry["before"].as_str(),
            entry["reason"].as_str()
        ),
        (
            Some("player"),
            Some(id.as_str()),
            b["until"].as_str(),
            None,
            Some("griefing at spawn")
        )
    );

    // An hour short of the end it still holds.
    gw.dev(
        Method::POST,
        "/__dev/clock",
        json!({ "advance_seconds": 82_800 }),
    )
    .await;
    let still = gw.get(&token, &format!("/admin/players/{id}")).await;
    assert!(still["ban"].is_object());
    assert!(audit_of(&gw, &token, "player.ban_expired").await.is_empty());

    gw.dev(
        Method::POST,
        "/__dev/clock",
        json!({ "advance_seconds": 3601 }),
    )
    .await;
    let after = gw.get(&token, &format!("/admin/players/{id}")).await;
    assert_eq!(after["ban"], Value::Null, "ended by itself");
    let banned_list = gw.get(&token, "/admin/players?banned=true").await;
    assert_eq!(banned_list["total"], 0);
    // Read again and again: still one entry.
    gw.get(&token, "/admin/players").await;
    gw.get(&token, &format!("/admin/players/{id}")).await;
    let expired = audit_of(&gw, &token, "player.ban_expired").await;
    assert_eq!(expired.len(), 1);
    assert_eq!(
        (
            expired[0]["admin"].as_str(),
            expired[0]["admin_id"].clone(),
            expired[0]["target_id"].as_str(),
            expired[0]["before"].as_str(),
            expired[0]["after"].as_str()
        ),
        (
            Some("(system)"),
            Value::Null,
            Some(id.as_str()),
            b["until"].as_str(),
            Some("none")
        )
    );
    // Unbanning an ended ban is a conflict: there is none.
    let (code, body) = gw
        .send(
            &token,
            Method::DELETE,
            &format!("/admin/players/{id}/ban"),
            None,
        )
        .await;
    assert_eq!((code, body["code"].as_str()), (409, Some("not_banned")));
}

#[tokio::test]
async fn a_permanent_ban_holds_until_lifted_and_bodies_are_checked_together() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    let id = player(11);
    let (code, banned) = ban(
        &gw,
        &token,
        &id,
        json!({ "reason": "cheating", "duration_seconds": null }),
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(banned["ban"]["until"], Value::Null);
    assert_eq!(
        audit_of(&gw, &token, "player.ban").await[0]["after"],
        "permanent"
    );
    gw.dev(
        Method::POST,
        "/__dev/clock",
        json!({ "advance_seconds": 300_000_000 }),
    )
    .await;
    let still = gw.get(&token, &format!("/admin/players/{id}")).await;
    assert_eq!(still["ban"]["reason"], "cheating");

    // Banning again replaces the ban, and says what it replaced.
    let (code, again) = ban(
        &gw,
        &token,
        &id,
        json!({ "reason": "cheating, appeal refused", "duration_seconds": 3600.0 }),
    )
    .await;
    assert_eq!(code, 200);
    assert!(again["ban"]["until"].is_string());
    let entry = &audit_of(&gw, &token, "player.ban").await[0];
    assert_eq!(entry["before"], "permanent");

    let (code, lifted) = gw
        .delete(
            &token,
            &format!("/admin/players/{id}/ban"),
            Some("appeal accepted"),
        )
        .await;
    assert_eq!((code, lifted["ban"].clone()), (200, Value::Null));
    let unban = &audit_of(&gw, &token, "player.unban").await[0];
    assert_eq!(
        (unban["reason"].as_str(), unban["after"].as_str()),
        (Some("appeal accepted"), Some("none"))
    );
    let (code, body) = gw
        .send(
            &token,
            Method::DELETE,
            &format!("/admin/players/{id}/ban"),
            None,
        )
        .await;
    assert_eq!((code, body["code"].as_str()), (409, Some("not_banned")));

    // Unknown players.
    let unknown = unknown_id().to_string();
    let (code, _) = ban(
        &gw,
        &token,
        &unknown,
        json!({ "reason": "x", "duration_seconds": null }),
    )
    .await;
    assert_eq!(code, 404);
    let (code, _) = gw
        .send(
            &token,
            Method::DELETE,
            &format!("/admin/players/{unknown}/ban"),
            None,
        )
        .await;
    assert_eq!(code, 404);

    // Every bad field at once, FastAPI-style.
    let (code, body) = ban(&gw, &token, &id, json!({ "extra": 1 })).await;
    assert_eq!(code, 422);
    let locs: Vec<Value> = body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["loc"].clone())
        .collect();
    for loc in [
        json!(["body", "extra"]),
        json!(["body", "reason"]),
        json!(["body", "duration_seconds"]),
    ] {
        assert!(locs.contains(&loc), "{loc} in {body}");
    }
    for (bad, loc) in [
        (
            json!({ "reason": "   ", "duration_seconds": null }),
            "reason",
        ),
        (
            json!({ "reason": "x".repeat(501), "duration_seconds": null }),
            "reason",
        ),
        (
            json!({ "reason": "x", "duration_seconds": 59 }),
            "duration_seconds",
        ),
        (
            json!({ "reason": "x", "duration_seconds": 315_360_001_u64 }),
            "duration_seconds",
        ),
        (
            json!({ "reason": "x", "duration_seconds": 90.5 }),
            "duration_seconds",
        ),
        (
            json!({ "reason": "x", "duration_seconds": "1h" }),
            "duration_seconds",
        ),
        (json!({ "reason": 5, "duration_seconds": null }), "reason"),
    ] {
        let (code, body) = ban(&gw, &token, &id, bad.clone()).await;
        assert_eq!(code, 422, "{bad}");
        assert_eq!(validation_loc(&body), [json!("body"), json!(loc)], "{bad}");
    }
    let (code, body) = ban(
        &gw,
        &token,
        "not-a-uuid",
        json!({ "reason": "x", "duration_seconds": null }),
    )
    .await;
    assert_eq!(code, 422);
    assert_eq!(validation_loc(&body), [json!("path"), json!("player_id")]);
}

#[tokio::test]
async fn banning_and_kicking_end_live_sessions_and_kicking_the_offline_is_409() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    let (a, b) = (player(20), player(21));
    set_online(&gw, &a, true).await;
    set_online(&gw, &b, true).await;
    let online_before = gw.get(&token, "/admin/game/status").await["players_online"]
        .as_u64()
        .unwrap();

    let (code, banned) = ban(
        &gw,
        &token,
        &a,
        json!({ "reason": "spam", "duration_seconds": 600 }),
    )
    .await;
    assert_eq!((code, banned["online"].as_bool()), (200, Some(false)));
    let entry = &audit_of(&gw, &token, "player.ban").await[0];
    assert!(
        entry["detail"]
            .as_str()
            .unwrap()
            .contains("live session ended"),
        "{entry}"
    );
    // A banned player cannot connect again.
    let response = gw
        .request(Method::PUT, &format!("/__dev/players/{a}/online"))
        .json(&json!({ "online": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);

    let kick = format!("/admin/players/{b}/kick");
    let (code, kicked) = gw
        .send(
            &token,
            Method::POST,
            &kick,
            Some(json!({ "reason": "afk in a fleet battle" })),
        )
        .await;
    assert_eq!((code, kicked["online"].as_bool()), (200, Some(false)));
    assert_eq!(kicked["ban"], Value::Null, "a kick is no ban");
    let entry = &audit_of(&gw, &token, "player.kick").await[0];
    assert_eq!(
        (
            entry["before"].as_str(),
            entry["after"].as_str(),
            entry["reason"].as_str()
        ),
        (Some("true"), Some("false"), Some("afk in a fleet battle"))
    );
    let (code, body) = gw.send(&token, Method::POST, &kick, None).await;
    assert_eq!((code, body["code"].as_str()), (409, Some("not_online")));
    assert_eq!(audit_of(&gw, &token, "player.kick").await.len(), 1);
    let online_after = gw.get(&token, "/admin/game/status").await["players_online"]
        .as_u64()
        .unwrap();
    assert_eq!(online_after, online_before - 2);
    let unknown = unknown_id();
    assert_eq!(
        gw.status(
            &token,
            Method::POST,
            &format!("/admin/players/{unknown}/kick")
        )
        .await,
        404
    );
}

#[tokio::test]
async fn notes_are_listed_newest_first_and_only_operators_write_them() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    let (_, viewer) = gw.signed_in("vera", "viewer").await;
    let (_, operator) = gw.signed_in("otto", "operator").await;
    let notes = format!("/admin/players/{}/notes", player(30));
    assert_eq!(gw.get(&viewer, &notes).await, json!({ "items": [] }));
    let mut ids = vec![];
    for (who, text) in [
        (&token, "first warning"),
        (&operator, "  second warning  "),
        (&token, "=cmd|' /C calc'!A0"),
    ] {
        let (code, note) = gw
            .send(who, Method::POST, &notes, Some(json!({ "text": text })))
            .await;
        assert_eq!(code, 201, "{note}");
        ids.push(note["id"].as_u64().unwrap());
    }
    let list = items(&gw.get(&viewer, &notes).await);
    let texts: Vec<&str> = list.iter().map(|n| n["text"].as_str().unwrap()).collect();
    assert_eq!(
        texts,
        ["=cmd|' /C calc'!A0", "second warning", "first warning"]
    );
    assert_eq!(list[1]["author"], "otto");
    assert!(list[1]["author_id"].is_string() && list[1]["created_at"].is_string());
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    let mut keys: Vec<&String> = list[0].as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["author", "author_id", "created_at", "id", "text"]);
    // Other players have their own.
    let other = gw
        .get(&viewer, &format!("/admin/players/{}/notes", player(31)))
        .await;
    assert_eq!(other["items"], json!([]));

    let (code, _) = gw
        .send(&viewer, Method::POST, &notes, Some(json!({ "text": "hi" })))
        .await;
    assert_eq!(code, 403);
    for bad in [
        json!({ "text": "  " }),
        json!({ "text": "x".repeat(2001) }),
        json!({}),
    ] {
        let (code, body) = gw.send(&token, Method::POST, &notes, Some(bad)).await;
        assert_eq!(code, 422);
        assert_eq!(validation_loc(&body), [json!("body"), json!("text")]);
    }
    let (code, _) = gw
        .send(
            &token,
            Method::POST,
            &notes,
            Some(json!({ "text": "x".repeat(2000) })),
        )
        .await;
    assert_eq!(code, 201);
    let unknown = format!("/admin/players/{}/notes", unknown_id());
    assert_eq!(gw.status(&token, Method::GET, &unknown).await, 404);
    let (code, _) = gw
        .send(&token, Method::POST, &unknown, Some(json!({ "text": "x" })))
        .await;
    assert_eq!(code, 404);
    let entry = &audit_of(&gw, &token, "player.note").await[0];
    assert_eq!(entry["target_id"].as_str(), Some(player(30).as_str()));
}

#[tokio::test]
async fn the_timeline_is_the_players_audit_entries_even_after_deletion() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    let (_, viewer) = gw.signed_in("vera", "viewer").await;
    let id = player(40);
    set_online(&gw, &id, true).await;
    gw.send(
        &token,
        Method::POST,
        &format!("/admin/players/{id}/notes"),
        Some(json!({ "text": "reported twice" })),
    )
    .await;
    gw.send(
        &token,
        Method::POST,
        &format!("/admin/players/{id}/kick"),
        None,
    )
    .await;
    ban(
        &gw,
        &token,
        &id,
        json!({ "reason": "griefing", "duration_seconds": 3600 }),
    )
    .await;
    gw.send(
        &token,
        Method::DELETE,
        &format!("/admin/players/{id}/ban"),
        None,
    )
    .await;
    // Someone else's entries stay out.
    ban(
        &gw,
        &token,
        &player(41),
        json!({ "reason": "other", "duration_seconds": null }),
    )
    .await;
    let timeline = format!("/admin/players/{id}/timeline");
    let body = gw.get(&viewer, &timeline).await;
    let actions: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["player.unban", "player.ban", "player.kick", "player.note"]
    );
    assert_eq!(body["total"], 4);
    assert!(body["items"][0]["target_exists"].as_bool().unwrap());
    let page = gw
        .get(&viewer, &format!("{timeline}?limit=2&offset=2"))
        .await;
    assert_eq!(page["items"][0]["action"], "player.kick");
    assert_eq!(page["total"], 4);

    gw.delete(
        &token,
        &format!("/admin/players/{id}"),
        Some("account sold"),
    )
    .await;
    let body = gw.get(&viewer, &timeline).await;
    assert_eq!(body["total"], 5);
    assert_eq!(body["items"][0]["action"], "player.delete");
    assert_eq!(body["items"][0]["target_exists"], false);
    let never = gw
        .get(
            &viewer,
            &format!("/admin/players/{}/timeline", unknown_id()),
        )
        .await;
    assert_eq!(never, json!({ "items": [], "total": 0 }));
    let (code, _) = gw
        .send(&viewer, Method::GET, &format!("{timeline}?limit=0"), None)
        .await;
    assert_eq!(code, 422);
}

#[tokio::test]
async fn the_list_filters_by_banned_and_online_with_the_search() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    let total = gw.get(&token, "/admin/players?limit=1").await["total"]
        .as_u64()
        .unwrap();
    let count = |body: Value| body["total"].as_u64().unwrap();
    let online = count(gw.get(&token, "/admin/players?online=true&limit=1").await);
    let offline = count(gw.get(&token, "/admin/players?online=false&limit=1").await);
    assert_eq!(online + offline, total);
    assert!(online > 0 && offline > 0);
    let status = gw.get(&token, "/admin/game/status").await;
    assert_eq!(status["players_online"].as_u64(), Some(online));

    for n in [50, 51, 52] {
        ban(
            &gw,
            &token,
            &player(n),
            json!({ "reason": "raid", "duration_seconds": null }),
        )
        .await;
    }
    let banned = gw.get(&token, "/admin/players?banned=true&limit=200").await;
    assert_eq!(banned["total"], 3);
    assert!(items(&banned).iter().all(|p| p["ban"].is_object()));
    let not_banned = count(gw.get(&token, "/admin/players?banned=0&limit=1").await);
    assert_eq!(not_banned, total - 3);
    // Banned players are offline.
    assert_eq!(
        count(
            gw.get(&token, "/admin/players?banned=true&online=true")
                .await
        ),
        0
    );
    // With the search, sorted and paged as ever.
    let name = gw
        .get(&token, &format!("/admin/players/{}", player(50)))
        .await["username"]
        .as_str()
        .unwrap()
        .to_owned();
    let hit = gw
        .get(
            &token,
            &format!(
                "/admin/players?banned=true&search={}&sort=created_at&order=desc",
                name.to_uppercase()
            ),
        )
        .await;
    assert_eq!(hit["total"], 1);
    assert_eq!(hit["items"][0]["username"], name.as_str());
    let (code, body) = gw
        .send(
            &token,
            Method::GET,
            "/admin/players?banned=maybe&online=2",
            None,
        )
        .await;
    assert_eq!(code, 422);
    assert_eq!(body["detail"].as_array().unwrap().len(), 2, "{body}");
    assert_eq!(validation_loc(&body), [json!("query"), json!("banned")]);
}

#[tokio::test]
async fn bulk_actions_report_each_player_in_the_order_asked() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    let (_, viewer) = gw.signed_in("vera", "viewer").await;
    let (on, off) = (player(60), player(61));
    set_online(&gw, &on, true).await;
    set_online(&gw, &off, false).await;
    let unknown = unknown_id().to_string();
    let (code, body) = gw
        .send(
            &token,
            Method::POST,
            "/admin/players/bulk",
            Some(json!({ "action": "kick", "ids": [on, unknown, off], "reason": "restart" })),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let results = body["results"].as_array().unwrap();
    let summary: Vec<(String, bool, u64)> = results
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["ok"].as_bool().unwrap(),
                r["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (on.clone(), true, 200),
            (unknown.clone(), false, 404),
            (off.clone(), false, 409)
        ]
    );
    assert_eq!(results[0]["error"], Value::Null);
    assert_eq!(results[0]["player"]["online"], false);
    assert_eq!(results[1]["player"], Value::Null);
    assert!(results[2]["error"].as_str().unwrap().contains("not online"));
    assert_eq!(results[2]["player"]["id"], off.as_str());

    // Ban: one already banned is banned anew, fine.
    ban(
        &gw,
        &token,
        &off,
        json!({ "reason": "first", "duration_seconds": 600 }),
    )
    .await;
    let (code, body) = gw
        .send(
            &token,
            Method::POST,
            "/admin/players/bulk",
            Some(json!({
                "action": "ban", "ids": [off, on, unknown],
                "reason": "botting ring", "duration_seconds": null
            })),
        )
        .await;
    assert_eq!(code, 200);
    let statuses: Vec<u64> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [200, 200, 404]);
    for r in &body["results"].as_array().unwrap()[..2] {
        assert_eq!(r["player"]["ban"]["reason"], "botting ring");
        assert_eq!(r["player"]["ban"]["until"], Value::Null);
    }
    assert_eq!(audit_of(&gw, &token, "player.ban").await.len(), 3);

    // The body is checked first, and then nothing happens.
    let ids: Vec<String> = (1..=101).map(player).collect();
    for bad in [
        json!({ "action": "ban", "ids": [on], "duration_seconds": null }),
        json!({ "action": "ban", "ids": [on], "reason": " ", "duration_seconds": null }),
        json!({ "action": "ban", "ids": [on], "reason": "x" }),
        json!({ "action": "kick", "ids": [on], "duration_seconds": 60 }),
        json!({ "action": "kick", "ids": [] }),
        json!({ "action": "kick", "ids": [on, on] }),
        json!({ "action": "kick", "ids": ids }),
        json!({ "action": "kick", "ids": ["nope"] }),
        json!({ "action": "mute", "ids": [on] }),
        json!({ "ids": [on] }),
    ] {
        let (code, body) = gw
            .send(
                &token,
                Method::POST,
                "/admin/players/bulk",
                Some(bad.clone()),
            )
            .await;
        assert_eq!(code, 422, "{bad}: {body}");
        validation_loc(&body);
    }
    let (code, _) = gw
        .send(
            &viewer,
            Method::POST,
            "/admin/players/bulk",
            Some(json!({ "action": "kick", "ids": [on] })),
        )
        .await;
    assert_eq!(code, 403);
    assert_eq!(audit_of(&gw, &token, "player.ban").await.len(), 3);
}

#[tokio::test]
async fn viewers_read_moderation_but_cannot_moderate() {
    let gw = Gateway::start().await;
    let (_, viewer) = gw.signed_in("vera", "viewer").await;
    let id = player(70);
    for (method, path, body) in [
        (
            Method::POST,
            format!("/admin/players/{id}/ban"),
            Some(json!({ "reason": "x", "duration_seconds": null })),
        ),
        (Method::DELETE, format!("/admin/players/{id}/ban"), None),
        (Method::POST, format!("/admin/players/{id}/kick"), None),
        (
            Method::POST,
            format!("/admin/players/{id}/notes"),
            Some(json!({ "text": "x" })),
        ),
    ] {
        let (code, body) = gw.send(&viewer, method, &path, body).await;
        assert_eq!(code, 403, "{path}: {body}");
    }
    for path in [
        format!("/admin/players/{id}/notes"),
        format!("/admin/players/{id}/timeline"),
        "/admin/players?banned=false".to_owned(),
    ] {
        gw.get(&viewer, &path).await;
    }
}

fn csv_lines(text: &str) -> Vec<&str> {
    assert!(text.ends_with("\r\n"));
    text.trim_end_matches("\r\n").split("\r\n").collect()
}

#[tokio::test]
async fn the_export_streams_all_100000_players_quickly_with_the_formula_guard() {
    let gw = Gateway::start_with(Settings::for_tests(100_000)).await;
    let token = gw.login().await;
    let (code, _) = ban(
        &gw,
        &token,
        &player(99_999),
        json!({ "reason": "=HYPERLINK(\"http://evil\",\"appeal\")", "duration_seconds": null }),
    )
    .await;
    assert_eq!(code, 200);
    let (code, _) = ban(
        &gw,
        &token,
        &player(5),
        json!({ "reason": "-1 day, for spam", "duration_seconds": 3600 }),
    )
    .await;
    assert_eq!(code, 200);

    let started = Instant::now();
    let response = gw
        .call(&token, Method::GET, "/admin/players/export", None)
        .await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"galaxy-players-")
            && disposition.ends_with("Z.csv\""),
        "{disposition}"
    );
    assert!(
        headers.get("content-length").is_none(),
        "streamed, not buffered: {headers:?}"
    );
    let text = response.text().await.unwrap();
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(20),
        "100000 rows took {elapsed:?}"
    );
    eprintln!("exported 100000 players in {elapsed:?}");
    let lines = csv_lines(&text);
    assert_eq!(
        lines[0],
        "id,username,ship_id,created_at,online,banned_until,ban_reason"
    );
    assert_eq!(lines.len(), 100_001, "every player, once");
    let mut ids: Vec<&str> = lines[1..].iter().map(|l| &l[..36]).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 100_000);
    // Sorted by username, case-insensitively, as the list.
    let first_page = gw.get(&token, "/admin/players?limit=3").await;
    for (i, p) in items(&first_page).iter().enumerate() {
        assert!(lines[i + 1].starts_with(p["id"].as_str().unwrap()));
    }
    let (evil_id, minus_id) = (player(99_999), player(5));
    let evil = lines.iter().find(|l| l.starts_with(&evil_id)).unwrap();
    assert!(
        evil.ends_with(",permanent,\"'=HYPERLINK(\"\"http://evil\"\",\"\"appeal\"\")\""),
        "{evil}"
    );
    let minus = lines.iter().find(|l| l.starts_with(&minus_id)).unwrap();
    assert!(minus.ends_with(",\"'-1 day, for spam\""), "{minus}");
    assert!(
        minus.contains(",false,"),
        "banned players are offline: {minus}"
    );

    // The same filters as the list.
    let response = gw
        .call(
            &token,
            Method::GET,
            "/admin/players/export?banned=true&sort=created_at&order=desc",
            None,
        )
        .await;
    let text = response.text().await.unwrap();
    assert_eq!(csv_lines(&text).len(), 3);
    // More than the list counts (its total stops at 10 000): the game's own count.
    let online = gw.get(&token, "/admin/game/status").await["players_online"]
        .as_u64()
        .unwrap();
    assert!(online > 10_000, "{online}");
    let response = gw
        .call(
            &token,
            Method::GET,
            "/admin/players/export?online=true",
            None,
        )
        .await;
    let text = response.text().await.unwrap();
    assert_eq!(csv_lines(&text).len() as u64, online + 1);
    let (code, _) = gw
        .send(
            &token,
            Method::GET,
            "/admin/players/export?online=sometimes",
            None,
        )
        .await;
    assert_eq!(code, 422);
}

#[tokio::test]
async fn other_requests_are_answered_while_an_export_streams() {
    let gw = Gateway::start_with(Settings::for_tests(100_000)).await;
    let token = gw.login().await;
    let mut response = gw
        .call(&token, Method::GET, "/admin/players/export", None)
        .await;
    // Read only the first chunk, then ask for something else while the rest waits.
    let first = response.chunk().await.unwrap().unwrap();
    assert!(first.starts_with(b"id,username"));
    let started = Instant::now();
    gw.get(&token, "/admin/game/status").await;
    assert!(started.elapsed() < Duration::from_secs(2));
    let mut rows = first.iter().filter(|&&b| b == b'\n').count();
    while let Some(chunk) = response.chunk().await.unwrap() {
        rows += chunk.iter().filter(|&&b| b == b'\n').count();
    }
    assert_eq!(rows, 100_001);
}

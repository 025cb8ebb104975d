//! What Galaxy must enforce beyond the admin API (api/openapi.yaml, "Enforcing bans and
//! kicks"), shown with the reference gateway's simulated game-client sessions: a banned player
//! cannot log in or connect, and a ban or a kick closes every socket of that player.

mod common;

use common::{player, Gateway};
use reqwest::Method;
use serde_json::{json, Value};

async fn connect(gw: &Gateway, id: &str) -> (u16, Value) {
    let response = gw
        .request(Method::POST, &format!("/__dev/players/{id}/sessions"))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn sessions(gw: &Gateway, id: &str) -> Vec<Value> {
    let response = gw
        .request(Method::GET, &format!("/__dev/players/{id}/sessions"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["items"].as_array().unwrap().clone()
}

fn closes(sessions: &[Value]) -> Vec<(Value, Value)> {
    sessions
        .iter()
        .map(|s| (s["closed"]["code"].clone(), s["closed"]["reason"].clone()))
        .collect()
}

#[tokio::test]
async fn a_ban_closes_every_socket_of_the_player_and_refuses_the_next_connect() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    let id = player(3).to_string();
    let other = player(4).to_string();
    for p in [&id, &id, &other] {
        assert_eq!(connect(&gw, p).await.0, 201);
    }
    let (code, _) = gw
        .send(
            &token,
            Method::POST,
            &format!("/admin/players/{id}/ban"),
            Some(json!({ "reason": "aimbot", "duration_seconds": 3600 })),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(
        closes(&sessions(&gw, &id).await),
        vec![(json!(4003), json!("banned: aimbot")); 2],
        "both of the player's sockets, closed as banned with the reason"
    );
    assert_eq!(
        sessions(&gw, &other).await[0]["closed"],
        Value::Null,
        "others stay"
    );
    let (status, refused) = connect(&gw, &id).await;
    assert_eq!(status, 403, "{refused}");
    assert_eq!(refused["code"], "player_banned");
    assert_eq!(refused["reason"], "aimbot");
    assert!(refused["until"].is_string() && refused["detail"].as_str().unwrap().contains("aimbot"));
    let shown = gw.get(&token, &format!("/admin/players/{id}")).await;
    assert_eq!(shown["online"], false);
    let ban = gw.get(&token, "/admin/audit?action=player.ban").await["items"][0].clone();
    assert!(
        ban["detail"]
            .as_str()
            .unwrap()
            .ends_with("; live session ended"),
        "{ban}"
    );
}

#[tokio::test]
async fn a_ban_that_ends_by_itself_or_is_lifted_lets_the_player_back() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    let (timed, lifted) = (player(5).to_string(), player(6).to_string());
    for (id, duration) in [(&timed, json!(60)), (&lifted, Value::Null)] {
        gw.send(
            &token,
            Method::POST,
            &format!("/admin/players/{id}/ban"),
            Some(json!({ "reason": "spam", "duration_seconds": duration })),
        )
        .await;
        assert_eq!(connect(&gw, id).await.0, 403);
    }
    gw.dev(
        Method::POST,
        "/__dev/clock",
        json!({ "advance_seconds": 61 }),
    )
    .await;
    assert_eq!(connect(&gw, &timed).await.0, 201, "the ban ended by itself");
    assert_eq!(connect(&gw, &lifted).await.0, 403, "a permanent ban holds");
    let (code, _) = gw
        .delete(
            &token,
            &format!("/admin/players/{lifted}/ban"),
            Some("appeal"),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(connect(&gw, &lifted).await.0, 201);
    assert_eq!(
        gw.get(&token, &format!("/admin/players/{lifted}")).await["online"],
        true
    );
}

#[tokio::test]
async fn a_kick_closes_the_sockets_but_the_player_may_come_back() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    let id = player(7).to_string();
    // Offline, with no socket: nothing to kick.
    gw.dev(
        Method::PUT,
        &format!("/__dev/players/{id}/online"),
        json!({ "online": false }),
    )
    .await;
    let (code, body) = gw
        .send(
            &token,
            Method::POST,
            &format!("/admin/players/{id}/kick"),
            None,
        )
        .await;
    assert_eq!((code, body["code"].as_str()), (409, Some("not_online")));
    assert_eq!(connect(&gw, &id).await.0, 201);
    let (code, _) = gw
        .send(
            &token,
            Method::POST,
            &format!("/admin/players/{id}/kick"),
            Some(json!({ "reason": "AFK in a fleet battle" })),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(
        closes(&sessions(&gw, &id).await),
        [(json!(4001), json!("kicked: AFK in a fleet battle"))]
    );
    assert_eq!(connect(&gw, &id).await.0, 201, "a kick is no ban");
    // The client leaving by itself is no kick.
    let left = gw
        .request(Method::DELETE, &format!("/__dev/players/{id}/sessions"))
        .send()
        .await
        .unwrap();
    assert_eq!(left.status(), 204);
    assert_eq!(
        closes(&sessions(&gw, &id).await)[1],
        (json!(1001), json!("left the game"))
    );
}

#[tokio::test]
async fn a_bulk_ban_closes_each_players_sockets() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    let ids: Vec<String> = (10..13).map(|n| player(n).to_string()).collect();
    for id in &ids {
        connect(&gw, id).await;
    }
    let (code, body) = gw
        .send(
            &token,
            Method::POST,
            "/admin/players/bulk",
            Some(json!({ "action": "ban", "ids": ids, "reason": "botting ring", "duration_seconds": null })),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    for id in &ids {
        assert_eq!(
            closes(&sessions(&gw, id).await),
            [(json!(4003), json!("banned: botting ring"))]
        );
        assert_eq!(connect(&gw, id).await.0, 403);
    }
}

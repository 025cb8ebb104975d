//! The idle limit over real HTTP: a session ends after a time without its operator's activity,
//! however much a page left open polls (`X-Galaxy-Activity: background`), and goes on while the
//! operator acts.

mod common;

use std::time::Duration;

use common::{read, Gateway};
use galaxy_gateway::Settings;
use reqwest::Method;
use serde_json::json;

const IDLE: &str = "Signed out after a time without activity; log in again";

async fn poll(gw: &Gateway, token: &str) -> (u16, serde_json::Value) {
    read(
        gw.request(Method::GET, "/admin/game/status")
            .bearer_auth(token)
            .header("x-galaxy-activity", "background")
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn polling_does_not_keep_a_session_alive_and_the_operators_activity_does() {
    let gw = Gateway::start_with(Settings {
        session_idle: Some(Duration::from_secs(6)),
        ..Settings::for_tests(50)
    })
    .await;
    let token = gw.login().await;

    // The operator acts at about 2.5 s (asking who they are); polls go on around it.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(poll(&gw, &token).await.0, 200);
    let me = gw.get(&token, "/admin/auth/me").await;
    assert_eq!(me["idle_timeout_secs"], 6);
    let left = me["idle_expires_in"].as_i64().unwrap();
    assert!((5..=6).contains(&left), "counted from this request: {me}");
    // 4 s after that activity (6.5 s after the sign-in, past the limit had it not counted):
    // still live.
    tokio::time::sleep(Duration::from_millis(4000)).await;
    assert_eq!(poll(&gw, &token).await.0, 200);
    // 8 s after it, with only polls between: ended.
    tokio::time::sleep(Duration::from_millis(4000)).await;
    assert_eq!(poll(&gw, &token).await, (401, json!({ "detail": IDLE })));
    // Ended for good: the operator's next request is refused too.
    let (status, body) = gw
        .send(&token, Method::GET, "/admin/game/status", None)
        .await;
    assert_eq!(
        (status, &body["detail"]),
        (401, &json!("This session was ended; log in again"))
    );

    let admin = gw.login().await;
    let ended = &gw
        .get(&admin, "/admin/audit?action=auth.session_end&limit=5")
        .await["items"][0];
    assert!(
        ended["detail"]
            .as_str()
            .unwrap()
            .starts_with("signed out after 6 s without activity"),
        "{ended}"
    );
}

#[tokio::test]
async fn the_limit_is_the_settings_or_the_dev_controls_and_none_means_none() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    assert_eq!(
        gw.get(&token, "/admin/auth/me").await["idle_timeout_secs"],
        json!(null)
    );
    let set = gw
        .dev(
            Method::PUT,
            "/__dev/session-idle",
            json!({ "seconds": 600 }),
        )
        .await;
    assert_eq!(set.status(), 204);
    assert_eq!(
        gw.get(&token, "/admin/auth/me").await["idle_timeout_secs"],
        600
    );
}

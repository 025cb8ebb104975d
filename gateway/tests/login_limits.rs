//! The login rate limit over real HTTP: per account and per client address, independently,
//! with the client address read from X-Forwarded-For only behind a trusted proxy.

mod common;

use common::{read, retry_after, Gateway, PASSWORD};
use galaxy_gateway::domain::client_ip::parse_trusted;
use galaxy_gateway::Settings;
use reqwest::Method;
use serde_json::json;

async fn status_of(gw: &Gateway, username: &str, password: &str, xff: Option<&str>) -> u16 {
    gw.try_login(username, password, xff)
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn one_locked_account_does_not_lock_another_from_the_same_address() {
    let gw = Gateway::start().await;
    for _ in 0..5 {
        assert_eq!(status_of(&gw, "admin", "wrong", None).await, 401);
    }
    assert_eq!(status_of(&gw, "admin", PASSWORD, None).await, 429);
    // Same address, another username: not locked, so its failures still say 401...
    let (code, body) = read(gw.try_login("operator", "wrong", None).await).await;
    assert_eq!(
        (code, body["detail"].as_str()),
        (401, Some("Incorrect username or password"))
    );
    // ...and an unknown username locks exactly like a real one, so a 429 reveals nothing.
    for _ in 0..4 {
        assert_eq!(status_of(&gw, "operator", "wrong", None).await, 401);
    }
    let response = gw.try_login("operator", "wrong", None).await;
    assert_eq!(response.status(), 429);
    let seconds = retry_after(&response);
    let (_, body) = read(response).await;
    assert_eq!(
        body["detail"],
        format!("Too many failed logins for this username; try again in {seconds} seconds")
    );
}

#[tokio::test]
async fn a_successful_login_resets_the_count() {
    let gw = Gateway::start().await;
    for _ in 0..4 {
        assert_eq!(status_of(&gw, "admin", "wrong", None).await, 401);
    }
    gw.login().await;
    for _ in 0..4 {
        assert_eq!(status_of(&gw, "admin", "wrong", None).await, 401);
    }
    assert_eq!(status_of(&gw, "admin", PASSWORD, None).await, 200);
}

#[tokio::test]
async fn the_lockout_lasts_the_configured_base_and_reset_lifts_it() {
    let gw = Gateway::start().await;
    gw.dev(
        Method::PUT,
        "/__dev/login-lockout",
        json!({ "seconds": 37 }),
    )
    .await;
    for _ in 0..5 {
        gw.try_login("admin", "wrong", None).await;
    }
    let response = gw.try_login("admin", PASSWORD, None).await;
    assert_eq!(response.status(), 429);
    assert!(
        (36..=37).contains(&retry_after(&response)),
        "{}",
        retry_after(&response)
    );
    for bad in [
        json!({ "seconds": 0 }),
        json!({ "seconds": 901 }),
        json!({}),
    ] {
        let response = gw
            .request(Method::PUT, "/__dev/login-lockout")
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{bad}");
    }
    gw.dev(Method::POST, "/__dev/reset", json!({})).await;
    assert_eq!(status_of(&gw, "admin", PASSWORD, None).await, 200);
    for _ in 0..5 {
        gw.try_login("admin", "wrong", None).await;
    }
    let response = gw.try_login("admin", PASSWORD, None).await;
    assert!(
        (59..=60).contains(&retry_after(&response)),
        "the reset restored the default"
    );
}

/// Twenty failures from `xff` (as sent), each for a different username so that no account
/// locks; only the address limit can then refuse.
async fn fail_twenty_times(gw: &Gateway, xff: Option<&str>) {
    for i in 0..20 {
        let code = status_of(gw, &format!("spray{i}"), "wrong", xff).await;
        assert_eq!(code, 401, "attempt {i}");
    }
}

#[tokio::test]
async fn forwarded_for_from_an_untrusted_peer_is_ignored() {
    let gw = Gateway::start().await;
    // Each attempt claims another address; the gateway counts them all against the peer.
    for i in 0..20 {
        let xff = format!("198.51.100.{i}");
        let code = status_of(&gw, &format!("spray{i}"), "wrong", Some(&xff)).await;
        assert_eq!(code, 401, "attempt {i}");
    }
    let response = gw
        .try_login("fresh_name", "wrong", Some("203.0.113.99"))
        .await;
    assert_eq!(response.status(), 429);
    let seconds = retry_after(&response);
    assert!((1..=60).contains(&seconds), "{seconds}");
    let (_, body) = read(response).await;
    assert_eq!(
        body["detail"],
        format!("Too many failed logins from your network address; try again in {seconds} seconds")
    );
    assert_eq!(
        status_of(&gw, "admin", PASSWORD, None).await,
        429,
        "the address limit refuses right credentials too"
    );
}

#[tokio::test]
async fn forwarded_for_from_a_trusted_proxy_names_the_client() {
    let mut settings = Settings::for_tests(10);
    settings.trusted_proxies = parse_trusted("127.0.0.0/8, 10.0.0.0/8").unwrap();
    let gw = Gateway::start_with(settings).await;
    // What the ingress appends is believed; what the client wrote to its left is not.
    fail_twenty_times(&gw, Some("192.0.2.1, 198.51.100.7")).await;
    let blocked = gw
        .try_login("admin", PASSWORD, Some("198.51.100.7, 10.0.0.3"))
        .await;
    assert_eq!(blocked.status(), 429, "the same client behind two proxies");
    let (_, body) = read(blocked).await;
    assert!(body["detail"].as_str().unwrap().contains("network address"));
    // Other clients behind the same ingress are unaffected, and so is the ingress itself.
    assert_eq!(
        status_of(&gw, "admin", PASSWORD, Some("192.0.2.1, 198.51.100.8")).await,
        200
    );
    assert_eq!(status_of(&gw, "admin", PASSWORD, None).await, 200);
}

#[tokio::test]
async fn failed_logins_are_audited_without_the_password() {
    let gw = Gateway::start().await;
    gw.try_login("Admin", "hunter2-secret", None).await;
    gw.try_login("nobody_here", "another-secret", None).await;
    let token = gw.login().await;
    let audit = gw.get(&token, "/admin/audit?limit=10").await;
    let items = audit["items"].as_array().unwrap();
    let actions: Vec<&str> = items
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["auth.login", "auth.login_failed", "auth.login_failed"]
    );
    assert_eq!(items[1]["target"], "nobody_here");
    assert_eq!(items[2]["target"], "Admin", "the username as typed");
    assert_eq!(items[2]["admin"], "(anonymous)");
    assert_eq!(items[2]["detail"], "from 127.0.0.1");
    assert_eq!(items[0]["admin"], "admin");
    let text = audit.to_string();
    assert!(!text.contains("secret"), "{text}");
}

#[tokio::test]
async fn an_attempt_refused_by_the_limit_is_audited_without_its_password() {
    let gw = Gateway::start().await;
    for _ in 0..5 {
        assert_eq!(status_of(&gw, "admin", "wrong", None).await, 401);
    }
    assert_eq!(
        status_of(&gw, "admin", "locked-out-secret", None).await,
        429
    );
    // Signing in as another admin to read the log: the locked one cannot.
    let (_, token) = gw.signed_in("auditor", "viewer").await;
    let audit = gw
        .get(&token, "/admin/audit?action=auth.login_locked")
        .await;
    let items = audit["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{audit}");
    assert_eq!(items[0]["admin"], "(anonymous)");
    assert_eq!(items[0]["target"], "admin");
    let detail = items[0]["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("from 127.0.0.1: the account is locked for "),
        "{detail}"
    );
    assert!(!audit.to_string().contains("secret"), "{audit}");
}

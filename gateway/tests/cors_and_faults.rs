//! CORS as a browser sees it, the dev controls (fault injection, the request log), TLS, and
//! the absence of dev controls in a normal start.

mod common;

use std::time::{Duration, Instant};

use common::{player, read, Gateway};
use galaxy_gateway::{AppState, Settings};
use reqwest::Method;
use serde_json::json;

const DASHBOARD: &str = "https://localhost:30001";

#[tokio::test]
async fn preflight_from_the_dashboard_origin_is_allowed_with_credentials() {
    let gw = Gateway::start().await;
    let response = gw
        .request(Method::OPTIONS, "/admin/config/motd")
        .header("origin", DASHBOARD)
        .header("access-control-request-method", "PUT")
        .header(
            "access-control-request-headers",
            "authorization,content-type,if-match",
        )
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let h = response.headers();
    assert_eq!(
        h["access-control-allow-origin"], DASHBOARD,
        "echoes the origin, never *"
    );
    assert_eq!(h["access-control-allow-credentials"], "true");
    let methods = h["access-control-allow-methods"].to_str().unwrap();
    for m in ["GET", "POST", "PUT", "DELETE", "OPTIONS"] {
        assert!(methods.contains(m), "{methods}");
    }
    let headers = h["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    for name in ["authorization", "content-type", "if-match"] {
        assert!(headers.contains(name), "{name} allowed: {headers}");
    }
}

/// The browser hides from a cross-origin page every response header not exposed.
fn exposed(response: &reqwest::Response) -> String {
    response.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase()
}

#[tokio::test]
async fn cross_origin_responses_expose_retry_after_and_etag() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    let response = gw
        .request(Method::PUT, "/admin/config/motd")
        .header("origin", DASHBOARD)
        .bearer_auth(&token)
        .json(&json!({ "value": "hello" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["access-control-allow-origin"], DASHBOARD);
    assert!(response.headers().contains_key("etag"));
    let list = exposed(&response);
    assert!(
        list.contains("etag") && list.contains("retry-after"),
        "{list}"
    );
}

#[tokio::test]
async fn preflight_from_another_origin_is_refused() {
    let gw = Gateway::start().await;
    let response = gw
        .request(Method::OPTIONS, "/admin/game/status")
        .header("origin", "https://evil.example.com")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert!(response
        .headers()
        .get("access-control-allow-origin")
        .is_none());
}

#[tokio::test]
async fn simple_requests_carry_cors_headers_only_for_allowed_origins() {
    let gw = Gateway::start().await;
    let allowed = gw
        .request(Method::GET, "/versions")
        .header("origin", DASHBOARD)
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.headers()["access-control-allow-origin"], DASHBOARD);
    let foreign = gw
        .request(Method::GET, "/versions")
        .header("origin", "https://evil.example.com")
        .send()
        .await
        .unwrap();
    assert!(foreign
        .headers()
        .get("access-control-allow-origin")
        .is_none());
    let throttled = {
        for _ in 0..5 {
            gw.request(Method::POST, "/admin/auth/login")
                .json(&json!({"username": "x", "password": "y"}))
                .send()
                .await
                .unwrap();
        }
        gw.request(Method::POST, "/admin/auth/login")
            .header("origin", DASHBOARD)
            .json(&json!({"username": "x", "password": "y"}))
            .send()
            .await
            .unwrap()
    };
    assert_eq!(throttled.status(), 429);
    let list = exposed(&throttled);
    assert!(
        list.contains("retry-after") && list.contains("etag"),
        "the browser may read Retry-After: {list}"
    );
}

#[tokio::test]
async fn injected_status_faults_hit_the_next_n_requests_then_stop() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    gw.dev(
        Method::POST,
        "/__dev/faults",
        json!({ "path_prefix": "/admin/game", "count": 2, "status": 500 }),
    )
    .await;
    for _ in 0..2 {
        let (code, body) = gw
            .send(&token, Method::GET, "/admin/game/status", None)
            .await;
        assert_eq!(code, 500);
        assert!(body["detail"].as_str().unwrap().contains("Injected"));
    }
    assert_eq!(
        gw.status(&token, Method::GET, "/admin/game/status").await,
        200
    );

    let detail =
        json!({ "detail": [{ "loc": ["body", "value"], "msg": "Nope", "type": "value_error" }] });
    gw.dev(
        Method::POST,
        "/__dev/faults",
        json!({ "path_prefix": "/admin/config", "method": "PUT", "status": 422, "body": detail }),
    )
    .await;
    assert_eq!(
        gw.status(&token, Method::GET, "/admin/config").await,
        200,
        "other methods pass"
    );
    let (code, body) = gw
        .send(
            &token,
            Method::PUT,
            "/admin/config/motd",
            Some(json!({"value": "x"})),
        )
        .await;
    assert_eq!((code, body), (422, detail));
}

#[tokio::test]
async fn injected_malformed_bodies_delays_and_drops() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    gw.dev(
        Method::POST,
        "/__dev/faults",
        json!({ "path_prefix": "/admin/game/status", "malformed": true }),
    )
    .await;
    let response = gw
        .call(&token, Method::GET, "/admin/game/status", None)
        .await;
    assert_eq!(response.status(), 200);
    assert!(
        response.json::<serde_json::Value>().await.is_err(),
        "body is not valid JSON"
    );

    gw.dev(
        Method::POST,
        "/__dev/faults",
        json!({ "path_prefix": "/admin/game/status", "delay_ms": 400 }),
    )
    .await;
    let started = Instant::now();
    assert_eq!(
        gw.status(&token, Method::GET, "/admin/game/status").await,
        200
    );
    assert!(started.elapsed() >= Duration::from_millis(400));

    gw.dev(
        Method::POST,
        "/__dev/faults",
        json!({ "path_prefix": "/admin/game/status", "drop": true }),
    )
    .await;
    let dropped = async {
        let response = gw
            .request(Method::GET, "/admin/game/status")
            .bearer_auth(&token)
            .send()
            .await?;
        response.bytes().await
    };
    assert!(dropped.await.is_err(), "the connection is cut");

    gw.dev(
        Method::POST,
        "/__dev/faults",
        json!({ "path_prefix": "/versions", "count": 10, "status": 503 }),
    )
    .await;
    gw.dev(Method::DELETE, "/__dev/faults", json!({})).await;
    assert_eq!(
        gw.request(Method::GET, "/versions")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn reset_restores_the_seeded_world_and_keeps_tokens() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    let path = format!("/admin/players/{}", player(1));
    assert_eq!(gw.status(&token, Method::DELETE, &path).await, 204);
    gw.dev(Method::POST, "/__dev/reset", json!({})).await;
    // On PostgreSQL the deletion stays: the gateway's role may not create players.
    let restored = if std::env::var_os("GATEWAY_TEST_POSTGRES").is_some() {
        404
    } else {
        200
    };
    assert_eq!(gw.status(&token, Method::GET, &path).await, restored);
}

#[tokio::test]
async fn the_request_log_lists_answered_requests_after_a_sequence_number() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    let (_, log) = read(gw.dev(Method::GET, "/__dev/requests", json!(null)).await).await;
    let start = log["next"].as_u64().unwrap();
    assert_eq!(
        log["items"].as_array().unwrap().last().unwrap()["path"],
        "/admin/auth/login"
    );

    gw.call(
        &token,
        Method::PUT,
        "/admin/config/tick_rate",
        Some(json!({ "value": 2 })),
    )
    .await;
    gw.call(
        &token,
        Method::GET,
        "/admin/players?search=nova&limit=5",
        None,
    )
    .await;
    gw.dev(
        Method::POST,
        "/__dev/faults",
        json!({ "path_prefix": "/admin/game/status", "status": 503 }),
    )
    .await;
    gw.call(&token, Method::GET, "/admin/game/status", None)
        .await;

    let (_, log) = read(
        gw.dev(
            Method::GET,
            &format!("/__dev/requests?since={start}"),
            json!(null),
        )
        .await,
    )
    .await;
    let items = log["items"].as_array().unwrap();
    let seen: Vec<(&str, &str, Option<&str>, u64)> = items
        .iter()
        .map(|e| {
            (
                e["method"].as_str().unwrap(),
                e["path"].as_str().unwrap(),
                e["query"].as_str(),
                e["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("PUT", "/admin/config/tick_rate", None, 200),
            ("GET", "/admin/players", Some("search=nova&limit=5"), 200),
            ("GET", "/admin/game/status", None, 503),
        ],
        "oldest first, dev controls left out, statuses as sent"
    );
    let seqs: Vec<u64> = items.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, [start + 1, start + 2, start + 3]);
    assert_eq!(log["next"], start + 3);
    assert!(items[0]["query"].is_null());
    time::OffsetDateTime::parse(
        items[0]["at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();

    gw.dev(Method::DELETE, "/__dev/requests", json!(null)).await;
    let (_, log) = read(gw.dev(Method::GET, "/__dev/requests", json!(null)).await).await;
    assert_eq!(log, json!({ "items": [], "next": start + 3 }));
    gw.call(&token, Method::GET, "/admin/config", None).await;
    let (_, log) = read(
        gw.dev(
            Method::GET,
            &format!("/__dev/requests?since={start}"),
            json!(null),
        )
        .await,
    )
    .await;
    assert_eq!(
        log["items"][0]["seq"],
        start + 4,
        "numbers are never reused"
    );

    let response = gw
        .request(Method::GET, "/__dev/requests?since=-1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
}

#[tokio::test]
async fn dev_controls_do_not_exist_without_the_flag() {
    let mut settings = Settings::for_tests(10);
    settings.dev_controls = false;
    let gw = Gateway::start_with(settings).await;
    for (method, path) in [
        (Method::POST, "/__dev/reset"),
        (Method::POST, "/__dev/expire-tokens"),
        (Method::POST, "/__dev/faults"),
        (Method::PUT, "/__dev/tick"),
        (Method::PUT, "/__dev/login-lockout"),
        (Method::GET, "/__dev/requests"),
        (Method::DELETE, "/__dev/requests"),
    ] {
        let response = gw
            .request(method.clone(), path)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{method} {path}");
    }
}

#[tokio::test]
async fn serves_tls_with_a_given_certificate() {
    galaxy_gateway::install_crypto_provider();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let config = axum_server::tls_rustls::RustlsConfig::from_pem(
        cert.cert.pem().into_bytes(),
        cert.key_pair.serialize_pem().into_bytes(),
    )
    .await
    .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(galaxy_gateway::serve(
        listener,
        AppState::new(Settings::for_tests(1)),
        Some(config),
        async {
            let _ = stopped.await;
        },
    ));
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap())
        .resolve("localhost", ([127, 0, 0, 1], port).into())
        .build()
        .unwrap();
    let response = client
        .get(format!("https://localhost:{port}/api/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let plain = reqwest::get(format!("http://127.0.0.1:{port}/api/health/live")).await;
    assert!(
        plain.map(|r| !r.status().is_success()).unwrap_or(true),
        "plain HTTP is not served on the TLS port"
    );
}

//! The browser's cookie session over real HTTP: the token only in an HttpOnly `__Host-` cookie,
//! accepted only with the CSRF defence's header from an allowed origin, cleared at sign-out
//! and refused when replayed after it; bearer tokens unchanged for scripts.

mod common;

use common::{read, Gateway, PASSWORD};
use reqwest::header::{COOKIE, ORIGIN, SET_COOKIE};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{json, Value};

const DASHBOARD: &str = "https://localhost:30001";

/// Signs `admin` in as the dashboard does; the `Set-Cookie` and the body.
async fn sign_in(gw: &Gateway) -> (String, Value) {
    let response = gw
        .request(Method::POST, "/admin/auth/login")
        .header("x-galaxy-session", "cookie")
        .header(ORIGIN, DASHBOARD)
        .json(&json!({ "username": "admin", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let set_cookie = response
        .headers()
        .get(SET_COOKIE)
        .expect("a cookie session sets its cookie")
        .to_str()
        .unwrap()
        .to_owned();
    let (status, body) = read(response).await;
    assert_eq!(status, 200, "{body}");
    (set_cookie, body)
}

/// The `name=value` a browser sends back for a `Set-Cookie`.
fn cookie_of(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

/// A request with the cookie, as the dashboard sends it (header and origin) unless told less.
fn with_cookie(gw: &Gateway, method: Method, path: &str, cookie: &str) -> RequestBuilder {
    gw.request(method, path).header(COOKIE, cookie)
}

fn as_dashboard(request: RequestBuilder) -> RequestBuilder {
    request
        .header("x-galaxy-session", "cookie")
        .header(ORIGIN, DASHBOARD)
}

async fn send(request: RequestBuilder) -> (u16, Value) {
    read(request.send().await.unwrap()).await
}

async fn paused(gw: &Gateway) -> bool {
    let token = gw.login().await;
    gw.get(&token, "/admin/game/status").await["paused"] == json!(true)
}

#[tokio::test]
async fn a_cookie_sign_in_puts_the_token_only_in_an_http_only_host_cookie() {
    let gw = Gateway::start().await;
    let (set_cookie, body) = sign_in(&gw).await;
    assert_eq!(body["token_type"], "cookie");
    assert!(body["expires_in"].as_u64().unwrap() > 0);
    assert!(body.get("access_token").is_none(), "{body}");
    assert!(
        set_cookie.starts_with("__Host-galaxy_admin_session=ey"),
        "{set_cookie}"
    );
    for attribute in [
        "Path=/",
        "Secure",
        "HttpOnly",
        "SameSite=Strict",
        "Max-Age=",
    ] {
        assert!(
            set_cookie.contains(attribute),
            "{set_cookie} lacks {attribute}"
        );
    }
    assert!(!set_cookie.to_ascii_lowercase().contains("domain="));

    let cookie = cookie_of(&set_cookie);
    let (status, me) = send(as_dashboard(with_cookie(
        &gw,
        Method::GET,
        "/admin/auth/me",
        &cookie,
    )))
    .await;
    assert_eq!((status, &me["username"]), (200, &json!("admin")));
}

#[tokio::test]
async fn scripts_still_get_a_bearer_token() {
    let gw = Gateway::start().await;
    let (status, body) = read(gw.try_login("admin", PASSWORD, None).await).await;
    assert_eq!(status, 200);
    assert_eq!(body["token_type"], "bearer");
    assert!(body["access_token"].as_str().unwrap().starts_with("ey"));
}

#[tokio::test]
async fn the_cookie_alone_or_from_another_origin_is_refused_before_anything_is_done() {
    let gw = Gateway::start().await;
    let cookie = cookie_of(&sign_in(&gw).await.0);

    // A form on a sibling port of localhost: same site, so the browser sends the cookie,
    // but it cannot add the header, and its origin is not the dashboard's.
    let forged: Response = with_cookie(&gw, Method::POST, "/admin/game/pause", &cookie)
        .header(ORIGIN, "https://localhost:30009")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("reason=pwned")
        .send()
        .await
        .unwrap();
    let (status, body) = read(forged).await;
    assert_eq!(
        (status, &body["code"]),
        (403, &json!("cross_site_request")),
        "{body}"
    );

    // A script there that adds the header is still from the wrong origin.
    let scripted = with_cookie(&gw, Method::POST, "/admin/game/pause", &cookie)
        .header("x-galaxy-session", "cookie")
        .header(ORIGIN, "https://localhost:30009")
        .json(&json!({ "reason": "pwned" }));
    let (status, body) = send(scripted).await;
    assert_eq!(
        (status, &body["code"]),
        (403, &json!("cross_site_request")),
        "{body}"
    );

    // The dashboard's own origin without the header: refused too.
    let headerless =
        with_cookie(&gw, Method::GET, "/admin/game/status", &cookie).header(ORIGIN, DASHBOARD);
    assert_eq!(send(headerless).await.0, 403);
    assert!(!paused(&gw).await, "nothing forged took effect");

    // As the dashboard sends it, the same cookie pauses.
    let (status, body) = send(as_dashboard(
        with_cookie(&gw, Method::POST, "/admin/game/pause", &cookie)
            .json(&json!({ "reason": "maintenance" })),
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(paused(&gw).await);
}

#[tokio::test]
async fn sign_out_clears_the_cookie_and_a_replayed_one_is_refused() {
    let gw = Gateway::start().await;
    let cookie = cookie_of(&sign_in(&gw).await.0);
    let out = as_dashboard(with_cookie(
        &gw,
        Method::POST,
        "/admin/auth/logout",
        &cookie,
    ))
    .send()
    .await
    .unwrap();
    assert_eq!(out.status(), 204);
    let cleared = out.headers().get(SET_COOKIE).unwrap().to_str().unwrap();
    assert!(
        cleared.starts_with("__Host-galaxy_admin_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    // From another origin than the gateway's, Clear-Site-Data would clear the wrong site's data.
    assert!(out.headers().get("clear-site-data").is_none());

    let (status, body) = send(as_dashboard(with_cookie(
        &gw,
        Method::GET,
        "/admin/game/status",
        &cookie,
    )))
    .await;
    assert_eq!(
        (status, &body["detail"]),
        (401, &json!("This session was ended; log in again"))
    );
}

#[tokio::test]
async fn a_bearer_token_is_judged_alone_whatever_cookie_comes_with_it() {
    let gw = Gateway::start().await;
    let cookie = cookie_of(&sign_in(&gw).await.0);
    let token = gw.login().await;
    // A script's bearer call needs no CSRF header, even if a stale cookie rides along.
    let (status, _) =
        send(with_cookie(&gw, Method::GET, "/admin/game/status", &cookie).bearer_auth(&token))
            .await;
    assert_eq!(status, 200);
    let (status, _) = send(
        with_cookie(&gw, Method::GET, "/admin/game/status", &cookie).bearer_auth("not-a-token"),
    )
    .await;
    assert_eq!(
        status, 401,
        "a bad bearer token does not fall back on the cookie"
    );
}

#[tokio::test]
async fn signing_in_over_a_cookie_ends_the_session_it_replaces() {
    let gw = Gateway::start().await;
    let first = cookie_of(&sign_in(&gw).await.0);
    // The browser signs in again (another tab, another account): it sends its old cookie.
    let again = gw
        .request(Method::POST, "/admin/auth/login")
        .header("x-galaxy-session", "cookie")
        .header(ORIGIN, DASHBOARD)
        .header(COOKIE, &first)
        .json(&json!({ "username": "admin", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    let (status, body) = send(as_dashboard(with_cookie(
        &gw,
        Method::GET,
        "/admin/auth/me",
        &first,
    )))
    .await;
    assert_eq!(
        (status, &body["detail"]),
        (401, &json!("This session was ended; log in again")),
        "the replaced session does not linger"
    );
}

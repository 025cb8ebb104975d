//! An admin token is an admin's because of its claims, not only its signature: Galaxy's
//! players service signs players' tokens with the same secret (api/openapi.yaml, `bearer`).

mod common;

use common::Gateway;
use galaxy_gateway::Settings;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use reqwest::Method;
use serde_json::{json, Map, Value};

fn secret() -> Vec<u8> {
    Settings::for_tests(0).secrets.jwt_secret_key
}

/// The claims of a token the gateway issued, read with the shared secret.
fn claims_of(token: &str) -> Map<String, Value> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&["galaxy-admin"]);
    decode::<Map<String, Value>>(token, &DecodingKey::from_secret(&secret()), &validation)
        .unwrap()
        .claims
}

/// A token with these claims, signed with the secret every Galaxy service shares.
fn signed(claims: &Map<String, Value>) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(&secret()),
    )
    .unwrap()
}

async fn status_with(gw: &Gateway, token: &str) -> (u16, Value) {
    let response = gw
        .request(Method::GET, "/admin/game/status")
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn issued_tokens_state_issuer_audience_type_and_times() {
    let gw = Gateway::start().await;
    let claims = claims_of(&gw.login().await);
    assert_eq!(claims["iss"], "galaxy-api-gateway");
    assert_eq!(claims["aud"], "galaxy-admin");
    assert_eq!(claims["typ"], "admin_access");
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert!(exp > iat, "{claims:?}");
    let me = gw.get(&gw.login().await, "/admin/auth/me").await;
    assert_eq!(claims["sub"], me["id"]);
}

#[tokio::test]
async fn a_token_re_signed_with_the_same_claims_is_accepted() {
    // The refusals below change one claim of this token; this shows the test's own signing is
    // right, so each refusal is the claim's doing.
    let gw = Gateway::start().await;
    let claims = claims_of(&gw.login().await);
    assert_eq!(status_with(&gw, &signed(&claims)).await.0, 200);
}

#[tokio::test]
async fn a_token_without_the_admin_claims_is_refused() {
    let gw = Gateway::start().await;
    let issued = claims_of(&gw.login().await);
    // (case, claim, its new value; None removes it)
    let cases = [
        ("no audience", "aud", None),
        (
            "the players' audience",
            "aud",
            Some(json!("galaxy-players")),
        ),
        ("no issuer", "iss", None),
        ("another issuer", "iss", Some(json!("galaxy-players"))),
        ("no type", "typ", None),
        ("a refresh token", "typ", Some(json!("refresh"))),
        ("a player's token type", "typ", Some(json!("player_access"))),
        ("no expiry", "exp", None),
    ];
    for (case, claim, value) in cases {
        let mut claims = issued.clone();
        match value {
            Some(value) => claims.insert(claim.into(), value),
            None => claims.remove(claim),
        };
        let (status, body) = status_with(&gw, &signed(&claims)).await;
        assert_eq!(status, 401, "{case}: {body}");
    }
    // An audience array naming the admin audience is an admin token (RFC 7519 4.1.3).
    let mut claims = issued.clone();
    claims.insert("aud".into(), json!(["galaxy-players", "galaxy-admin"]));
    assert_eq!(status_with(&gw, &signed(&claims)).await.0, 200);
}

#[tokio::test]
async fn a_players_service_token_signed_with_the_shared_secret_is_refused() {
    // What Galaxy's players service issues to a game client: its own issuer, audience and type.
    // Refused even when it names the admin account's UUID and happens to carry claims named
    // like the reference gateway's own (role, token version, generation).
    let gw = Gateway::start().await;
    let issued = claims_of(&gw.login().await);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let player = json!({
        "iss": "galaxy-players",
        "aud": "galaxy-game",
        "typ": "player_access",
        "sub": "7b7b2a42-3f2c-4a55-9d0e-3c1c6f0f6a11",
        "iat": now,
        "exp": now + 3600,
    });
    let (status, body) = status_with(&gw, &signed(player.as_object().unwrap())).await;
    assert_eq!(status, 401, "{body}");

    // Many services' tokens carry no audience at all.
    let mut lookalike = issued.clone();
    lookalike.remove("aud");
    lookalike.insert("iss".into(), json!("galaxy-players"));
    lookalike.insert("typ".into(), json!("player_access"));
    let (status, body) = status_with(&gw, &signed(&lookalike)).await;
    assert_eq!(status, 401, "{body}");
}

//! A real gateway on a loopback port, and a client that speaks to it over HTTP.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::net::TcpListener;

use galaxy_gateway::{AppState, Settings};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{json, Value};
use tokio::sync::oneshot;

pub const PASSWORD: &str = "correct horse battery staple";

pub struct Gateway {
    pub base: String,
    pub client: reqwest::Client,
    /// On PostgreSQL: the connection settings of its database's owner, to do what no gateway
    /// can (change an audit entry).
    pub owner: Option<String>,
    _stop: oneshot::Sender<()>,
}

impl Gateway {
    pub async fn start() -> Self {
        Self::start_with(Settings::for_tests(250)).await
    }

    /// With `GATEWAY_TEST_POSTGRES` set (tests/db does), on a fresh copy of a migrated
    /// PostgreSQL database for each gateway (see [`postgres_state`]); in memory otherwise.
    pub async fn start_with(settings: Settings) -> Self {
        let (state, owner) = match std::env::var("GATEWAY_TEST_POSTGRES") {
            Ok(server) => {
                let (state, owner) = postgres_state(settings, &server).await;
                (state, Some(owner))
            }
            Err(_) => (AppState::new(settings), None),
        };
        Self::serve(state, owner).await
    }

    async fn serve(state: AppState, owner: Option<String>) -> Self {
        let settings = state.settings.clone();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!(
            "http://{}{}",
            listener.local_addr().unwrap(),
            settings.base_path
        );
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(galaxy_gateway::serve(listener, state, None, async {
            let _ = stopped.await;
        }));
        Gateway {
            base,
            client: reqwest::Client::new(),
            owner,
            _stop: stop,
        }
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{}", self.base, path))
    }

    /// A login attempt, optionally with an `X-Forwarded-For` header.
    pub async fn try_login(
        &self,
        username: &str,
        password: &str,
        forwarded_for: Option<&str>,
    ) -> Response {
        let mut request = self
            .request(Method::POST, "/admin/auth/login")
            .json(&json!({ "username": username, "password": password }));
        if let Some(xff) = forwarded_for {
            request = request.header("x-forwarded-for", xff);
        }
        request.send().await.unwrap()
    }

    pub async fn login(&self) -> String {
        let response = self.try_login("admin", PASSWORD, None).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// An authenticated request.
    pub async fn call(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Response {
        let mut request = self.request(method, path).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    /// Status and JSON body of an authenticated call.
    pub async fn send(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        read(self.call(token, method, path, body).await).await
    }

    /// An authenticated DELETE, its reason (if any) in the `X-Audit-Log-Reason` header,
    /// percent-encoded, as the contract has it.
    pub async fn delete(&self, token: &str, path: &str, reason: Option<&str>) -> (u16, Value) {
        let mut request = self.request(Method::DELETE, path).bearer_auth(token);
        if let Some(reason) = reason {
            let encoded =
                percent_encoding::utf8_percent_encode(reason, percent_encoding::NON_ALPHANUMERIC);
            request = request.header("x-audit-log-reason", encoded.to_string());
        }
        read(request.send().await.unwrap()).await
    }

    /// The status of an authenticated call without a body.
    pub async fn status(&self, token: &str, method: Method, path: &str) -> u16 {
        self.call(token, method, path, None).await.status().as_u16()
    }

    /// The JSON body of an authenticated GET that must succeed.
    pub async fn get(&self, token: &str, path: &str) -> Value {
        let (status, body) = read(self.call(token, Method::GET, path, None).await).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// Runs `sql` on the gateway's database as its owner, with triggers off (the audit log's
    /// guards included), as an intruder with the superuser's password could; memory has none.
    pub async fn as_owner(&self, sql: &str) {
        let owner = self.owner.as_deref().expect("a gateway on PostgreSQL");
        let (client, connection) = tokio_postgres::connect(owner, tokio_postgres::NoTls)
            .await
            .expect("the owner connects");
        tokio::spawn(connection);
        client
            .batch_execute(&format!("SET session_replication_role = replica; {sql}"))
            .await
            .expect("the owner's statement runs");
    }

    pub async fn dev(&self, method: Method, path: &str, body: Value) -> Response {
        let response = self.request(method, path).json(&body).send().await.unwrap();
        assert!(
            response.status().is_success(),
            "dev control {path} failed: {}",
            response.status()
        );
        response
    }
}

/// The gateway's state on PostgreSQL: `server` holds libpq connection settings without user or
/// database (`host=<socket dir> port=<port>`); a new database is copied from the migrated
/// template `GATEWAY_TEST_TEMPLATE` as its owner `galaxy`, and the gateway connects to it as
/// `galaxy_admin_api`, the role the migrations give the api-gateway.
async fn postgres_state(settings: Settings, server: &str) -> (AppState, String) {
    use galaxy_gateway::store::postgres::Postgres;
    let template = std::env::var("GATEWAY_TEST_TEMPLATE")
        .expect("GATEWAY_TEST_TEMPLATE with GATEWAY_TEST_POSTGRES");
    let (owner, connection) = tokio_postgres::connect(
        &format!("{server} user=galaxy dbname=postgres"),
        tokio_postgres::NoTls,
    )
    .await
    .expect("the test PostgreSQL answers");
    tokio::spawn(connection);
    let name = format!(
        "gw_{}",
        galaxy_gateway::settings::random_token(8).to_lowercase()
    );
    owner
        .batch_execute(&format!(
            "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
        ))
        .await
        .expect("a copy of the migrated template");
    // The players the gateway simulates, as Galaxy's players service would have created them.
    galaxy_gateway::store::postgres::seed_players(
        &format!("{server} user=galaxy dbname={name}"),
        &galaxy_gateway::domain::players::seed(settings.players),
    )
    .await
    .expect("the seeded players are inserted");
    let pg = Postgres::connect(&format!("{server} user=galaxy_admin_api dbname={name}"))
        .await
        .expect("the gateway connects to its database");
    let state = AppState::with_postgres(settings, pg)
        .await
        .expect("the bootstrap admin is created");
    (state, format!("{server} user=galaxy dbname={name}"))
}

/// Status and JSON body of a response.
pub async fn read(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

/// The Retry-After of a 429, in seconds.
pub fn retry_after(response: &Response) -> u64 {
    response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// The id of the `n`th seeded player (from 1).
pub fn player(n: u64) -> String {
    galaxy_gateway::domain::players::seeded_id(n)
        .unwrap()
        .to_string()
}

/// Asserts the FastAPI 422 shape and returns the `loc` of the first error.
pub fn validation_loc(body: &Value) -> Vec<Value> {
    let first = &body["detail"][0];
    assert!(
        first["msg"].is_string() && first["type"].is_string(),
        "not a FastAPI 422: {body}"
    );
    first["loc"].as_array().expect("loc is a list").clone()
}

impl Gateway {
    /// A token for `username` and `password`, which must be right.
    pub async fn login_as(&self, username: &str, password: &str) -> String {
        let (status, body) = read(self.try_login(username, password, None).await).await;
        assert_eq!(status, 200, "login as {username}: {body}");
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// A new account through the dev control; returns its id.
    pub async fn add_account(&self, username: &str, password: &str, role: &str) -> String {
        let response = self
            .dev(
                Method::POST,
                "/__dev/accounts",
                json!({ "username": username, "password": password, "role": role }),
            )
            .await;
        let body: Value = response.json().await.unwrap();
        body["id"].as_str().unwrap().to_owned()
    }

    /// A new account with the given role, signed in; returns its id and token.
    pub async fn signed_in(&self, username: &str, role: &str) -> (String, String) {
        let password = format!("{username} password");
        let id = self.add_account(username, &password, role).await;
        (id, self.login_as(username, &password).await)
    }
}

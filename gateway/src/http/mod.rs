//! The HTTP layer: the router, its middleware, the extractors and errors of the contract's
//! shape, and one module per resource. Handlers apply the domain's rules to the store and
//! answer as `api/openapi.yaml` says.

pub mod accounts;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod client_ip;
pub mod config;
pub mod confirmation;
pub mod csv;
pub mod dev;
pub mod error;
pub mod extract;
pub mod faults;
pub mod game;
pub mod login;
pub mod metrics;
pub mod middleware;
pub mod passkey_assertion;
pub mod passkeys;
pub mod player_messages;
pub mod players;
pub mod public;
pub mod request_log;
pub mod schedule_runner;
pub mod schedules;
pub mod second_factor;
pub mod services;
pub mod session_cookie;
pub mod sessions;
pub mod snapshots;
pub mod state;

use std::time::Duration;

use axum::http::{header, HeaderName, Method, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::{Json, Router};
use serde_json::json;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::http::state::AppState;

/// The whole API, mounted under the configured base path.
pub fn router(state: AppState) -> Router {
    let mut api = login::routes()
        .merge(game::routes())
        .merge(config::routes())
        .merge(snapshots::routes())
        .merge(services::routes())
        .merge(accounts::routes())
        .merge(players::routes())
        .merge(player_messages::routes())
        .merge(schedules::routes())
        .merge(audit::routes())
        .merge(metrics::routes())
        .merge(second_factor::routes())
        .merge(passkeys::routes())
        .merge(confirmation::routes())
        .merge(sessions::routes())
        .merge(api_keys::routes())
        .merge(public::routes());
    if state.settings.dev_controls {
        api = api.merge(dev::routes());
    }
    let api = api.fallback(not_found);
    let base = state.settings.base_path.trim_end_matches('/').to_owned();
    let app = if base.is_empty() {
        api
    } else {
        Router::new().nest(&base, api).fallback(not_found)
    };

    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(state.settings.cors_origins.clone()))
        .allow_credentials(true)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            HeaderName::from_static(extract::REASON_HEADER),
            HeaderName::from_static(confirmation::HEADER),
            HeaderName::from_static(session_cookie::HEADER),
            HeaderName::from_static(session_cookie::ACTIVITY_HEADER),
        ])
        // The dashboard is on another origin, where the browser hides every response header
        // not listed here: the login form counts down Retry-After, and the runtime config page
        // sends back the ETag of what it loaded as If-Match, and
        // the audit export's Content-Disposition names the file to save.
        .expose_headers([
            header::RETRY_AFTER,
            header::ETAG,
            header::CONTENT_DISPOSITION,
        ])
        .max_age(Duration::from_secs(600));

    let app = app
        .layer(from_fn_with_state(state.clone(), middleware::flush_audit))
        .layer(from_fn_with_state(state.clone(), middleware::inject_faults))
        // Answers are compressed as the client accepts (brotli, then gzip), streams too:
        // the overview's first history load counts on the wire as it would in production.
        .layer(CompressionLayer::new().br(true).gzip(true))
        .layer(cors)
        .layer(from_fn_with_state(
            state.clone(),
            middleware::refuse_foreign_preflight,
        ));
    // Prometheus's scrapes: outside the base path, as Galaxy's services serve them, and outside
    // the API's layers (no CORS, faults or compression for a scraper).
    let app = app.route("/metrics", axum::routing::get(metrics::exposition));
    // Outermost, so the log has each status as the client received it, faults included.
    let app = if state.settings.dev_controls {
        app.layer(from_fn_with_state(
            state.clone(),
            middleware::record_request,
        ))
    } else {
        app
    };
    app.with_state(state)
}

async fn not_found() -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "detail": "Not Found" })),
    )
}

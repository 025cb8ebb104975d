//! Reference implementation of the Galaxy admin API (`api/openapi.yaml`),
//! used for local runs and as the dashboard's test double.

pub mod accounts;
pub mod admin;
pub mod admin_accounts;
pub mod admin_players;
pub mod audit;
pub mod auth;
pub mod client_ip;
pub mod dev;
pub mod error;
pub mod extract;
pub mod faults;
pub mod game;
pub mod history;
pub mod keyset;
pub mod login_limit;
pub mod metrics;
pub mod player_sessions;
pub mod players;
pub mod public;
pub mod request_log;
pub mod roles;
pub mod runtime_config;
pub mod settings;
pub mod state;

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderName, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::json;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};

pub use settings::Settings;
pub use state::AppState;

/// The whole API, mounted under the configured base path.
pub fn router(state: AppState) -> Router {
    let mut api = admin::routes()
        .merge(admin_accounts::routes())
        .merge(admin_players::routes())
        .merge(audit::routes())
        .merge(metrics::routes())
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
        .layer(middleware::from_fn_with_state(
            state.clone(),
            faults::inject,
        ))
        // Answers are compressed as the client accepts (brotli, then gzip), streams too:
        // the overview's first history load counts on the wire as it would in production.
        .layer(CompressionLayer::new().br(true).gzip(true))
        .layer(cors)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            refuse_foreign_preflight,
        ));
    // Prometheus's scrapes: outside the base path, as Galaxy's services serve them, and outside
    // the API's layers (no CORS, faults or compression for a scraper).
    let app = app.route("/metrics", axum::routing::get(metrics::exposition));
    // Outermost, so the log has each status as the client received it, faults included.
    let app = if state.settings.dev_controls {
        app.layer(middleware::from_fn_with_state(
            state.clone(),
            request_log::record,
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

/// A CORS layer merely omits its headers for an unknown origin; answer such a
/// preflight with an explicit 403 so the refusal is unmistakable in logs and tests.
async fn refuse_foreign_preflight(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let is_preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(HeaderName::from_static("access-control-request-method"));
    if is_preflight {
        let allowed = request
            .headers()
            .get(header::ORIGIN)
            .is_some_and(|origin| state.settings.cors_origins.iter().any(|o| o == origin));
        if !allowed {
            return (
                StatusCode::FORBIDDEN,
                Json(json!({ "detail": "Origin not allowed" })),
            )
                .into_response();
        }
    }
    next.run(request).await
}

/// Serves the API until `shutdown` completes, over TLS when given a config.
pub async fn serve(
    listener: std::net::TcpListener,
    state: AppState,
    tls: Option<axum_server::tls_rustls::RustlsConfig>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let sampler = tokio::spawn(history_sampler(state.clone()));
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let handle = axum_server::Handle::new();
    let on_signal = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        on_signal.graceful_shutdown(Some(Duration::from_secs(5)));
    });
    listener.set_nonblocking(true)?;
    let served = match tls {
        Some(config) => {
            axum_server::from_tcp_rustls(listener, config)
                .handle(handle)
                .serve(app)
                .await
        }
        None => {
            axum_server::from_tcp(listener)
                .handle(handle)
                .serve(app)
                .await
        }
    };
    sampler.abort();
    served
}

/// Samples the game's health into the history every `history_interval_secs`, on the
/// gateway's own clock, from start-up until the server stops (into the ring, unless the
/// history is read from Prometheus).
async fn history_sampler(state: AppState) {
    let period = Duration::from_secs(u64::from(state.settings.history_interval_secs.max(1)));
    let mut interval = tokio::time::interval(period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let at = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut world = state.world();
        // With Prometheus as the source nothing reads the ring; bans still end on this clock.
        if state.history_source.is_ring() {
            let sample = world.sample(at);
            world.history.push(sample);
        }
        world.expire_bans();
    }
}

/// Installs the process-wide rustls crypto provider (ring); safe to call more than once.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

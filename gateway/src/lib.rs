//! Reference implementation of the Galaxy admin API (`api/openapi.yaml`),
//! used for local runs and as the dashboard's test double.
//!
//! Split by kind, each layer using only those below it: `domain` (types and rules, no HTTP, no
//! storage), `store` (the storage seam and its stores), `http` (router, extractors,
//! middleware, one module per resource), with `settings` beside them (checked by
//! `tests/layout.rs`).

pub mod domain;
pub mod http;
pub mod settings;
pub mod store;

use std::net::SocketAddr;
use std::time::Duration;

pub use http::router;
pub use http::state::AppState;
pub use settings::Settings;

/// Serves the API until `shutdown` completes, over TLS when given a config.
pub async fn serve(
    listener: std::net::TcpListener,
    state: AppState,
    tls: Option<axum_server::tls_rustls::RustlsConfig>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Listening before the first request, so no ban published from then on is missed.
    let player_events = state
        .player_events
        .listen()
        .await
        .map_err(|e| std::io::Error::other(format!("cannot listen for player events: {e}")))?;
    let sampler = tokio::spawn(history_sampler(state.clone()));
    let audit_flusher = tokio::spawn(audit_flusher(state.clone()));
    let config_follower = tokio::spawn(config_follower(state.clone()));
    let schedule_runner = tokio::spawn(http::schedule_runner::run_forever(state.clone()));
    let audit = state.audit.clone();
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
    audit_flusher.abort();
    config_follower.abort();
    schedule_runner.abort();
    if let Some(listener) = player_events {
        listener.abort();
    }
    // What the last requests recorded, before the process ends.
    if let Err(e) = audit.flush().await {
        tracing::error!("audit entries not written at shutdown: {e}");
    }
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
        // With Prometheus as the source nothing reads the ring; bans still end on this clock.
        if state.history_source.is_ring() {
            let mut world = state.world();
            let sample = world.sample(at);
            world.history.push(sample);
        }
        if let Err(e) = state.moderation.expire().await {
            tracing::warn!("ended bans could not be recorded now: {e}");
        }
    }
}

/// Writes the audit entries recorded outside a request (an ended ban, seen by the sampler)
/// and retries those a database outage held back, every second (see `store::audit_log`).
async fn audit_flusher(state: AppState) {
    let mut interval = tokio::time::interval(Duration::from_secs(1));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if let Err(e) = state.audit.flush().await {
            tracing::warn!("the audit log could not be written, its entries wait: {e}");
        }
    }
}

/// Keeps the simulated game on the stored runtime configuration (a tick rate set through
/// another replica, or by another Galaxy service) within a second; nothing to follow in memory.
async fn config_follower(state: AppState) {
    if matches!(state.config, store::runtime_config::ConfigStore::Memory(_)) {
        return;
    }
    let mut interval = tokio::time::interval(Duration::from_secs(1));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if let Err(e) = state.config.follow().await {
            tracing::warn!(
                "the runtime configuration could not be read, the game keeps its own: {e}"
            );
        }
    }
}

/// Installs the process-wide rustls crypto provider (ring); safe to call more than once.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

//! `/admin/metrics/history`: a range of the game's health history (see `domain::history`), cut into
//! buckets with the minimum, mean and maximum of each series, and the audit entries worth
//! marking on the same time axis; read from the ring or from Prometheus (`store::history`).
//!
//! `/metrics` (outside the API's base path, as Galaxy's services serve it): the simulated
//! game's health in Prometheus's text format, for a Prometheus to scrape.

use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::domain::error::FieldError;
use crate::domain::history::{tick_duration_ms, Bucket, Range};
use crate::domain::rfc3339;
use crate::http::auth::Session;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{query_datetime, QueryParams};
use crate::http::state::AppState;
use crate::store::prometheus;

/// The audit actions shown as events on the charts.
pub const EVENT_ACTIONS: &[&str] = &[
    "game.pause",
    "game.resume",
    "config.update",
    "config.reset",
    "snapshot.create",
    "snapshot.restore",
    "service.deploy",
];

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/metrics/history", get(history))
}

fn bucket_json(b: &Bucket) -> Value {
    let at = OffsetDateTime::from_unix_timestamp(b.at).expect("a sample time is a valid time");
    json!({
        "at": rfc3339(at),
        "samples": b.samples,
        "paused": b.paused,
        "tick_rate": b.tick_rate.json(),
        "actual_rate": b.actual_rate.json(),
        "ticks_behind": b.ticks_behind.json(),
        "tick_duration_ms": b.tick_duration_ms.json(),
        "players_online": b.players_online.json(),
    })
}

fn range(query: &QueryParams) -> Result<Range, FieldError> {
    match query.text("range") {
        None => Err(FieldError::new(
            &["query", "range"],
            "Field required",
            "missing",
        )),
        Some(raw) => Range::parse(raw).ok_or_else(|| {
            FieldError::new(
                &["query", "range"],
                "Input should be '10m', '1h', '6h' or '24h'",
                "enum",
            )
        }),
    }
}

async fn history(
    _: Session,
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = QueryParams::parse(query.as_deref())?;
    let mut errors = vec![];
    let range = range(&query).map_err(|e| errors.push(e)).ok();
    let since = query_datetime(&query, "since")
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let Some(range) = range.filter(|_| errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };

    let to = OffsetDateTime::now_utc();
    let from = to - time::Duration::seconds(range.seconds());
    let read = state
        .history_source
        .read(
            state.store(),
            range,
            to.unix_timestamp(),
            since.map(OffsetDateTime::unix_timestamp),
        )
        .await
        .map_err(|e| {
            tracing::warn!("history: {e}");
            ApiError::ServiceUnavailable(format!("The history is unavailable: {e}"))
        })?;
    let from_events = since.map_or(from, |s| s.max(from));
    let events = state.audit.events(EVENT_ACTIONS, from_events, to).await?;

    let known = state.known_targets(&events).await?;
    let world = state.world();
    let events: Vec<_> = events.iter().map(|e| world.listed(e, &known)).collect();
    Ok(Json(json!({
        "range": range.name(),
        "from": rfc3339(from),
        "to": rfc3339(to),
        "sample_seconds": read.sample_seconds,
        "bucket_seconds": read.bucket_seconds,
        "buckets": read.buckets.iter().map(bucket_json).collect::<Vec<_>>(),
        "events": events,
    })))
}

/// `GET /metrics`: the game's health now, by the names of Galaxy's spec.
pub async fn exposition(State(state): State<AppState>) -> impl IntoResponse {
    let mut world = state.world();
    let status = world.status();
    let online = world.players_online();
    let duration = tick_duration_ms(status.paused, world.game.capacity(), online);
    drop(world);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        prometheus::exposition(&status, duration, online),
    )
}

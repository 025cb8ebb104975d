//! `/admin/schedules`: scheduled operations, and `/admin/schedule-runs`: what their runs did.

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::audit::{Audit, TargetType};
use crate::domain::rfc3339;
use crate::domain::roles::Role;
use crate::domain::schedules::{self, Draft, Owner, Run, Schedule, Trigger};
use crate::http::auth::Session;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{path_uuid, JsonBody, QueryParams};
use crate::http::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/schedules", get(list).post(create))
        .route("/admin/schedules/{schedule_id}", put(update).delete(cancel))
        .route("/admin/schedules/{schedule_id}/enabled", put(set_enabled))
        .route("/admin/schedules/{schedule_id}/run", post(run_now))
        .route("/admin/schedule-runs", get(runs))
}

/// A schedule as the API answers it (`Schedule::listed`).
fn view(schedule: &Schedule) -> Json<Value> {
    Json(json!(schedule.listed()))
}

/// One step still to come, of a run under way or of a schedule's next occurrence.
#[derive(Serialize)]
struct Upcoming {
    schedule_id: Uuid,
    schedule_name: String,
    #[serde(with = "time::serde::rfc3339")]
    due_at: OffsetDateTime,
    action: schedules::Action,
    description: String,
}

/// Steps listed as upcoming: enough for the overview's next operation and the banner.
const UPCOMING: usize = 20;

async fn list(_: Session, State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let items = state.schedules.list().await?;
    let now = state.world().ban_clock();
    let mut upcoming: Vec<Upcoming> = Vec::new();
    for run in state.schedules.active().await? {
        let from = run.outcomes.len() + usize::from(run.claimed.is_some());
        for index in from..run.steps.len() {
            upcoming.push(Upcoming {
                schedule_id: run.schedule_id,
                schedule_name: run.schedule_name.clone(),
                due_at: run.due_at(index),
                action: run.steps[index].action.clone(),
                description: run.steps[index].action.describe(),
            });
        }
    }
    for s in items.iter().filter(|s| s.enabled) {
        let Some(at) = s.next_at else { continue };
        for step in &s.steps {
            upcoming.push(Upcoming {
                schedule_id: s.id,
                schedule_name: s.name.clone(),
                due_at: at + time::Duration::seconds(step.offset_seconds.into()),
                action: step.action.clone(),
                description: step.action.describe(),
            });
        }
    }
    upcoming.sort_by_key(|u| u.due_at);
    upcoming.truncate(UPCOMING);
    let items: Vec<_> = items.iter().map(Schedule::listed).collect();
    Ok(Json(json!({
        "items": items,
        "upcoming": upcoming,
        "now": rfc3339(now),
        "grace_seconds": schedules::GRACE_SECS,
    })))
}

fn owner(session: &Session) -> Owner {
    Owner {
        id: session.id,
        username: session.username.clone(),
    }
}

fn not_found(id: Uuid) -> ApiError {
    ApiError::NotFound(format!("Schedule {id} not found"))
}

fn audit(action: &'static str, schedule: &Schedule) -> Audit {
    Audit::new(action).on(
        TargetType::Schedule,
        Some(schedule.id.to_string()),
        Some(schedule.name.clone()),
    )
}

/// What a schedule does and when, for its audit entries.
fn plan(s: &Schedule) -> String {
    let when = match &s.when {
        schedules::When::Once { at } => format!("once at {at} {}", s.time_zone),
        schedules::When::Cron { expression } => format!("cron “{expression}” in {}", s.time_zone),
    };
    let steps: Vec<String> = s
        .steps
        .iter()
        .map(|step| format!("{:+} s: {}", step.offset_seconds, step.action.describe()))
        .collect();
    let state = if s.enabled { "enabled" } else { "disabled" };
    format!("“{}”, {state}, {when}; {}", s.name, steps.join("; "))
}

async fn create(
    session: Session,
    State(state): State<AppState>,
    JsonBody(draft): JsonBody<Draft>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let now = state.world().ban_clock();
    let checked = schedules::check(draft, session.role, now)?;
    let schedule = checked.into_schedule(
        crate::domain::accounts::random_id(),
        owner(&session),
        OffsetDateTime::now_utc(),
        1,
        true,
    );
    let entry = state.audit_entry(
        &session.actor(),
        audit("schedule.create", &schedule).detail(plan(&schedule)),
    );
    state.schedules.create(&schedule, entry).await?;
    state.schedule_wake.notify_one();
    Ok((StatusCode::CREATED, view(&schedule)))
}

/// The revision an edit was made from: `If-Match: "3"`; without it, the edit applies to the
/// schedule as it is.
fn expected_revision(headers: &HeaderMap) -> ApiResult<Option<i32>> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|v| v.parse().ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError::field(
                &["header", "If-Match"],
                "Value error, the schedule's revision in quotes, such as \"3\"",
                "value_error",
            )
        })
}

/// The most any step of `schedule` needs: who may run it now, enable it or take it over.
fn needed(schedule: &Schedule) -> Role {
    schedule
        .steps
        .iter()
        .map(|s| s.action.minimum_role())
        .max()
        .unwrap_or(Role::Operator)
}

fn may_run(session: &Session, schedule: &Schedule) -> ApiResult<()> {
    let needed = needed(schedule);
    if session.role < needed {
        return Err(ApiError::Forbidden(format!(
            "This schedule has steps that need the {needed} role; yours is {}",
            session.role
        )));
    }
    Ok(())
}

async fn current(state: &AppState, id: Uuid) -> ApiResult<Schedule> {
    state.schedules.get(id).await?.ok_or_else(|| not_found(id))
}

async fn update(
    session: Session,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(draft): JsonBody<Draft>,
) -> ApiResult<Json<Value>> {
    let id = path_uuid(&id, "schedule_id")?;
    let expected = expected_revision(&headers)?;
    let now = state.world().ban_clock();
    let existing = current(&state, id).await?;
    let checked = schedules::check(draft, session.role, now)?;
    if expected.is_some_and(|e| e != existing.revision) {
        return Err(crate::store::schedules::changed_meanwhile(&existing).into());
    }
    let revision = existing.revision;
    // Whoever saves it last is who it acts for, with their role.
    let mut updated = checked.into_schedule(
        id,
        owner(&session),
        existing.created_at,
        revision + 1,
        existing.enabled,
    );
    // An occurrence that has started is never started again: the edit applies from the
    // next one on (a one-off has none left once started).
    let started = state
        .schedules
        .runs(Some(id), 50)
        .await?
        .into_iter()
        .filter(|r| r.trigger == Trigger::Scheduled)
        .map(|r| r.at)
        .max();
    if let (Some(last), Some(next)) = (started, updated.next_at) {
        if next <= last {
            updated.next_at = schedules::following(&updated, last);
            if updated.next_at.is_none() {
                return Err(ApiError::Conflict(format!(
                    "Its run of {} has started; an edit cannot run it again. Cancel it, or schedule a new one",
                    rfc3339(last)
                )));
            }
        }
    }
    let stamp = state.audit_entry(&session.actor(), Audit::default());
    let after = plan(&updated);
    state
        .schedules
        .replace(&updated, |before| {
            stamp.with(
                audit("schedule.update", &updated)
                    .change(plan(before), after)
                    .detail(format!("revision {}", updated.revision)),
            )
        })
        .await?
        .ok_or_else(|| not_found(id))?;
    state.schedule_wake.notify_one();
    Ok(view(&updated))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Enabled {
    enabled: bool,
}

/// Enables or disables a schedule. Disabling is open to every operator (stopping is always
/// safe); enabling one takes the role its steps need. An enabled schedule whose time has
/// passed while it was off starts at its next occurrence ahead (a one-off has none left).
async fn set_enabled(
    session: Session,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Enabled>,
) -> ApiResult<Json<Value>> {
    let id = path_uuid(&id, "schedule_id")?;
    let existing = current(&state, id).await?;
    if existing.enabled == body.enabled {
        return Ok(view(&existing));
    }
    if body.enabled {
        may_run(&session, &existing)?;
    }
    let now = state.world().ban_clock();
    let mut updated = existing.clone();
    updated.enabled = body.enabled;
    updated.revision += 1;
    updated.updated_at = OffsetDateTime::now_utc();
    if body.enabled {
        let lead = schedules::first_offset(&updated.steps);
        if updated.next_due().is_some_and(|d| d < now) {
            updated.next_at = schedules::following(&updated, now - lead);
        }
    }
    let action = if body.enabled {
        "schedule.enable"
    } else {
        "schedule.disable"
    };
    let stamp = state.audit_entry(&session.actor(), Audit::default());
    let detail = match updated.next_at {
        Some(t) if body.enabled => format!("next at {}", rfc3339(t)),
        None if body.enabled => "no occurrence left".into(),
        _ => "its runs under way go on".into(),
    };
    state
        .schedules
        .replace(&updated, |_| {
            stamp.with(audit(action, &updated).detail(detail))
        })
        .await?
        .ok_or_else(|| not_found(id))?;
    state.schedule_wake.notify_one();
    Ok(view(&updated))
}

async fn cancel(
    session: Session,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = path_uuid(&id, "schedule_id")?;
    let now = state.world().ban_clock();
    let stamp = state.audit_entry(&session.actor(), Audit::default());
    state
        .schedules
        .cancel(id, now, |cancelled| {
            stamp.with(audit("schedule.cancel", cancelled).detail(plan(cancelled)))
        })
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Runs a schedule's steps now, each at its offset from the first (a warning 10 minutes
/// before the pause goes now, the pause in 10 minutes), besides its own times.
async fn run_now(
    session: Session,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<Run>)> {
    let id = path_uuid(&id, "schedule_id")?;
    let schedule = current(&state, id).await?;
    may_run(&session, &schedule)?;
    let now = state.world().ban_clock();
    let at = now - schedules::first_offset(&schedule.steps);
    let mut run = Run::start(&schedule, at, Trigger::Manual, &session.username);
    // The operator runs it: in their name, with their role, from now on.
    run.owner = owner(&session);
    let entry = state.audit_entry(
        &session.actor(),
        audit("schedule.run_now", &schedule).detail(format!("first step at {}", rfc3339(now))),
    );
    let run = state.schedules.add(run, entry).await?;
    // Its first step is due now: taken before the answer, so the operator sees it at once.
    crate::http::schedule_runner::run_due(&state).await?;
    let run = state
        .schedules
        .runs(Some(id), 10)
        .await?
        .into_iter()
        .find(|r| r.id == run.id)
        .unwrap_or(run);
    Ok((StatusCode::CREATED, Json(run)))
}

async fn runs(
    _: Session,
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = QueryParams::parse(query.as_deref())?;
    let schedule = query
        .text("schedule_id")
        .map(|raw| {
            raw.parse::<Uuid>().map_err(|_| {
                ApiError::field(
                    &["query", "schedule_id"],
                    "Input should be a valid UUID",
                    "uuid_parsing",
                )
            })
        })
        .transpose()?;
    let limit = query
        .integer("limit", 1, 100, 20)
        .map_err(|e| ApiError::Validation(vec![e]))?;
    let items = state
        .schedules
        .runs(schedule, usize::try_from(limit).unwrap_or(20))
        .await?;
    Ok(Json(json!({ "items": items })))
}

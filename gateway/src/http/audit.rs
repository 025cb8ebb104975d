//! `/admin/audit` and `/admin/audit/export`: the audit log, filtered, paged stably while new
//! entries arrive (`until_id`), and exported as CSV.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures_util::StreamExt as _;
use serde_json::{json, Value};

use crate::domain::audit::{csv_row, AuditEntry, Filter, CSV_HEADER};
use crate::domain::error::FieldError;
use crate::domain::keyset;
use crate::http::auth::Session;
use crate::http::csv::csv_attachment;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{
    cursor_position, export_too_large, newest_first_page, page, query_datetime, Page, QueryParams,
    MAX_SAFE_INTEGER,
};
use crate::http::state::AppState;
use crate::store::memory::World;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/audit", get(list))
        .route("/admin/audit/export", get(export))
}

/// The most characters of a text filter.
const MAX_FILTER_CHARS: usize = 100;

fn text_filter(query: &QueryParams, name: &str) -> Result<Option<String>, FieldError> {
    match query.text(name) {
        None => Ok(None),
        Some(raw) if raw.chars().count() > MAX_FILTER_CHARS => Err(FieldError::new(
            &["query", name],
            format!("String should have at most {MAX_FILTER_CHARS} characters"),
            "string_too_long",
        )),
        Some(raw) => Ok(Some(raw.to_owned())),
    }
}

/// Reads the filters, adding every bad one to `errors`.
fn parse_filter(query: &QueryParams, errors: &mut Vec<FieldError>) -> Filter {
    let mut keep =
        |r: Result<Option<String>, FieldError>| r.map_err(|e| errors.push(e)).ok().flatten();
    let actor = keep(text_filter(query, "actor")).map(|a| a.to_lowercase());
    let action = keep(text_filter(query, "action"));
    let target = keep(text_filter(query, "target")).map(|t| t.to_lowercase());
    let from = query_datetime(query, "from")
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let to = query_datetime(query, "to")
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            errors.push(FieldError::new(
                &["query", "from"],
                "Value error, from must not be later than to",
                "value_error",
            ));
        }
    }
    let until_id = match query.text("until_id") {
        None => None,
        Some(_) => query
            .integer("until_id", 1, MAX_SAFE_INTEGER, 1)
            .map_err(|e| errors.push(e))
            .ok(),
    };
    Filter {
        actor,
        action,
        target,
        from,
        to,
        until_id,
    }
}

/// The filter of a request, with `until_id` defaulting to the newest entry now; 422 with
/// every bad parameter, the paging ones included when `paged`.
fn request_filter(
    world: &World,
    query: &QueryParams,
    paged: bool,
    cursor_error: Option<&FieldError>,
) -> ApiResult<(Filter, Option<Page>)> {
    let mut errors: Vec<FieldError> = cursor_error.cloned().into_iter().collect();
    let mut filter = parse_filter(query, &mut errors);
    let page = if paged {
        Some(page(query, errors)?)
    } else if errors.is_empty() {
        None
    } else {
        return Err(ApiError::Validation(errors));
    };
    filter.until_id = filter.until_id.or(world.newest_audit_id());
    Ok((filter, page))
}

/// The audit log's one order: newest first, by id.
const ORDER: &str = "audit:id:desc";

/// Newest first, by cursor (or, for old clients, by offset; see the contract).
async fn list(
    _: Session,
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = QueryParams::parse(query.as_deref())?;
    let position = cursor_position(&query, ORDER);
    let accounts = state.account_ids().await?;
    let world = state.world();
    let (filter, page) = request_filter(&world, &query, true, position.as_ref().err())?;
    let page = page.expect("paged");
    let position = position.expect("checked with the filters");
    let matching: Vec<&AuditEntry> = world
        .audit
        .iter()
        .rev()
        .filter(|e| filter.matches(e))
        .collect();
    let window = newest_first_page(matching.len(), |i| matching[i].id, &position, &page)?;
    let mut answer = keyset::fields(ORDER, matching.len(), &window, |i| {
        keyset::id_boundary(matching[i].id)
    });
    let items: Vec<_> = matching[window.range.clone()]
        .iter()
        .map(|e| json!(world.listed(e, &accounts)))
        .collect();
    answer.insert("items".into(), items.into());
    answer.insert("until_id".into(), json!(filter.until_id));
    Ok(Json(Value::Object(answer)))
}

/// Rows written per chunk of a streamed export, each chunk under the world lock.
const EXPORT_CHUNK_ROWS: usize = 1000;

/// The CSV lines of up to `EXPORT_CHUNK_ROWS` matching entries older than `before`, newest
/// first, and the id to continue before (None once the log is through).
fn csv_chunk(world: &World, filter: &Filter, before: u64) -> (String, Option<u64>) {
    let end = world.audit.partition_point(|e| e.id < before);
    let mut text = String::new();
    let mut rows = 0;
    for e in world.audit.range(..end).rev().filter(|e| filter.matches(e)) {
        text.push_str(&csv_row(e));
        text.push_str("\r\n");
        rows += 1;
        if rows == EXPORT_CHUNK_ROWS {
            return (text, Some(e.id));
        }
    }
    (text, None)
}

/// Every filtered entry up to the newest one at the request, newest first, as a CSV download
/// streamed in chunks by id (so the memory it takes does not grow with the log); refused when
/// more rows match than the export cap.
async fn export(
    _: Session,
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let query = QueryParams::parse(query.as_deref())?;
    let cap = state.settings.export_max_rows;
    let filter = {
        let world = state.world();
        let (filter, _) = request_filter(&world, &query, false, None)?;
        let matching = world
            .audit
            .iter()
            .filter(|e| filter.matches(e))
            .take(cap + 1)
            .count();
        if matching > cap {
            return Err(export_too_large("entries", matching, cap));
        }
        Arc::new(filter)
    };
    let header_line = Bytes::from(format!("{CSV_HEADER}\r\n"));
    let chunks = futures_util::stream::unfold(Some(u64::MAX), move |before| {
        let (state, filter) = (state.clone(), Arc::clone(&filter));
        async move {
            let (text, next) = csv_chunk(&state.world(), &filter, before?);
            tokio::task::yield_now().await;
            Some((Ok::<_, Infallible>(Bytes::from(text)), next))
        }
    });
    // Fused: a body layer (compression) may poll once more after the end.
    let body = futures_util::stream::once(async move { Ok::<_, Infallible>(header_line) })
        .chain(chunks)
        .fuse();
    let mut response = Body::from_stream(body).into_response();
    csv_attachment(&mut response, "galaxy-audit");
    Ok(response)
}

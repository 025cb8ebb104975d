//! `/admin/audit` and `/admin/audit/export`: the audit log, filtered, paged stably while new
//! entries arrive (`until_id`), and exported as CSV.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures_util::StreamExt as _;
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::domain::audit::{csv_row, Filter, CSV_HEADER};
use crate::domain::error::FieldError;
use crate::domain::keyset::{self, IdPage};
use crate::domain::rfc3339;
use crate::http::auth::Session;
use crate::http::csv::csv_attachment;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{
    cursor_position, export_too_large, no_offset_with_cursor, page, query_datetime, Page,
    QueryParams, MAX_SAFE_INTEGER,
};
use crate::http::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/audit", get(list))
        .route("/admin/audit/export", get(export))
        .route("/admin/audit/verify", get(verify))
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
async fn request_filter(
    state: &AppState,
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
    if filter.until_id.is_none() {
        filter.until_id = state.audit.newest_id().await?;
    }
    Ok((filter, page))
}

/// The most entries one check of the hash chain reads in PostgreSQL: the newest 100,000, about
/// half a second; the entry before them anchors the check.
const VERIFY_BUDGET: usize = 100_000;

/// Checks the hash chain of the newest entries and says up to which entry it holds, or where
/// it breaks.
async fn verify(_: Session, State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let newest_id = state.audit.newest_id().await?;
    let found = state.audit.verify(VERIFY_BUDGET).await?;
    let mut answer = json!(found);
    answer["newest_id"] = json!(newest_id);
    answer["checked_at"] = json!(rfc3339(OffsetDateTime::now_utc()));
    Ok(Json(answer))
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
    let (filter, page) = request_filter(&state, &query, true, position.as_ref().err()).await?;
    let page = page.expect("paged");
    let position = position.expect("checked with the filters");
    no_offset_with_cursor(&position, page.offset)?;
    let at = IdPage::new(&position, page.offset).map_err(|e| ApiError::Validation(vec![e]))?;
    let found = state.audit.page(&filter, at, page.limit).await?;

    let mut answer = found.fields(ORDER, |e| keyset::id_boundary(e.id));
    let known = state.known_targets(&found.items).await?;
    let world = state.world();
    let items: Vec<_> = found
        .items
        .iter()
        .map(|e| json!(world.listed(e, &known)))
        .collect();
    answer.insert("items".into(), items.into());
    answer.insert("until_id".into(), json!(filter.until_id));
    Ok(Json(Value::Object(answer)))
}

/// Rows read per chunk of a streamed export.
const EXPORT_CHUNK_ROWS: usize = 1000;

/// Every filtered entry up to the newest one at the request, newest first, as a CSV download
/// streamed in chunks by id (so the memory it takes does not grow with the log); refused when
/// more rows match than the export cap. A store that fails mid-stream ends the download short
/// of its rows, which the client sees as a broken transfer, never as a complete file.
async fn export(
    _: Session,
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let query = QueryParams::parse(query.as_deref())?;
    let cap = state.settings.export_max_rows;
    let (filter, _) = request_filter(&state, &query, false, None).await?;
    let matching = state.audit.count_up_to(&filter, cap + 1).await?;
    if matching > cap {
        return Err(export_too_large("entries", matching, cap));
    }
    let filter = Arc::new(filter);
    let header_line = Bytes::from(format!("{CSV_HEADER}\r\n"));
    let chunks = futures_util::stream::unfold(Some(u64::MAX), move |before| {
        let (state, filter) = (state.clone(), Arc::clone(&filter));
        async move {
            let (entries, next) = match state.audit.chunk(&filter, before?, EXPORT_CHUNK_ROWS).await
            {
                Ok(chunk) => chunk,
                Err(e) => {
                    tracing::error!("the audit export stopped: {e}");
                    return Some((Err(std::io::Error::other(e.to_string())), None));
                }
            };
            let mut text = String::with_capacity(entries.len() * 200);
            for e in &entries {
                text.push_str(&csv_row(e));
                text.push_str("\r\n");
            }
            tokio::task::yield_now().await;
            Some((Ok(Bytes::from(text)), next))
        }
    });
    // Fused: a body layer (compression) may poll once more after the end.
    let body = futures_util::stream::once(async move { Ok::<_, std::io::Error>(header_line) })
        .chain(chunks)
        .fuse();
    let mut response = Body::from_stream(body).into_response();
    csv_attachment(&mut response, "galaxy-audit");
    Ok(response)
}

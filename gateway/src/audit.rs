//! `/admin/audit` and `/admin/audit/export`: the audit log, filtered, paged stably while new
//! entries arrive (`until_id`), and exported as CSV; and the optional `reason` of dangerous
//! actions, which their entries keep.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures_util::StreamExt as _;
use serde::Deserialize;
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::admin::rfc3339;
use crate::auth::Session;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::extract::{export_too_large, page, QueryParams, MAX_SAFE_INTEGER};
use crate::keyset;
use crate::state::{AppState, AuditEntry, World};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/audit", get(list))
        .route("/admin/audit/export", get(export))
}

/// The most characters of a reason.
pub const MAX_REASON_CHARS: usize = 500;
/// The most characters of a text filter.
const MAX_FILTER_CHARS: usize = 100;

/// The optional body of pause, resume, snapshot restore and delete, player delete and config
/// reset.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    #[serde(default)]
    pub reason: Option<String>,
}

/// Whether `c` is white space as the contract's patterns mean it (`\\s` of ECMA-262, which
/// JSON Schema's regular expressions are): Unicode's White_Space without U+0085 (NEXT LINE),
/// plus U+FEFF. Rust's `char::is_whitespace` differs in exactly those two, so a schema-valid
/// text of one NEXT LINE would otherwise be refused as blank.
pub fn is_white_space(c: char) -> bool {
    (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}'
}

/// `text` without leading and trailing white space, as the contract means it.
pub fn trim_white_space(text: &str) -> &str {
    text.trim_matches(is_white_space)
}

/// A reason as stored: trimmed, and none when empty; more than 500 characters (as sent) is a
/// 422 at `body.reason`.
pub fn reason(raw: Option<String>) -> Result<Option<String>, FieldError> {
    let Some(raw) = raw else { return Ok(None) };
    if raw.chars().count() > MAX_REASON_CHARS {
        return Err(FieldError::new(
            &["body", "reason"],
            format!("String should have at most {MAX_REASON_CHARS} characters"),
            "string_too_long",
        ));
    }
    let trimmed = trim_white_space(&raw);
    Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
}

/// The reason of an optional `{"reason": ...}` body.
pub fn body_reason(body: Option<ReasonBody>) -> ApiResult<Option<String>> {
    reason(body.and_then(|b| b.reason)).map_err(|e| ApiError::Validation(vec![e]))
}

/// A date-time query parameter (RFC 3339), if present.
pub fn query_datetime(
    query: &QueryParams,
    name: &str,
) -> Result<Option<OffsetDateTime>, FieldError> {
    let Some(raw) = query.text(name) else {
        return Ok(None);
    };
    OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339)
        .map(Some)
        .map_err(|e| {
            FieldError::new(
                &["query", name],
                format!("Input should be a valid datetime, {e}"),
                "datetime_parsing",
            )
        })
}

/// The filters of the listing and the export; every one optional.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// A username, compared case-insensitively (lower case here).
    pub actor: Option<String>,
    /// An action, or a family of them when it has no dot (`config` is every `config.*`).
    pub action: Option<String>,
    /// A case-insensitive substring of the target label or id (lower case here).
    pub target: Option<String>,
    /// Inclusive.
    pub from: Option<OffsetDateTime>,
    /// Exclusive.
    pub to: Option<OffsetDateTime>,
    /// Only entries with this id or a smaller one.
    pub until_id: Option<u64>,
}

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

impl Filter {
    /// Reads the filters, adding every bad one to `errors`.
    pub fn parse(query: &QueryParams, errors: &mut Vec<FieldError>) -> Filter {
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

    pub fn matches(&self, e: &AuditEntry) -> bool {
        if let Some(actor) = &self.actor {
            if e.admin.to_lowercase() != *actor {
                return false;
            }
        }
        if let Some(action) = &self.action {
            let family = !action.contains('.')
                && e.action
                    .strip_prefix(action.as_str())
                    .is_some_and(|rest| rest.starts_with('.'));
            if e.action != action && !family {
                return false;
            }
        }
        if let Some(target) = &self.target {
            let hit = |s: &Option<String>| {
                s.as_deref()
                    .is_some_and(|s| s.to_lowercase().contains(target.as_str()))
            };
            if !hit(&e.target) && !hit(&e.target_id) {
                return false;
            }
        }
        if self.from.is_some_and(|from| e.at < from) || self.to.is_some_and(|to| e.at >= to) {
            return false;
        }
        self.until_id.is_none_or(|until| e.id <= until)
    }
}

/// The filter of a request, with `until_id` defaulting to the newest entry now; 422 with
/// every bad parameter, the paging ones included when `paged`.
fn request_filter(
    world: &World,
    query: &QueryParams,
    paged: bool,
    cursor_error: Option<&FieldError>,
) -> ApiResult<(Filter, Option<crate::extract::Page>)> {
    let mut errors: Vec<FieldError> = cursor_error.cloned().into_iter().collect();
    let mut filter = Filter::parse(query, &mut errors);
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
    let position = keyset::position(&query, ORDER);
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
    let window = keyset::newest_first(
        matching.len(),
        |i| matching[i].id,
        &position,
        page.offset,
        page.limit,
    )?;
    let mut answer = keyset::fields(ORDER, matching.len(), &window, |i| {
        keyset::id_boundary(matching[i].id)
    });
    let items: Vec<_> = matching[window.range.clone()]
        .iter()
        .map(|e| json!(world.listed(e)))
        .collect();
    answer.insert("items".into(), items.into());
    answer.insert("until_id".into(), json!(filter.until_id));
    Ok(Json(Value::Object(answer)))
}

/// The CSV columns, in order.
pub const CSV_HEADER: &str =
    "id,at,admin,admin_id,role,action,target_type,target_id,target,before,after,reason,tick,detail";

/// One CSV cell: a value a spreadsheet would run as a formula (starting with `=`, `+`, `-`,
/// `@`, a tab or a carriage return) gets a leading `'`, then RFC 4180 quoting where needed.
pub fn csv_cell(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if guarded.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

fn csv_row(e: &AuditEntry) -> String {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let enum_text = |v: Value| v.as_str().unwrap_or("").to_owned();
    let cells = [
        e.id.to_string(),
        rfc3339(e.at),
        e.admin.clone(),
        e.admin_id.map(|id| id.to_string()).unwrap_or_default(),
        e.role.map(|r| r.as_str().to_owned()).unwrap_or_default(),
        e.action.to_owned(),
        enum_text(json!(e.target_type)),
        text(&e.target_id),
        text(&e.target),
        text(&e.before),
        text(&e.after),
        text(&e.reason),
        e.tick.to_string(),
        text(&e.detail),
    ];
    cells
        .iter()
        .map(|c| csv_cell(c))
        .collect::<Vec<_>>()
        .join(",")
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

/// Makes `response` a CSV download named `<prefix>-<YYYYMMDDTHHMMSSZ>.csv` (UTC, now).
pub fn csv_attachment(response: &mut Response, prefix: &str) {
    let stamp = OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .expect("UTC times always format");
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{prefix}-{stamp}.csv\""))
            .expect("ASCII"),
    );
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_as_rfc_4180_and_formulas_are_defused() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell(""), "");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_cell("=1+1"), "'=1+1");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-2.5"), "'-2.5");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell("\rx"), "\"'\rx\"");
        assert_eq!(
            csv_cell("=HYPERLINK(\"x\",1)"),
            "\"'=HYPERLINK(\"\"x\"\",1)\""
        );
        assert_eq!(csv_cell("a=b"), "a=b");
    }

    #[test]
    fn white_space_is_what_ecma_262_says_it_is() {
        // WhiteSpace and LineTerminator of ECMA-262 (`\s` in the contract's patterns); the
        // space separators (Zs) listed from Unicode 15.
        let mut ecma = vec![
            '\t', '\u{b}', '\u{c}', ' ', '\u{a0}', '\u{feff}', '\u{1680}', '\u{202f}', '\u{205f}',
            '\u{3000}', '\n', '\r', '\u{2028}', '\u{2029}',
        ];
        ecma.extend('\u{2000}'..='\u{200a}');
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            assert_eq!(is_white_space(c), ecma.contains(&c), "U+{:04X}", c as u32);
        }
        assert_eq!(trim_white_space("\u{85}"), "\u{85}", "NEXT LINE is text");
        assert_eq!(trim_white_space("\u{feff} x\u{3000}"), "x");
    }

    #[test]
    fn reasons_are_trimmed_empty_is_none_and_long_is_refused() {
        assert_eq!(reason(None).unwrap(), None);
        assert_eq!(reason(Some("   ".into())).unwrap(), None);
        assert_eq!(
            reason(Some("  lag spike ".into())).unwrap().as_deref(),
            Some("lag spike")
        );
        assert!(reason(Some("é".repeat(500))).is_ok());
        let e = reason(Some("x".repeat(501))).unwrap_err();
        assert_eq!(e.kind, "string_too_long");
    }

    fn entry(id: u64, admin: &str, action: &'static str, target: Option<&str>) -> AuditEntry {
        AuditEntry {
            id,
            at: OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(id as i64),
            tick: 0,
            admin: admin.into(),
            admin_id: None,
            role: None,
            action,
            target_type: None,
            target_id: target.map(str::to_owned),
            target: target.map(|t| format!("label {t}")),
            before: None,
            after: None,
            reason: None,
            detail: None,
        }
    }

    #[test]
    fn filters_match_actor_action_family_target_and_time() {
        let e = entry(5, "Alice", "config.update", Some("tick_rate"));
        let f = |filter: Filter| filter.matches(&e);
        assert!(f(Filter::default()));
        assert!(f(Filter {
            actor: Some("alice".into()),
            ..Filter::default()
        }));
        assert!(!f(Filter {
            actor: Some("ali".into()),
            ..Filter::default()
        }));
        for (action, hit) in [
            ("config", true),
            ("config.update", true),
            ("config.reset", false),
            ("conf", false),
            ("config.", false),
        ] {
            assert_eq!(
                f(Filter {
                    action: Some(action.into()),
                    ..Filter::default()
                }),
                hit,
                "{action}"
            );
        }
        assert!(f(Filter {
            target: Some("tick".into()),
            ..Filter::default()
        }));
        assert!(f(Filter {
            target: Some("label t".into()),
            ..Filter::default()
        }));
        let at = e.at;
        assert!(f(Filter {
            from: Some(at),
            to: Some(at + time::Duration::SECOND),
            ..Filter::default()
        }));
        assert!(!f(Filter {
            to: Some(at),
            ..Filter::default()
        }));
        assert!(f(Filter {
            until_id: Some(5),
            ..Filter::default()
        }));
        assert!(!f(Filter {
            until_id: Some(4),
            ..Filter::default()
        }));
    }
}

//! Request parsing that fails with FastAPI-shaped 422s instead of axum's plain-text 400s.

use std::collections::HashMap;
use std::num::IntErrorKind;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::audit::reason;
use crate::domain::error::FieldError;
use crate::domain::keyset::{self, Position};
use crate::http::error::{ApiError, ApiResult};
use crate::http::state::AppState;

/// A JSON request body.
pub struct JsonBody<T>(pub T);

/// The request's body, or a 422 at `body` when it cannot be read.
async fn body_bytes(req: Request, state: &AppState) -> ApiResult<Bytes> {
    Bytes::from_request(req, state).await.map_err(|_| {
        ApiError::field(
            &["body"],
            "Could not read the request body",
            "body_read_error",
        )
    })
}

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let bytes = body_bytes(req, state).await?;
        if bytes.is_empty() {
            return Err(ApiError::field(&["body"], "Field required", "missing"));
        }
        parse_json(&bytes).map(JsonBody)
    }
}

/// A JSON request body that may be absent: no body at all is `None`, so requests that never
/// sent one keep working; a body that is there must be valid.
pub struct OptionalJsonBody<T>(pub Option<T>);

impl<T: DeserializeOwned> FromRequest<AppState> for OptionalJsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let bytes = body_bytes(req, state).await?;
        if bytes.is_empty() {
            return Ok(OptionalJsonBody(None));
        }
        parse_json(&bytes).map(|v| OptionalJsonBody(Some(v)))
    }
}

/// 422 for an export of more rows than the cap, with the count (at least `cap + 1`).
pub fn export_too_large(what: &str, matching: usize, cap: usize) -> ApiError {
    let count = if matching > cap {
        format!("More than {cap}")
    } else {
        matching.to_string()
    };
    ApiError::field(
        &["query"],
        format!("{count} {what} match; an export holds at most {cap}: narrow the filters"),
        "export_too_large",
    )
}

/// The header a DELETE's reason travels in: percent-encoded UTF-8, as in Discord's API. Some
/// proxies drop or refuse a DELETE's body, which would lose the reason without a word.
pub const REASON_HEADER: &str = "x-audit-log-reason";

/// Whether `text` is RFC 3986 percent-encoding: unreserved characters and `%XX` only, as the
/// contract's pattern has it (so "50% off" cannot be read two ways).
fn percent_encoded(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => i += 1,
            b'%' if bytes.len() > i + 2
                && bytes[i + 1].is_ascii_hexdigit()
                && bytes[i + 2].is_ascii_hexdigit() =>
            {
                i += 3
            }
            _ => return false,
        }
    }
    true
}

/// The operator's reason for a DELETE, from [`REASON_HEADER`]; a DELETE with a body is
/// refused, so a client that still sends its reason there learns it at once instead of
/// losing it behind a proxy that drops the body.
pub struct HeaderReason(pub Option<String>);

impl FromRequest<AppState> for HeaderReason {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let loc = ["header", REASON_HEADER];
        let raw = match req.headers().get(REASON_HEADER) {
            None => None,
            Some(value) => {
                let ascii = value
                    .to_str()
                    .ok()
                    .filter(|v| percent_encoded(v))
                    .ok_or_else(|| {
                        ApiError::field(&loc, "Must be percent-encoded UTF-8", "reason_encoding")
                    })?;
                let text = percent_encoding::percent_decode_str(ascii)
                    .decode_utf8()
                    .map_err(|_| {
                        ApiError::field(&loc, "Must be percent-encoded UTF-8", "reason_encoding")
                    })?;
                Some(text.into_owned())
            }
        };
        let body = body_bytes(req, state).await?;
        if !body.is_empty() {
            return Err(ApiError::field(
                &["body"],
                "A DELETE carries no body: send its reason in the X-Audit-Log-Reason header",
                "body_not_allowed",
            ));
        }
        reason(raw).map(HeaderReason).map_err(|mut e| {
            e.loc = loc.iter().map(|s| (*s).into()).collect();
            ApiError::Validation(vec![e])
        })
    }
}

/// Every request body of the API is a JSON object; serde would also read a struct from an
/// array of its fields, which FastAPI (pydantic) refuses, so this does too.
fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let invalid = |e: serde_json::Error| {
        let kind = if e.is_syntax() || e.is_eof() {
            "json_invalid"
        } else {
            "model_attributes_type"
        };
        ApiError::field(&["body"], e.to_string(), kind)
    };
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(invalid)?;
    if !value.is_object() {
        return Err(ApiError::field(
            &["body"],
            "Input should be a valid dictionary or object to extract fields from",
            "model_attributes_type",
        ));
    }
    serde_json::from_value(value).map_err(invalid)
}

/// Query parameters, last value wins as in FastAPI.
pub struct QueryParams(HashMap<String, String>);

impl QueryParams {
    pub fn parse(raw: Option<&str>) -> ApiResult<Self> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
            .map_err(|_| ApiError::field(&["query"], "Malformed query string", "query_invalid"))?;
        Ok(Self(pairs.into_iter().collect()))
    }

    pub fn text(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub fn integer(&self, name: &str, min: u64, max: u64, default: u64) -> Result<u64, FieldError> {
        let Some(raw) = self.text(name) else {
            return Ok(default);
        };
        let value: u64 = raw.parse().map_err(|_| {
            FieldError::new(
                &["query", name],
                "Input should be a valid integer",
                "int_parsing",
            )
        })?;
        if value < min {
            return Err(FieldError::new(
                &["query", name],
                format!("Input should be greater than or equal to {min}"),
                "greater_than_equal",
            ));
        }
        if value > max {
            return Err(FieldError::new(
                &["query", name],
                format!("Input should be less than or equal to {max}"),
                "less_than_equal",
            ));
        }
        Ok(value)
    }

    pub fn choice<'a>(
        &self,
        name: &str,
        allowed: &[&'a str],
        default: &'a str,
    ) -> Result<&'a str, FieldError> {
        match self.text(name) {
            None => Ok(default),
            Some(raw) => allowed.iter().copied().find(|a| *a == raw).ok_or_else(|| {
                FieldError::new(
                    &["query", name],
                    format!(
                        "Input should be {}",
                        allowed
                            .iter()
                            .map(|a| format!("'{a}'"))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    ),
                    "enum",
                )
            }),
        }
    }
}

pub struct Page {
    pub limit: usize,
    pub offset: usize,
}

pub const MAX_LIMIT: u64 = 200;
pub const DEFAULT_LIMIT: u64 = 50;
/// The largest integer a browser's JSON numbers hold exactly (2^53 - 1).
pub const MAX_SAFE_INTEGER: u64 = 9_007_199_254_740_991;

/// `limit` (1 to 200, default 50) and `offset` (0 or more), reporting every bad value at once.
pub fn page(query: &QueryParams, mut errors: Vec<FieldError>) -> ApiResult<Page> {
    let limit = query
        .integer("limit", 1, MAX_LIMIT, DEFAULT_LIMIT)
        .map_err(|e| errors.push(e))
        .ok();
    let offset = query
        .integer("offset", 0, MAX_SAFE_INTEGER, 0)
        .map_err(|e| errors.push(e))
        .ok();
    match (limit, offset) {
        (Some(limit), Some(offset)) if errors.is_empty() => Ok(Page {
            limit: limit as usize,
            offset: offset as usize,
        }),
        _ => Err(ApiError::Validation(errors)),
    }
}

/// An integer path parameter within `min..=max`, failing as FastAPI (pydantic) does.
pub fn path_int(raw: &str, name: &str, min: i64, max: i64) -> ApiResult<i64> {
    let loc = ["path", name];
    let too_small = || {
        ApiError::field(
            &loc,
            format!("Input should be greater than or equal to {min}"),
            "greater_than_equal",
        )
    };
    let too_big = || {
        ApiError::field(
            &loc,
            format!("Input should be less than or equal to {max}"),
            "less_than_equal",
        )
    };
    match raw.parse::<i64>() {
        Ok(n) if n < min => Err(too_small()),
        Ok(n) if n > max => Err(too_big()),
        Ok(n) => Ok(n),
        // A well-formed integer beyond i64 is still just out of range.
        Err(e) if *e.kind() == IntErrorKind::PosOverflow => Err(too_big()),
        Err(e) if *e.kind() == IntErrorKind::NegOverflow => Err(too_small()),
        Err(_) => Err(ApiError::field(
            &loc,
            "Input should be a valid integer, unable to parse string as an integer",
            "int_parsing",
        )),
    }
}

/// A UUID path parameter, in any form pydantic accepts (hyphenated, simple, braced, URN);
/// pydantic parses with this same crate, so the reason after the prefix reads alike.
pub fn path_uuid(raw: &str, name: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(raw).map_err(|e| {
        ApiError::field(
            &["path", name],
            format!("Input should be a valid UUID, {e}"),
            "uuid_parsing",
        )
    })
}

/// The optional body of pause, resume, snapshot restore and delete, player delete and config
/// reset.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    #[serde(default)]
    pub reason: Option<String>,
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

/// The page the `cursor` query parameter asks for in the list ordered by `order` (see
/// [`keyset::decode_position`]).
pub fn cursor_position(query: &QueryParams, order: &str) -> Result<Position, FieldError> {
    keyset::decode_position(query.text("cursor"), order)
}

/// A cursor places the page itself: an offset with it is refused, not silently ignored.
pub fn no_offset_with_cursor(position: &Position, offset: usize) -> Result<(), ApiError> {
    if offset > 0 && *position != Position::First {
        return Err(ApiError::field(
            &["query", "offset"],
            "An offset cannot be combined with a cursor",
            "offset_with_cursor",
        ));
    }
    Ok(())
}

/// The page of a list ordered newest first by id (the audit log, snapshots): by cursor, or
/// by offset for clients that page by number.
pub fn newest_first_page(
    len: usize,
    id_of: impl Fn(usize) -> u64,
    position: &Position,
    page: &Page,
) -> ApiResult<keyset::Window> {
    no_offset_with_cursor(position, page.offset)?;
    if *position == Position::First && page.offset > 0 {
        return Ok(keyset::offset_window(len, page.offset, page.limit));
    }
    keyset::newest_first(len, id_of, position, page.limit)
        .map_err(|e| ApiError::Validation(vec![e]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_defaults_and_bounds() {
        let p = page(&QueryParams::parse(None).unwrap(), vec![]).unwrap();
        assert_eq!((p.limit, p.offset), (50, 0));
        let p = page(
            &QueryParams::parse(Some("limit=200&offset=7")).unwrap(),
            vec![],
        )
        .unwrap();
        assert_eq!((p.limit, p.offset), (200, 7));
        for bad in ["limit=0", "limit=201", "limit=x", "offset=-1", "limit=1.5"] {
            assert!(
                page(&QueryParams::parse(Some(bad)).unwrap(), vec![]).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn all_bad_values_are_reported_together() {
        let q = QueryParams::parse(Some("limit=0&offset=x")).unwrap();
        match page(&q, vec![]) {
            Err(ApiError::Validation(errors)) => assert_eq!(errors.len(), 2),
            _ => panic!("expected a validation error"),
        }
    }

    fn field_error(result: ApiResult<impl std::fmt::Debug>) -> FieldError {
        match result {
            Err(ApiError::Validation(mut errors)) => errors.remove(0),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn integer_path_parameters_are_parsed_and_bounded() {
        let max = i64::from(i32::MAX);
        assert_eq!(path_int("7", "snapshot_id", 1, max).unwrap(), 7);
        assert_eq!(path_int("2147483647", "snapshot_id", 1, max).unwrap(), max);
        for (raw, kind) in [
            ("0", "greater_than_equal"),
            ("-5", "greater_than_equal"),
            ("-99999999999999999999", "greater_than_equal"),
            ("2147483648", "less_than_equal"),
            ("99999999999999999999", "less_than_equal"),
            ("abc", "int_parsing"),
            ("1.5", "int_parsing"),
            ("", "int_parsing"),
        ] {
            let e = field_error(path_int(raw, "snapshot_id", 1, max));
            assert_eq!(e.kind, kind, "{raw}");
            assert_eq!(
                e.loc,
                [serde_json::json!("path"), serde_json::json!("snapshot_id")]
            );
        }
    }

    #[test]
    fn uuid_path_parameters_fail_as_pydantic_does() {
        let id = "0f8fad5b-d9cb-469f-a165-70867728950e";
        assert_eq!(path_uuid(id, "player_id").unwrap().to_string(), id);
        let e = field_error(path_uuid("42", "player_id"));
        assert_eq!(e.kind, "uuid_parsing");
        assert!(
            e.msg.starts_with("Input should be a valid UUID, "),
            "{}",
            e.msg
        );
        assert_eq!(
            e.loc,
            [serde_json::json!("path"), serde_json::json!("player_id")]
        );
        let e = field_error(path_uuid(
            "0f8fad5b-d9cb-469f-a165-70867728950x",
            "player_id",
        ));
        assert!(e.msg.contains("invalid character"), "{}", e.msg);
    }

    #[test]
    fn choice_rejects_unknown_values() {
        let q = QueryParams::parse(Some("sort=email")).unwrap();
        assert!(q
            .choice("sort", &["username", "created_at"], "username")
            .is_err());
        assert_eq!(q.choice("order", &["asc", "desc"], "asc").unwrap(), "asc");
    }

    #[test]
    fn cursors_round_trip_and_belong_to_their_order() {
        use crate::domain::keyset::{cursor, Boundary, Direction};
        let b = Boundary {
            key: 3.into(),
            id: "c".to_owned(),
        };
        let text = cursor("username:asc", Direction::After, b.clone());
        assert!(text
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        let query = |raw: &str| QueryParams::parse(Some(&format!("cursor={raw}"))).unwrap();
        assert_eq!(
            cursor_position(&query(&text), "username:asc").unwrap(),
            Position::Next(b)
        );
        assert!(cursor_position(&query(&text), "username:desc").is_err());
        assert!(cursor_position(&query("bm90LWEtY3Vyc29y"), "username:asc").is_err());
        assert!(cursor_position(&query("!!!"), "username:asc").is_err());
        assert_eq!(
            cursor_position(&query("last"), "x").unwrap(),
            Position::Last
        );
        assert_eq!(
            cursor_position(&QueryParams::parse(None).unwrap(), "x").unwrap(),
            Position::First
        );
    }
}

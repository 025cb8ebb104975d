//! Every way a call to the gateway can fail, mapped from the FastAPI error
//! shapes into messages an operator can act on.

use crate::infra::json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct FieldIssue {
    /// The last element of FastAPI's `loc`, for example `value`.
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// 401: no session, or it expired.
    Unauthorized(String),
    /// 429, with the seconds to wait and what the gateway said was limited.
    RateLimited {
        retry_after_secs: u32,
        detail: Option<String>,
    },
    /// 422 with FastAPI's list of field errors.
    Validation(Vec<FieldIssue>),
    /// 412: someone changed the resource since it was loaded; `current` is its
    /// state now, as the gateway sent it (null if it sent none).
    Stale { detail: String, current: Value },
    /// Any other error status, with the server's `detail`.
    Status { status: u16, detail: String },
    /// The request never got an answer: DNS, TLS, CORS, refused or dropped connection.
    Unreachable,
    /// No answer within the time limit.
    Timeout,
    /// An answer that is not the JSON the contract promises.
    Malformed(String),
    /// Given up by the dashboard: its page was left, or a newer request replaced it.
    Aborted,
    /// An export arrived, but the browser refused to save it.
    NotSaved,
    /// A dangerous action the gateway asked the operator to confirm, and they did not.
    NotConfirmed,
    /// The browser's own refusal on the way (a passkey's prompt), in the operator's words.
    Browser(String),
}

impl ApiError {
    /// Whether this means the gateway itself is down or failing, as opposed to refusing this request.
    pub fn is_outage(&self) -> bool {
        matches!(self, ApiError::Unreachable | ApiError::Timeout)
            || matches!(self, ApiError::Status { status, .. } if *status >= 500)
    }

    /// What the one "gateway unavailable" banner says while this error lasts.
    pub fn outage_message(&self) -> String {
        match self {
            ApiError::Unreachable => {
                "Cannot reach the Galaxy gateway. Check your connection or VPN.".to_owned()
            }
            ApiError::Timeout => "The Galaxy gateway is not answering.".to_owned(),
            ApiError::Status { status, .. } => {
                format!("The Galaxy gateway is unavailable (HTTP {status}).")
            }
            other => other.message(),
        }
    }

    pub fn message(&self) -> String {
        match self {
            ApiError::Unauthorized(detail) => detail.clone(),
            ApiError::RateLimited {
                retry_after_secs,
                detail,
            } => detail.clone().unwrap_or_else(|| {
                format!("Too many attempts. Try again in {retry_after_secs} s.")
            }),
            ApiError::Validation(issues) => issues
                .iter()
                .map(|i| {
                    if i.field.is_empty() {
                        i.message.clone()
                    } else {
                        format!("{}: {}", i.field, i.message)
                    }
                })
                .collect::<Vec<_>>()
                .join("; "),
            ApiError::Stale { detail, .. } => detail.clone(),
            ApiError::Status { status, detail } => format!("{detail} (HTTP {status})"),
            ApiError::Unreachable => {
                "Cannot reach the Galaxy gateway. Check your connection or VPN.".to_owned()
            }
            ApiError::Timeout => "The Galaxy gateway did not answer in time.".to_owned(),
            ApiError::Malformed(what) => {
                format!("The gateway sent a response the dashboard cannot read ({what}).")
            }
            ApiError::Aborted => "The request was cancelled.".to_owned(),
            ApiError::NotSaved => "The browser refused to save the file.".to_owned(),
            ApiError::NotConfirmed => "Not done: it was not confirmed.".to_owned(),
            ApiError::Browser(said) => said.clone(),
        }
    }
}

fn field_issues(list: &[Value]) -> Vec<FieldIssue> {
    list.iter()
        .map(|entry| FieldIssue {
            field: entry["loc"]
                .as_array()
                .and_then(|loc| loc.last())
                .map(|last| match last {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .unwrap_or_default(),
            message: entry["msg"].as_str().unwrap_or("Invalid value").to_owned(),
        })
        .collect()
}

/// Maps an error response (status outside 2xx) to an `ApiError`.
pub fn from_response(status: u16, body: &str, retry_after: Option<&str>) -> ApiError {
    let json: Option<Value> = Value::parse(body).ok();
    let detail = json.as_ref().map(|j| &j["detail"]);
    let text_detail = detail.and_then(Value::as_str).map(str::to_owned);
    match (status, detail) {
        (401, _) => {
            ApiError::Unauthorized(text_detail.unwrap_or_else(|| "Not authenticated".to_owned()))
        }
        (429, _) => ApiError::RateLimited {
            retry_after_secs: retry_after
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(60)
                .clamp(1, 3600),
            detail: text_detail,
        },
        (412, _) => ApiError::Stale {
            detail: text_detail
                .unwrap_or_else(|| "Changed by someone else since you loaded it".to_owned()),
            current: json
                .as_ref()
                .map(|j| j["current"].clone())
                .unwrap_or_default(),
        },
        (_, Some(Value::Array(list))) if !list.is_empty() => {
            ApiError::Validation(field_issues(list))
        }
        _ => ApiError::Status {
            status,
            detail: text_detail.unwrap_or_else(|| default_detail(status).to_owned()),
        },
    }
}

fn default_detail(status: u16) -> &'static str {
    match status {
        400 => "Bad request",
        403 => "Forbidden",
        404 => "Not found",
        409 => "Conflict",
        422 => "Invalid request",
        502..=504 => "The Galaxy gateway is unavailable",
        s if s >= 500 => "The Galaxy gateway failed",
        _ => "Unexpected response",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_detail_becomes_the_message() {
        let e = from_response(
            409,
            r#"{"detail":"Pause the game before restoring a snapshot"}"#,
            None,
        );
        assert_eq!(
            e,
            ApiError::Status {
                status: 409,
                detail: "Pause the game before restoring a snapshot".into()
            }
        );
        assert_eq!(
            e.message(),
            "Pause the game before restoring a snapshot (HTTP 409)"
        );
        assert!(!e.is_outage());
    }

    #[test]
    fn validation_list_is_kept_per_field() {
        let body = r#"{"detail":[{"loc":["body","value"],"msg":"Input should be less than or equal to 100","type":"less_than_equal"}]}"#;
        let e = from_response(422, body, None);
        let expected = vec![FieldIssue {
            field: "value".into(),
            message: "Input should be less than or equal to 100".into(),
        }];
        assert_eq!(e, ApiError::Validation(expected));
        assert_eq!(
            e.message(),
            "value: Input should be less than or equal to 100"
        );
    }

    #[test]
    fn rate_limit_reads_retry_after() {
        assert_eq!(
            from_response(429, "{}", Some("17")),
            ApiError::RateLimited {
                retry_after_secs: 17,
                detail: None
            }
        );
        assert_eq!(
            from_response(429, "", Some("soon")),
            ApiError::RateLimited {
                retry_after_secs: 60,
                detail: None
            }
        );
        let limited = from_response(
            429,
            r#"{"detail": "Five a minute; send this one in 9 s"}"#,
            Some("9"),
        );
        assert_eq!(limited.message(), "Five a minute; send this one in 9 s");
    }

    #[test]
    fn precondition_failed_carries_the_current_state() {
        let body = r#"{"detail":"tick_rate was changed by someone else since you loaded it","current":{"key":"tick_rate","value":5}}"#;
        match from_response(412, body, None) {
            ApiError::Stale { detail, current } => {
                assert_eq!(
                    detail,
                    "tick_rate was changed by someone else since you loaded it"
                );
                assert_eq!(current["value"].as_u64(), Some(5));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            from_response(412, "", None),
            ApiError::Stale {
                current: Value::Null,
                ..
            }
        ));
    }

    #[test]
    fn unauthorized_and_server_errors() {
        assert_eq!(
            from_response(401, r#"{"detail":"Token expired"}"#, None),
            ApiError::Unauthorized("Token expired".into())
        );
        let e = from_response(502, "<html>Bad gateway</html>", None);
        assert!(e.is_outage());
        assert_eq!(e.message(), "The Galaxy gateway is unavailable (HTTP 502)");
        assert!(ApiError::Unreachable.is_outage() && ApiError::Timeout.is_outage());
        let injected = from_response(500, r#"{"detail":"Injected fault"}"#, None);
        assert_eq!(
            injected.outage_message(),
            "The Galaxy gateway is unavailable (HTTP 500)."
        );
    }
}

//! How a domain rule refuses: in the terms of the rule, not of HTTP. The HTTP layer answers
//! each with the status and body the contract gives it (`http::error`), and a PostgreSQL
//! store can return the same refusals from its own checks.

use serde::Serialize;
use serde_json::Value;

/// One entry of a FastAPI 422 `detail` list.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FieldError {
    pub loc: Vec<Value>,
    pub msg: String,
    #[serde(rename = "type")]
    pub kind: String,
}

impl FieldError {
    pub fn new(loc: &[&str], msg: impl Into<String>, kind: &str) -> Self {
        Self {
            loc: loc.iter().map(|s| Value::from(*s)).collect(),
            msg: msg.into(),
            kind: kind.to_owned(),
        }
    }
}

/// Why a domain rule refused a change.
#[derive(Debug)]
pub enum Rejected {
    /// The input breaks the rules of its fields.
    Invalid(Vec<FieldError>),
    /// What the change names does not exist.
    NotFound(String),
    /// The change would break a rule about the state as it is, such as keeping an admin.
    Conflict(String),
    /// The acting account may no longer do this: it was demoted, disabled or deleted after its
    /// request was let in (by another request, possibly through another replica).
    SessionEnded,
    /// The caller saw a version of the thing that is no longer current (a stale `If-Match`).
    ChangedMeanwhile {
        detail: String,
        /// The thing's entity tag now.
        etag: String,
        /// The thing now, so the caller can show what changed.
        current: Value,
    },
}

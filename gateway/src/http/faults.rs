//! Fault injection for the dev controls: the next N requests under a path
//! prefix fail, stall, answer garbage or lose their connection.

use axum::http::{Method, StatusCode};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// Relative to the API base, for example `/admin/game/status`.
    pub path_prefix: String,
    #[serde(default = "one")]
    pub count: u32,
    /// Only this method, if given.
    pub method: Option<String>,
    /// Answer with this status instead of the real response.
    pub status: Option<u16>,
    /// JSON body to answer with (with `status`); defaults to `{"detail": "Injected fault"}`.
    pub body: Option<Value>,
    /// Wait this long first.
    #[serde(default)]
    pub delay_ms: u64,
    /// Answer 200 with a truncated JSON body.
    #[serde(default)]
    pub malformed: bool,
    /// Abort the connection.
    #[serde(default)]
    pub drop: bool,
}

fn one() -> u32 {
    1
}

impl Fault {
    pub fn validate(&self) -> Result<(), String> {
        if !self.path_prefix.starts_with('/') {
            return Err("path_prefix must start with '/'".into());
        }
        if let Some(status) = self.status {
            StatusCode::from_u16(status).map_err(|_| format!("invalid status {status}"))?;
        }
        if self.count == 0 {
            return Err("count must be at least 1".into());
        }
        Ok(())
    }

    fn matches(&self, method: &Method, path: &str) -> bool {
        path.starts_with(&self.path_prefix)
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method.as_str()))
    }
}

/// Takes one use of the first fault in `faults` matching the request, if any.
pub fn take(faults: &mut Vec<Fault>, method: &Method, path: &str) -> Option<Fault> {
    let index = faults.iter().position(|f| f.matches(method, path))?;
    let fault = &mut faults[index];
    fault.count -= 1;
    let taken = fault.clone();
    if fault.count == 0 {
        faults.remove(index);
    }
    Some(taken)
}

//! The game's services as the console lists them, and the versions they start with.

use serde::Serialize;
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceStatus {
    Ready,
    NotReady,
    Unknown,
}

#[derive(Debug, Clone, Serialize)]
pub struct Service {
    pub name: &'static str,
    pub version: String,
    pub status: ServiceStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub checked_at: OffsetDateTime,
}

pub const GATEWAY_SERVICE: &str = "api_gateway";

/// What each service reports at start-up, until a deploy (a dev control) changes it.
pub const INITIAL_VERSIONS: &[(&str, &str)] = &[
    (GATEWAY_SERVICE, "1.4.0"),
    ("physics", "1.2.0"),
    ("tick_engine", "1.3.1"),
    ("players", "1.1.0"),
    ("galaxy", "1.0.2"),
    ("web_client", "1.5.0"),
];

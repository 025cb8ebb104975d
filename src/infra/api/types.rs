//! The gateway's JSON, as described in `api/openapi.yaml`, with Galaxy's own
//! types: UUIDs stay opaque strings, BIGINT ticks are u64 (serde_json reads
//! integers exactly, never through an f64).

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Token {
    pub access_token: String,
    pub expires_in: u64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct GameStatus {
    pub tick: u64,
    pub game_time: String,
    pub tick_rate: f64,
    pub actual_rate: f64,
    pub paused: bool,
    pub ticks_behind: u64,
}

/// One page of a paginated list.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
}

/// An unpaginated list.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Items<T> {
    pub items: Vec<T>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ConfigItem {
    pub key: String,
    pub value: serde_json::Value,
    pub default: serde_json::Value,
    pub description: String,
    pub updated_at: Option<String>,
    /// The entity tag a change sends back as If-Match.
    pub etag: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Snapshot {
    /// SERIAL.
    pub id: u32,
    pub tick_number: u64,
    pub game_time: String,
    pub created_at: String,
    pub size_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Player {
    /// UUID.
    pub id: String,
    pub username: String,
    /// UUID.
    pub ship_id: String,
    pub created_at: String,
    pub online: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Service {
    pub name: String,
    pub version: String,
    pub status: String,
    pub checked_at: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AuditEntry {
    pub at: String,
    pub admin: String,
    pub action: String,
    pub target: Option<String>,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Readiness {
    pub status: String,
    pub version: Option<String>,
}

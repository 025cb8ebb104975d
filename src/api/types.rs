//! The gateway's JSON, as described in `api/openapi.yaml`.

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

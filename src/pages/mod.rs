//! One module per area of the console; an area's folder holds its own logic.

pub mod accounts;
pub mod api_keys;
pub mod audit;
pub mod config_error;
pub mod deploy;
pub mod login;
pub mod not_found;
pub mod overview;
pub mod passkeys;
pub mod password;
pub mod players;
pub mod runtime_config;
pub mod schedules;
pub mod services;
pub mod sessions;
pub mod snapshots;
pub mod two_step;

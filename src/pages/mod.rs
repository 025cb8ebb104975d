pub mod config_error;
pub mod login;
pub mod not_found;
pub mod overview;

//! What every page stands on: the gateway client, the session, the settings
//! from config.js, timers and mutations, the panic hook.

pub mod api;
pub mod confirmation;
pub mod draft;
pub mod json;
pub mod loader;
pub mod mutation;
pub mod panic;
pub mod polling;
pub mod session;
pub mod settings;
pub mod time;
pub mod webauthn;

//! The storage seam. The console's state lives in one of two stores:
//!
//! - [`memory::World`], the embedded default (`make dev`, the tests): the whole simulated world
//!   behind one lock, held for a few microseconds per request; it loses everything on restart.
//! - Galaxy's PostgreSQL ([`postgres`], `--database-url`), on the schema of `api/migrations/`,
//!   shared by every gateway replica.
//!
//! The PostgreSQL store covers the console's accounts and their sessions, the login limit, the audit log, the
//! players list, bans and notes, snapshots and the runtime configuration
//! ([`accounts::Accounts`], [`sessions::Sessions`], [`login_limits::LoginLimitStore`], [`audit_log::AuditLog`],
//! [`players::Players`], [`moderation::Moderation`], [`snapshots::Snapshots`],
//! [`runtime_config::ConfigStore`]): who may sign in, with which role, whether a token is still
//! in force, who is locked out, which players there are and which are banned, which snapshots
//! exist and what the configuration is, and what everyone did, so that several replicas agree
//! on them at once and read one log. The simulated game stays each process's own (its tick and
//! pause, its players' online status and sessions), as Galaxy's tick-engine and Redis keep them
//! there; it runs on the stored configuration (see [`runtime_config`]).
//!
//! Both stores apply the same domain rules (`crate::domain`) and refuse with the same
//! [`Rejected`], so the HTTP layer answers alike whichever store holds the state.
//!
//! The history has its own seam, [`history::Source`]: the ring the gateway samples into the
//! world, or the Prometheus Galaxy already runs ([`prometheus`]).
//!
//! A store may use the domain and the settings, never the HTTP layer.

pub mod accounts;
pub mod api_keys;
pub mod audit_log;
pub mod history;
pub mod login_limits;
pub mod memory;
pub mod moderation;
pub mod passkeys;
pub mod player_events;
pub mod players;
pub mod postgres;
pub mod prometheus;
pub mod runtime_config;
pub mod schedules;
pub mod sessions;
pub mod snapshots;

use std::fmt;

use crate::domain::error::Rejected;

/// Why a store operation did not happen.
#[derive(Debug)]
pub enum StoreError {
    /// A domain rule refused it, whichever store checked.
    Rejected(Rejected),
    /// The store could not be reached or failed; nothing was changed.
    Unavailable(String),
}

impl From<Rejected> for StoreError {
    fn from(rejected: Rejected) -> Self {
        StoreError::Rejected(rejected)
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Rejected(r) => write!(f, "refused: {r:?}"),
            StoreError::Unavailable(why) => write!(f, "store unavailable: {why}"),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

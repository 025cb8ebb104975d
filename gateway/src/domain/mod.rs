//! The console's types and rules, free of HTTP and of storage: what an account, a ban, an
//! audit entry or a configuration key is, and what changes to them are allowed. Neither the
//! HTTP layer's types nor a store's appear here, so both stores and any transport share them.

pub mod accounts;
pub mod api_keys;
pub mod audit;
pub mod audit_chain;
pub mod client_ip;
pub mod confirmation;
pub mod error;
pub mod game;
pub mod history;
pub mod keyset;
pub mod login_limit;
pub mod passkeys;
pub mod player_list;
pub mod player_messages;
pub mod player_sessions;
pub mod players;
pub mod roles;
pub mod runtime_config;
pub mod schedules;
pub mod second_factor;
pub mod services;
pub mod sessions;
pub mod snapshots;

use time::OffsetDateTime;

/// A time as the API writes it.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .expect("UTC times always format")
}

/// `at` without its nanoseconds below the microsecond, the precision of PostgreSQL's timestamps:
/// what either store keeps and answers is the same time.
pub fn to_micros(at: OffsetDateTime) -> OffsetDateTime {
    at.replace_nanosecond(at.nanosecond() / 1000 * 1000)
        .expect("a whole number of microseconds is a valid nanosecond")
}

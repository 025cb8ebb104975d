//! Roles and the one table of which role each operation of the contract needs.
//!
//! `api/openapi.yaml` states each operation's minimum role as `x-minimum-role`; this table is
//! what the gateway enforces, and `tests/roles.rs` checks that the two agree, operation by
//! operation, so they cannot drift apart.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What an operator may do; each role may do everything the ones before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads every page: status, configuration, snapshots, players, services, audit.
    Viewer,
    /// Viewer, plus pause and resume, changing and resetting configuration, taking snapshots,
    /// banning, unbanning and kicking players, writing notes on them.
    Operator,
    /// Operator, plus restoring, deleting, pinning and unpinning snapshots, deleting players,
    /// managing accounts.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Operator, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One operation of the contract that needs a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// The contract's `operationId`.
    pub id: &'static str,
    /// Upper case, as in HTTP.
    pub method: &'static str,
    /// As in the contract, relative to the API base path, with `{parameters}`.
    pub path: &'static str,
    pub minimum: Role,
}

const fn op(
    id: &'static str,
    method: &'static str,
    path: &'static str,
    minimum: Role,
) -> Operation {
    Operation {
        id,
        method,
        path,
        minimum,
    }
}

/// Every operation that needs a session, and the least role that may call it.
pub const OPERATIONS: &[Operation] = &[
    op("me", "GET", "/admin/auth/me", Role::Viewer),
    op("createApiKey", "POST", "/admin/api-keys", Role::Viewer),
    op("listApiKeys", "GET", "/admin/api-keys", Role::Viewer),
    op(
        "revokeApiKey",
        "DELETE",
        "/admin/api-keys/{key_id}",
        Role::Viewer,
    ),
    op(
        "newTotpSecret",
        "POST",
        "/admin/auth/totp/secret",
        Role::Viewer,
    ),
    op("enrolTotp", "PUT", "/admin/auth/totp", Role::Viewer),
    op("confirmAction", "POST", "/admin/auth/confirm", Role::Viewer),
    op(
        "confirmWithPasskeyOptions",
        "POST",
        "/admin/auth/confirm/passkey",
        Role::Viewer,
    ),
    op(
        "startPasskeyRegistration",
        "POST",
        "/admin/auth/passkeys/registration",
        Role::Viewer,
    ),
    op("addPasskey", "POST", "/admin/auth/passkeys", Role::Viewer),
    op("listPasskeys", "GET", "/admin/auth/passkeys", Role::Viewer),
    op(
        "deletePasskey",
        "DELETE",
        "/admin/auth/passkeys/{passkey_id}",
        Role::Viewer,
    ),
    op(
        "listOwnSessions",
        "GET",
        "/admin/auth/sessions",
        Role::Viewer,
    ),
    op(
        "endOtherSessions",
        "POST",
        "/admin/auth/sessions/end-others",
        Role::Viewer,
    ),
    op(
        "endOwnSession",
        "DELETE",
        "/admin/auth/sessions/{session_id}",
        Role::Viewer,
    ),
    op("logout", "POST", "/admin/auth/logout", Role::Viewer),
    op(
        "changePassword",
        "POST",
        "/admin/auth/password",
        Role::Viewer,
    ),
    op("gameStatus", "GET", "/admin/game/status", Role::Viewer),
    op("listSchedules", "GET", "/admin/schedules", Role::Viewer),
    op("createSchedule", "POST", "/admin/schedules", Role::Operator),
    op(
        "updateSchedule",
        "PUT",
        "/admin/schedules/{schedule_id}",
        Role::Operator,
    ),
    op(
        "cancelSchedule",
        "DELETE",
        "/admin/schedules/{schedule_id}",
        Role::Operator,
    ),
    op(
        "setScheduleEnabled",
        "PUT",
        "/admin/schedules/{schedule_id}/enabled",
        Role::Operator,
    ),
    op(
        "runScheduleNow",
        "POST",
        "/admin/schedules/{schedule_id}/run",
        Role::Operator,
    ),
    op(
        "listScheduleRuns",
        "GET",
        "/admin/schedule-runs",
        Role::Viewer,
    ),
    op(
        "sendPlayerMessage",
        "POST",
        "/admin/players/messages",
        Role::Operator,
    ),
    op(
        "listPlayerMessages",
        "GET",
        "/admin/players/messages",
        Role::Viewer,
    ),
    op("pauseGame", "POST", "/admin/game/pause", Role::Operator),
    op("resumeGame", "POST", "/admin/game/resume", Role::Operator),
    op("listConfig", "GET", "/admin/config", Role::Viewer),
    op("setConfig", "PUT", "/admin/config/{key}", Role::Operator),
    op(
        "resetConfig",
        "DELETE",
        "/admin/config/{key}",
        Role::Operator,
    ),
    op("listSnapshots", "GET", "/admin/snapshots", Role::Viewer),
    op("createSnapshot", "POST", "/admin/snapshots", Role::Operator),
    op(
        "deleteSnapshot",
        "DELETE",
        "/admin/snapshots/{snapshot_id}",
        Role::Admin,
    ),
    op(
        "restoreSnapshot",
        "POST",
        "/admin/snapshots/{snapshot_id}/restore",
        Role::Admin,
    ),
    op(
        "pinSnapshot",
        "PUT",
        "/admin/snapshots/{snapshot_id}/pin",
        Role::Admin,
    ),
    op(
        "unpinSnapshot",
        "DELETE",
        "/admin/snapshots/{snapshot_id}/pin",
        Role::Admin,
    ),
    op("listPlayers", "GET", "/admin/players", Role::Viewer),
    op(
        "getPlayer",
        "GET",
        "/admin/players/{player_id}",
        Role::Viewer,
    ),
    op(
        "deletePlayer",
        "DELETE",
        "/admin/players/{player_id}",
        Role::Admin,
    ),
    op(
        "exportPlayers",
        "GET",
        "/admin/players/export",
        Role::Viewer,
    ),
    op("bulkPlayers", "POST", "/admin/players/bulk", Role::Operator),
    op(
        "banPlayer",
        "POST",
        "/admin/players/{player_id}/ban",
        Role::Operator,
    ),
    op(
        "unbanPlayer",
        "DELETE",
        "/admin/players/{player_id}/ban",
        Role::Operator,
    ),
    op(
        "kickPlayer",
        "POST",
        "/admin/players/{player_id}/kick",
        Role::Operator,
    ),
    op(
        "listPlayerNotes",
        "GET",
        "/admin/players/{player_id}/notes",
        Role::Viewer,
    ),
    op(
        "addPlayerNote",
        "POST",
        "/admin/players/{player_id}/notes",
        Role::Operator,
    ),
    op(
        "playerTimeline",
        "GET",
        "/admin/players/{player_id}/timeline",
        Role::Viewer,
    ),
    op("listServices", "GET", "/admin/services", Role::Viewer),
    op("listAudit", "GET", "/admin/audit", Role::Viewer),
    op("exportAudit", "GET", "/admin/audit/export", Role::Viewer),
    op("verifyAudit", "GET", "/admin/audit/verify", Role::Viewer),
    op(
        "metricsHistory",
        "GET",
        "/admin/metrics/history",
        Role::Viewer,
    ),
    op("listAccounts", "GET", "/admin/accounts", Role::Admin),
    op("createAccount", "POST", "/admin/accounts", Role::Admin),
    op(
        "getAccount",
        "GET",
        "/admin/accounts/{account_id}",
        Role::Admin,
    ),
    op(
        "deleteAccount",
        "DELETE",
        "/admin/accounts/{account_id}",
        Role::Admin,
    ),
    op(
        "setAccountRole",
        "PUT",
        "/admin/accounts/{account_id}/role",
        Role::Admin,
    ),
    op(
        "setAccountDisabled",
        "PUT",
        "/admin/accounts/{account_id}/disabled",
        Role::Admin,
    ),
    op(
        "resetAccountPassword",
        "POST",
        "/admin/accounts/{account_id}/password",
        Role::Admin,
    ),
    op(
        "resetAccountSecondFactor",
        "DELETE",
        "/admin/accounts/{account_id}/second-factor",
        Role::Admin,
    ),
    op(
        "listAccountSessions",
        "GET",
        "/admin/accounts/{account_id}/sessions",
        Role::Admin,
    ),
    op(
        "endAccountSessions",
        "DELETE",
        "/admin/accounts/{account_id}/sessions",
        Role::Admin,
    ),
];

/// What a session that must enrol a second factor first may call: who it is and the enrolment.
/// Adding a passkey takes a proof (the password, as the account has no factor yet), so the
/// proof's operation is one of them.
pub const ENROLMENT_OPERATIONS: &[&str] = &[
    "me",
    "newTotpSecret",
    "enrolTotp",
    "startPasskeyRegistration",
    "addPasskey",
    "listPasskeys",
    "confirmAction",
    "logout",
];

/// What only a person may do: their own sign-in (factors, proofs, sessions, password), making
/// keys, and whatever hands out a credential or a role (a new account with a password of the
/// caller's choice, a password reset, a promotion, a factor reset), so a leaked key can
/// neither mint more nor become a person's account.
pub const NOT_FOR_API_KEYS: &[&str] = &[
    "createAccount",
    "resetAccountPassword",
    "setAccountRole",
    "resetAccountSecondFactor",
    "newTotpSecret",
    "enrolTotp",
    "confirmAction",
    "confirmWithPasskeyOptions",
    "startPasskeyRegistration",
    "addPasskey",
    "listPasskeys",
    "deletePasskey",
    "listOwnSessions",
    "endOtherSessions",
    "endOwnSession",
    "logout",
    "changePassword",
    "createApiKey",
];

/// The operation at `method` and `path` (a route template relative to the base path).
pub fn find(method: &str, path: &str) -> Option<&'static Operation> {
    OPERATIONS
        .iter()
        .find(|o| o.method.eq_ignore_ascii_case(method) && o.path == path)
}

/// The least role for `operation` as `find` gave it; a route missing from the table needs
/// admin, so forgetting an entry can only refuse too much, never allow too much.
pub fn minimum_role(operation: Option<&Operation>) -> Role {
    operation.map_or(Role::Admin, |o| o.minimum)
}

/// The 403 `detail` when `role` is below `minimum`.
pub fn denied_detail(minimum: Role, role: Role) -> String {
    format!("This action needs the {minimum} role; you are signed in as {role}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_and_named_as_in_the_contract() {
        assert!(Role::Viewer < Role::Operator && Role::Operator < Role::Admin);
        for role in Role::ALL {
            assert_eq!(
                serde_json::to_value(role).unwrap(),
                serde_json::json!(role.as_str())
            );
        }
    }

    #[test]
    fn the_table_has_each_operation_once_and_unknown_routes_need_admin() {
        for (i, a) in OPERATIONS.iter().enumerate() {
            for b in &OPERATIONS[i + 1..] {
                assert_ne!(a.id, b.id);
                assert!(a.method != b.method || a.path != b.path, "{}", a.id);
            }
        }
        assert_eq!(minimum_role(find("get", "/admin/players")), Role::Viewer);
        assert_eq!(minimum_role(find("GET", "/admin/not-listed")), Role::Admin);
    }
}

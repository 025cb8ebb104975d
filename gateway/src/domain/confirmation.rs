//! Dangerous actions and the fresh proof they take: a code of the account's second factor
//! (or, without one, its password) given for that very action on that very target. A proof
//! names both, so one given to restore snapshot 3 approves neither restoring snapshot 4 nor
//! deleting a player.

use sha2::{Digest, Sha256};

use crate::domain::audit::TargetType;

/// A bulk ban of more players than this needs a proof.
pub const BULK_BAN_FREE: usize = 10;
/// How long a proof stays good.
pub const PROOF_SECS: i64 = 300;

/// An action that needs a proof: the contract's operationId, what it acts on, and a summary
/// for the operator's prompt and the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dangerous {
    pub action: &'static str,
    pub target: String,
    pub summary: String,
}

impl Dangerous {
    pub fn new(
        action: &'static str,
        target: impl Into<String>,
        summary: impl Into<String>,
    ) -> Self {
        Self {
            action,
            target: target.into(),
            summary: summary.into(),
        }
    }

    /// A bulk ban names its players by a digest of their sorted ids: the proof approves
    /// exactly that set.
    pub fn bulk_ban(ids: &[uuid::Uuid]) -> Self {
        let mut sorted: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
        sorted.sort();
        let digest = hex::encode(Sha256::digest(sorted.join(",").as_bytes()));
        Self::new(
            "bulkPlayers",
            format!("ban:{}", &digest[..32]),
            format!("Ban {} players", ids.len()),
        )
    }

    /// The id of what the action is on: the target up to a `/` (a role change's target is
    /// `<account id>/<role>`, so its proof approves that role only).
    pub fn subject(&self) -> &str {
        self.target.split('/').next().unwrap_or_default()
    }

    /// A change of configuration key `key` to `value` (none: back to its default). The target
    /// names the value by a digest, so a proof for one value approves no other, however long.
    pub fn config_change(key: &str, value: Option<&serde_json::Value>) -> Self {
        match value {
            Some(value) => {
                let digest = hex::encode(Sha256::digest(value.to_string().as_bytes()));
                Self::new(
                    "setConfig",
                    format!("{key}/{}", &digest[..32]),
                    format!("Set {key} to {value} in production"),
                )
            }
            None => Self::new(
                "resetConfig",
                key.to_owned(),
                format!("Reset {key} to its default in production"),
            ),
        }
    }

    /// What the audit entry of the proof is about, when it names one thing.
    pub fn target_type(&self) -> Option<TargetType> {
        match self.action {
            "restoreSnapshot" => Some(TargetType::Snapshot),
            "deletePlayer" => Some(TargetType::Player),
            "setAccountRole"
            | "resetAccountPassword"
            | "setAccountDisabled"
            | "deleteAccount"
            | "resetAccountSecondFactor"
            | "addPasskey" => Some(TargetType::Account),
            "setConfig" | "resetConfig" => Some(TargetType::Config),
            _ => None,
        }
    }
}

/// The actions a proof can be asked for, so a request for any other is refused.
pub const ACTIONS: &[&str] = &[
    "restoreSnapshot",
    "deletePlayer",
    "bulkPlayers",
    "setAccountRole",
    "setAccountDisabled",
    "deleteAccount",
    "resetAccountSecondFactor",
    "resetAccountPassword",
    "createAccount",
    "setConfig",
    "resetConfig",
    "addPasskey",
    "deletePasskey",
];

/// The most characters of a target a proof is asked for (the longest the gateway names is an
/// account id and a role).
pub const MAX_TARGET_CHARS: usize = 200;

/// What a proof is for, in words made here from its action and target (what the client shows
/// the operator is its own; the audit entry says what the proof approves).
pub fn describe(action: &str, target: &str) -> String {
    let (subject, detail) = target.split_once('/').unwrap_or((target, ""));
    match action {
        "restoreSnapshot" => format!("Restore snapshot {subject}"),
        "deletePlayer" => format!("Delete player {subject}"),
        "bulkPlayers" => format!("Ban a set of players ({target})"),
        "setAccountRole" => format!("Make account {subject} {detail}"),
        "setAccountDisabled" if detail == "true" => format!("Disable account {subject}"),
        "setAccountDisabled" => format!("Enable account {subject}"),
        "deleteAccount" => format!("Delete account {subject}"),
        "resetAccountSecondFactor" => format!("Reset the second factor of account {subject}"),
        "resetAccountPassword" => format!("Reset the password of account {subject}"),
        "createAccount" => format!("Create {subject} as {detail}"),
        "setConfig" => format!("Change {subject} in production"),
        "resetConfig" => format!("Reset {subject} to its default in production"),
        "addPasskey" => format!("Add a passkey to account {subject}"),
        "deletePasskey" => format!("Remove passkey {subject}"),
        other => format!("{other} {target}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bulk_ban_names_its_set_of_players_in_any_order() {
        let a = crate::domain::accounts::random_id();
        let b = crate::domain::accounts::random_id();
        let c = crate::domain::accounts::random_id();
        assert_eq!(Dangerous::bulk_ban(&[a, b]), Dangerous::bulk_ban(&[b, a]));
        assert_ne!(
            Dangerous::bulk_ban(&[a, b]).target,
            Dangerous::bulk_ban(&[a, c]).target
        );
        assert_eq!(Dangerous::bulk_ban(&[a, b, c]).summary, "Ban 3 players");
    }

    #[test]
    fn a_config_change_names_its_value_and_a_reset_its_key() {
        let a = Dangerous::config_change("motd", Some(&serde_json::json!("hello")));
        let b = Dangerous::config_change("motd", Some(&serde_json::json!("hullo")));
        assert_eq!(a.subject(), "motd");
        assert_ne!(a.target, b.target);
        assert!(a.target.len() < MAX_TARGET_CHARS);
        assert_eq!(Dangerous::config_change("motd", None).target, "motd");
    }

    #[test]
    fn every_action_that_takes_a_proof_is_known() {
        for action in ACTIONS {
            let d = Dangerous::new(action, "x", "y");
            let unnamed = ["bulkPlayers", "createAccount", "deletePasskey"].contains(action);
            assert!(d.target_type().is_some() || unnamed, "{action}");
            assert!(
                !describe(action, "x/y").starts_with(action),
                "{action} is described in words"
            );
        }
    }
}

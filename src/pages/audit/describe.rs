//! Audit entries in words, for the log and for the events on the overview's
//! charts: what was done, what changed, and where the target lives now.

use std::fmt::Write;

use crate::infra::api::types::AuditEntry;
use crate::routes::Route;
use crate::ui::format;
use crate::ui::markup::{element, escape};

/// What an action did, as an operator says it; unknown actions as they came.
pub fn action_label(action: &str) -> &str {
    match action {
        "game.pause" => "Paused the game",
        "game.resume" => "Resumed the game",
        "game.message" => "Messaged the players",
        "schedule.create" => "Scheduled operations",
        "schedule.update" => "Changed a schedule",
        "schedule.enable" => "Enabled a schedule",
        "schedule.disable" => "Disabled a schedule",
        "schedule.cancel" => "Cancelled a schedule",
        "schedule.run_now" => "Ran a schedule now",
        "schedule.step" => "A scheduled step did not run",
        "schedule.run" => "A schedule's run ended",
        "config.update" => "Changed config",
        "config.reset" => "Reset config",
        "snapshot.create" => "Took a snapshot",
        "snapshot.restore" => "Restored a snapshot",
        "snapshot.delete" => "Deleted a snapshot",
        "service.deploy" => "Deployed",
        "player.delete" => "Deleted the player",
        "player.ban" => "Banned the player",
        "player.unban" => "Unbanned the player",
        "player.ban_expired" => "The ban ended",
        "player.kick" => "Kicked the player",
        "player.note" => "Added a note",
        "snapshot.pin" => "Pinned a snapshot",
        "snapshot.unpin" => "Unpinned a snapshot",
        "auth.login" => "Logged in",
        "auth.login_failed" => "Failed to log in",
        "auth.login_locked" => "Login refused: locked",
        "auth.factor_enrol" => "Set up a second factor",
        "auth.factor_remove" => "Removed a passkey",
        "auth.confirm" => "Confirmed a dangerous action",
        "auth.logout" => "Logged out",
        "auth.session_end" => "Ended a session",
        "auth.api_key_use" => "Used an API key",
        "auth.api_key_refused" => "API key refused",
        "api_key.create" => "Made an API key",
        "api_key.revoke" => "Revoked an API key",
        "account.factor_reset" => "Reset the second factor",
        other => other,
    }
}

/// "10 → 20": the value before and after, when the entry has them.
pub fn change(e: &AuditEntry) -> Option<String> {
    match (&e.before, &e.after) {
        (None, None) => None,
        (before, after) => Some(format!(
            "{} → {}",
            before.as_deref().unwrap_or("(none)"),
            after.as_deref().unwrap_or("(none)")
        )),
    }
}

/// The page of the entry's target, while it still exists.
pub fn target_href(e: &AuditEntry) -> Option<String> {
    if !e.target_exists {
        return None;
    }
    let route = match (e.target_type.as_deref()?, &e.target_id) {
        ("player", Some(id)) => Route::Player(id.clone()),
        ("snapshot", _) => Route::Snapshots,
        ("config", _) => Route::Config,
        ("account", _) => Route::Accounts,
        ("service", _) => Route::Services,
        ("schedule", _) => Route::Schedules,
        _ => return None,
    };
    Some(route.href())
}

/// Who acted: "alice (operator)".
pub fn actor(e: &AuditEntry) -> String {
    match &e.role {
        Some(role) => format!("{} ({role})", e.admin),
        None => e.admin.clone(),
    }
}

/// Entries as list items, in the order given: time, then what, on what, by whom, why.
pub fn items<'a>(entries: impl Iterator<Item = &'a AuditEntry>) -> String {
    let mut out = String::new();
    for e in entries {
        let _ = write!(out, "<li data-action=\"{}\">", escape(&e.action));
        element(
            &mut out,
            "span",
            " class=\"when\"",
            &format::timestamp(&e.at),
        );
        let _ = write!(out, " {}</li>", escape(&one_line(e)));
    }
    out
}

/// One line for an event on the charts: what, on what, by whom, and why.
pub fn one_line(e: &AuditEntry) -> String {
    let mut line = action_label(&e.action).to_owned();
    if let Some(target) = e
        .target
        .as_deref()
        .filter(|_| e.target_type.as_deref() != Some("game"))
    {
        line = format!("{line} {target}");
    }
    if let Some(change) = change(e) {
        line = format!("{line}, {change}");
    }
    line = format!("{line}, by {}", actor(e));
    match &e.reason {
        Some(reason) => format!("{line}: “{reason}”"),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(action: &str) -> AuditEntry {
        AuditEntry {
            id: 1,
            at: "2026-11-25T10:00:00Z".to_owned(),
            admin: "alice".to_owned(),
            role: Some("operator".to_owned()),
            action: action.to_owned(),
            target: None,
            target_type: None,
            target_id: None,
            target_exists: false,
            before: None,
            after: None,
            reason: None,
            tick: 7,
            detail: None,
        }
    }

    #[test]
    fn an_event_says_what_changed_who_and_why() {
        let mut e = entry("config.update");
        e.target = Some("tick_rate".to_owned());
        e.target_type = Some("config".to_owned());
        e.before = Some("10".to_owned());
        e.after = Some("20".to_owned());
        e.reason = Some("load test".to_owned());
        assert_eq!(
            one_line(&e),
            "Changed config tick_rate, 10 → 20, by alice (operator): “load test”"
        );
        let mut pause = entry("game.pause");
        pause.target = Some("game".to_owned());
        pause.target_type = Some("game".to_owned());
        assert_eq!(one_line(&pause), "Paused the game, by alice (operator)");
        assert_eq!(action_label("galaxy.new_thing"), "galaxy.new_thing");
    }

    #[test]
    fn only_targets_that_still_exist_are_linked() {
        let mut e = entry("player.delete");
        e.target_type = Some("player".to_owned());
        e.target_id = Some("0b7c6f0e-3f9a-4c41-9d2e-2f0d7c1a5b33".to_owned());
        assert_eq!(target_href(&e), None, "deleted");
        e.target_exists = true;
        assert_eq!(
            target_href(&e).as_deref(),
            Some("/admin/players/0b7c6f0e-3f9a-4c41-9d2e-2f0d7c1a5b33")
        );
        e.target_type = None;
        assert_eq!(
            target_href(&e),
            None,
            "a failed login's typed name is no account"
        );
    }
}

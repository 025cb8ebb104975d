//! Audit entries in words: what changed, and where the target lives now.

use crate::infra::api::types::AuditEntry;
use crate::routes::Route;

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
        _ => return None,
    };
    Some(route.href())
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
    fn a_change_shows_both_values() {
        let mut e = entry("config.update");
        assert_eq!(change(&e), None);
        e.before = Some("10".to_owned());
        e.after = Some("20".to_owned());
        assert_eq!(change(&e).as_deref(), Some("10 → 20"));
        e.before = None;
        assert_eq!(change(&e).as_deref(), Some("(none) → 20"));
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

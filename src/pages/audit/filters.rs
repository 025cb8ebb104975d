//! The audit log's filters, kept in the URL so a question asked of the log
//! ("who changed tick_rate yesterday?") is a link another operator can open.
//! Times travel in UTC (RFC 3339); the form shows them in the operator's zone.

use crate::infra::api::url::encode;

/// The URL's (and the gateway's) names for the filters, in the form's order.
pub const KEYS: [&str; 5] = ["actor", "action", "target", "from", "to"];

/// The actions the log records, offered as suggestions; a family (`config`)
/// matches all of its actions. A gateway test checks that none is missing.
pub const ACTIONS: [&str; 58] = [
    "game",
    "game.pause",
    "game.resume",
    "game.message",
    "config",
    "config.update",
    "config.reset",
    "snapshot",
    "snapshot.create",
    "snapshot.restore",
    "snapshot.delete",
    "snapshot.pin",
    "snapshot.unpin",
    "player",
    "player.ban",
    "player.ban_expired",
    "player.unban",
    "player.kick",
    "player.note",
    "player.delete",
    "service.deploy",
    "auth",
    "auth.login",
    "auth.login_failed",
    "auth.login_locked",
    "auth.password_change",
    "auth.password_change_failed",
    "auth.factor_enrol",
    "auth.factor_remove",
    "auth.factor_change_failed",
    "auth.confirm",
    "auth.confirm_failed",
    "auth.logout",
    "auth.session_end",
    "auth.sessions_end",
    "auth.api_key_use",
    "auth.api_key_refused",
    "api_key",
    "api_key.create",
    "api_key.revoke",
    "account",
    "account.create",
    "account.role",
    "account.disable",
    "account.enable",
    "account.password_reset",
    "account.factor_reset",
    "account.sessions_end",
    "account.delete",
    "schedule",
    "schedule.create",
    "schedule.update",
    "schedule.enable",
    "schedule.disable",
    "schedule.cancel",
    "schedule.run_now",
    "schedule.step",
    "schedule.run",
];

/// The query string for these filter values (empty ones left out), in `KEYS`' order.
pub fn query(values: &[String; 5]) -> String {
    KEYS.iter()
        .zip(values)
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v.trim())))
        .collect::<Vec<_>>()
        .join("&")
}

/// An RFC 3339 time as a `datetime-local` input shows it, at `offset_minutes`
/// east of UTC: "2026-11-25T14:05".
pub fn local_input(unix_secs: i64, offset_minutes: i64) -> String {
    let clock = crate::ui::format::wall_clock(unix_secs, offset_minutes);
    format!("{}T{}", &clock[..10], &clock[11..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_filters_stay_out_of_the_url_and_values_are_encoded() {
        let values = [
            "alice".to_owned(),
            String::new(),
            "tick rate&more".to_owned(),
            "2026-11-24T00:00:00Z".to_owned(),
            " ".to_owned(),
        ];
        assert_eq!(
            query(&values),
            "actor=alice&target=tick%20rate%26more&from=2026-11-24T00%3A00%3A00Z"
        );
        assert_eq!(query(&Default::default()), "");
    }

    #[test]
    fn a_time_is_shown_in_the_operators_zone() {
        let noon_utc = crate::infra::time::parse_rfc3339("2026-11-25T12:00:00Z").unwrap();
        assert_eq!(local_input(noon_utc, 60), "2026-11-25T13:00");
        assert_eq!(local_input(noon_utc, -300), "2026-11-25T07:00");
    }
}

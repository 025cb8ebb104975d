//! Console sessions: each sign-in is a session with an id its token carries, stored where
//! every gateway replica reads it, so a session ended through one replica is refused by all at
//! its next request. An operator sees their own (device, address, first and last seen) and
//! ends one or all the others; an admin ends every session of an account.

use serde::Serialize;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// How often a session's last sight is written under an idle limit of `idle`: a tenth of it,
/// at most [`SEEN_EVERY`], so the limit is kept to within a tenth (a client reports activity
/// as often; see the dashboard's `report_every_ms`).
pub fn seen_every(idle: Option<Duration>) -> Duration {
    idle.map_or(SEEN_EVERY, |idle: Duration| (idle / 10_i32).min(SEEN_EVERY))
}

/// The most characters of a device (the browser's User-Agent) kept.
pub const DEVICE_CHARS: usize = 200;
/// A session's last sight is written at most this often: each request reads the session, and
/// writing on every one would make each read a write.
pub const SEEN_EVERY: Duration = Duration::minutes(1);

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionRecord {
    pub id: Uuid,
    #[serde(skip)]
    pub account_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// The client address it signed in from.
    pub address: String,
    /// The browser's User-Agent, cut to [`DEVICE_CHARS`].
    pub device: String,
    #[serde(skip)]
    pub ended_at: Option<OffsetDateTime>,
    #[serde(skip)]
    pub end_reason: Option<String>,
}

impl SessionRecord {
    pub fn new(
        account_id: Uuid,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
        address: String,
        user_agent: Option<&str>,
    ) -> Self {
        let now = crate::domain::to_micros(now);
        Self {
            id: crate::domain::accounts::random_id(),
            account_id,
            created_at: now,
            last_seen_at: now,
            expires_at: crate::domain::to_micros(expires_at),
            address,
            device: device(user_agent),
            ended_at: None,
            end_reason: None,
        }
    }

    /// Whether requests in it are served at `now`.
    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        self.ended_at.is_none() && self.expires_at > now
    }

    /// Whether its last sight is old enough to be written again at `now`, when it is written
    /// at most `every`.
    pub fn seen_long_ago(&self, now: OffsetDateTime, every: Duration) -> bool {
        now - self.last_seen_at >= every
    }

    /// Whether it went longer than `idle` without its operator's activity (none: no limit).
    pub fn is_idle(&self, now: OffsetDateTime, idle: Option<Duration>) -> bool {
        idle.is_some_and(|idle| now - self.last_seen_at > idle)
    }

    /// "Firefox on Linux … from 10.0.0.7", for audit entries.
    pub fn label(&self) -> String {
        format!("{} from {}", self.device, self.address)
    }
}

/// A User-Agent as kept: trimmed, cut to [`DEVICE_CHARS`] characters, "unknown device" when
/// there is none.
pub fn device(user_agent: Option<&str>) -> String {
    match user_agent.map(str::trim).filter(|ua| !ua.is_empty()) {
        None => "unknown device".to_owned(),
        Some(ua) => ua.chars().take(DEVICE_CHARS).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_is_the_user_agent_cut_short_or_unknown() {
        assert_eq!(device(None), "unknown device");
        assert_eq!(device(Some("  ")), "unknown device");
        assert_eq!(device(Some(" curl/8 ")), "curl/8");
        assert_eq!(device(Some(&"é".repeat(300))).chars().count(), DEVICE_CHARS);
    }

    #[test]
    fn a_session_lives_until_it_ends_or_expires() {
        let now = OffsetDateTime::now_utc();
        let mut s =
            SessionRecord::new(Uuid::nil(), now, now + Duration::hours(1), "a".into(), None);
        assert!(s.is_live(now));
        assert!(!s.is_live(now + Duration::hours(1)));
        assert!(!s.seen_long_ago(now + Duration::seconds(59), SEEN_EVERY));
        assert!(s.seen_long_ago(now + Duration::seconds(61), SEEN_EVERY));
        s.ended_at = Some(now);
        assert!(!s.is_live(now));
    }

    #[test]
    fn idleness_counts_from_the_last_activity_written_down() {
        let now = crate::domain::to_micros(OffsetDateTime::now_utc());
        let s = SessionRecord::new(Uuid::nil(), now, now + Duration::hours(1), "a".into(), None);
        let idle = Some(Duration::minutes(30));
        assert!(!s.is_idle(now + Duration::minutes(30), idle));
        assert!(s.is_idle(now + Duration::minutes(31), idle));
        assert!(!s.is_idle(now + Duration::minutes(59), None));
        assert_eq!(seen_every(idle), SEEN_EVERY);
        assert_eq!(
            seen_every(Some(Duration::seconds(12))),
            Duration::milliseconds(1200)
        );
        assert_eq!(seen_every(None), SEEN_EVERY);
    }
}

//! Simulated game-client sessions, so the reference gateway shows what Galaxy must enforce
//! beyond the admin API (api/openapi.yaml, "Enforcing bans and kicks"): a banned player's
//! login and WebSocket connect are refused, and a ban or a kick closes every socket of that
//! player with the contract's close code and reason.
//!
//! A session here stands for one authenticated WebSocket on `/ws`. Galaxy keeps them in the
//! api-gateway replicas; the reference keeps them in memory, behind the world's lock.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// WebSocket close codes (RFC 6455 leaves 4000-4999 to applications).
pub const CLOSE_KICKED: u16 = 4001;
pub const CLOSE_BANNED: u16 = 4003;
/// The client went away by itself (RFC 6455 "going away").
pub const CLOSE_GOING_AWAY: u16 = 1001;

/// Most sessions kept, open and closed; the oldest closed ones go first.
const CAPACITY: usize = 10_000;

#[derive(Debug, Clone, Serialize)]
pub struct Closed {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub code: u16,
    /// The close frame's reason, as the client shows it (at most 123 bytes in a close frame).
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlayerSession {
    pub id: u64,
    pub player_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    /// `None` while the socket is open.
    pub closed: Option<Closed>,
    /// The console's messages this socket was sent, oldest first (the contract's
    /// `admin_message` frames).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub received: Vec<crate::domain::player_messages::Frame>,
}

/// What one replica tells every replica about a player's sockets, as the contract's message on
/// Galaxy's channel (`{"type": "player_disconnect", "player_id", "code", "reason"}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PlayerEvent {
    /// Close every socket of the player with `code` and `reason`; the player is offline.
    PlayerDisconnect {
        player_id: Uuid,
        code: u16,
        reason: String,
    },
    /// The player connected through some replica: online everywhere (in Galaxy, the players
    /// service's status in Redis says so).
    PlayerConnect { player_id: Uuid },
    /// Send the console's message to every socket, as an `admin_message` frame.
    PlayerBroadcast {
        #[serde(flatten)]
        frame: crate::domain::player_messages::Frame,
    },
}

#[derive(Debug, Default)]
pub struct PlayerSessions {
    sessions: Vec<PlayerSession>,
    last_id: u64,
}

/// A close frame's reason is at most 123 bytes (RFC 6455 5.5: 125 minus the code); cut on a
/// character boundary.
pub fn close_reason(text: &str) -> String {
    let mut end = text.len().min(123);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

impl PlayerSessions {
    pub fn open(&mut self, player_id: Uuid, now: OffsetDateTime) -> PlayerSession {
        if self.sessions.len() >= CAPACITY {
            if let Some(oldest) = self.sessions.iter().position(|s| s.closed.is_some()) {
                self.sessions.remove(oldest);
            }
        }
        self.last_id += 1;
        let session = PlayerSession {
            id: self.last_id,
            player_id,
            opened_at: now,
            closed: None,
            received: Vec::new(),
        };
        self.sessions.push(session.clone());
        session
    }

    /// Closes every open session of the player; how many there were.
    pub fn close_all(
        &mut self,
        player_id: Uuid,
        code: u16,
        reason: &str,
        now: OffsetDateTime,
    ) -> usize {
        let mut closed = 0;
        for s in self
            .sessions
            .iter_mut()
            .filter(|s| s.player_id == player_id && s.closed.is_none())
        {
            s.closed = Some(Closed {
                at: now,
                code,
                reason: close_reason(reason),
            });
            closed += 1;
        }
        closed
    }

    /// Sends `frame` to every open socket; how many got it.
    pub fn deliver(&mut self, frame: &crate::domain::player_messages::Frame) -> usize {
        let mut sent = 0;
        for s in self.sessions.iter_mut().filter(|s| s.closed.is_none()) {
            s.received.push(frame.clone());
            sent += 1;
        }
        sent
    }

    /// Forgets session `id`, refused before it was ever in use (its player turned out banned).
    pub fn discard(&mut self, id: u64) {
        self.sessions.retain(|s| s.id != id);
    }

    pub fn of(&self, player_id: Uuid) -> Vec<PlayerSession> {
        self.sessions
            .iter()
            .filter(|s| s.player_id == player_id)
            .cloned()
            .collect()
    }

    pub fn any_open(&self, player_id: Uuid) -> bool {
        self.sessions
            .iter()
            .any(|s| s.player_id == player_id && s.closed.is_none())
    }

    /// Every session of every player goes, as on a gateway restart.
    pub fn clear(&mut self) {
        self.sessions.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_ends_only_that_players_open_sessions_once() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let mut sessions = PlayerSessions::default();
        sessions.open(a, now);
        sessions.open(a, now);
        sessions.open(b, now);
        assert_eq!(sessions.close_all(a, CLOSE_BANNED, "banned", now), 2);
        assert_eq!(
            sessions.close_all(a, CLOSE_KICKED, "again", now),
            0,
            "already closed"
        );
        assert!(!sessions.any_open(a) && sessions.any_open(b));
        assert!(sessions
            .of(a)
            .iter()
            .all(|s| s.closed.as_ref().unwrap().code == CLOSE_BANNED));
    }

    #[test]
    fn events_are_the_contracts_messages() {
        let id = Uuid::from_u128(7);
        let event = PlayerEvent::PlayerDisconnect {
            player_id: id,
            code: CLOSE_BANNED,
            reason: "banned: spam".into(),
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "player_disconnect", "player_id": id, "code": 4003, "reason": "banned: spam"})
        );
        assert_eq!(serde_json::from_value::<PlayerEvent>(json).unwrap(), event);
        assert!(serde_json::from_str::<PlayerEvent>(r#"{"type": "shutdown"}"#).is_err());
    }

    #[test]
    fn close_reasons_fit_a_close_frame() {
        assert_eq!(close_reason("short"), "short");
        let long = "é".repeat(100);
        let cut = close_reason(&long);
        assert!(cut.len() <= 123 && long.starts_with(&cut) && cut.len() == 122);
    }
}

//! Messages from the console to every player online: "Server restart in 5 minutes".
//!
//! Galaxy shows them in the game client, delivered over each player's WebSocket as the
//! contract's frame (`{"type": "admin_message", ...}`, api/openapi.yaml, "Messages to
//! players"); every api-gateway replica sends it to the sockets it holds. A message is short
//! and rate-limited: it interrupts play.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// What fits a game client's banner in two lines.
pub const MAX_CHARS: usize = 280;
/// At most this many messages in any [`RATE_WINDOW`], console-wide: warnings at 10, 5 and 1
/// minutes fit; a stuck script or a double click does not spam every player.
pub const RATE_LIMIT: usize = 5;
pub const RATE_WINDOW: time::Duration = time::Duration::minutes(1);
/// Messages listed in the console's recent list (and kept per process).
const KEPT: usize = 50;

/// Why a text cannot be sent, in words for the operator.
pub fn check_text(text: &str) -> Result<(), String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("a message needs some text".into());
    }
    // As typed, blanks included: what the contract's maxLength counts.
    let chars = text.chars().count();
    if chars > MAX_CHARS {
        return Err(format!(
            "a message has at most {MAX_CHARS} characters, this one {chars}"
        ));
    }
    if trimmed.chars().any(|c| c.is_control() && c != '\n') {
        return Err("a message may break lines but holds no other control characters".into());
    }
    Ok(())
}

/// A message as sent, and as the WebSocket frame carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: Uuid,
    pub text: String,
    #[serde(with = "time::serde::rfc3339")]
    pub sent_at: OffsetDateTime,
    /// The console account that sent it, or the schedule's owner with the schedule's name.
    pub sent_by: String,
    /// Players online when it was sent.
    pub recipients: u32,
}

/// The WebSocket frame every player's socket is sent: `{"type": "admin_message", "id",
/// "text", "sent_at"}` (the `type` is the frame's, added where it is sent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    pub id: Uuid,
    pub text: String,
    #[serde(with = "time::serde::rfc3339")]
    pub sent_at: OffsetDateTime,
}

/// The messages this process sent lately, newest last, for the rate limit and the list.
#[derive(Debug, Default)]
pub struct Outbox {
    sent: VecDeque<Message>,
}

impl Outbox {
    /// Seconds until another message may go, if the limit is reached at `now`.
    pub fn wait(&self, now: OffsetDateTime) -> Option<i64> {
        let recent: Vec<&Message> = self
            .sent
            .iter()
            .filter(|m| m.sent_at > now - RATE_WINDOW)
            .collect();
        (recent.len() >= RATE_LIMIT).then(|| {
            let oldest = recent[recent.len() - RATE_LIMIT].sent_at;
            (oldest + RATE_WINDOW - now).whole_seconds().max(1)
        })
    }

    pub fn record(&mut self, message: Message) {
        if self.sent.len() >= KEPT {
            self.sent.pop_front();
        }
        self.sent.push_back(message);
    }

    pub fn newest_first(&self) -> Vec<Message> {
        self.sent.iter().rev().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn texts_are_checked_for_length_and_control_characters() {
        assert!(check_text("Restart in 5 minutes").is_ok());
        assert!(check_text("Line one\nline two").is_ok());
        assert!(check_text("   ").is_err());
        assert!(check_text(&"x".repeat(MAX_CHARS)).is_ok());
        assert!(check_text(&"x".repeat(MAX_CHARS + 1))
            .unwrap_err()
            .contains("281"));
        assert!(check_text("bell\u{7}").is_err());
    }

    #[test]
    fn the_rate_limit_counts_a_sliding_minute() {
        let start = datetime!(2026-12-08 03:50 UTC);
        let mut outbox = Outbox::default();
        for i in 0..RATE_LIMIT {
            assert_eq!(outbox.wait(start), None);
            outbox.record(Message {
                id: Uuid::from_u128(i as u128),
                text: "m".into(),
                sent_at: start + time::Duration::seconds(i as i64),
                sent_by: "op".into(),
                recipients: 0,
            });
        }
        assert_eq!(outbox.wait(start + time::Duration::seconds(10)), Some(50));
        assert_eq!(outbox.wait(start + time::Duration::seconds(59)), Some(1));
        assert_eq!(outbox.wait(start + time::Duration::seconds(60)), None);
    }
}

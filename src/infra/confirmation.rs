//! Dangerous actions the gateway asks the operator to confirm (403
//! `confirmation_required`): the refused call waits while the shell asks in place,
//! over the page and everything typed in it, then goes again with the proof, or
//! ends as not confirmed. Nothing changed on the gateway in between.

use std::collections::VecDeque;

use futures_channel::oneshot;
use leptos::prelude::*;

use crate::infra::json::Value;

/// What the gateway asked to be confirmed, as its refusal named it.
#[derive(Debug, Clone, PartialEq)]
pub struct Asked {
    /// The operation (`restoreSnapshot`), which the proof names.
    pub action: String,
    /// What the proof names besides: the snapshot, the player, the account…
    pub target: String,
    /// The gateway's words for the operator ("Restore snapshot #3").
    pub summary: String,
    /// `totp`, `passkey` and `recovery_code` as the account has them, or `password` for an
    /// account without a second factor.
    pub methods: Vec<String>,
}

impl Asked {
    /// The request a refusal asks to confirm, if it is that refusal.
    pub fn from_refusal(status: u16, body: &str) -> Option<Self> {
        if status != 403 {
            return None;
        }
        let json = Value::parse(body).ok()?;
        if json["code"].as_str() != Some("confirmation_required") {
            return None;
        }
        let text = |key: &str| json[key].as_str().map(str::to_owned);
        Some(Self {
            action: text("action")?,
            target: text("target")?,
            summary: text("summary").unwrap_or_default(),
            methods: json["methods"]
                .as_array()
                .map(|m| {
                    m.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    /// Whether the operator proves it with a code of their second factor (else their password).
    pub fn by_code(&self) -> bool {
        self.methods
            .iter()
            .any(|m| m == "totp" || m == "recovery_code")
    }

    /// Whether one of the operator's passkeys can prove it.
    pub fn by_passkey(&self) -> bool {
        self.methods.iter().any(|m| m == "passkey")
    }
}

/// A confirmation waiting: its number, what it asks, and where its proof (or `None`,
/// declined) goes.
type Waiting = (u64, Asked, oneshot::Sender<Option<String>>);

/// The confirmations waiting for the operator, oldest first: the first is asked,
/// the others wait their turn. Each has its own number, so an answer reaches the
/// request it was given for, even one that arrives late.
#[derive(Clone, Copy)]
pub struct Confirmations {
    shown: RwSignal<Option<(u64, Asked)>>,
    queue: StoredValue<VecDeque<Waiting>, LocalStorage>,
    asked: StoredValue<u64>,
}

impl Confirmations {
    pub fn new() -> Self {
        Self {
            shown: RwSignal::new(None),
            queue: StoredValue::new_local(VecDeque::new()),
            asked: StoredValue::new(0),
        }
    }

    /// The confirmation to ask now, with its number, if any.
    pub fn shown(self) -> Option<(u64, Asked)> {
        self.shown.get()
    }

    /// The proof the operator gives for `asked`, or `None` when they decline.
    pub async fn proof(self, asked: Asked) -> Option<String> {
        let (tell, told) = oneshot::channel();
        let id = self.asked.get_value() + 1;
        self.asked.set_value(id);
        self.queue.update_value(|q| q.push_back((id, asked, tell)));
        self.show_next();
        told.await.ok().flatten()
    }

    /// The operator's answer to confirmation `id`: a proof, or `None` to decline. A proof
    /// answers every waiting request for the same action on the same target too.
    pub fn answer(self, id: u64, proof: Option<String>) {
        let Some(asked) = self
            .queue
            .with_value(|q| q.iter().find(|(i, ..)| *i == id).map(|(_, a, _)| a.clone()))
        else {
            return;
        };
        let answered = self.queue.try_update_value(|q| {
            let (same, rest): (VecDeque<_>, VecDeque<_>) = q
                .drain(..)
                .partition(|(i, a, _)| *i == id || (proof.is_some() && *a == asked));
            *q = rest;
            same
        });
        for (_, _, tell) in answered.into_iter().flatten() {
            let _ = tell.send(proof.clone());
        }
        self.show_next();
    }

    /// Every waiting confirmation declined: the session that asked has ended.
    pub fn decline_all(self) {
        let waiting = self
            .queue
            .try_update_value(std::mem::take)
            .unwrap_or_default();
        for (_, _, tell) in waiting {
            let _ = tell.send(None);
        }
        self.shown.try_set(None);
    }

    fn show_next(self) {
        // A request no longer waiting (its page is gone) is not asked about.
        self.queue
            .update_value(|q| q.retain(|(_, _, tell)| !tell.is_canceled()));
        let next = self
            .queue
            .with_value(|q| q.front().map(|(id, asked, _)| (*id, asked.clone())));
        if self.shown.get_untracked() != next {
            self.shown.set(next);
        }
    }
}

impl Default for Confirmations {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::Asked;

    const REFUSAL: &str = r#"{"detail":"Confirm it first","code":"confirmation_required",
        "action":"restoreSnapshot","target":"3","summary":"Restore snapshot #3",
        "methods":["totp","recovery_code"]}"#;

    #[test]
    fn a_confirmation_refusal_names_the_action_its_target_and_how_to_prove() {
        let asked = Asked::from_refusal(403, REFUSAL).expect("a confirmation refusal");
        assert_eq!(asked.action, "restoreSnapshot");
        assert_eq!(asked.target, "3");
        assert_eq!(asked.summary, "Restore snapshot #3");
        assert!(asked.by_code());
        let by_password = REFUSAL.replace(r#"["totp","recovery_code"]"#, r#"["password"]"#);
        assert!(!Asked::from_refusal(403, &by_password).unwrap().by_code());
    }

    #[test]
    fn other_refusals_are_not_confirmations() {
        assert_eq!(Asked::from_refusal(401, REFUSAL), None);
        assert_eq!(
            Asked::from_refusal(403, r#"{"detail":"needs admin"}"#),
            None
        );
        assert_eq!(
            Asked::from_refusal(403, r#"{"detail":"x","code":"not_for_api_keys"}"#),
            None
        );
        assert_eq!(Asked::from_refusal(403, "<html>"), None);
        // A refusal without its action cannot be proved: it stays a refusal.
        assert_eq!(
            Asked::from_refusal(403, r#"{"code":"confirmation_required","target":"3"}"#),
            None
        );
    }
}

//! What the operator typed and has not sent yet. A draft lives in this tab's
//! `sessionStorage`, so it outlives the view that shows it: a dialog closed by
//! Escape, a page left and come back to, a session that expired and was
//! renewed, a reload for a new build. It ends when what it was typed for has
//! been done (the caller clears it) or when the operator logs out.
//!
//! Only free text and choices are drafts, never a password.

use leptos::prelude::*;

const PREFIX: &str = "galaxy_draft:";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// A signal holding the draft stored under `key`, "" if there is none. Every
/// change is written through; setting it to "" forgets it.
pub fn draft(key: &str) -> RwSignal<String> {
    let key = format!("{PREFIX}{key}");
    let stored = storage()
        .and_then(|s| s.get_item(&key).ok().flatten())
        .unwrap_or_default();
    let text = RwSignal::new(stored);
    Effect::new(move |_| {
        let Some(s) = storage() else { return };
        text.with(|t| {
            let _ = if t.is_empty() {
                s.remove_item(&key)
            } else {
                s.set_item(&key, t)
            };
        });
    });
    text
}

/// Forgets the draft stored under `key`, for a view that is going away.
pub fn forget(key: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(&format!("{PREFIX}{key}"));
    }
}

/// Forgets every draft of this tab: the operator logged out.
pub fn forget_all() {
    let Some(s) = storage() else { return };
    let keys: Vec<String> = (0..s.length().unwrap_or(0))
        .filter_map(|i| s.key(i).ok().flatten())
        .filter(|k| k.starts_with(PREFIX))
        .collect();
    for key in keys {
        let _ = s.remove_item(&key);
    }
}

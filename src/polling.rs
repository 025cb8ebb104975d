//! Timers that respect the operator's machine: nothing runs while the tab is
//! hidden, and everything is cleaned up with the component that started it.

use std::time::Duration;

use leptos::prelude::*;

pub fn page_visible() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_none_or(|d| d.visibility_state() == web_sys::VisibilityState::Visible)
}

/// Runs `tick` now, then every `interval` while the tab is visible, and at
/// once when the tab becomes visible again.
pub fn poll_while_visible(interval: Duration, tick: impl Fn() + Clone + Send + Sync + 'static) {
    tick();
    let on_interval = tick.clone();
    if let Ok(handle) = set_interval_with_handle(
        move || {
            if page_visible() {
                on_interval();
            }
        },
        interval,
    ) {
        on_cleanup(move || handle.clear());
    }
    let listener = window_event_listener(leptos::ev::visibilitychange, move |_| {
        if page_visible() {
            tick();
        }
    });
    on_cleanup(move || listener.remove());
}

/// Sets the document title for the current page.
pub fn set_title(page: &str) {
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        document.set_title(&format!("{page} · Galaxy admin"));
    }
}

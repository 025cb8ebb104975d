//! Light and dark themes: the OS decides until the operator chooses, and the
//! choice is remembered in this browser.

use leptos::prelude::*;

const STORAGE_KEY: &str = "galaxy_admin_theme";

fn stored() -> Option<String> {
    web_sys::window()?
        .local_storage()
        .ok()??
        .get_item(STORAGE_KEY)
        .ok()?
}

fn os_prefers_dark() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches())
}

fn apply(theme: Option<&str>) {
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = match theme {
            Some(t) => root.set_attribute("data-theme", t),
            None => root.remove_attribute("data-theme"),
        };
    }
}

/// Applies the remembered choice, if any; call once at start-up.
pub fn init() {
    apply(
        stored()
            .as_deref()
            .filter(|t| *t == "light" || *t == "dark"),
    );
}

#[component]
pub fn ThemeToggle() -> impl IntoView {
    let dark = RwSignal::new(match stored().as_deref() {
        Some("dark") => true,
        Some("light") => false,
        _ => os_prefers_dark(),
    });
    let toggle = move |_| {
        let next = if dark.get_untracked() {
            "light"
        } else {
            "dark"
        };
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = storage.set_item(STORAGE_KEY, next);
        }
        apply(Some(next));
        dark.set(next == "dark");
    };
    view! {
        // A toggle keeps one name; its state is aria-pressed (and the look of the page).
        <button type="button" class="button theme-toggle" on:click=toggle aria-pressed=move || dark.get().to_string()>
            "Dark theme"
        </button>
    }
}

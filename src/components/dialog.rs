//! Modal dialogs: focus moves in, Tab stays in, Escape closes, and focus goes
//! back where it was.

use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_bindgen::JsCast;

const FOCUSABLE: &str = "button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), a[href], [tabindex]:not([tabindex='-1'])";

fn focusables(root: &web_sys::Element) -> Vec<web_sys::HtmlElement> {
    let Ok(list) = root.query_selector_all(FOCUSABLE) else {
        return vec![];
    };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        .collect()
}

#[component]
pub fn Modal(
    /// Heading, also the dialog's accessible name.
    title: String,
    on_close: Callback<()>,
    children: Children,
) -> impl IntoView {
    let panel = NodeRef::<leptos::html::Div>::new();
    let opener = SendWrapper::new(
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.active_element()),
    );
    on_cleanup(move || {
        if let Some(el) = opener
            .take()
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    });
    Effect::new(move |_| {
        if let Some(panel) = panel.get() {
            // The first field if there is one, else the first button.
            let first = panel
                .query_selector("input:not([disabled])")
                .ok()
                .flatten()
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
                .or_else(|| focusables(&panel).into_iter().next());
            if let Some(first) = first {
                let _ = first.focus();
            }
        }
    });
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            on_close.run(());
            return;
        }
        if ev.key() != "Tab" {
            return;
        }
        let Some(panel) = panel.get_untracked() else {
            return;
        };
        let items = focusables(&panel);
        let (Some(first), Some(last)) = (items.first(), items.last()) else {
            return;
        };
        let active = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.active_element());
        let at = |el: &web_sys::HtmlElement| {
            active
                .as_ref()
                .is_some_and(|a| a == el.unchecked_ref::<web_sys::Element>())
        };
        if ev.shift_key() && at(first) {
            ev.prevent_default();
            let _ = last.focus();
        } else if !ev.shift_key() && at(last) {
            ev.prevent_default();
            let _ = first.focus();
        }
    };
    view! {
        <div class="modal-backdrop" on:click=move |_| on_close.run(())></div>
        <div
            class="modal"
            role="dialog"
            aria-modal="true"
            aria-labelledby="modal-title"
            node_ref=panel
            on:keydown=on_keydown
        >
            <h2 id="modal-title">{title}</h2>
            {children()}
        </div>
    }
}

/// A confirmation for a dangerous action. With `require_text`, the confirm button
/// stays disabled until the operator types that text exactly.
#[component]
pub fn ConfirmDialog(
    title: String,
    message: String,
    confirm_label: String,
    busy: Signal<bool>,
    error: Signal<Option<String>>,
    on_confirm: Callback<()>,
    on_cancel: Callback<()>,
    #[prop(optional)] require_text: Option<String>,
) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let required = require_text.clone();
    let matches = move || required.as_ref().is_none_or(|r| typed.get() == *r);
    view! {
        <Modal title on_close=on_cancel>
            <p>{message}</p>
            {require_text.map(|text| view! {
                <label for="confirm-text">{format!("Type {text} to confirm")}</label>
                <input
                    id="confirm-text"
                    autocomplete="off"
                    spellcheck="false"
                    prop:value=typed
                    on:input=move |ev| typed.set(event_target_value(&ev))
                />
            })}
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <div class="modal-actions">
                <button type="button" class="button" on:click=move |_| on_cancel.run(()) disabled=busy>"Cancel"</button>
                <button
                    type="button"
                    class="button danger"
                    disabled=move || busy.get() || !matches()
                    on:click=move |_| on_confirm.run(())
                >
                    {move || if busy.get() { "Working…".to_owned() } else { confirm_label.clone() }}
                </button>
            </div>
        </Modal>
    }
}

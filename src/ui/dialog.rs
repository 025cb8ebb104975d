//! Modal dialogs on the native `<dialog>` and `showModal()`: the browser makes
//! the rest of the page inert, keeps focus inside and closes on Escape. While
//! the dialog's request runs it stays open and modal: nothing closes it, so a
//! late answer can never act on another dialog opened after it. A click beside
//! a dialog that holds typed text does not close it; what is typed in one is a
//! draft (`infra::draft`), there again when it opens again.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::infra::draft;
use crate::infra::json::{object, Value};

const UNMOUNTED: &str = "unmounted";

#[component]
pub fn Modal(
    /// Heading, also the dialog's accessible name.
    title: String,
    on_close: Callback<()>,
    /// While true, Escape, the backdrop and Cancel leave the dialog open.
    #[prop(into, optional)]
    busy: Signal<bool>,
    children: Children,
) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    // Its own id: a dialog can open over another (signing in again over a ban).
    let title_id = format!("modal-title-{}", next_id());
    let labelled_by = title_id.clone();
    // Leaving the DOM is not closing: close it first, which gives focus back to
    // whatever had it before (the browser remembers), and mark why, so the
    // `close` event that follows is not taken for the operator's.
    on_cleanup(move || {
        if let Some(d) = dialog.try_get_untracked().flatten() {
            d.set_return_value(UNMOUNTED);
            d.close();
        }
    });
    Effect::new(move |_| {
        if dialog.get().is_some() {
            open_when_connected(dialog);
        }
    });
    let close = move || {
        if !busy.get_untracked() {
            on_close.run(());
        }
    };
    // Escape: `cancel` first, which can be refused while busy...
    let on_cancel = move |ev: web_sys::Event| {
        ev.prevent_default();
        close();
    };
    // ...but Chromium closes anyway on a second Escape without user activation
    // in between; then the dialog reopens if its request still runs.
    let on_native_close = move |ev: leptos::ev::Event| {
        let Some(d) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlDialogElement>().ok())
        else {
            return;
        };
        if d.return_value() == UNMOUNTED {
            return;
        }
        if busy.try_get_untracked().unwrap_or(false) {
            let _ = d.show_modal();
        } else {
            on_close.run(());
        }
    };
    // The browser keeps focus out of the inert page, but Tab past the last control
    // would leave for the browser's own UI: wrap it round instead.
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let Some(d) = dialog.get_untracked().filter(|_| ev.key() == "Tab") else {
            return;
        };
        let Ok(list) = d.query_selector_all(FOCUSABLE) else {
            return;
        };
        let (Some(first), Some(last)) = (list.item(0), list.item(list.length().saturating_sub(1)))
        else {
            return;
        };
        let active: Option<web_sys::Node> = d
            .owner_document()
            .and_then(|doc| doc.active_element())
            .map(Into::into);
        let (from, to) = if ev.shift_key() {
            (first, last)
        } else {
            (last, first)
        };
        if active.as_ref() == Some(&from) {
            ev.prevent_default();
            let _ = to.unchecked_ref::<web_sys::HtmlElement>().focus();
        }
    };
    // Padding lives on the body, so only the backdrop hits the dialog element itself.
    // A stray click there must not close what the operator is typing in.
    let on_click = move |ev: leptos::ev::MouseEvent| {
        let on_backdrop = dialog.get_untracked().filter(|d| {
            ev.target()
                .is_some_and(|t| t == *d.unchecked_ref::<web_sys::EventTarget>())
        });
        if on_backdrop.is_some_and(|d| !holds_typed_text(&d)) {
            close();
        }
    };
    view! {
        <dialog
            class="modal"
            aria-labelledby=labelled_by
            node_ref=dialog
            on:cancel=on_cancel
            on:close=on_native_close
            on:click=on_click
            on:keydown=on_keydown
        >
            <div class="modal-body">
                <h2 id=title_id>{title}</h2>
                {children()}
            </div>
        </dialog>
    }
}

/// Opens the dialog once it is in the document: one built inside a `Suspense` (a split
/// module's view, such as the command palette's) gets there only after its effects ran,
/// and `showModal()` refuses a dialog that is not in the document.
fn open_when_connected(dialog: NodeRef<leptos::html::Dialog>) {
    let Some(d) = dialog.try_get_untracked().flatten() else {
        return;
    };
    if !d.is_connected() {
        request_animation_frame(move || open_when_connected(dialog));
    } else if !d.open() {
        let _ = d.show_modal();
    }
}

fn next_id() -> u32 {
    thread_local! {
        static NEXT: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    }
    NEXT.with(|n| {
        n.set(n.get().wrapping_add(1));
        n.get()
    })
}

/// Everything Tab can reach, in the order the browser visits it.
const FOCUSABLE: &str = "button:not([disabled]),input:not([disabled]),select:not([disabled]),textarea:not([disabled]),a[href],[tabindex]:not([tabindex='-1'])";

/// Whether a text field in the dialog holds something the operator typed.
fn holds_typed_text(dialog: &web_sys::HtmlDialogElement) -> bool {
    let Ok(fields) =
        dialog.query_selector_all("textarea,input:not([type=checkbox]):not([type=radio])")
    else {
        return false;
    };
    (0..fields.length())
        .filter_map(|i| fields.item(i))
        .any(|f| {
            js_sys::Reflect::get(&f, &"value".into())
                .ok()
                .and_then(|v| v.as_string())
                .is_some_and(|v| !v.trim().is_empty())
        })
}

/// The body that carries an operator's reason into the audit log, if they gave one.
pub fn reason_body(reason: RwSignal<String>) -> Option<Value> {
    let text = reason.get_untracked();
    let text = text.trim();
    (!text.is_empty()).then(|| object([("reason", text.into())]))
}

/// A confirmation for a dangerous action. With `require_text`, the confirm button
/// stays disabled until the operator types that text exactly; with `reason`, the
/// operator may say why, for the audit log. The reason is a draft of this very
/// confirmation (its title names the action and its target): it is there again
/// when the same confirmation opens again, and forgotten once it was confirmed.
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
    #[prop(optional)] reason: Option<RwSignal<String>>,
) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let key = format!("reason:{title}");
    if let Some(reason) = reason {
        let kept = draft::draft(&key);
        reason.set(kept.get_untracked());
        Effect::new(move |_| kept.set(reason.get()));
    }
    // Confirmed and gone without an error: the reason went with the action.
    let confirmed = StoredValue::new(false);
    on_cleanup(move || {
        if confirmed.try_get_value() == Some(true) && error.try_get_untracked().flatten().is_none()
        {
            draft::forget(&key);
        }
    });
    let required = require_text.clone();
    let matches = move || required.as_ref().is_none_or(|r| typed.get() == *r);
    view! {
        <Modal title on_close=on_cancel busy>
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
            {reason.map(|reason| view! {
                <label for="confirm-reason">"Reason (optional, kept in the audit log)"</label>
                <textarea
                    id="confirm-reason"
                    rows="2"
                    maxlength="500"
                    prop:value=reason
                    on:input=move |ev| reason.set(event_target_value(&ev))
                ></textarea>
            })}
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <div class="modal-actions">
                <button type="button" class="button" on:click=move |_| on_cancel.run(()) disabled=busy>"Cancel"</button>
                <button
                    type="button"
                    class="button danger"
                    disabled=move || busy.get() || !matches()
                    on:click=move |_| { confirmed.set_value(true); on_confirm.run(()) }
                >
                    {move || if busy.get() { "Working…".to_owned() } else { confirm_label.clone() }}
                </button>
            </div>
        </Modal>
    }
}

//! Short-lived notices: a mutation succeeded, services were updated; a change
//! that can be taken back offers Undo while it shows.

use std::time::Duration;

use leptos::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Success,
    Info,
}

#[derive(Clone)]
struct Toast {
    id: u64,
    kind: Kind,
    text: String,
    undo: Option<Callback<()>>,
    /// Dismissed or timed out. It keeps its place until every toast is gone, so the
    /// unkeyed list below never shifts one toast into another's node: nothing is
    /// re-announced and focus stays where it is.
    gone: bool,
}

#[derive(Clone, Copy)]
pub struct Toasts {
    list: RwSignal<Vec<Toast>>,
    next_id: StoredValue<u64>,
    /// Toasts under the pointer or holding the focus: their time does not run
    /// out while the operator is reading or reaching for Undo (WCAG 2.2.1).
    /// Kept beside the list, so holding one rebuilds nothing.
    held: StoredValue<Vec<u64>>,
    /// Toasts whose time ran out while held, with their time to show again once let go.
    due: StoredValue<Vec<(u64, Duration)>>,
}

pub fn use_toasts() -> Toasts {
    expect_context::<Toasts>()
}

impl Toasts {
    pub fn provide() -> Self {
        let toasts = Self {
            list: RwSignal::new(Vec::new()),
            next_id: StoredValue::new(0),
            held: StoredValue::new(Vec::new()),
            due: StoredValue::new(Vec::new()),
        };
        provide_context(toasts);
        toasts
    }

    pub fn success(&self, text: impl Into<String>) {
        self.push(Kind::Success, text.into(), Duration::from_secs(4), None);
    }

    pub fn info(&self, text: impl Into<String>, for_how_long: Duration) {
        self.push(Kind::Info, text.into(), for_how_long, None);
    }

    /// A success that `undo` takes back, offered for 10 seconds; the id dismisses it
    /// early (when what it would undo is no longer on screen).
    pub fn with_undo(&self, text: impl Into<String>, undo: Callback<()>) -> u64 {
        self.push(
            Kind::Success,
            text.into(),
            Duration::from_secs(10),
            Some(undo),
        )
    }

    fn push(
        &self,
        kind: Kind,
        text: String,
        for_how_long: Duration,
        undo: Option<Callback<()>>,
    ) -> u64 {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        self.list.update(|l| {
            l.push(Toast {
                id,
                kind,
                text,
                undo,
                gone: false,
            })
        });
        self.time_out(id, for_how_long);
        id
    }

    /// Dismisses toast `id` after `after`, unless it is held then.
    fn time_out(&self, id: u64, after: Duration) {
        let this = *self;
        set_timeout(
            move || {
                if this.held.with_value(|h| h.contains(&id)) {
                    this.due.update_value(|d| d.push((id, after)));
                } else {
                    this.dismiss(id);
                }
            },
            after,
        );
    }

    /// Held by the pointer or the focus (each counts: both must let go).
    fn hold(&self, id: u64) {
        self.held.update_value(|h| h.push(id));
    }

    /// Let go: a toast whose time ran out while held gets its full time again.
    fn release(&self, id: u64) {
        let still_held = self.held.try_update_value(|h| {
            if let Some(at) = h.iter().position(|&i| i == id) {
                h.remove(at);
            }
            h.contains(&id)
        });
        if still_held != Some(false) {
            return;
        }
        let mut again = None;
        self.due.update_value(|d| {
            if let Some(at) = d.iter().position(|(i, _)| *i == id) {
                again = Some(d.remove(at).1);
            }
        });
        if let Some(after) = again {
            self.time_out(id, after);
        }
    }

    pub fn dismiss(&self, id: u64) {
        self.list.try_update(|l| {
            for t in l.iter_mut().filter(|t| t.id == id) {
                t.gone = true;
            }
            if l.iter().all(|t| t.gone) {
                l.clear();
            }
        });
    }
}

#[component]
pub fn ToastHost() -> impl IntoView {
    let toasts = use_toasts();
    view! {
        <div class="toasts" role="status" aria-live="polite">
            // A plain list, not a keyed <For>, for a fraction of its code: toasts keep
            // their places (see `gone`), so it patches nothing but the one that changed.
            {move || toasts.list.get().into_iter().map(|toast| view! {
                <div
                    class=match toast.kind { Kind::Success => "toast success", Kind::Info => "toast info" }
                    hidden=toast.gone
                    on:mouseenter=move |_| toasts.hold(toast.id)
                    on:mouseleave=move |_| toasts.release(toast.id)
                    on:focusin=move |_| toasts.hold(toast.id)
                    on:focusout=move |_| toasts.release(toast.id)
                >
                    <span>{toast.text}</span>
                    {toast.undo.map(|undo| view! {
                        <button type="button" class="button" on:click=move |_| { toasts.dismiss(toast.id); undo.run(()) }>"Undo"</button>
                    })}
                    <button type="button" class="toast-close" aria-label="Dismiss" on:click=move |_| toasts.dismiss(toast.id)>
                        "×"
                    </button>
                </div>
            }).collect_view()}
        </div>
    }
}

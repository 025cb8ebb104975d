//! The command palette: Ctrl/Cmd+K or the top bar's button opens a dialog that jumps to
//! a page or a player, or starts an action the role allows. The shortcut, the button and
//! the actions live here in the shell; the dialog (`dialog`) is a module of its own
//! (`app::chunks`), fetched the first time it opens, so the cold load does not carry it.
//! Actions make the same calls and ask the same questions as the pages that offer them.

pub mod commands;
pub(super) mod dialog;

use gloo_net::http::Method;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::infra::api::types::Snapshot;
use crate::infra::api::use_api;
use crate::infra::mutation::Mutation;
use crate::infra::session::use_session;
use crate::pages::overview::status::use_game_status;
use crate::pages::overview::{self, PauseDialog};
use crate::routes::Route;
use crate::ui::toast::use_toasts;
use commands::Command;

#[derive(Clone, Copy)]
struct Palette {
    open: RwSignal<bool>,
}

/// What the dialog is given by the host. By context: a split module's entry takes no arguments.
#[derive(Clone, Copy)]
pub(super) struct Host {
    pub offered: Memo<Vec<Command>>,
    pub run: Callback<Command>,
    pub on_close: Callback<()>,
    pub busy: Signal<bool>,
    pub error: Signal<Option<String>>,
}

/// The palette's state, for the button in the top bar and the host below.
pub fn provide() {
    provide_context(Palette {
        open: RwSignal::new(false),
    });
}

#[component]
pub fn PaletteButton() -> impl IntoView {
    let Palette { open } = expect_context();
    view! {
        <button
            type="button"
            class="button palette-button"
            aria-haspopup="dialog"
            aria-keyshortcuts="Control+K Meta+K"
            on:click=move |_| open.set(true)
        >
            "Search or jump…"
            <kbd>"Ctrl K"</kbd>
        </button>
    }
}

/// The shortcut, the palette while it is open, and what its choices start.
#[component]
pub fn PaletteHost() -> impl IntoView {
    let Palette { open } = expect_context();
    let api = use_api();
    let session = use_session();
    let status = use_game_status();
    let toasts = use_toasts();
    let navigate = use_navigate();
    let action = Mutation::new();
    let pausing = RwSignal::new(false);
    let shortcut = window_event_listener(leptos::ev::keydown, move |e| {
        let (key, code) = (e.key(), e.code());
        if !commands::is_shortcut(
            &key,
            &code,
            e.ctrl_key(),
            e.meta_key(),
            e.alt_key(),
            e.shift_key(),
        ) {
            return;
        }
        // The browser's own Ctrl+K (its search bar) would take the focus away.
        e.prevent_default();
        if open.get_untracked() {
            if !action.busy.get_untracked() {
                open.set(false);
            }
        } else if !dialog_open() {
            open.set(true);
        }
    });
    on_cleanup(move || shortcut.remove());
    // Each opening starts afresh: an earlier action's error is not this one's.
    Effect::new(move |_| {
        if open.get() {
            action.clear();
        }
    });
    let offered = Memo::new(move |_| {
        let paused = status.latest.with(|s| s.as_ref().map(|s| s.paused));
        commands::offered(session.role(), paused)
    });
    let run = Callback::new(move |command: Command| {
        let go = |route: Route| {
            open.set(false);
            navigate(&route.path(), Default::default());
        };
        match command {
            Command::Go(route) => go(route),
            Command::Player { id, .. } => go(Route::Player(id)),
            Command::NewSchedule | Command::MessagePlayers => go(Route::Schedules),
            Command::Pause => {
                open.set(false);
                // Asked once the palette has given the focus back, so the question
                // returns it there too when it is answered.
                request_animation_frame(move || {
                    pausing.try_set(true);
                });
            }
            Command::Resume => overview::resume(api, status, toasts, action, move || {
                open.try_set(false);
            }),
            Command::Snapshot => action.run(
                api.json::<Snapshot>(Method::POST, "/admin/snapshots", None),
                move |s| {
                    toasts.success(crate::pages::snapshots::taken(&s));
                    open.try_set(false);
                },
            ),
            Command::LogOut => {
                open.set(false);
                api.log_out();
            }
        }
    });
    provide_context(Host {
        offered,
        run,
        on_close: Callback::new(move |_| open.set(false)),
        busy: action.busy(),
        error: action.message(),
    });
    view! {
        {move || open.get().then(super::chunks::palette_dialog)}
        {move || pausing.get().then(|| view! {
            <PauseDialog mutation=action on_close=Callback::new(move |_| pausing.set(false)) />
        })}
    }
}

/// Whether a dialog is open already: the palette does not open over a question.
fn dialog_open() -> bool {
    document()
        .query_selector("dialog[open]")
        .ok()
        .flatten()
        .is_some()
}

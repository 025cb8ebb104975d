//! The overview: the live game status and the controls that pause and resume it.
//! Everything here is built once and reads the status store reactively, so a
//! poll changes the figures and nothing else: an open dialog, an error or a
//! request in flight survive any number of polls.

pub mod chart;
pub mod charts;
pub mod history;
pub mod next_operation;
pub mod status;
pub mod ticks;

use gloo_net::http::Method;
use leptos::prelude::*;

use crate::infra::api::types::GameStatus;
use crate::infra::api::{use_api, Api};
use crate::infra::mutation::Mutation;
use crate::infra::polling::Clock;
use crate::infra::session::{use_session, Role};
use crate::ui::dialog::{reason_body, ConfirmDialog};
use crate::ui::format;
use crate::ui::toast::{use_toasts, Toasts};
use status::{lag, use_game_status, GameStatusStore, Lag};

#[component]
pub fn OverviewPage() -> impl IntoView {
    crate::infra::polling::set_title("Overview");
    let status = use_game_status();
    // A memo, so the view below is built when the first status arrives and never again.
    let loaded = Memo::new(move |_| status.latest.with(Option::is_some));
    view! {
        <section class="page overview">
            <h1>"Overview"</h1>
            // The error is read only before the first status: afterwards Freshness shows it.
            {move || if loaded.get() {
                view! { <StatusCards /> <Freshness /> <GameControls /> <next_operation::NextOperation /> <charts::Charts /> }.into_any()
            } else if let Some(e) = status.error.get() {
                view! { <p class="load-error" role="alert">{e.message()}</p> }.into_any()
            } else {
                view! { <p class="loading" aria-busy="true">"Loading game status…"</p> }.into_any()
            }}
        </section>
    }
}

#[component]
fn StatusCards() -> impl IntoView {
    let store = use_game_status();
    let field = move |f: fn(&GameStatus) -> String| {
        move || store.latest.with(|s| s.as_ref().map(f).unwrap_or_default())
    };
    let paused = move || store.latest.with(|s| s.as_ref().is_some_and(|s| s.paused));
    let lag_class = move || {
        let behind = store
            .latest
            .with(|s| s.as_ref().map_or(0, |s| s.ticks_behind));
        match lag(behind) {
            Lag::Healthy => "card lag ok",
            Lag::Warning => "card lag warning",
            Lag::Critical => "card lag critical",
        }
    };
    view! {
        <dl class="cards" class:stale=move || store.error.with(Option::is_some)>
            <div class="card">
                <dt>"Tick"</dt>
                <dd class="tick" data-testid="tick">{field(|s| format::integer(s.tick))}</dd>
            </div>
            <div class="card">
                <dt>"Game time"</dt>
                <dd data-testid="game-time">{field(|s| format::timestamp(&s.game_time))}</dd>
            </div>
            <div class="card">
                <dt>"Tick rate"</dt>
                <dd data-testid="tick-rate">
                    {field(|s| format!("{}/s actual", format::fixed(s.actual_rate, 2)))}
                    <span class="sub">{field(|s| format!(" of {}/s configured", format::fixed(s.tick_rate, 2)))}</span>
                </dd>
            </div>
            <div class="card">
                <dt>"State"</dt>
                <dd data-testid="game-state" class=move || if paused() { "state paused" } else { "state running" }>
                    {move || if paused() { "Paused" } else { "Running" }}
                </dd>
            </div>
            <div class=lag_class>
                <dt>"Ticks behind"</dt>
                <dd data-testid="ticks-behind">{field(|s| format::integer(s.ticks_behind))}</dd>
            </div>
            <div class="card">
                <dt>"Players online"</dt>
                <dd data-testid="players-online">{field(|s| format::integer(s.players_online))}</dd>
            </div>
        </dl>
    }
}

/// How old the figures are, and why they stopped updating if they did.
#[component]
fn Freshness() -> impl IntoView {
    let store = use_game_status();
    let now = Clock::use_now();
    let age = move || {
        store
            .updated_at_ms
            .get()
            .map(|at| format!("Updated {} ago", format::remaining(now.get() - at)))
    };
    view! {
        <p class="freshness" data-testid="freshness">{age}</p>
        {move || store.error.get().map(|e| view! {
            <p class="form-error" role="alert" data-testid="status-error">
                {format!("Could not refresh the status: {} The figures above are the last ones received.", e.message())}
            </p>
        })}
    }
}

#[component]
fn GameControls() -> impl IntoView {
    let api = use_api();
    let store = use_game_status();
    let toasts = use_toasts();
    let mutation = Mutation::new();
    let confirming = RwSignal::new(false);
    let paused = Memo::new(move |_| store.latest.with(|s| s.as_ref().is_some_and(|s| s.paused)));
    let session = use_session();
    let disabled = move || mutation.busy.get() || session.lacks(Role::Operator);
    let on_resume = move |_| resume(api, store, toasts, mutation, || {});
    let ask_pause = move |_| {
        mutation.clear();
        confirming.set(true)
    };
    view! {
        <div class="controls">
            <div class="action-bar">
            {move || if paused.get() {
                view! {
                    <button type="button" class="button primary" disabled=disabled on:click=on_resume>
                        {move || if mutation.busy.get() { "Resuming…" } else { "Resume game" }}
                    </button>
                }.into_any()
            } else {
                view! {
                    <button type="button" class="button danger" disabled=disabled on:click=ask_pause>
                        "Pause game"
                    </button>
                }.into_any()
            }}
            </div>
            {move || session.note(Role::Operator, "pause or resume the game").map(|n| view! { <p class="needs">{n}</p> })}
            // The dialog shows its own error; this one is Resume's.
            {move || mutation.error.get().filter(|_| !confirming.get()).map(|e| view! { <p class="form-error" role="alert">{e.message()}</p> })}
            {move || confirming.get().then(|| view! {
                <PauseDialog mutation on_close=Callback::new(move |_| confirming.set(false)) />
            })}
        </div>
    }
}

/// Resumes the game, then `done`: the overview's button and the command palette's action.
pub fn resume(
    api: Api,
    store: GameStatusStore,
    toasts: Toasts,
    mutation: Mutation,
    done: impl FnOnce() + 'static,
) {
    mutation.run(
        api.json::<GameStatus>(Method::POST, "/admin/game/resume", None),
        move |s| {
            store.apply(Ok(s));
            toasts.success("Game resumed");
            done();
        },
    )
}

/// Asks before pausing the game, then pauses it: the overview's button and the command
/// palette's action ask the same question and make the same call.
#[component]
pub fn PauseDialog(mutation: Mutation, on_close: Callback<()>) -> impl IntoView {
    let api = use_api();
    let store = use_game_status();
    let toasts = use_toasts();
    let reason = RwSignal::new(String::new());
    let pause = move || {
        mutation.run(
            api.json::<GameStatus>(Method::POST, "/admin/game/pause", reason_body(reason)),
            move |s| {
                on_close.run(());
                store.apply(Ok(s));
                toasts.success("Game paused");
            },
        )
    };
    view! {
        <ConfirmDialog
            title="Pause the game?".to_owned()
            message="Time stops for every player until the game is resumed. Players stay connected.".to_owned()
            confirm_label="Pause game".to_owned()
            busy=mutation.busy()
            error=mutation.message()
            on_confirm=Callback::new(move |_| pause())
            on_cancel=on_close
            reason
        />
    }
}

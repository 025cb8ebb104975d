use gloo_net::http::Method;
use leptos::prelude::*;

use crate::api::types::GameStatus;
use crate::api::use_api;
use crate::components::dialog::ConfirmDialog;
use crate::format;
use crate::mutation::Mutation;
use crate::status::{lag, use_game_status, Lag};
use crate::toast::use_toasts;

#[component]
pub fn OverviewPage() -> impl IntoView {
    crate::polling::set_title("Overview");
    let status = use_game_status();
    view! {
        <section class="page overview">
            <h1>"Overview"</h1>
            {move || match (status.latest.get(), status.error.get()) {
                (Some(s), _) => { let paused = s.paused; view! { <StatusCards status=s /> <GameControls paused /> }.into_any() }
                (None, Some(e)) => view! { <p class="load-error" role="alert">{e.message()}</p> }.into_any(),
                (None, None) => view! { <p class="loading" aria-busy="true">"Loading game status…"</p> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn StatusCards(status: GameStatus) -> impl IntoView {
    let lag_class = match lag(status.ticks_behind) {
        Lag::Healthy => "ok",
        Lag::Warning => "warning",
        Lag::Critical => "critical",
    };
    view! {
        <dl class="cards">
            <div class="card">
                <dt>"Tick"</dt>
                <dd class="tick" data-testid="tick">{format::integer(status.tick)}</dd>
            </div>
            <div class="card">
                <dt>"Game time"</dt>
                <dd data-testid="game-time">{format::timestamp(&status.game_time)}</dd>
            </div>
            <div class="card">
                <dt>"Tick rate"</dt>
                <dd data-testid="tick-rate">
                    {format!("{}/s actual", format::fixed(status.actual_rate, 2))}
                    <span class="sub">{format!(" of {}/s configured", format::fixed(status.tick_rate, 2))}</span>
                </dd>
            </div>
            <div class="card">
                <dt>"State"</dt>
                <dd data-testid="game-state" class=if status.paused { "state paused" } else { "state running" }>
                    {if status.paused { "Paused" } else { "Running" }}
                </dd>
            </div>
            <div class=format!("card lag {lag_class}")>
                <dt>"Ticks behind"</dt>
                <dd data-testid="ticks-behind">{format::integer(status.ticks_behind)}</dd>
            </div>
        </dl>
    }
}

#[component]
fn GameControls(paused: bool) -> impl IntoView {
    let api = use_api();
    let store = use_game_status();
    let toasts = use_toasts();
    let mutation = Mutation::new();
    let confirming = RwSignal::new(false);
    let pause = move || {
        mutation.run(
            api.json::<GameStatus>(Method::POST, "/admin/game/pause", None),
            move |s| {
                confirming.set(false);
                store.apply(Ok(s));
                toasts.success("Game paused");
            },
        )
    };
    let resume = move |_| {
        mutation.run(
            api.json::<GameStatus>(Method::POST, "/admin/game/resume", None),
            move |s| {
                store.apply(Ok(s));
                toasts.success("Game resumed");
            },
        )
    };
    view! {
        <div class="controls">
            {if paused {
                view! {
                    <button type="button" class="button primary" disabled=mutation.busy() on:click=resume>
                        {move || if mutation.busy.get() { "Resuming…" } else { "Resume game" }}
                    </button>
                    {move || mutation.message().get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                }.into_any()
            } else {
                view! {
                    <button type="button" class="button danger" on:click=move |_| { mutation.clear(); confirming.set(true) }>
                        "Pause game"
                    </button>
                }.into_any()
            }}
            <Show when=move || confirming.get()>
                <ConfirmDialog
                    title="Pause the game?".to_owned()
                    message="Time stops for every player until the game is resumed. Players stay connected.".to_owned()
                    confirm_label="Pause game".to_owned()
                    busy=mutation.busy()
                    error=mutation.message()
                    on_confirm=Callback::new(move |_| pause())
                    on_cancel=Callback::new(move |_| confirming.set(false))
                />
            </Show>
        </div>
    }
}

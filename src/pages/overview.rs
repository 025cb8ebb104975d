use gloo_net::http::Method;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::types::GameStatus;
use crate::api::use_api;
use crate::format;
use crate::status::{lag, use_game_status, Lag};

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
                <dd data-testid="game-time">{format::game_time(&status.game_time)}</dd>
            </div>
            <div class="card">
                <dt>"Tick rate"</dt>
                <dd data-testid="tick-rate">
                    {format!("{:.2}/s actual", status.actual_rate)}
                    <span class="sub">{format!(" of {:.2}/s configured", status.tick_rate)}</span>
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
    let busy = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let act = move |path: &'static str| {
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = api.json::<GameStatus>(Method::POST, path, None).await;
            busy.try_set(false);
            confirming.try_set(false);
            match result {
                Ok(s) => store.apply(Ok(s)),
                Err(e) => {
                    error.try_set(Some(e.message()));
                }
            }
        });
    };
    view! {
        <div class="controls">
            {if paused {
                view! {
                    <button type="button" class="button primary" disabled=busy on:click=move |_| act("/admin/game/resume")>
                        {move || if busy.get() { "Resuming…" } else { "Resume game" }}
                    </button>
                }.into_any()
            } else {
                view! {
                    <Show
                        when=move || confirming.get()
                        fallback=move || view! {
                            <button type="button" class="button danger" on:click=move |_| confirming.set(true)>"Pause game"</button>
                        }
                    >
                        <div class="confirm" role="group" aria-label="Confirm pause">
                            <span>"Pause the game for every player?"</span>
                            <button type="button" class="button danger" disabled=busy on:click=move |_| act("/admin/game/pause")>
                                {move || if busy.get() { "Pausing…" } else { "Yes, pause" }}
                            </button>
                            <button type="button" class="button" disabled=busy on:click=move |_| confirming.set(false)>"Cancel"</button>
                        </div>
                    </Show>
                }.into_any()
            }}
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        </div>
    }
}

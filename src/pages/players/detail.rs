use gloo_net::http::Method;
use leptos::prelude::*;

use crate::infra::loader::Loader;
use leptos_router::hooks::use_navigate;

use super::moderation::{ban_text, Moderation, Notes, Timeline};
use super::query::is_uuid;
use crate::infra::api::types::Player;
use crate::infra::api::{use_api, ApiError};
use crate::infra::mutation::Mutation;
use crate::infra::session::{use_session, Role};
use crate::pages::overview::status::use_game_status;
use crate::routes::Route;
use crate::ui::dialog::{reason_body, ConfirmDialog};
use crate::ui::format;
use crate::ui::load::render;
use crate::ui::toast::use_toasts;

#[component]
pub fn PlayerDetailPage(
    /// As it appears in the URL; validated here.
    id: String,
) -> impl IntoView {
    let api = use_api();
    let game = use_game_status();
    let toasts = use_toasts();
    let navigate = use_navigate();
    crate::infra::polling::set_title(&format!("Player {id}"));
    let id = StoredValue::new(id);
    let recoveries = game.recoveries();
    let player = Loader::new(move || {
        let id = id.get_value();
        recoveries.track();
        async move {
            // Only a malformed id is known not to exist; a well-formed one is always asked for.
            if !is_uuid(&id) {
                return Err(ApiError::Status {
                    status: 404,
                    detail: format!("There is no player {id}"),
                });
            }
            api.get::<Player>(format!("/admin/players/{id}")).await
        }
    });
    let retry = Callback::new(move |_| player.refetch());
    // A ban, kick or note changes the player and adds to its timeline.
    let timeline = RwSignal::new(0u32);
    let more_history = Callback::new(move |_| timeline.update(|n| *n += 1));
    let changed = Callback::new(move |_| {
        player.refetch();
        more_history.run(());
    });
    let found = Memo::new(move |_| matches!(player.get(), Some(Ok(_))));
    let deleting = RwSignal::new(false);
    let session = use_session();
    let delete = Mutation::new();
    let reason = RwSignal::new(String::new());

    view! {
        <section class="page player-detail">
            <p><a href=Route::Players.href()>"← All players"</a></p>
            {move || match player.get() {
                Some(Err(ApiError::Status { status: 404, .. })) => view! {
                    <h1>"Player not found"</h1>
                    <p class="empty">{format!("There is no player with id {}. It may have been deleted.", id.get_value())}</p>
                }.into_any(),
                state => render(state, "player", retry, |p| {
                    let name = p.username.clone();
                    let path = format!("/admin/players/{}", p.id);
                    let navigate = navigate.clone();
                    let confirm_delete = Callback::new(move |_| {
                        let (name, navigate) = (name.clone(), navigate.clone());
                        delete.run(api.empty(Method::DELETE, path.clone(), reason_body(reason)), move |_| {
                            toasts.success(format!("Player {name} deleted"));
                            navigate(&Route::Players.path(), Default::default());
                        });
                    });
                    view! {
                        <h1>{p.username.clone()}</h1>
                        <dl class="facts">
                            <dt>"Id"</dt><dd><code>{p.id.clone()}</code></dd>
                            <dt>"Ship"</dt><dd><code>{p.ship_id.clone()}</code></dd>
                            <dt>"Joined"</dt><dd>{format::timestamp(&p.created_at)}</dd>
                            <dt>"Status"</dt><dd data-testid="online">{if p.online { "Online" } else { "Offline" }}</dd>
                            <dt>"Ban"</dt><dd data-testid="ban">{ban_text(&p)}</dd>
                        </dl>
                        <Moderation player=p.clone() changed>
                            <button type="button" class="button danger" disabled=move || session.lacks(Role::Admin) on:click=move |_| { delete.clear(); deleting.set(true) }>
                                "Delete player"
                            </button>
                        </Moderation>
                        {move || session.note(Role::Admin, "delete players").map(|n| view! { <p class="needs">{n}</p> })}
                        {move || deleting.get().then(|| view! {
                            <ConfirmDialog
                                title=format!("Delete player {}?", p.username)
                                message="The player's account and ship are removed for good. This cannot be undone.".to_owned()
                                confirm_label="Delete player".to_owned()
                                require_text=p.username.clone()
                                busy=delete.busy()
                                error=delete.message()
                                on_confirm=confirm_delete
                                on_cancel=Callback::new(move |_| deleting.set(false))
                                reason
                            />
                        })}
                    }.into_any()
                }),
            }}
            // Outside the player's view, which a ban or a kick builds again: a note being
            // typed stays, and the lists load once, then again only when something changed.
            {move || found.get().then(|| view! {
                <Notes id=id.get_value() changed=more_history />
                <Timeline id=id.get_value() reload=timeline.into() />
            })}
        </section>
    }
}

//! The players list: search, sort and paging in the URL; the detail page.

pub mod bulk;
pub mod detail;
pub mod moderation;
pub mod query;

use std::time::Duration;

use leptos::prelude::*;

use crate::infra::loader::Loader;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use crate::infra::api::types::{Page, Player};
use crate::infra::api::use_api;
use crate::infra::mutation::Mutation;
use crate::pages::overview::status::use_game_status;
use crate::routes::Route;
use crate::ui::cursor_paging::{moved, CursorPagination, Mover};
use crate::ui::format;
use crate::ui::load::{render, Empty, Loading};
use crate::ui::paged_list::stale_while;
use crate::ui::toast::use_toasts;
use query::{PlayersQuery, Sort, PAGE_SIZES};

/// Typing waits this long before asking the gateway.
const SEARCH_DEBOUNCE: Duration = Duration::from_millis(300);

#[component]
pub fn PlayersPage() -> impl IntoView {
    crate::infra::polling::set_title("Players");
    let api = use_api();
    let game = use_game_status();
    let navigate = use_navigate();
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(|p| PlayersQuery::from_pairs(|k| p.get_str(k))));
    let go = Callback::new(move |(q, replace): (PlayersQuery, bool)| {
        let options = NavigateOptions {
            replace,
            ..Default::default()
        };
        navigate(
            &format!("{}{}", Route::Players.path(), q.to_query()),
            options,
        )
    });
    let show = Callback::new(move |q: PlayersQuery| go.run((q, false)));

    // A page whose rows went (an old link, fewer players now) becomes the last
    // page, a cursor the gateway does not know the first; the URL is replaced and
    // the operator told.
    let mover = Mover::new();
    let recoveries = game.recoveries();
    let list = Loader::new(move || {
        let q = query.get();
        recoveries.track();
        async move {
            let result = api.get::<Page<Player>>(q.api_path()).await;
            // Only for the page still asked for: an answer the operator left changes nothing.
            if query.try_get_untracked().as_ref() == Some(&q) {
                if let Some(place) = mover.settle(&q.place, &result) {
                    go.run((q.at(place), true));
                }
            }
            result
        }
    });
    let retry = Callback::new(move |_| list.refetch());

    // The box follows the URL (back button) but typing only navigates once the operator pauses.
    let typed = RwSignal::new(query.get_untracked().search);
    Effect::new(move |_| typed.set(query.get().search));
    let debounce = StoredValue::new(None::<TimeoutHandle>);
    let on_search = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        typed.set(text.clone());
        if let Some(handle) = debounce.get_value() {
            handle.clear();
        }
        let handle = set_timeout_with_handle(
            move || {
                // `try_`: the page may be gone by the time the operator stops typing.
                if let Some(current) = query.try_get_untracked().filter(|q| q.search != text) {
                    show.run(current.searching(text));
                }
            },
            SEARCH_DEBOUNCE,
        )
        .ok();
        debounce.set_value(handle);
    };
    on_cleanup(move || {
        if let Some(handle) = debounce.try_get_value().flatten() {
            handle.clear();
        }
    });

    let sort_header = move |label: &'static str, sort: Sort| {
        let aria = move || {
            let q = query.get();
            match (q.sort == sort, q.descending) {
                (false, _) => "none",
                (true, false) => "ascending",
                (true, true) => "descending",
            }
        };
        view! {
            <th scope="col" aria-sort=aria>
                <button type="button" class="sort" on:click=move |_| show.run(query.get_untracked().sorted_by(sort))>
                    {label}
                    <span aria-hidden="true">{move || match aria() { "ascending" => " ▲", "descending" => " ▼", _ => "" }}</span>
                </button>
            </th>
        }
    };

    // Which players: everyone, or only online, offline, banned or not banned ones.
    let shown = move || {
        let q = query.get();
        match (q.banned, q.online) {
            (Some(true), _) => "banned",
            (Some(false), _) => "unbanned",
            (_, Some(true)) => "online",
            (_, Some(false)) => "offline",
            _ => "",
        }
    };
    let on_show = move |ev: leptos::ev::Event| {
        let (banned, online) = match event_target_value(&ev).as_str() {
            "banned" => (Some(true), None),
            "unbanned" => (Some(false), None),
            "online" => (None, Some(true)),
            "offline" => (None, Some(false)),
            _ => (None, None),
        };
        show.run(query.get_untracked().filtered(banned, online));
    };
    // The whole search, not the page: the gateway streams it; the file is saved as it came.
    let export = Mutation::new();
    let toasts = use_toasts();
    let download = move |_| {
        let path = query.get_untracked().export_path();
        export.run(
            api.download(path, "galaxy-players.csv".to_owned()),
            move |saved| toasts.success(format!("Exported {} players", saved.rows)),
        )
    };

    // Players picked for a bulk action: on this page only, so a new page starts empty.
    let selected: bulk::Selection = RwSignal::new(Vec::new());
    Effect::new(move |_| {
        query.track();
        selected.set(Vec::new());
    });
    let toggle = move |id: String, name: String| {
        selected.update(|s| match s.iter().position(|(i, _)| *i == id) {
            Some(at) => {
                s.remove(at);
            }
            None => s.push((id, name)),
        })
    };

    view! {
        <section class="page">
            <div class="page-head">
                <h1>"Players"</h1>
                <div class="action-bar">
                    <button type="button" class="button" disabled=export.busy() on:click=download>
                        {move || if export.busy.get() { "Exporting…" } else { "Export CSV" }}
                    </button>
                </div>
            </div>
            {move || export.message().get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <div class="toolbar action-bar stacks">
                <label for="player-show">"Show"</label>
                <select id="player-show" prop:value=shown on:change=on_show>
                    <option value="">"All players"</option>
                    <option value="online">"Online"</option>
                    <option value="offline">"Offline"</option>
                    <option value="banned">"Banned"</option>
                    <option value="unbanned">"Not banned"</option>
                </select>
                <label for="player-search" class="visually-hidden">"Search players"</label>
                <input
                    id="player-search"
                    type="search"
                    placeholder="Search by username"
                    maxlength="100"
                    autocomplete="off"
                    prop:value=typed
                    on:input=on_search
                />
                <label for="page-size">"Per page"</label>
                <select
                    id="page-size"
                    on:change=move |ev| {
                        if let Ok(size) = event_target_value(&ev).parse() {
                            show.run(query.get_untracked().with_size(size));
                        }
                    }
                >
                    {PAGE_SIZES.iter().map(|&n| view! {
                        <option value=n.to_string() selected=move || query.get().size == n>{n}</option>
                    }).collect_view()}
                </select>
            </div>
            <bulk::BulkActions selected done=retry busy=Signal::derive(move || list.loading()) />
            {mover.notice()}
            {move || render(list.get(), "players", retry, |data| {
                let q = query.get_untracked();
                if moved(&data).is_some() {
                    // Its rows are gone: the last page is on its way.
                    return view! { <Loading what="players" /> }.into_any();
                }
                if data.items.is_empty() {
                    let message = if q.search.trim().is_empty() {
                        "There are no players yet.".to_owned()
                    } else {
                        format!("No players match “{}”.", q.search.trim())
                    };
                    return view! { <Empty message /> }.into_any();
                }
                let place = q.place.clone();
                let (first, shown) = (place.first_row(&data), data.items.len());
                let (previous, next) = (place.previous(&data, q.size), place.next(&data));
                let table = view! {
                    <table class="data players">
                        <thead>
                            <tr>
                                <th scope="col"><span class="visually-hidden">"Select"</span></th>
                                {sort_header("Username", Sort::Username)}
                                <th scope="col">"Ship"</th>
                                {sort_header("Joined", Sort::CreatedAt)}
                                <th scope="col">"Status"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {data.items.into_iter().map(|p| {
                                let (id, name) = (p.id.clone(), p.username.clone());
                                let ban = p.ban.is_some().then(|| moderation::ban_text(&p));
                                let picked = id.clone();
                                view! {
                                <tr>
                                    <td>
                                        <input
                                            type="checkbox"
                                            aria-label=format!("Select {name}")
                                            prop:checked=move || selected.with(|s| s.iter().any(|(i, _)| *i == picked))
                                            on:change=move |_| toggle(id.clone(), name.clone())
                                        />
                                    </td>
                                    <td class="name"><a href=Route::Player(p.id).href()>{p.username}</a></td>
                                    <td><code title=p.ship_id.clone()>{short_id(&p.ship_id)}</code></td>
                                    <td>{format::timestamp(&p.created_at)}</td>
                                    <td>
                                        {if p.online { "Online" } else { "Offline" }}
                                        {ban.map(|b| view! { <span class="sub">{b}</span> })}
                                    </td>
                                </tr>
                            }}).collect_view()}
                        </tbody>
                    </table>
                }.into_any();
                view! {
                    {stale_while(Signal::derive(move || list.loading()), table)}
                    <CursorPagination
                        first
                        shown
                        size=q.size
                        total=data.total
                        exact=data.total_exact
                        previous
                        next
                        place
                        go=Callback::new(move |place| show.run(query.get_untracked().at(place)))
                    />
                }.into_any()
            })}
        </section>
    }
}

/// The first group of a UUID, enough to tell ships apart at a glance.
fn short_id(id: &str) -> String {
    format!("{}…", id.split('-').next().unwrap_or(id))
}

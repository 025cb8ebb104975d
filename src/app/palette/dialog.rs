//! The palette's dialog: one combobox over a listbox of grouped options (WAI-ARIA's
//! combobox pattern), the focus staying in the input while the arrows choose.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsValue;

use super::commands::{self, Command, Section};
use crate::infra::api::types::{Page, Player};
use crate::infra::api::{url, use_api, Api};
use crate::ui::dialog::Modal;

/// Typing pauses this long before the gateway is asked for players.
const SEARCH_DEBOUNCE: Duration = Duration::from_millis(200);
/// Players listed at most.
const PLAYERS_SHOWN: u32 = 5;
/// The contract's limit on a search's length.
const SEARCH_MAX_CHARS: usize = 100;

const LIST_ID: &str = "palette-options";

fn option_id(index: usize) -> String {
    format!("palette-option-{index}")
}

#[component]
pub fn PaletteDialog() -> impl IntoView {
    let super::Host {
        offered,
        run,
        on_close,
        busy,
        error,
    } = expect_context();
    let api = use_api();
    let text = RwSignal::new(String::new());
    let players = RwSignal::new(Vec::<Command>::new());
    let lookup = StoredValue::new(None::<TimeoutHandle>);
    let asked = StoredValue::new(0_u32);
    // Only the latest text's answer is taken: an earlier, slower one must not replace it.
    Effect::new(move |_| {
        let query = text.get().trim().to_owned();
        if let Some(pending) = lookup.get_value() {
            pending.clear();
        }
        let this = asked.get_value().wrapping_add(1);
        asked.set_value(this);
        if query.is_empty() {
            players.set(Vec::new());
            return;
        }
        let ask = move || {
            spawn_local(async move {
                let found = find_players(api, &query).await;
                if asked.try_get_value() == Some(this) {
                    players.try_set(found);
                }
            })
        };
        lookup.set_value(set_timeout_with_handle(ask, SEARCH_DEBOUNCE).ok());
    });
    on_cleanup(move || {
        if let Some(Some(pending)) = lookup.try_get_value() {
            pending.clear();
        }
    });

    let results =
        Memo::new(move |_| commands::results(&offered.get(), &players.get(), &text.get()));
    // The choice is kept by what it is, not where: players arriving above it do not move it.
    let chosen = RwSignal::new(None::<String>);
    let active = Memo::new(move |_| {
        chosen.with(|key| {
            results.with(|r| {
                key.as_ref()
                    .and_then(|k| r.iter().position(|c| c.key() == *k))
                    .unwrap_or(0)
            })
        })
    });
    let expanded = move || results.with(|r| !r.is_empty());
    Effect::new(move |_| scroll_into_view(&option_id(active.get())));

    let run_active = move || {
        let command = results.with_untracked(|r| r.get(active.get_untracked()).cloned());
        if let Some(command) = command.filter(|_| !busy.get_untracked()) {
            run.run(command);
        }
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.is_composing() {
            return;
        }
        let key = ev.key();
        let len = results.with_untracked(Vec::len);
        if let Some(to) = commands::moved(&key, active.get_untracked(), len) {
            ev.prevent_default();
            chosen.set(results.with_untracked(|r| r.get(to).map(Command::key)));
        } else if key == "Enter" {
            ev.prevent_default();
            run_active();
        }
    };
    let on_input = move |ev: leptos::ev::Event| {
        text.set(event_target_value(&ev));
        chosen.set(None);
    };

    let option = move |index: usize, command: Command| {
        let key = command.key();
        let label = command.label();
        let detail = match &command {
            Command::Player { id, .. } => Some(id.clone()),
            _ => None,
        };
        view! {
            <div
                role="option"
                id=option_id(index)
                class="palette-option"
                aria-selected=move || (active.get() == index).to_string()
                // The focus stays in the input, as the pattern wants.
                on:mousedown=|ev| ev.prevent_default()
                on:pointermove=move |_| {
                    if chosen.with_untracked(|k| k.as_ref() != Some(&key)) {
                        chosen.set(Some(key.clone()));
                    }
                }
                on:click=move |_| {
                    if !busy.get_untracked() {
                        run.run(command.clone());
                    }
                }
            >
                <span class="palette-label">{label}</span>
                // A space, so a screen reader says the name and the id apart.
                {detail.map(|d| view! { " " <span class="sub">{d}</span> })}
            </div>
        }
    };
    let groups = move || {
        let all = results.get();
        Section::ALL
            .into_iter()
            .filter_map(|section| {
                let options: Vec<_> = all
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.section() == section)
                    .map(|(i, c)| option(i, c.clone()))
                    .collect();
                (!options.is_empty()).then(|| {
                    view! {
                        <div role="group" aria-label=section.label() class="palette-group">
                            <div class="palette-heading" aria-hidden="true">{section.label()}</div>
                            {options}
                        </div>
                    }
                })
            })
            .collect_view()
    };

    view! {
        <Modal title="Search or jump to".to_owned() on_close busy>
            <div class="palette">
                <input
                    type="text"
                    class="palette-input"
                    role="combobox"
                    aria-label="Pages, players and actions"
                    aria-autocomplete="list"
                    aria-expanded=move || expanded().to_string()
                    aria-controls=move || expanded().then_some(LIST_ID)
                    aria-activedescendant=move || expanded().then(|| option_id(active.get()))
                    aria-busy=move || busy.get().to_string()
                    autocomplete="off"
                    spellcheck="false"
                    autofocus
                    placeholder="Page, player name or id, or action"
                    prop:value=text
                    on:input=on_input
                    on:keydown=on_keydown
                />
                {move || expanded().then(|| view! {
                    <div id=LIST_ID role="listbox" aria-label="Results" class="palette-options">{groups}</div>
                })}
                {move || (!expanded()).then(|| view! {
                    <p class="palette-empty">"Nothing matches. Players are found by a part of their name or by their whole id."</p>
                })}
                {move || busy.get().then(|| view! { <p class="palette-busy">"Working…"</p> })}
                {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <p class="palette-hints" aria-hidden="true">"↑ ↓ choose · Enter run · Esc close"</p>
                <div class="visually-hidden" role="status" data-testid="palette-count">
                    {move || commands::announcement(results.with(Vec::len))}
                </div>
            </div>
        </Modal>
    }
}

/// The players the gateway knows by `query`: by their whole id, or by a part of their name.
/// A failed search finds nobody; the shell's banner speaks for an unreachable gateway.
async fn find_players(api: Api, query: &str) -> Vec<Command> {
    let found = if commands::looks_like_id(query) {
        let path = format!("/admin/players/{}", query.to_ascii_lowercase());
        api.get::<Player>(path).await.map(|p| vec![p])
    } else {
        let search: String = query.chars().take(SEARCH_MAX_CHARS).collect();
        let path = format!(
            "/admin/players?search={}&limit={PLAYERS_SHOWN}",
            url::encode(&search)
        );
        api.get::<Page<Player>>(path).await.map(|page| page.items)
    };
    found
        .unwrap_or_default()
        .into_iter()
        .map(|p| Command::Player {
            id: p.id,
            username: p.username,
        })
        .collect()
}

/// Scrolls the list just enough to show the option `id`, which the arrows chose.
fn scroll_into_view(id: &str) {
    let Some(element) = document().get_element_by_id(id) else {
        return;
    };
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"block".into(), &"nearest".into());
    if let Ok(scroll) = js_sys::Reflect::get(&element, &"scrollIntoView".into()) {
        let _ = js_sys::Function::from(scroll).call1(&element, &JsValue::from(options));
    }
}

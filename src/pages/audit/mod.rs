//! The audit log: who did what, to what, when and why. Filters live in the
//! URL (`?actor=&action=&target=&from=&to=`), set by the form or by the
//! actor, action and target links in the table; later pages are counted up to
//! the newest entry of the first, so they stay put while entries arrive; the
//! filtered entries export as CSV.

pub mod chain;
pub mod describe;
pub mod filters;

use std::fmt::Write;

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use wasm_bindgen::{JsCast, JsValue};

use crate::infra::api::types::AuditEntry;
use crate::infra::api::use_api;
use crate::infra::mutation::Mutation;
use crate::infra::time::parse_rfc3339;
use crate::pages::overview::status::use_game_status;
use crate::routes::Route;
use crate::ui::format;
use crate::ui::markup::{element, escape};
use crate::ui::paged_list::PagedList;
use crate::ui::toast::use_toasts;
use filters::{local_input, ACTIONS, KEYS};

#[component]
pub fn AuditPage() -> impl IntoView {
    crate::infra::polling::set_title("Audit log");
    let game = use_game_status();
    let audit =
        PagedList::<AuditEntry>::new("/admin/audit", Route::Audit, 50, game.recoveries(), &KEYS);
    let query = use_query_map();
    let active = Memo::new(move |_| query.with(|q| KEYS.map(|k| q.get(k).unwrap_or_default())));
    let navigate = use_navigate();
    let api = use_api();
    let toasts = use_toasts();
    let export = Mutation::new();
    let form = NodeRef::<leptos::html::Form>::new();
    // What the form shows for a filter: times in the operator's zone.
    let shown = move |key: &'static str| {
        move || {
            let value = query.read().get(key).unwrap_or_default();
            match key {
                "from" | "to" => parse_rfc3339(&value)
                    .map(|s| local_input(s, format::local_offset_minutes(s)))
                    .unwrap_or_default(),
                _ => value,
            }
        }
    };
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(form) = form.get_untracked() else {
            return;
        };
        let values = KEYS.map(|key| {
            let value = form
                .query_selector(&format!("[name={key}]"))
                .ok()
                .flatten()
                .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
                .map(|input| input.value())
                .unwrap_or_default();
            match key {
                "from" | "to" if !value.is_empty() => utc(&value),
                _ => value,
            }
        });
        navigate(
            &format!("{}?{}", Route::Audit.path(), filters::query(&values)),
            Default::default(),
        );
    };
    let download = move |_| {
        let q = active.with_untracked(filters::query);
        let path = format!("/admin/audit/export?{q}");
        export.run(
            api.download(path, "galaxy-audit.csv".to_owned()),
            move |saved| toasts.success(format!("Exported {} entries", saved.rows)),
        )
    };
    let input = move |key: &'static str, label: &'static str, kind: &'static str| {
        view! {
            <label>
                {label}
                <input name=key type=kind list=(key == "action").then_some("audit-actions") prop:value=shown(key) />
            </label>
        }
    };
    view! {
        <section class="page">
            <div class="page-head">
                <h1>"Audit log"</h1>
                <div class="action-bar">
                    <button type="button" class="button" disabled=export.busy() on:click=download>
                        {move || if export.busy.get() { "Exporting…" } else { "Export CSV" }}
                    </button>
                    {audit.refresh_button()}
                </div>
            </div>
            <form class="filters" node_ref=form on:submit=apply aria-label="Filter the audit log">
                {input("actor", "Who", "text")}
                {input("action", "Action", "text")}
                {input("target", "Target", "text")}
                {input("from", "From", "datetime-local")}
                {input("to", "Until", "datetime-local")}
                <datalist id="audit-actions" inner_html=ACTIONS.map(|a| format!("<option value=\"{a}\">")).concat()></datalist>
                // Filter and Clear stay together whichever cell of the grid they fall in.
                <div class="action-bar">
                    <button type="submit" class="button primary">"Filter"</button>
                    <a class="button" href=Route::Audit.href()>"Clear"</a>
                </div>
            </form>
            <chain::ChainStatus />
            {move || export.message().get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            {audit.view("the audit log", "No entries match.", move |entries| view! {
                <table class="data audit">
                    <thead>
                        <tr>
                            <th scope="col">"When"</th>
                            <th scope="col">"Who"</th>
                            <th scope="col">"Action"</th>
                            <th scope="col">"Target"</th>
                            <th scope="col">"Change"</th>
                            <th scope="col">"Reason"</th>
                            <th scope="col">"Tick"</th>
                            <th scope="col">"Detail"</th>
                        </tr>
                    </thead>
                    <tbody inner_html=active.with_untracked(|a| rows(&entries, a))></tbody>
                </table>
            }.into_any())}
        </section>
    }
}

/// A `datetime-local` value (the operator's zone) in UTC, as the URL keeps it.
fn utc(local: &str) -> String {
    let date = js_sys::Date::new(&JsValue::from_str(local));
    if date.get_time().is_nan() {
        return String::new();
    }
    date.to_iso_string().into()
}

/// A link to the log narrowed further: the filters in force and `key` = `value`.
fn narrowed(active: &[String; 5], key: &str, value: &str) -> String {
    let mut values = active.clone();
    if let Some(i) = KEYS.iter().position(|k| *k == key) {
        values[i] = value.to_owned();
    }
    escape(&format!(
        "{}?{}",
        Route::Audit.href(),
        filters::query(&values)
    ))
}

fn rows(entries: &[AuditEntry], active: &[String; 5]) -> String {
    let mut out = String::new();
    for e in entries {
        let _ = write!(out, "<tr data-action=\"{}\">", escape(&e.action));
        element(&mut out, "td", "", &format::timestamp(&e.at));
        out.push_str("<td>");
        element(
            &mut out,
            "a",
            &format!(" href=\"{}\"", narrowed(active, "actor", &e.admin)),
            &e.admin,
        );
        if let Some(role) = &e.role {
            let _ = write!(out, " ({})", escape(role));
        }
        out.push_str("</td><td>");
        element(
            &mut out,
            "a",
            &format!(" href=\"{}\"", narrowed(active, "action", &e.action)),
            &e.action,
        );
        out.push_str("</td><td>");
        if let Some(target) = &e.target {
            match describe::target_href(e) {
                Some(href) => element(
                    &mut out,
                    "a",
                    &format!(" href=\"{}\"", escape(&href)),
                    target,
                ),
                None => out.push_str(&escape(target)),
            }
            let key = e.target_id.as_deref().unwrap_or(target);
            let _ = write!(
                out,
                " <a class=\"narrow\" href=\"{}\" title=\"Only entries about {}\">(entries)</a>",
                narrowed(active, "target", key),
                escape(target)
            );
        }
        out.push_str("</td>");
        element(&mut out, "td", "", &describe::change(e).unwrap_or_default());
        element(
            &mut out,
            "td",
            " class=\"wrap\"",
            e.reason.as_deref().unwrap_or_default(),
        );
        element(&mut out, "td", "", &format::integer(e.tick));
        element(
            &mut out,
            "td",
            " class=\"wrap\"",
            e.detail.as_deref().unwrap_or_default(),
        );
        out.push_str("</tr>");
    }
    out
}

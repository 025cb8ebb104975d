//! The audit log: who did what, to what, when and why. Filters live in the
//! URL (`?actor=&action=&target=&from=&to=`): every actor, action and target
//! in the table is a link that narrows the log to it, and later pages are
//! counted up to the newest entry of the first, so they stay put while
//! entries arrive.

pub mod describe;
pub mod filters;

use std::fmt::Write;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::infra::api::types::AuditEntry;
use crate::pages::overview::status::use_game_status;
use crate::routes::Route;
use crate::ui::format;
use crate::ui::markup::{element, escape};
use crate::ui::paged_list::PagedList;
use filters::KEYS;

#[component]
pub fn AuditPage() -> impl IntoView {
    crate::infra::polling::set_title("Audit log");
    let game = use_game_status();
    let audit =
        PagedList::<AuditEntry>::new("/admin/audit", Route::Audit, 50, game.recoveries(), &KEYS);
    let query = use_query_map();
    let active = Memo::new(move |_| query.with(|q| KEYS.map(|k| q.get(k).unwrap_or_default())));
    view! {
        <section class="page">
            <div class="page-head">
                <h1>"Audit log"</h1>
                {audit.refresh_button()}
            </div>
            <p class="hint">
                "Select a name, an action or a target to see only its entries; "
                <a href=Route::Audit.href()>"show all entries"</a>"."
            </p>
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

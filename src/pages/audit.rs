use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::types::{AuditEntry, Page};
use crate::api::use_api;
use crate::components::load::{render, Empty};
use crate::components::pagination::Pagination;
use crate::format;
use crate::query::page_param;
use crate::status::use_game_status;

const PAGE_SIZE: u32 = 50;

#[component]
pub fn AuditPage() -> impl IntoView {
    crate::polling::set_title("Audit log");
    let api = use_api();
    let game = use_game_status();
    let navigate = use_navigate();
    let query = use_query_map();
    let page = Memo::new(move |_| page_param(query.read().get("page").as_deref()));
    let list = LocalResource::new(move || {
        let offset = (page.get() - 1) * PAGE_SIZE;
        game.recoveries();
        async move {
            api.get::<Page<AuditEntry>>(format!("/admin/audit?limit={PAGE_SIZE}&offset={offset}"))
                .await
        }
    });
    let retry = Callback::new(move |_| list.refetch());
    let go_to_page =
        Callback::new(move |p: u32| navigate(&format!("/audit?page={p}"), Default::default()));
    view! {
        <section class="page">
            <div class="page-head">
                <h1>"Audit log"</h1>
                <button type="button" class="button" on:click=move |_| list.refetch()>"Refresh"</button>
            </div>
            {move || render(list.get(), "the audit log", retry, |data| {
                if data.total == 0 {
                    return view! { <Empty message="No admin actions recorded yet." /> }.into_any();
                }
                view! {
                    <table class="data">
                        <thead>
                            <tr>
                                <th scope="col">"When"</th>
                                <th scope="col">"Who"</th>
                                <th scope="col">"What"</th>
                                <th scope="col">"Target"</th>
                                <th scope="col">"Detail"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {data.items.into_iter().map(|e| view! {
                                <tr>
                                    <td>{format::timestamp(&e.at)}</td>
                                    <td>{e.admin}</td>
                                    <td><code>{e.action}</code></td>
                                    <td>{e.target.unwrap_or_default()}</td>
                                    <td class="wrap">{e.detail.unwrap_or_default()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    <Pagination page=page.get_untracked() size=PAGE_SIZE total=data.total on_page=go_to_page />
                }.into_any()
            })}
        </section>
    }
}

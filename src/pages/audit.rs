use leptos::prelude::*;

use crate::infra::api::types::AuditEntry;
use crate::pages::overview::status::use_game_status;
use crate::routes::Route;
use crate::ui::format;
use crate::ui::paged_list::PagedList;

#[component]
pub fn AuditPage() -> impl IntoView {
    crate::infra::polling::set_title("Audit log");
    let game = use_game_status();
    let audit = PagedList::<AuditEntry>::new("/admin/audit", Route::Audit, 50, game.recoveries());
    view! {
        <section class="page">
            <div class="page-head">
                <h1>"Audit log"</h1>
                {audit.refresh_button()}
            </div>
            {audit.view("the audit log", "No admin actions recorded yet.", |entries| view! {
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
                        {entries.into_iter().map(|e| view! {
                            <tr>
                                <td>{format::timestamp(&e.at)}</td>
                                <td>{e.admin}{e.role.map(|r| format!(" · {r}"))}</td>
                                <td><code>{e.action}</code></td>
                                <td>{e.target.unwrap_or_default()}</td>
                                <td class="wrap">{e.detail.unwrap_or_default()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any())}
        </section>
    }
}

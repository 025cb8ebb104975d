use leptos::prelude::*;

use crate::infra::loader::Loader;

use crate::infra::api::types::{Items, Readiness, Service};
use crate::infra::api::{use_api, ApiError};
use crate::pages::deploy::versions::RUNNING;
use crate::pages::deploy::Deploys;
use crate::pages::overview::status::use_game_status;
use crate::ui::format;
use crate::ui::load::render;

fn status_label(status: &str) -> (&'static str, &'static str) {
    match status {
        "ready" => ("Ready", "ok"),
        "not_ready" => ("Not ready", "critical"),
        _ => ("Unknown", "unknown"),
    }
}

#[component]
pub fn ServicesPage() -> impl IntoView {
    crate::infra::polling::set_title("Services");
    let api = use_api();
    let game = use_game_status();
    let recoveries = game.recoveries();
    let deploys = Deploys::seen();
    let services = Loader::new(move || {
        recoveries.track();
        deploys.track();
        async move { api.get::<Items<Service>>("/admin/services").await }
    });
    let readiness = Loader::new(move || {
        recoveries.track();
        deploys.track();
        async move { api.get::<Readiness>("/health/ready").await }
    });
    let retry = Callback::new(move |_| {
        services.refetch();
        readiness.refetch();
    });
    view! {
        <section class="page">
            <div class="page-head">
                <h1>"Services"</h1>
                <div class="action-bar">
                    <button type="button" class="button" on:click=move |_| retry.run(())>"Refresh"</button>
                </div>
            </div>
            <dl class="facts">
                <dt>"Gateway"</dt>
                <dd data-testid="gateway-readiness">
                    {move || match readiness.get() {
                        None => "checking…".to_owned(),
                        Some(Ok(r)) if r.status == "ready" => format!("Ready (v{})", r.version.unwrap_or_default()),
                        Some(Ok(r)) => r.status,
                        Some(Err(ApiError::Status { status: 503, .. })) => "Not ready".to_owned(),
                        Some(Err(e)) => e.message(),
                    }}
                </dd>
                <dt>"This dashboard"</dt>
                <dd data-testid="dashboard-version">{format!("v{RUNNING}")}</dd>
            </dl>
            {move || render(services.get(), "services", retry, |list| view! {
                <table class="data">
                    <thead>
                        <tr>
                            <th scope="col">"Service"</th>
                            <th scope="col">"Version"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Checked"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {list.items.into_iter().map(|s| {
                            let (label, class) = status_label(&s.status);
                            view! {
                                <tr>
                                    <td><code>{s.name}</code></td>
                                    <td>{s.version}</td>
                                    <td><span class=format!("pill {class}")>{label}</span></td>
                                    <td>{format::timestamp(&s.checked_at)}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any())}
        </section>
    }
}

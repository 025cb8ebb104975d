//! Start-up, the router and the authenticated shell.

pub mod shell;

use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::hooks::use_location;
use leptos_router::{NavigateOptions, ParamSegment, StaticSegment, WildcardSegment};

use crate::infra::api::Api;
use crate::infra::session::{use_session, Session};
use crate::infra::settings::{self, Config};
use crate::pages::deploy::{Deploys, NewBuildBanner, ServicesWatch};
use crate::pages::{
    audit::AuditPage, config_error::ConfigErrorPage, login::LoginPage, not_found::NotFound,
    overview::OverviewPage, players::detail::PlayerDetailPage, players::PlayersPage,
    runtime_config::RuntimeConfigPage, services::ServicesPage, snapshots::SnapshotsPage,
};
use crate::routes::{self, login_then, relative_location, BASE};
use crate::ui::toast::{ToastHost, Toasts};
use shell::Shell;

pub fn start() {
    // The static loading indicator from index.html has done its job.
    if let Some(boot) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("boot"))
    {
        boot.remove();
    }
    crate::ui::theme::init();
    match settings::load() {
        Ok(config) => leptos::mount::mount_to_body(move || view! { <App config=config.clone() /> }),
        Err(error) => {
            leptos::mount::mount_to_body(move || view! { <ConfigErrorPage error=error.clone() /> })
        }
    }
}

#[component]
fn App(config: Config) -> impl IntoView {
    let session = Session::restore();
    provide_context(session);
    provide_context(Api::new(config.api_base_url.clone(), session));
    provide_context(config);
    Toasts::provide();
    Deploys::provide();
    view! {
        <NewBuildBanner />
        <ServicesWatch />
        <ToastHost />
        <Router base=BASE>
            <Routes fallback=|| view! { <NotFound /> }>
                <Route path=(StaticSegment(routes::LOGIN),) view=LoginPage />
                <ParentRoute path=() view=RequireSession>
                    <Route path=() view=OverviewPage />
                    <Route path=(StaticSegment(routes::CONFIG),) view=RuntimeConfigPage />
                    <Route path=(StaticSegment(routes::SNAPSHOTS),) view=SnapshotsPage />
                    <Route path=(StaticSegment(routes::PLAYERS),) view=PlayersPage />
                    <Route path=(StaticSegment(routes::PLAYERS), ParamSegment("id")) view=PlayerDetailPage />
                    <Route path=(StaticSegment(routes::SERVICES),) view=ServicesPage />
                    <Route path=(StaticSegment(routes::AUDIT),) view=AuditPage />
                    <Route path=(WildcardSegment("any"),) view=NotFound />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

#[component]
fn RequireSession() -> impl IntoView {
    let session = use_session();
    let location = use_location();
    move || {
        if session.is_active() {
            view! { <Shell /> }.into_any()
        } else {
            let here = relative_location(
                &location.pathname.get_untracked(),
                &location.search.get_untracked(),
            );
            // Replace: Back from the login page must not land on this redirect again.
            let options = NavigateOptions {
                replace: true,
                ..Default::default()
            };
            view! { <Redirect path=login_then(&here) options /> }.into_any()
        }
    }
}

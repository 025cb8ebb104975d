//! Start-up, the router and the authenticated shell.

mod chunks;
mod confirm;
mod palette;
pub mod shell;

use leptos::prelude::*;
use leptos_router::components::{Redirect, Router};
use leptos_router::hooks::use_location;
use leptos_router::location::{BrowserUrl, LocationProvider};
use leptos_router::NavigateOptions;

use crate::infra::api::Api;
use crate::infra::confirmation::Confirmations;
use crate::infra::session::{use_session, Role, Session};
use crate::infra::settings::{self, Config};
use crate::pages::deploy::{Deploys, NewBuildBanner, ServicesWatch};
use crate::pages::{
    config_error::ConfigErrorPage, login::LoginPage, not_found::NotFound, overview::OverviewPage,
    players::detail::PlayerDetailPage, players::PlayersPage,
};
use crate::routes::{login_then, relative_location, Route, BASE};
use crate::ui::load::Loading;
use crate::ui::toast::{ToastHost, Toasts};
use shell::{Here, Shell};

pub fn start() {
    // What the login form of index.html holds is taken over by the app's own; then the
    // static page (indicator, form, frame) has done its job, and goes in the same frame
    // as the app's view comes, so nothing flashes.
    crate::pages::login::take_early_login();
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        for id in ["boot", "boot-login", "boot-frame"] {
            if let Some(element) = document.get_element_by_id(id) {
                element.remove();
            }
        }
    }
    crate::ui::theme::init();
    crate::ui::format::copy_plain_numbers();
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
    let confirmations = Confirmations::new();
    provide_context(confirmations);
    provide_context(Api::new(
        config.api_base_url.clone(),
        session,
        confirmations,
    ));
    provide_context(config);
    Toasts::provide();
    Deploys::provide();
    view! {
        <NewBuildBanner />
        <ServicesWatch />
        <ToastHost />
        <Router base=BASE>
            <Entry />
        </Router>
    }
}

/// The login page, or the shell with the page the path names. The router keeps
/// the location, the history and the links; `Route` chooses what they show, so
/// the router's route matching (generic over every page's view) is not in the
/// bundle at all.
#[component]
fn Entry() -> impl IntoView {
    let location = use_location();
    // The router puts a new path in the address bar once the view for it is ready,
    // which its own route matching would say; this view is built as the path
    // changes, so by the time effects run it is.
    let browser = expect_context::<BrowserUrl>();
    Effect::new(move |_| {
        location.pathname.track();
        browser.ready_to_complete();
    });
    let login = Memo::new(move |_| {
        Route::parse(&relative_location(&location.pathname.get(), "")) == Some(Route::Login)
    });
    move || {
        if login.get() {
            view! { <LoginPage /> }.into_any()
        } else {
            view! { <RequireSession /> }.into_any()
        }
    }
}

/// Every page inside the shell, chosen by `Route` from the path. A page the
/// account's role cannot use is not built (so it calls nothing): while the role
/// is being asked the page waits for it, then says what role it needs.
#[component]
pub fn Page() -> impl IntoView {
    let Here(route) = expect_context::<Here>();
    let session = use_session();
    // A memo: the role asked again (and told the same) must not build the page anew.
    let gate = Memo::new(move |_| {
        let needs = route.with(|r| r.as_ref().map_or(Role::Viewer, Route::needs));
        if session.must_enrol() {
            return Gate::Enrol;
        }
        match session.role() {
            _ if needs == Role::Viewer => Gate::Open,
            None => Gate::Waiting,
            Some(role) if role < needs => Gate::Needs(needs),
            Some(_) => Gate::Open,
        }
    });
    move || match gate.get() {
        Gate::Waiting => view! { <Loading what="your role" /> }.into_any(),
        Gate::Needs(needs) => view! { <NeedsRole needs /> }.into_any(),
        Gate::Enrol => chunks::enrol_page(),
        Gate::Open => page(route.get()),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Gate {
    Open,
    Waiting,
    Needs(Role),
    /// Every page waits for the second factor the role requires.
    Enrol,
}

fn page(route: Option<Route>) -> AnyView {
    match route {
        Some(Route::Overview) => view! { <OverviewPage /> }.into_any(),
        Some(Route::Config) => chunks::config_page(),
        Some(Route::Snapshots) => chunks::snapshots_page(),
        Some(Route::Schedules) => chunks::schedules_page(),
        Some(Route::Players) => view! { <PlayersPage /> }.into_any(),
        Some(Route::Player(id)) => view! { <PlayerDetailPage id /> }.into_any(),
        Some(Route::Services) => chunks::services_page(),
        Some(Route::Audit) => chunks::audit_page(),
        Some(Route::Password) => chunks::sign_in_page(),
        Some(Route::Accounts) => chunks::accounts_page(),
        // The login page has its own route, outside the shell.
        Some(Route::Login) | None => view! { <NotFound /> }.into_any(),
    }
}

#[component]
fn NeedsRole(needs: Role) -> impl IntoView {
    crate::infra::polling::set_title("Not available");
    view! {
        <section class="page">
            <h1>"Not available to your role"</h1>
            <p class="needs">{format!("This page needs the {} role. Ask an admin if you need it.", needs.label())}</p>
        </section>
    }
}

#[component]
fn RequireSession() -> impl IntoView {
    let session = use_session();
    let location = use_location();
    // A memo: a session replaced by another (a password change) keeps the shell.
    let active = Memo::new(move |_| session.is_active());
    move || {
        if active.get() {
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

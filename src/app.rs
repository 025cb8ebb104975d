//! Start-up, the router and the authenticated shell.

use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::hooks::use_location;
use leptos_router::path;

use crate::api::Api;
use crate::components::layout::Layout;
use crate::components::version_watch::{NewBuildBanner, ServicesWatch};
use crate::config::{self, Config};
use crate::pages::{
    audit::AuditPage, config_error::ConfigErrorPage, login::LoginPage, not_found::NotFound,
    overview::OverviewPage, player_detail::PlayerDetailPage, players::PlayersPage,
    runtime_config::RuntimeConfigPage, services::ServicesPage, snapshots::SnapshotsPage,
};
use crate::session::{use_session, Session};
use crate::toast::{ToastHost, Toasts};

/// Where the router is mounted; routes and links below are relative to it.
pub const BASE: &str = "/admin";

pub fn start() {
    // The static loading indicator from index.html has done its job.
    if let Some(boot) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("boot"))
    {
        boot.remove();
    }
    crate::theme::init();
    match config::load() {
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
    view! {
        <NewBuildBanner />
        <ServicesWatch />
        <ToastHost />
        <Router base=BASE>
            <Routes fallback=|| view! { <NotFound /> }>
                <Route path=path!("/login") view=LoginPage />
                <ParentRoute path=path!("") view=RequireSession>
                    <Route path=path!("") view=OverviewPage />
                    <Route path=path!("/config") view=RuntimeConfigPage />
                    <Route path=path!("/snapshots") view=SnapshotsPage />
                    <Route path=path!("/players") view=PlayersPage />
                    <Route path=path!("/players/:id") view=PlayerDetailPage />
                    <Route path=path!("/services") view=ServicesPage />
                    <Route path=path!("/audit") view=AuditPage />
                    <Route path=path!("/*any") view=NotFound />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// A link target inside the dashboard. `<A>` resolves only relative hrefs
/// against the router base (unlike `navigate`), so absolute ones get it here.
pub fn href(path: &str) -> String {
    if path == "/" {
        format!("{BASE}/")
    } else {
        format!("{BASE}{path}")
    }
}

/// The path below the router base, with its query: what `?next=` carries through a login.
pub fn relative_location(pathname: &str, search: &str) -> String {
    let path = pathname
        .strip_prefix(BASE)
        .filter(|p| p.starts_with('/'))
        .unwrap_or("/");
    if search.is_empty() || search == "?" {
        path.to_owned()
    } else if search.starts_with('?') {
        format!("{path}{search}")
    } else {
        format!("{path}?{search}")
    }
}

/// Only a path inside the dashboard may be a post-login destination, never another site.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.starts_with("/login") =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[component]
fn RequireSession() -> impl IntoView {
    let session = use_session();
    let location = use_location();
    move || {
        if session.is_active() {
            view! { <Layout /> }.into_any()
        } else {
            let here = relative_location(
                &location.pathname.get_untracked(),
                &location.search.get_untracked(),
            );
            let next = String::from(js_sys::encode_uri_component(&here));
            view! { <Redirect path=format!("/login?next={next}") /> }.into_any()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_location_strips_the_base_and_keeps_the_query() {
        assert_eq!(relative_location("/admin/players/42", ""), "/players/42");
        assert_eq!(
            relative_location("/admin/players", "?search=nova&page=2"),
            "/players?search=nova&page=2"
        );
        assert_eq!(relative_location("/admin", ""), "/");
        assert_eq!(relative_location("/elsewhere", ""), "/");
    }

    #[test]
    fn links_live_under_the_base() {
        assert_eq!(href("/"), "/admin/");
        assert_eq!(href("/players/42"), "/admin/players/42");
    }

    #[test]
    fn next_must_stay_inside_the_dashboard() {
        assert_eq!(safe_next(Some("/players/42")), "/players/42");
        for bad in [
            "https://evil.example.com",
            "//evil.example.com",
            "/\\evil.example.com",
            "players",
            "/login?next=/x",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
    }
}

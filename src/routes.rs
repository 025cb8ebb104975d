//! Every path of the dashboard, stated once: the router's segments, the links,
//! the post-login destination and the files nginx serves beside the app.

/// The router's base; with a trailing slash it is the public base, as in
/// `Trunk.toml`'s `public_url` and nginx's `location /admin/`.
macro_rules! base {
    () => {
        "/admin"
    };
}

pub const BASE: &str = base!();
/// Run-time settings, mounted from the ConfigMap.
pub const CONFIG_JS: &str = concat!(base!(), "/config.js");
/// The served build's version, polled for new deploys.
pub const VERSION_JSON: &str = concat!(base!(), "/version.json");

// The first path segment of each area, shared by the router and `Route::path`.
pub const LOGIN: &str = "login";
pub const CONFIG: &str = "config";
pub const SNAPSHOTS: &str = "snapshots";
pub const SCHEDULES: &str = "schedules";
pub const PLAYERS: &str = "players";
pub const SERVICES: &str = "services";
pub const AUDIT: &str = "audit";
pub const PASSWORD: &str = "password";
pub const ACCOUNTS: &str = "accounts";

use crate::infra::session::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Overview,
    Login,
    Config,
    Snapshots,
    Schedules,
    Players,
    /// A player by id, as it appears in the URL (validated by the page).
    Player(String),
    Services,
    Audit,
    /// The operator's own password.
    Password,
    /// Console accounts (admins).
    Accounts,
}

impl Route {
    /// The path below the base, for the router's `navigate`.
    pub fn path(&self) -> String {
        let segment = match self {
            Route::Overview => return "/".to_owned(),
            Route::Player(id) => return format!("/{PLAYERS}/{id}"),
            Route::Login => LOGIN,
            Route::Config => CONFIG,
            Route::Snapshots => SNAPSHOTS,
            Route::Schedules => SCHEDULES,
            Route::Players => PLAYERS,
            Route::Services => SERVICES,
            Route::Audit => AUDIT,
            Route::Password => PASSWORD,
            Route::Accounts => ACCOUNTS,
        };
        format!("/{segment}")
    }

    /// A link target: `<A>` resolves only relative hrefs against the router
    /// base (unlike `navigate`), so links carry it.
    pub fn href(&self) -> String {
        match self {
            Route::Overview => concat!(base!(), "/").to_owned(),
            other => format!("{BASE}{}", other.path()),
        }
    }

    /// The role a page needs: one an account lacks is neither offered in the
    /// navigation nor loaded (its page says what it needs instead).
    pub fn needs(&self) -> Role {
        match self {
            Route::Accounts => Role::Admin,
            _ => Role::Viewer,
        }
    }

    /// The area of the console a route belongs to, as the navigation names them.
    pub fn area(&self) -> Route {
        match self {
            Route::Player(_) => Route::Players,
            other => other.clone(),
        }
    }

    /// The route a path below the base names, if any (a trailing slash is allowed).
    pub fn parse(path: &str) -> Option<Route> {
        // An empty first segment ("//", "//players") names no page.
        let path = path.strip_prefix('/').filter(|p| !p.starts_with('/'))?;
        let path = path.strip_suffix('/').unwrap_or(path);
        let mut segments = path.split('/');
        let route = match (segments.next()?, segments.next()) {
            ("", None) => Route::Overview,
            (PLAYERS, Some(id)) if !id.is_empty() => Route::Player(id.to_owned()),
            (_, Some(_)) => return None,
            (LOGIN, None) => Route::Login,
            (CONFIG, None) => Route::Config,
            (SNAPSHOTS, None) => Route::Snapshots,
            (SCHEDULES, None) => Route::Schedules,
            (PLAYERS, None) => Route::Players,
            (SERVICES, None) => Route::Services,
            (AUDIT, None) => Route::Audit,
            (PASSWORD, None) => Route::Password,
            (ACCOUNTS, None) => Route::Accounts,
            _ => return None,
        };
        segments.next().is_none().then_some(route)
    }
}

/// The path below the base, with its query: what `?next=` carries through a login.
pub fn relative_location(pathname: &str, search: &str) -> String {
    let path = pathname
        .strip_prefix(BASE)
        .filter(|p| p.starts_with('/'))
        .unwrap_or("/");
    match search.strip_prefix('?').unwrap_or(search) {
        "" => path.to_owned(),
        query => format!("{path}?{query}"),
    }
}

/// Only a path inside the dashboard may be a post-login destination: never
/// another site, never the login page itself. An unknown path stays: it shows
/// the not-found page in the shell, which says more than a silent overview.
pub fn safe_next(next: Option<&str>) -> String {
    let path = next.unwrap_or_default();
    let path_only = path.split(['?', '#']).next().unwrap_or_default();
    let inside = path.starts_with('/') && !path.starts_with("//") && !path.contains('\\');
    if inside && Route::parse(path_only) != Some(Route::Login) {
        path.to_owned()
    } else {
        "/".to_owned()
    }
}

/// The login page, sending the operator back to `here` afterwards.
pub fn login_then(here: &str) -> String {
    let next = here != "/";
    let mut path = Route::Login.path();
    if next {
        path.push_str("?next=");
        path.push_str(&crate::infra::api::url::encode(here));
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_is_stated_once() {
        assert_eq!(BASE, "/admin");
        assert_eq!(CONFIG_JS, "/admin/config.js");
        assert_eq!(VERSION_JSON, "/admin/version.json");
    }

    #[test]
    fn every_route_round_trips_through_its_path() {
        let id = "0b7c6f0e-3f9a-4c41-9d2e-2f0d7c1a5b33".to_owned();
        for route in [
            Route::Overview,
            Route::Login,
            Route::Config,
            Route::Snapshots,
            Route::Schedules,
            Route::Players,
            Route::Player(id),
            Route::Services,
            Route::Audit,
            Route::Password,
            Route::Accounts,
        ] {
            assert_eq!(
                Route::parse(&route.path()),
                Some(route.clone()),
                "{route:?}"
            );
            assert!(route.href().starts_with("/admin/"), "{route:?}");
        }
        assert_eq!(Route::Overview.href(), "/admin/");
        assert_eq!(Route::Players.href(), "/admin/players");
        assert_eq!(Route::parse("/players/"), Some(Route::Players));
        for unknown in [
            "",
            "players",
            "/nope",
            "/players/x/y",
            "/config/x",
            "//players",
        ] {
            assert_eq!(Route::parse(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn only_the_accounts_page_needs_more_than_viewing() {
        assert_eq!(Route::Accounts.needs(), Role::Admin);
        for route in [
            Route::Overview,
            Route::Audit,
            Route::Players,
            Route::Password,
        ] {
            assert_eq!(route.needs(), Role::Viewer, "{route:?}");
        }
    }

    #[test]
    fn relative_location_strips_the_base_and_keeps_the_query() {
        assert_eq!(relative_location("/admin/players/42", ""), "/players/42");
        assert_eq!(
            relative_location("/admin/players", "?search=nova&page=2"),
            "/players?search=nova&page=2"
        );
        assert_eq!(relative_location("/admin", "?"), "/");
        assert_eq!(relative_location("/elsewhere", ""), "/");
    }

    #[test]
    fn next_must_stay_inside_the_dashboard() {
        assert_eq!(safe_next(Some("/players/42")), "/players/42");
        assert_eq!(
            safe_next(Some("/players?search=ace&page=2")),
            "/players?search=ace&page=2"
        );
        for bad in [
            "https://evil.example.com",
            "//evil.example.com",
            "/\\evil.example.com",
            "/players?x=\\y",
            "players",
            "/login?next=/x",
            "/login/",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
        assert_eq!(
            safe_next(Some("/warp/drive")),
            "/warp/drive",
            "not found, in the shell"
        );
    }

    #[test]
    fn login_carries_where_the_operator_was() {
        assert_eq!(login_then("/"), "/login");
        assert_eq!(
            login_then("/players?search=a b"),
            "/login?next=%2Fplayers%3Fsearch%3Da%20b"
        );
    }

    /// `Route::parse` stands in for leptos_router's route matching (which the bundle
    /// leaves out, see `app::Entry`): held to that matching, over the same table, for
    /// generated paths.
    mod against_leptos_router {
        use super::*;
        use leptos_router::{ParamSegment, PartialPathMatch, PossibleRouteMatch, StaticSegment};
        use proptest::prelude::*;

        fn whole(m: Option<PartialPathMatch<'_>>) -> Option<PartialPathMatch<'_>> {
            m.filter(|m| matches!(m.remaining(), "" | "/"))
        }

        /// The route leptos_router's matching picks for `path`, from the table the
        /// dashboard would declare, in order.
        fn matched(path: &str) -> Option<Route> {
            if whole(StaticSegment("").test(path)).is_some() && matches!(path, "" | "/") {
                return Some(Route::Overview);
            }
            if let Some(m) = whole((StaticSegment(PLAYERS), ParamSegment("id")).test(path)) {
                let id = m.params().into_iter().find(|(k, _)| k == "id")?.1;
                return Some(Route::Player(id));
            }
            [
                (LOGIN, Route::Login),
                (CONFIG, Route::Config),
                (SNAPSHOTS, Route::Snapshots),
                (PLAYERS, Route::Players),
                (SERVICES, Route::Services),
                (AUDIT, Route::Audit),
                (PASSWORD, Route::Password),
                (ACCOUNTS, Route::Accounts),
            ]
            .into_iter()
            .find_map(|(segment, route)| whole(StaticSegment(segment).test(path)).map(|_| route))
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(5000))]

            #[test]
            fn parses_as_the_router_matches(
                path in "(/(login|config|snapshots|players|services|audit|password|accounts|nope|[a-z0-9-]{1,6}|)){1,3}/?"
            ) {
                prop_assert_eq!(Route::parse(&path), matched(&path), "{}", path);
            }
        }
    }
}

//! Tells operators about deploys: a persistent banner when a newer dashboard
//! build is served, a short toast when backend services change version (and
//! the pages that show versions load again).

pub mod semver;
pub mod versions;

use std::time::Duration;

use gloo_net::http::RequestBuilder;
use leptos::prelude::*;
use web_sys::RequestCache;

use crate::infra::api::types::Versions;
use crate::infra::api::{parse, plain, use_api};
use crate::infra::polling::watch;
use crate::infra::settings::Config;
use crate::pages::deploy::semver::Version;
use crate::pages::deploy::versions::{changed_services, describe, BannerDecision, RUNNING};
use crate::ui::toast::use_toasts;

/// Version-poll errors wait at most this long before the next try.
const MAX_BACKOFF: Duration = Duration::from_secs(300);
const SERVICES_TOAST: Duration = Duration::from_secs(10);
/// A version check that takes longer is abandoned, so one hung request never
/// stops new-build detection: the next check is scheduled as after any failure.
const VERSION_TIMEOUT: Duration = Duration::from_secs(10);

/// Counts backend deploys seen in this tab; pages that show versions reload on it.
#[derive(Clone, Copy)]
pub struct Deploys(RwSignal<u32>);

impl Deploys {
    pub fn provide() {
        provide_context(Deploys(RwSignal::new(0)));
    }

    pub fn seen() -> Signal<u32> {
        expect_context::<Deploys>().0.into()
    }
}

async fn served_version() -> Option<String> {
    // Bypass every cache: the point is to see what the server has now.
    let request = RequestBuilder::new(crate::routes::VERSION_JSON).cache(RequestCache::NoStore);
    let (status, text) = plain(request, VERSION_TIMEOUT).await.ok()?;
    if status != 200 {
        return None;
    }
    // `{"version": "1.2.3"}` reads as a map of one string.
    parse::<Versions>(&text)
        .ok()?
        .get("version")
        .map(str::to_owned)
}

#[component]
pub fn NewBuildBanner() -> impl IntoView {
    let config = expect_context::<Config>();
    let shown = RwSignal::new(None::<String>);
    let decision = StoredValue::new(BannerDecision::default());
    let running = Version::parse(RUNNING).expect("Cargo.toml's version is valid semver");
    watch(
        Duration::from_millis(config.version_poll_ms.into()),
        MAX_BACKOFF,
        move || {
            let running = running.clone();
            async move {
                let Some(reported) = served_version().await else {
                    return false;
                };
                let announce = decision
                    .try_update_value(|d| d.observe(&running, &reported).map(str::to_owned))
                    .flatten();
                if announce.is_some() {
                    shown.try_set(announce);
                }
                true
            }
        },
    );
    move || {
        shown.get().map(|version| {
            view! {
                <div class="banner new-build" role="status">
                    <span>{format!("New admin dashboard v{version} available — refresh to update")}</span>
                    <button
                        type="button"
                        class="button primary"
                        on:click=|_| {
                            if let Some(w) = web_sys::window() {
                                let _ = w.location().reload();
                            }
                        }
                    >
                        "Refresh"
                    </button>
                </div>
            }
        })
    }
}

/// Watches `{API_BASE_URL}/versions`; renders nothing, speaks through toasts.
#[component]
pub fn ServicesWatch() -> impl IntoView {
    let config = expect_context::<Config>();
    let api = use_api();
    let toasts = use_toasts();
    let deploys = expect_context::<Deploys>().0;
    let known = StoredValue::new(None::<Versions>);
    watch(
        Duration::from_millis(config.version_poll_ms.into()),
        MAX_BACKOFF,
        move || async move {
            // Quietly: failures only back off, they never raise toasts.
            let Ok(now) = api.get::<Versions>("/versions").await else {
                return false;
            };
            let changes = known.try_update_value(|k| {
                let changes = k
                    .as_ref()
                    .map(|old| changed_services(old, &now))
                    .unwrap_or_default();
                *k = Some(now);
                changes
            });
            if let Some(changes) = changes.filter(|c| !c.is_empty()) {
                toasts.info(describe(&changes), SERVICES_TOAST);
                deploys.try_update(|n| *n = n.wrapping_add(1));
            }
            true
        },
    );
}

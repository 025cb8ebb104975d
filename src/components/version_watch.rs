//! Tells operators about deploys: a persistent banner when a newer dashboard
//! build is served, a short toast when backend services change version.

use std::collections::BTreeMap;
use std::time::Duration;

use gloo_net::http::Request;
use leptos::prelude::*;
use serde::Deserialize;
use web_sys::RequestCache;

use crate::api::use_api;
use crate::config::Config;
use crate::polling::watch;
use crate::semver::Version;
use crate::toast::use_toasts;
use crate::versions::{changed_services, describe, BannerDecision, RUNNING};

/// Version-poll errors wait at most this long before the next try.
const MAX_BACKOFF: Duration = Duration::from_secs(300);
const SERVICES_TOAST: Duration = Duration::from_secs(10);

#[derive(Deserialize)]
struct VersionFile {
    version: String,
}

async fn served_version() -> Option<String> {
    // Bypass every cache: the point is to see what the server has now.
    let response = Request::get("/admin/version.json")
        .cache(RequestCache::NoStore)
        .send()
        .await
        .ok()?;
    if !response.ok() {
        return None;
    }
    response.json::<VersionFile>().await.ok().map(|v| v.version)
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
    let known = StoredValue::new(None::<BTreeMap<String, String>>);
    watch(
        Duration::from_millis(config.version_poll_ms.into()),
        MAX_BACKOFF,
        move || async move {
            // Quietly: failures only back off, they never raise toasts.
            let Ok(now) = api.get::<BTreeMap<String, String>>("/versions").await else {
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
            }
            true
        },
    );
}

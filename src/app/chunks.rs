//! Pages whose code is not in the first download. Each `#[wasm_split]` function
//! below becomes its own wasm module (scripts/split-wasm.sh), fetched the first
//! time its page is shown (the command palette's dialog: the first time it
//! opens); the login, the shell, the overview and the players stay in the main
//! module, so the cold load carries only what the first screens need.
//!
//! `fallible`: a chunk that does not arrive (a network failure, a deploy that
//! replaced it) is asked for twice more, then is an error the page shows with a
//! Retry, never a panic; every attempt loads it afresh.

use std::future::Future;
use std::time::Duration;

use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_split_helpers::{wasm_split, SplitLoaderError};

use super::confirm::ConfirmForm;
use super::palette::dialog::PaletteDialog;
use crate::pages::{
    accounts::AccountsPage, audit::AuditPage, password::PasswordPage,
    runtime_config::RuntimeConfigPage, schedules::SchedulesPage, services::ServicesPage,
    snapshots::SnapshotsPage, two_step::EnrolPage,
};
use crate::ui::load::Loading;

#[wasm_split(config, fallible)]
fn config() -> Result<AnyView, SplitLoaderError> {
    Ok(view! { <RuntimeConfigPage /> }.into_any())
}

#[wasm_split(snapshots, fallible)]
fn snapshots() -> Result<AnyView, SplitLoaderError> {
    Ok(view! { <SnapshotsPage /> }.into_any())
}

#[wasm_split(schedules, fallible)]
fn schedules() -> Result<AnyView, SplitLoaderError> {
    Ok(view! { <SchedulesPage /> }.into_any())
}

#[wasm_split(services, fallible)]
fn services() -> Result<AnyView, SplitLoaderError> {
    Ok(view! { <ServicesPage /> }.into_any())
}

#[wasm_split(audit, fallible)]
fn audit() -> Result<AnyView, SplitLoaderError> {
    Ok(view! { <AuditPage /> }.into_any())
}

#[wasm_split(accounts, fallible)]
fn accounts() -> Result<AnyView, SplitLoaderError> {
    Ok(view! { <AccountsPage /> }.into_any())
}

#[wasm_split(sign_in, fallible)]
fn sign_in() -> Result<AnyView, SplitLoaderError> {
    Ok(view! { <PasswordPage /> }.into_any())
}

#[wasm_split(sign_in, fallible)]
fn enrol() -> Result<AnyView, SplitLoaderError> {
    Ok(view! { <EnrolPage /> }.into_any())
}

#[wasm_split(confirm, fallible)]
fn confirm() -> Result<AnyView, SplitLoaderError> {
    Ok(view! { <ConfirmForm /> }.into_any())
}

#[wasm_split(palette, fallible)]
fn palette() -> Result<AnyView, SplitLoaderError> {
    Ok(view! { <PaletteDialog /> }.into_any())
}

pub fn config_page() -> AnyView {
    lazy("this page", config)
}

pub fn snapshots_page() -> AnyView {
    lazy("this page", snapshots)
}

pub fn schedules_page() -> AnyView {
    lazy("this page", schedules)
}

pub fn services_page() -> AnyView {
    lazy("this page", services)
}

pub fn audit_page() -> AnyView {
    lazy("this page", audit)
}

pub fn accounts_page() -> AnyView {
    lazy("this page", accounts)
}

pub fn sign_in_page() -> AnyView {
    lazy("this page", sign_in)
}

pub fn enrol_page() -> AnyView {
    lazy("this page", enrol)
}

pub fn confirm_form() -> AnyView {
    lazy("the confirmation", confirm)
}

pub fn palette_dialog() -> AnyView {
    lazy("the command palette", palette)
}

/// Pauses before asking again for a module that did not arrive: a rolling update can
/// send the request to a pod that does not have it yet, and the next may reach one that has.
const RETRY_PAUSES: [Duration; 2] = [Duration::from_millis(400), Duration::from_millis(1600)];

/// The page `load` builds once its module is here: the loading state until
/// then, or what went wrong with a Retry that asks for the module again.
fn lazy<L, F>(what: &'static str, load: L) -> AnyView
where
    L: Fn() -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Result<AnyView, SplitLoaderError>> + 'static,
{
    let attempt = RwSignal::new(0_u32);
    let page = move || {
        attempt.track();
        // The wasm runtime is single-threaded; Suspend asks for Send only
        // because the same views also render on servers.
        let module = SendWrapper::new(attempts(load.clone()));
        Suspend::new(async move {
            match module.await {
                Ok(page) => page,
                Err(_) => view! { <ChunkError what attempt /> }.into_any(),
            }
        })
    };
    view! { <Suspense fallback=move || view! { <Loading what /> }>{page}</Suspense> }.into_any()
}

/// `load`, asked again after each pause while its module does not arrive.
async fn attempts<F>(load: impl Fn() -> F) -> Result<AnyView, SplitLoaderError>
where
    F: Future<Output = Result<AnyView, SplitLoaderError>>,
{
    let mut result = load().await;
    for pause in RETRY_PAUSES {
        if result.is_ok() {
            break;
        }
        sleep(pause).await;
        result = load().await;
    }
    result
}

async fn sleep(duration: Duration) {
    let (tell, told) = futures_channel::oneshot::channel::<()>();
    set_timeout(
        move || {
            let _ = tell.send(());
        },
        duration,
    );
    let _ = told.await;
}

#[component]
fn ChunkError(what: &'static str, attempt: RwSignal<u32>) -> impl IntoView {
    view! {
        <div class="load-error" role="alert">
            <span>{format!("Could not load {what}: its code did not arrive. Check the connection, then retry; if a new version of the dashboard was just deployed, reload the page.")}</span>
            <button type="button" class="button" on:click=move |_| attempt.update(|n| *n += 1)>"Retry"</button>
        </div>
    }
}

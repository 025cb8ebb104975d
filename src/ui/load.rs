//! Loading, error and empty states, distinct so an operator never mistakes
//! "nothing there" for "could not ask".

use leptos::prelude::*;

use crate::infra::api::ApiError;

#[component]
pub fn Loading(#[prop(into)] what: String) -> impl IntoView {
    view! { <p class="loading" aria-busy="true">{format!("Loading {what}…")}</p> }
}

#[component]
pub fn LoadError(error: ApiError, on_retry: Callback<()>) -> impl IntoView {
    view! {
        <div class="load-error" role="alert">
            <span>{error.message()}</span>
            <button type="button" class="button" on:click=move |_| on_retry.run(())>"Retry"</button>
        </div>
    }
}

#[component]
pub fn Empty(#[prop(into)] message: String) -> impl IntoView {
    view! { <p class="empty">{message}</p> }
}

/// Renders a loader's state: loading, its error with a retry, or `ok` with the data.
pub fn render<T: Clone + 'static>(
    state: Option<Result<T, ApiError>>,
    what: &'static str,
    on_retry: Callback<()>,
    ok: impl FnOnce(T) -> AnyView,
) -> AnyView {
    match state {
        None => view! { <Loading what /> }.into_any(),
        Some(Err(error)) => view! { <LoadError error on_retry /> }.into_any(),
        Some(Ok(data)) => ok(data),
    }
}

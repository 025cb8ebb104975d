//! Loading from the gateway into a signal: loads when created, again whenever
//! what the fetcher reads changes or `refetch` is called. The previous value
//! stays on screen until the next one arrives, and only the latest request's
//! answer is kept, so a slow old answer never replaces a newer one.
//!
//! Leptos's `LocalResource` does this too, with suspense and streaming
//! machinery this app does not use, generated again for every value type; this
//! one costs a fraction of it in the bundle.

use std::future::Future;
use std::pin::Pin;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::infra::api::ApiError;

pub struct Loader<T: 'static> {
    value: RwSignal<Option<Result<T, ApiError>>>,
    again: RwSignal<u32>,
    /// Why the last refresh failed, while the data shown is older.
    failed: RwSignal<Option<ApiError>>,
}

impl<T> Clone for Loader<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Loader<T> {}

/// One task type for every load.
fn spawn(task: Pin<Box<dyn Future<Output = ()>>>) {
    spawn_local(task);
}

impl<T: Clone + Send + Sync + 'static> Loader<T> {
    /// `fetch` reads its inputs (signals) before it returns the request's future;
    /// those reads are what make it load again.
    pub fn new<Fut>(fetch: impl Fn() -> Fut + 'static) -> Self
    where
        Fut: Future<Output = Result<T, ApiError>> + 'static,
    {
        let value = RwSignal::new(None);
        let again = RwSignal::new(0u32);
        let failed = RwSignal::new(None);
        let latest = StoredValue::new(0u32);
        let refreshed = StoredValue::new(0u32);
        Effect::new(move |_| {
            // A refresh asks again for the same thing: if it fails, what is shown stays
            // (with `failed` saying why). Other inputs changed ask for something else.
            let n = again.get();
            let refresh = refreshed.get_value() != n;
            refreshed.set_value(n);
            let request = fetch();
            let id = latest.get_value().wrapping_add(1);
            latest.set_value(id);
            spawn(Box::pin(async move {
                let result = request.await;
                if latest.try_get_value() != Some(id) {
                    return;
                }
                match result {
                    Err(e) if refresh && value.with_untracked(|v| matches!(v, Some(Ok(_)))) => {
                        failed.try_set(Some(e));
                    }
                    result => {
                        failed.try_set(None);
                        value.try_set(Some(result));
                    }
                }
            }));
        });
        Self {
            value,
            again,
            failed,
        }
    }

    /// Nothing yet, or the latest answer.
    pub fn get(&self) -> Option<Result<T, ApiError>> {
        self.value.get()
    }

    /// Why the last refresh failed, while older data is shown.
    pub fn failed(&self) -> Option<ApiError> {
        self.failed.get()
    }

    pub fn refetch(&self) {
        self.again.update(|n| *n = n.wrapping_add(1));
    }
}

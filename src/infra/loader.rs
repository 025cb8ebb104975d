//! Loading from the gateway into a signal: loads when created, again whenever
//! what the fetcher reads changes or `refetch` is called. The previous value
//! stays on screen until the next one arrives (marked as loading, so it is
//! shown busy and inert meanwhile), and only the latest request's answer is
//! kept, so a slow old answer never replaces a newer one. A request that is
//! superseded, or whose view is gone, is aborted, not left running.
//!
//! Leptos's `LocalResource` does this too, with suspense and streaming
//! machinery this app does not use, generated again for every value type; this
//! one costs a fraction of it in the bundle.

use std::any::Any;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::FutureExt;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::infra::api::{scoped, ApiError};

/// A loaded value with its type erased: the loading machinery below exists once
/// in the bundle instead of once per value type; `Loader<T>` only casts back.
type Erased = Arc<dyn Any + Send + Sync>;
type Request = Pin<Box<dyn Future<Output = Result<Erased, ApiError>>>>;

pub struct Loader<T: 'static> {
    value: RwSignal<Option<Result<Erased, ApiError>>>,
    again: RwSignal<u32>,
    /// Why the last refresh failed, while the data shown is older.
    failed: RwSignal<Option<ApiError>>,
    /// A request is on its way: what is shown is about to be replaced.
    loading: RwSignal<bool>,
    kind: PhantomData<fn() -> T>,
}

impl<T> Clone for Loader<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Loader<T> {}

impl<T: Clone + Send + Sync + 'static> Loader<T> {
    /// `fetch` reads its inputs (signals) before it returns the request's future;
    /// those reads are what make it load again.
    pub fn new<Fut>(fetch: impl Fn() -> Fut + 'static) -> Self
    where
        Fut: Future<Output = Result<T, ApiError>> + 'static,
    {
        let erased = move || -> Request {
            Box::pin(
                fetch().map(|answer: Result<T, ApiError>| answer.map(|v| Arc::new(v) as Erased)),
            )
        };
        let (value, again, failed, loading) = start(Box::new(erased));
        Self {
            value,
            again,
            failed,
            loading,
            kind: PhantomData,
        }
    }

    /// Nothing yet, or the latest answer.
    pub fn get(&self) -> Option<Result<T, ApiError>> {
        self.value.with(|v| {
            v.as_ref().map(|r| match r {
                Ok(any) => Ok(any
                    .downcast_ref::<T>()
                    .cloned()
                    .expect("a loader's own type")),
                Err(e) => Err(e.clone()),
            })
        })
    }

    /// Why the last refresh failed, while older data is shown.
    pub fn failed(&self) -> Option<ApiError> {
        self.failed.get()
    }

    /// Whether a request is on its way (tracked).
    pub fn loading(&self) -> bool {
        self.loading.get()
    }

    pub fn refetch(&self) {
        self.again.update(|n| *n = n.wrapping_add(1));
    }
}

type Signals = (
    RwSignal<Option<Result<Erased, ApiError>>>,
    RwSignal<u32>,
    RwSignal<Option<ApiError>>,
    RwSignal<bool>,
);

fn start(fetch: Box<dyn Fn() -> Request>) -> Signals {
    let value = RwSignal::new(None);
    let again = RwSignal::new(0u32);
    let failed = RwSignal::new(None);
    let loading = RwSignal::new(false);
    let latest = StoredValue::new(0u32);
    let refreshed = StoredValue::new(0u32);
    // The request on its way, aborted when a newer one starts or the view goes.
    let running = StoredValue::new_local(None::<web_sys::AbortController>);
    on_cleanup(move || {
        if let Some(controller) = running.try_get_value().flatten() {
            controller.abort();
        }
    });
    Effect::new(move |_| {
        // A refresh asks again for the same thing: if it fails, what is shown stays
        // (with `failed` saying why). Other inputs changed ask for something else.
        let n = again.get();
        let refresh = refreshed.get_value() != n;
        refreshed.set_value(n);
        let request = fetch();
        let id = latest.get_value().wrapping_add(1);
        latest.set_value(id);
        let controller = web_sys::AbortController::new().ok();
        if let Some(previous) = running
            .try_update_value(|r| std::mem::replace(r, controller.clone()))
            .flatten()
        {
            previous.abort();
        }
        loading.set(true);
        spawn_local(async move {
            let result = match controller {
                Some(controller) => scoped(controller, request).await,
                None => request.await,
            };
            if latest.try_get_value() != Some(id) {
                return;
            }
            loading.try_set(false);
            match result {
                Err(e) if refresh && value.with_untracked(|v| matches!(v, Some(Ok(_)))) => {
                    failed.try_set(Some(e));
                }
                result => {
                    failed.try_set(None);
                    value.try_set(Some(result));
                }
            }
        });
    });
    (value, again, failed, loading)
}

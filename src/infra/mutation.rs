//! Pessimistic mutations: the button shows progress and cannot be pressed
//! twice; the outcome is known before the UI changes.

use std::future::Future;
use std::pin::Pin;

use futures_util::FutureExt;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::infra::api::ApiError;

#[derive(Clone, Copy)]
pub struct Mutation {
    pub busy: RwSignal<bool>,
    pub error: RwSignal<Option<ApiError>>,
}

impl Mutation {
    pub fn new() -> Self {
        Self {
            busy: RwSignal::new(false),
            error: RwSignal::new(None),
        }
    }

    pub fn message(&self) -> Signal<Option<String>> {
        let error = self.error;
        Signal::derive(move || error.get().map(|e| e.message()))
    }

    pub fn busy(&self) -> Signal<bool> {
        self.busy.into()
    }

    pub fn clear(&self) {
        self.error.set(None);
    }

    /// Runs `call` unless one is already running; `on_ok` gets its result.
    pub fn run<T: 'static>(
        &self,
        call: impl Future<Output = Result<T, ApiError>> + 'static,
        on_ok: impl FnOnce(T) + 'static,
    ) {
        // Boxed, so the task machinery below exists once, not once per call site.
        self.run_boxed(Box::pin(call.map(|answer| answer.map(on_ok))));
    }

    fn run_boxed(&self, call: Pin<Box<dyn Future<Output = Result<(), ApiError>>>>) {
        if self.busy.get_untracked() {
            return;
        }
        self.busy.set(true);
        self.error.set(None);
        let this = *self;
        spawn_local(async move {
            let result = call.await;
            this.busy.try_set(false);
            match result {
                Ok(()) => {}
                // A 401 ends the session; the login page says so, once.
                Err(ApiError::Unauthorized(_)) => {}
                Err(error) => {
                    this.error.try_set(Some(error));
                }
            }
        });
    }
}

//! The live game status, polled once for the whole shell so the overview and
//! the "game paused" banner on every page agree.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::types::GameStatus;
use crate::api::{Api, ApiError};
use crate::polling::poll_while_visible;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lag {
    Healthy,
    Warning,
    Critical,
}

/// How worried an operator should be about the tick engine falling behind.
pub fn lag(ticks_behind: u64) -> Lag {
    match ticks_behind {
        0..=1 => Lag::Healthy,
        2..=5 => Lag::Warning,
        _ => Lag::Critical,
    }
}

#[derive(Clone, Copy)]
pub struct GameStatusStore {
    pub latest: RwSignal<Option<GameStatus>>,
    pub error: RwSignal<Option<ApiError>>,
    in_flight: StoredValue<bool>,
}

pub fn use_game_status() -> GameStatusStore {
    expect_context::<GameStatusStore>()
}

impl GameStatusStore {
    /// Provides the store and polls it for as long as the calling component lives.
    pub fn provide_polling(api: Api, interval: Duration) -> Self {
        let store = Self {
            latest: RwSignal::new(None),
            error: RwSignal::new(None),
            in_flight: StoredValue::new(false),
        };
        provide_context(store);
        poll_while_visible(interval, move || store.refresh(api));
        store
    }

    pub fn refresh(&self, api: Api) {
        // A slow gateway must not pile up requests.
        if self.in_flight.get_value() {
            return;
        }
        self.in_flight.set_value(true);
        let store = *self;
        spawn_local(async move {
            let result = api.get::<GameStatus>("/admin/game/status").await;
            store.in_flight.try_set_value(false);
            store.apply(result);
        });
    }

    pub fn apply(&self, result: Result<GameStatus, ApiError>) {
        match result {
            Ok(status) => {
                self.latest.try_set(Some(status));
                self.error.try_set(None);
            }
            Err(ApiError::Unauthorized(_)) => {}
            Err(error) => {
                self.error.try_set(Some(error));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_thresholds() {
        assert_eq!(lag(0), Lag::Healthy);
        assert_eq!(lag(1), Lag::Healthy);
        assert_eq!(lag(2), Lag::Warning);
        assert_eq!(lag(5), Lag::Warning);
        assert_eq!(lag(6), Lag::Critical);
    }
}

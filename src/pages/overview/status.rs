//! The live game status, polled once for the whole shell so the overview and
//! the "game paused" banner on every page agree. It is also the dashboard's
//! heartbeat: its outages drive the one "gateway unavailable" banner, and its
//! recovery makes pages that showed an error load again by themselves.

use std::time::Duration;

use leptos::prelude::*;

use crate::infra::api::types::GameStatus;
use crate::infra::api::{Api, ApiError};
use crate::infra::polling::watch;

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
    /// Why the last check failed, while it is the latest word.
    pub error: RwSignal<Option<ApiError>>,
    /// When `latest` arrived, on this machine's clock.
    pub updated_at_ms: RwSignal<Option<f64>>,
    recoveries: RwSignal<u32>,
    /// Numbers each poll as it is sent and each change's answer as it arrives;
    /// `applied` is the newest applied. An older one is dropped: a poll sent
    /// before a pause and answered after it must not show the game running.
    sequence: StoredValue<u64>,
    applied: StoredValue<u64>,
}

pub fn use_game_status() -> GameStatusStore {
    expect_context::<GameStatusStore>()
}

/// While the gateway fails, status checks back off to at most this interval.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

impl GameStatusStore {
    /// Provides the store and polls it for as long as the calling component lives.
    pub fn provide_polling(api: Api, interval: Duration) -> Self {
        let store = Self {
            latest: RwSignal::new(None),
            error: RwSignal::new(None),
            updated_at_ms: RwSignal::new(None),
            recoveries: RwSignal::new(0),
            sequence: StoredValue::new(0),
            applied: StoredValue::new(0),
        };
        provide_context(store);
        watch(interval, MAX_BACKOFF, move || async move {
            let sent = store.next();
            let result = api.get::<GameStatus>("/admin/game/status").await;
            let ok =
                !matches!(&result, Err(e) if e.is_outage() || matches!(e, ApiError::Malformed(_)));
            store.apply_as(sent, result);
            ok
        });
        store
    }

    /// The banner text while the gateway is unreachable or failing.
    pub fn outage(&self) -> Option<String> {
        self.error.with(|e| {
            e.as_ref()
                .filter(|e| e.is_outage())
                .map(ApiError::outage_message)
        })
    }

    /// Changes each time the gateway comes back: a loader that reads it loads again then.
    pub fn recoveries(&self) -> Signal<u32> {
        self.recoveries.into()
    }

    fn next(&self) -> u64 {
        self.sequence
            .try_update_value(|n| {
                *n += 1;
                *n
            })
            .unwrap_or(0)
    }

    /// The status a change answered with: newer than any poll sent before now.
    pub fn apply(&self, result: Result<GameStatus, ApiError>) {
        let now = self.next();
        self.apply_as(now, result);
    }

    /// An answer to what was numbered `sent`, unless something newer is shown.
    fn apply_as(&self, sent: u64, result: Result<GameStatus, ApiError>) {
        if self
            .applied
            .try_get_value()
            .is_none_or(|newest| sent < newest)
        {
            return;
        }
        self.applied.set_value(sent);
        match result {
            Ok(status) => {
                self.latest.try_set(Some(status));
                self.updated_at_ms.try_set(Some(js_sys::Date::now()));
                let was_down = self
                    .error
                    .try_get_untracked()
                    .flatten()
                    .is_some_and(|e| e.is_outage());
                self.error.try_set(None);
                if was_down {
                    self.recoveries.try_update(|n| *n += 1);
                }
            }
            // The session is over; the shell is about to give way to the login page.
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

//! The schedules, polled once for the whole shell: the overview's next operation and the
//! banner every page shows before a scheduled pause read it, and the Schedules page reloads
//! it after a change. Times count down on the gateway's clock (which runs the steps), from the
//! difference between its `now` and this machine's when the answer came.

use std::time::Duration;

use leptos::prelude::*;

use crate::infra::api::types::{Upcoming, UpcomingStep};
use crate::infra::api::Api;
use crate::infra::polling::{watch, Clock};

/// How often the shell asks: a countdown needs the list, not a fresh one every second.
const POLL: Duration = Duration::from_secs(15);
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// The banner shows this long before a scheduled pause.
pub const BANNER_LEAD_MS: f64 = 5.0 * 60.0 * 1000.0;

#[derive(Clone, Copy)]
pub struct ScheduleWatch {
    pub latest: RwSignal<Option<Upcoming>>,
    /// The gateway's clock minus this machine's, in ms.
    skew_ms: RwSignal<f64>,
}

pub fn use_schedules() -> ScheduleWatch {
    expect_context::<ScheduleWatch>()
}

impl ScheduleWatch {
    pub fn provide_polling(api: Api) -> Self {
        let this = Self {
            latest: RwSignal::new(None),
            skew_ms: RwSignal::new(0.0),
        };
        provide_context(this);
        watch(POLL, MAX_BACKOFF, move || async move {
            match api.get::<Upcoming>("/admin/schedules").await {
                Ok(list) => {
                    this.apply(list);
                    true
                }
                // A viewer's 403 or an outage: the game status banner speaks for outages.
                Err(_) => false,
            }
        });
        this
    }

    /// Asks again now (after a change), keeping what is shown until the answer.
    pub fn reload(&self, api: Api) {
        let this = *self;
        leptos::task::spawn_local(async move {
            if let Ok(list) = api.get::<Upcoming>("/admin/schedules").await {
                this.apply(list);
            }
        });
    }

    pub fn apply(&self, list: Upcoming) {
        self.skew_ms
            .try_set(list.now as f64 * 1000.0 - js_sys::Date::now());
        self.latest.try_set(Some(list));
    }

    /// Milliseconds from now until `at` (seconds since the epoch) on the gateway's clock.
    pub fn until_ms(&self, at: i64) -> Signal<f64> {
        let now = Clock::use_now();
        let skew = self.skew_ms;
        Signal::derive(move || at as f64 * 1000.0 - (now.get() + skew.get()))
    }

    /// The next step to come, if any.
    pub fn next(&self) -> Memo<Option<UpcomingStep>> {
        let latest = self.latest;
        Memo::new(move |_| latest.with(|l| l.as_ref().and_then(|l| l.steps.first().cloned())))
    }

    /// The next scheduled pause, if any.
    pub fn next_pause(&self) -> Memo<Option<UpcomingStep>> {
        let latest = self.latest;
        Memo::new(move |_| {
            latest.with(|l| {
                l.as_ref()
                    .and_then(|l| l.steps.iter().find(|u| u.kind == "pause").cloned())
            })
        })
    }
}

//! Timers that respect the operator's machine and the gateway: nothing runs
//! while the tab is hidden, failures back off exponentially, and everything
//! stops with the component that started it.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;

/// A check on becoming visible again happens at most this often.
const VISIBLE_RECHECK_GAP_MS: f64 = 30_000.0;

pub fn page_visible() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_none_or(|d| d.visibility_state() == web_sys::VisibilityState::Visible)
}

/// The wait before the next check: the interval while all is well, doubling
/// with each consecutive failure, never more than `max`.
pub fn next_delay(interval: Duration, failures: u32, max: Duration) -> Duration {
    let factor = 2u32.saturating_pow(failures.min(16));
    interval.saturating_mul(factor).min(max.max(interval))
}

struct WatchState {
    failures: u32,
    running: bool,
    last_check_ms: f64,
    timer: Option<TimeoutHandle>,
}

/// Runs `check` now and then every `interval` while the tab is visible. A check
/// that returns `false` failed: the next waits twice as long, up to `max`. When
/// the tab becomes visible again it checks at once, at most every 30 s (or
/// every `interval`, if shorter). Stops when the calling component is disposed.
pub fn watch<Fut>(interval: Duration, max: Duration, check: impl Fn() -> Fut + 'static)
where
    Fut: Future<Output = bool> + 'static,
{
    // Boxed, so the runner below exists once, not once per watcher.
    let check: Check = Rc::new(move || Box::pin(check()));
    let state = StoredValue::new_local(WatchState {
        failures: 0,
        running: false,
        last_check_ms: 0.0,
        timer: None,
    });
    let run = Runner {
        state,
        interval,
        max,
        check,
    };
    run.clone().check_now();
    let gap = VISIBLE_RECHECK_GAP_MS.min(interval.as_millis() as f64);
    let on_visible = run.clone();
    let listener = window_event_listener(leptos::ev::visibilitychange, move |_| {
        if !page_visible() {
            return;
        }
        let (due, idle) = state
            .try_with_value(|s| {
                (
                    !s.running && js_sys::Date::now() - s.last_check_ms >= gap,
                    !s.running && s.timer.is_none(),
                )
            })
            .unwrap_or((false, false));
        if due {
            on_visible.clone().check_now();
        } else if idle {
            // Checked recently, and a tick was skipped while hidden: resume the schedule.
            on_visible.clone().schedule();
        }
    });
    on_cleanup(move || listener.remove());
    let _ = run;
}

type Check = Rc<dyn Fn() -> Pin<Box<dyn Future<Output = bool>>>>;

#[derive(Clone)]
struct Runner {
    state: StoredValue<WatchState, LocalStorage>,
    interval: Duration,
    max: Duration,
    check: Check,
}

impl Runner {
    fn check_now(self) {
        let start = self.state.try_update_value(|s| {
            if s.running {
                return false;
            }
            if let Some(timer) = s.timer.take() {
                timer.clear();
            }
            s.running = true;
            s.last_check_ms = js_sys::Date::now();
            true
        });
        if start != Some(true) {
            return;
        }
        spawn_local(async move {
            let ok = (self.check)().await;
            let alive = self.state.try_update_value(|s| {
                s.running = false;
                s.failures = if ok { 0 } else { s.failures.saturating_add(1) };
            });
            if alive.is_some() {
                self.schedule();
            }
        });
    }

    fn schedule(self) {
        let Some(failures) = self.state.try_with_value(|s| s.failures) else {
            return;
        };
        let delay = next_delay(self.interval, failures, self.max);
        let state = self.state;
        let next = self.clone();
        let timer = set_timeout_with_handle(
            move || {
                if page_visible() {
                    next.check_now();
                } else {
                    // Hidden: skip; the visibility listener picks up when the tab comes back.
                    state.try_update_value(|s| s.timer = None);
                }
            },
            delay,
        )
        .ok();
        state.try_update_value(|s| s.timer = timer);
    }
}

/// The time, once a second, for everything that counts down or up (session
/// time left, "updated N s ago"): one timer for the whole shell.
#[derive(Clone, Copy)]
pub struct Clock(ReadSignal<f64>);

impl Clock {
    /// Starts the clock for as long as the calling component lives.
    pub fn provide() {
        let (now, set_now) = signal(js_sys::Date::now());
        if let Ok(handle) = set_interval_with_handle(
            move || set_now.set(js_sys::Date::now()),
            Duration::from_secs(1),
        ) {
            on_cleanup(move || handle.clear());
        }
        provide_context(Clock(now));
    }

    pub fn use_now() -> ReadSignal<f64> {
        expect_context::<Clock>().0
    }
}

/// The page's own part of the document title, inside the shell, where the
/// game's state is put in front of it.
#[derive(Clone, Copy)]
pub struct PageTitle(pub RwSignal<String>);

/// Sets the document title for the current page.
pub fn set_title(page: &str) {
    if let Some(title) = use_context::<PageTitle>() {
        title.0.set(page.to_owned());
    }
    show_title("", page);
}

/// "Paused · Overview · Galaxy admin": a background tab says what matters.
pub fn show_title(state: &str, page: &str) {
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        document.set_title(&format!("{state}{page} · Galaxy admin"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_interval_and_caps() {
        let minute = Duration::from_secs(60);
        let cap = Duration::from_secs(300);
        let schedule: Vec<u64> = (0..6)
            .map(|f| next_delay(minute, f, cap).as_secs())
            .collect();
        assert_eq!(schedule, [60, 120, 240, 300, 300, 300]);
        assert_eq!(
            next_delay(Duration::from_secs(2), 40, Duration::from_secs(30)),
            Duration::from_secs(30)
        );
        assert_eq!(
            next_delay(Duration::from_secs(600), 0, cap),
            Duration::from_secs(600),
            "never shorter than the interval"
        );
    }
}

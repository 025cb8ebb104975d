//! The authenticated frame: header with environment, operator and session
//! time; sidebar navigation; banners that must be seen on every page.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_location;
use wasm_bindgen::JsCast;

use crate::infra::api::types::Me;
use crate::infra::api::{use_api, Api, Typed};
use crate::infra::polling::{show_title, Clock, PageTitle};
use crate::infra::session::{idle_warning_ms, use_session, Role, Session, SIGNED_IN_KEY};
use crate::infra::settings::Config;
use crate::pages::overview::status::{lag, use_game_status, GameStatusStore, Lag};
use crate::pages::schedules::watch::{use_schedules, ScheduleWatch, BANNER_LEAD_MS};
use crate::routes::{relative_location, Route};
use crate::ui::format;
use crate::ui::theme::ThemeToggle;

/// The route of the page the shell shows (`None`: no page of the dashboard).
#[derive(Clone, Copy)]
pub struct Here(pub Memo<Option<Route>>);

/// Warn this long before the session ends.
const EXPIRY_WARNING_MS: f64 = 5.0 * 60.0 * 1000.0;

#[component]
pub fn Shell() -> impl IntoView {
    let config = expect_context::<Config>();
    let session = use_session();
    let api = use_api();
    Clock::provide();
    let status = GameStatusStore::provide_polling(
        use_api(),
        Duration::from_millis(config.status_poll_ms.into()),
    );
    ScheduleWatch::provide_polling(api);
    super::palette::provide();
    // The role: asked at the start, again whenever a 403 says it may have changed,
    // and with every status the gateway answers for as long as it is not known
    // (the first ask failed), so controls are never left disabled for good.
    Effect::new(move |asked: Option<()>| {
        session.role_asked();
        if !session.role_known_untracked() {
            status.updated_at_ms.track();
        }
        // The first ask is the operator arriving (a sign-in, a reload): their activity.
        if asked.is_none() {
            keep_alive(api, session);
        } else {
            learn(api.get::<Me>("/admin/auth/me"), session);
        }
    });
    // The operator's hand on the page is their activity, reported as often as the
    // gateway's idle limit needs; the polling of a page left open is not.
    let on_key = window_event_listener(leptos::ev::keydown, move |_| report(api, session));
    let on_pointer = window_event_listener(leptos::ev::pointerdown, move |_| report(api, session));
    // Another tab signed in as someone else: the cookie is theirs now, so this page must not
    // go on as if it were its operator's.
    let on_other_tab = window_event_listener(leptos::ev::storage, move |e| {
        if e.key().as_deref() == Some(SIGNED_IN_KEY) {
            still_ours(session, e.new_value().as_deref());
        }
    });
    on_cleanup(move || {
        on_key.remove();
        on_pointer.remove();
        on_other_tab.remove();
    });
    // The page shown, parsed once from the URL for the page itself and the navigation.
    let location = use_location();
    // A memo, so a change of query (a players search) changes nothing downstream.
    let here = Memo::new(move |_| Route::parse(&relative_location(&location.pathname.get(), "")));
    provide_context(Here(here));
    // The title carries the game's state when it matters, from the status the
    // shell polls anyway.
    let page_title = PageTitle(RwSignal::new(String::new()));
    provide_context(page_title);
    Effect::new(move |_| {
        let state = status.latest.with(|s| match s {
            Some(s) if s.paused => "Paused · ",
            Some(s) if lag(s.ticks_behind) != Lag::Healthy => "Lagging · ",
            _ => "",
        });
        page_title.0.with(|page| show_title(state, page));
    });
    // A new page takes the focus to its heading and is announced, as a page
    // load would be; the first page is left to the browser.
    let announced = RwSignal::new(String::new());
    Effect::new(move |shown: Option<Option<Route>>| {
        let now = here.get();
        if shown.is_some_and(|before| before != now) {
            request_animation_frame(move || {
                focus_heading();
                announced.try_set(page_title.0.get_untracked());
            });
        }
        now
    });
    // Plain links: the router takes over clicks on any link under its base; the
    // area the operator is in is marked for assistive technology and the eye. A
    // page the role cannot use is not offered.
    let link = move |to: Route, label: &'static str| {
        let href = to.href();
        let needs = to.needs();
        let current = move || here.with(|r| r.as_ref().map(Route::area) == Some(to.clone()));
        move || {
            (needs == Role::Viewer || session.role().is_some_and(|r| r >= needs)).then(|| {
                let href = href.clone();
                let current = current.clone();
                view! { <a href=href aria-current=move || current().then_some("page")>{label}</a> }
            })
        }
    };
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <div class="shell">
            <Header />
            <nav class="sidebar" aria-label="Main">
                {link(Route::Overview, "Overview")}
                {link(Route::Config, "Runtime config")}
                {link(Route::Snapshots, "Snapshots")}
                {link(Route::Schedules, "Schedules")}
                {link(Route::Players, "Players")}
                {link(Route::Services, "Services")}
                {link(Route::Audit, "Audit log")}
                {link(Route::Accounts, "Accounts")}
            </nav>
            <main class="content" id="main" tabindex="-1">
                <Banners />
                <super::Page />
            </main>
        </div>
        <div class="visually-hidden" role="status" aria-live="polite" data-testid="page-announcement">{announced}</div>
        <crate::pages::login::SignInAgain />
        <super::confirm::ConfirmationHost />
        <super::palette::PaletteHost />
    }
}

/// The role and the idle limit, from what `/admin/auth/me` answers.
fn learn(me: Typed<Me>, session: Session) {
    spawn_local(async move {
        if let Ok(me) = me.await {
            apply(&me, session);
        }
    });
}

/// What `/admin/auth/me` answered, taken only if it is still this page's operator.
fn apply(me: &Me, session: Session) {
    if still_ours(session, Some(&me.username)) {
        session.set_role(Role::parse(&me.role));
        session.set_idle(me.idle_timeout_secs, me.idle_expires_in);
        // Latched: only the set-up ends it, once its recovery codes are kept.
        if me.must_enrol {
            session.set_must_enrol(true);
        }
    }
}

/// Whether the browser's session is still this page's operator's, now that it is said to be
/// `username`'s. If another tab signed in as someone else over this one's cookie, this page
/// must not go on as them: its session lapses and its operator signs in again.
fn still_ours(session: Session, username: Option<&str>) -> bool {
    let ours = username.is_some_and(|name| {
        session
            .active()
            .is_some_and(|a| a.username.eq_ignore_ascii_case(name))
    });
    if !ours {
        session.expire("another account signed in in this browser");
    }
    ours
}

/// Tells the gateway the operator is at the page: its idle limit starts again.
fn keep_alive(api: Api, session: Session) {
    learn(api.keep_alive::<Me>(), session);
}

/// Reports the operator's activity, if it is time to.
fn report(api: Api, session: Session) {
    if session.report_due() {
        keep_alive(api, session);
    }
}

/// The page's heading (or, without one, the main region) takes the focus.
fn focus_heading() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let target = document
        .query_selector("main h1")
        .ok()
        .flatten()
        .or_else(|| document.get_element_by_id("main"));
    if let Some(target) = target {
        let _ = target.set_attribute("tabindex", "-1");
        let _ = target.unchecked_ref::<web_sys::HtmlElement>().focus();
    }
}

#[component]
pub fn EnvironmentBadge() -> impl IntoView {
    let config = expect_context::<Config>();
    config.environment.map(|env| {
        view! {
            <span class=format!("env-badge env-{}", env.label()) title="Environment" data-testid="environment">
                {env.label().to_ascii_uppercase()}
            </span>
        }
    })
}

#[component]
fn Header() -> impl IntoView {
    let session = use_session();
    let api = use_api();
    let now = Clock::use_now();
    // `try_get`: when the session ends, the shell and its clock are torn down while
    // this may still be scheduled to run once more.
    let left_ms = move || {
        session
            .active()
            .zip(now.try_get())
            .map(|(a, now)| a.expires_at_ms - now)
    };
    // A memo: the banner is built when the warning starts, not every second.
    let warn = Memo::new(move |_| left_ms().is_some_and(|left| left < EXPIRY_WARNING_MS));
    // At zero the gateway refuses the token anyway: end the session now, not at the next 401.
    Effect::new(move |_| {
        // Unknown (no session, or the clock is gone with the shell) is not zero.
        if left_ms().is_some_and(|left| left <= 0.0) {
            session.expire("");
        }
    });
    // The same for the gateway's idle limit, which the operator is asked about before.
    let idle_left_ms = move || now.try_get().and_then(|now| session.idle_left_ms(now));
    let still_there = Memo::new(move |_| {
        session.lapsed().is_none()
            && idle_left_ms()
                .zip(session.idle_secs())
                .is_some_and(|(left, idle)| left < idle_warning_ms(idle))
    });
    // At the idle end the gateway decides: this tab's operator was away, but another tab
    // of the same session may not have been. Asked once (in the background, so the asking
    // is no activity): an ended session lapses with its reason, a live one goes on.
    let asking = StoredValue::new(false);
    Effect::new(move |_| {
        if idle_left_ms().is_some_and(|left| left <= 0.0) && !asking.get_value() {
            asking.set_value(true);
            let me = api.get::<Me>("/admin/auth/me");
            spawn_local(async move {
                match me.await {
                    Ok(me) => apply(&me, session),
                    // Unanswered (a 401 lapses the session instead): ask again shortly.
                    Err(_) => session.ask_idle_again_in(10_000.0),
                }
                asking.try_set_value(false);
            });
        }
    });
    let limits = move || match session.idle_secs() {
        Some(idle) => format!(
            "Time left in this session; it also ends after {} without activity",
            format::remaining(idle as f64 * 1000.0)
        ),
        None => "Time left in this session".to_owned(),
    };
    view! {
        <header class="topbar">
            <span class="brand">"Galaxy admin"</span>
            <EnvironmentBadge />
            <span class="spacer"></span>
            <super::palette::PaletteButton />
            <ThemeToggle />
            <span class="operator" data-testid="operator">{move || session.active().map(|a| a.username).unwrap_or_default()}</span>
            <span class="role-badge" data-testid="role" title="Your role">{move || session.role().map(Role::label)}</span>
            <a href=Route::Password.href()>"Your sign-in"</a>
            <span
                class="session-time"
                class:expiring=move || warn.get()
                title=limits
                data-testid="session-time"
            >
                {move || format!("Session {}", format::remaining(left_ms().unwrap_or_default()))}
            </span>
            <button type="button" class="button" on:click=move |_| api.log_out()>"Log out"</button>
        </header>
        {move || warn.get().then(|| view! {
            <div class="banner warning session-warning" role="status">
                {move || format!("Your session ends in {}. Finish what you are doing and log in again.", format::remaining(left_ms().unwrap_or_default()))}
            </div>
        })}
        {move || still_there.get().then(|| view! {
            <div class="banner warning idle-warning" role="status">
                {move || format!("Still there? Without activity you will be signed out in {}.", format::remaining(idle_left_ms().unwrap_or_default().max(0.0)))}
                " "
                <button type="button" class="button" on:click=move |_| report(api, session)>"Stay signed in"</button>
            </div>
        })}
    }
}

#[component]
fn Banners() -> impl IntoView {
    let status = use_game_status();
    let paused = Memo::new(move |_| status.latest.with(|s| s.as_ref().is_some_and(|s| s.paused)));
    view! {
        {move || status.outage().map(|message| view! {
            <div class="banner error outage" role="alert">{message} " Retrying automatically."</div>
        })}
        {move || paused.get().then(|| view! {
            <div class="banner paused" role="status">"The game is paused. Players see a frozen universe until it is resumed."</div>
        })}
        <ScheduledPauseBanner />
    }
}

/// Every operator sees a scheduled pause coming a few minutes ahead, whoever planned it.
#[component]
fn ScheduledPauseBanner() -> impl IntoView {
    let schedules = use_schedules();
    let next_pause = schedules.next_pause();
    move || {
        let pause = next_pause.get()?;
        let left = schedules.until_ms(pause.due_at);
        // A memo: the banner is built when the lead starts, not every second.
        let soon = Memo::new(move |_| {
            left.try_get()
                .is_some_and(|l| l > 0.0 && l <= BANNER_LEAD_MS)
        });
        let name = pause.schedule_name.clone();
        let at = format::local_time(pause.due_at);
        Some(move || {
            soon.get().then(|| {
                let (name, at) = (name.clone(), at.clone());
                view! {
                    <div class="banner warning scheduled-pause" role="status" data-testid="scheduled-pause">
                        // Announced once as it appears, not at every second of the countdown.
                        {format!("Scheduled: “{name}” pauses the game at {at}, in ")}
                        <span aria-live="off">{move || format::remaining(left.try_get().unwrap_or_default())}</span>
                        "."
                        " "
                        <a href=Route::Schedules.href()>"See schedules"</a>
                    </div>
                }
            })
        })
    }
}

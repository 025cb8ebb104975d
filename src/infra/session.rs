//! The operator's session. Its token is the gateway's HttpOnly cookie, which no
//! script of this page can read; the page keeps only who is signed in and until
//! when, in `sessionStorage` (per tab, gone when the tab closes), to know at a
//! reload that there is a session.
//!
//! A session that ends by itself (its time ran out, or the gateway refused its
//! token) lapses rather than ends: the page stays as it is, with everything
//! typed in it, the operator signs in again over it, and every request that was
//! refused or held meanwhile goes on (`renewed`). Only logging out ends it.
//!
//! When it ends is counted on this machine's clock from the gateway's
//! `expires_in`, never from the token's `exp` against this clock: a laptop
//! clock hours off would otherwise refuse a fresh token or warn too late.

use futures_channel::oneshot;
use leptos::prelude::*;

use crate::infra::draft;

const STORAGE_KEY: &str = "galaxy_admin_session";
/// Who signed in last in this browser, in `localStorage`, which every tab sees change: the
/// session cookie is the browser's, so a sign-in in one tab is one in all (`Shell`).
pub const SIGNED_IN_KEY: &str = "galaxy_admin_signed_in";

#[derive(Debug, Clone, PartialEq)]
pub struct Active {
    pub username: String,
    /// Milliseconds since the Unix epoch on this machine's clock, as `Date.now()` counts.
    pub expires_at_ms: f64,
    /// Which sign-in of this page it is (not stored): a refusal of a request sent
    /// before the latest sign-in is not a lapse of the new session.
    pub sign_in: u32,
}

impl Active {
    /// `expires_at_ms` (whole, as an integer: formatting or parsing a float would
    /// pull core's float code into the bundle), then the username.
    fn stored(&self) -> String {
        format!("{}\n{}", self.expires_at_ms as u64, self.username)
    }

    fn from_stored(text: &str) -> Option<Self> {
        let (expires_at_ms, username) = text.split_once('\n')?;
        // A line more is what an older console kept: a token, which is not taken.
        if username.contains('\n') {
            return None;
        }
        Some(Self {
            username: username.to_owned(),
            expires_at_ms: expires_at_ms.parse::<u64>().ok()? as f64,
            sign_in: 0,
        })
    }
}

/// What an account may do, each role including the ones before it (the
/// contract's `x-minimum-role`). The gateway enforces it; the dashboard only
/// mirrors it, so nobody is shown a button that ends in a 403.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Viewer,
    Operator,
    Admin,
}

impl Role {
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "viewer" => Some(Role::Viewer),
            "operator" => Some(Role::Operator),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    /// Why an account with this role may not do what needs `min`, if it may not.
    pub fn lacks(self, min: Role) -> Option<&'static str> {
        match min {
            _ if self >= min => None,
            Role::Admin => Some("Needs the admin role"),
            _ => Some("Needs the operator role"),
        }
    }
}

/// How often the operator's activity is reported to a gateway that ends a session after
/// `idle_secs` without it: as often as the gateway writes it down (a tenth of the limit, at
/// most a minute), and a fifth more, so every report is written.
pub fn report_every_ms(idle_secs: u64) -> f64 {
    (idle_secs as f64 * 100.0).min(60_000.0) * 1.2
}

/// How long before the idle end the operator is asked whether they are still there.
pub fn idle_warning_ms(idle_secs: u64) -> f64 {
    (idle_secs as f64 * 500.0).min(120_000.0)
}

/// When a token that lasts `expires_in_secs` from `now_ms` ends.
pub fn expires_at(now_ms: f64, expires_in_secs: u64) -> f64 {
    now_ms + expires_in_secs as f64 * 1000.0
}

#[derive(Clone, Copy)]
pub struct Session {
    active: RwSignal<Option<Active>>,
    /// Set while the session has lapsed (a 401, or its time ran out), with the
    /// gateway's reason if it gave one, so the sign-in over the page can say why.
    lapsed: RwSignal<Option<String>>,
    /// Requests waiting for the operator to sign in again: told `true` when they
    /// may go on, `false` when the operator logged out instead.
    waiting: StoredValue<Vec<oneshot::Sender<bool>>, LocalStorage>,
    /// The account's role, as `/admin/auth/me` last said; asked again after a 403.
    role: RwSignal<Option<Role>>,
    role_asked: RwSignal<u32>,
    /// The account's role requires a second factor it does not have: until one is set
    /// up, the gateway lets the session do nothing else (`/admin/auth/me`'s `must_enrol`).
    must_enrol: RwSignal<bool>,
    /// Sign-ins on this page so far, never reset, so each has its own `Active::sign_in`.
    sign_ins: StoredValue<u32>,
    /// The gateway's limit on time without the operator's activity (`/admin/auth/me`).
    idle_secs: RwSignal<Option<u64>>,
    /// When the operator's activity was last reported to the gateway (`Date.now()`).
    reported_ms: StoredValue<f64>,
    /// When the gateway ends the session without activity, by what it last said (`Date.now()`).
    idle_end_ms: StoredValue<Option<f64>>,
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}

impl Session {
    /// The session this tab already had, if it has time left.
    pub fn restore() -> Self {
        let active = storage()
            .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
            .and_then(|text| Active::from_stored(&text))
            .filter(|a| a.expires_at_ms > now_ms());
        if active.is_none() {
            if let Some(s) = storage() {
                let _ = s.remove_item(STORAGE_KEY);
            }
        }
        Self {
            active: RwSignal::new(active),
            lapsed: RwSignal::new(None),
            waiting: StoredValue::new_local(Vec::new()),
            role: RwSignal::new(None),
            role_asked: RwSignal::new(0),
            must_enrol: RwSignal::new(false),
            sign_ins: StoredValue::new(0),
            idle_secs: RwSignal::new(None),
            reported_ms: StoredValue::new(now_ms()),
            idle_end_ms: StoredValue::new(None),
        }
    }

    /// The gateway started a session (its cookie is set) for `username`.
    pub fn begin(&self, username: String, expires_in_secs: u64) {
        let sign_in = self.sign_ins.get_value().wrapping_add(1);
        self.sign_ins.set_value(sign_in);
        let active = Active {
            username,
            expires_at_ms: expires_at(now_ms(), expires_in_secs),
            sign_in,
        };
        if let Some(s) = storage() {
            let _ = s.set_item(STORAGE_KEY, &active.stored());
        }
        if let Some(shared) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = shared.set_item(SIGNED_IN_KEY, &active.username);
        }
        self.active.set(Some(active));
        // A new session starts its idle time now.
        self.reported_ms.set_value(now_ms());
        self.idle_end_ms.set_value(
            self.idle_secs
                .get_untracked()
                .map(|idle| expires_at(now_ms(), idle)),
        );
        if self.lapsed.get_untracked().is_some() {
            self.lapsed.set(None);
            // The account may have been given another role meanwhile.
            self.ask_role_again();
        }
        self.release(true);
    }

    fn forget_stored() {
        if let Some(s) = storage() {
            let _ = s.remove_item(STORAGE_KEY);
        }
    }

    fn release(&self, go_on: bool) {
        for waiter in self
            .waiting
            .try_update_value(std::mem::take)
            .unwrap_or_default()
        {
            let _ = waiter.send(go_on);
        }
    }

    /// The operator logged out: the session, its drafts and every held request end.
    pub fn end(&self) {
        Self::forget_stored();
        draft::forget_all();
        self.lapsed.set(None);
        self.active.set(None);
        self.role.set(None);
        self.must_enrol.set(false);
        self.release(false);
    }

    /// The gateway refused the token (`reason`: its detail), or its time ran out:
    /// the session lapses until the operator signs in again. Idempotent, so a
    /// burst of 401s from several pollers asks once.
    pub fn expire(&self, reason: &str) {
        if self.active.with_untracked(Option::is_some) && self.lapsed.get_untracked().is_none() {
            // A reload from here finds no session, and asks on the login page.
            Self::forget_stored();
            self.lapsed.set(Some(reason.to_owned()));
        }
    }

    /// Why the session lapsed, while it has ("" when no reason was given).
    pub fn lapsed(&self) -> Option<String> {
        self.lapsed.get()
    }

    /// Waits while the session has lapsed: `true` once the operator signed in
    /// again (a request may go on, with the new token), `false` if they logged
    /// out. Without a lapse it goes on at once (with or without a session: some
    /// calls, like the services' versions, need none).
    pub async fn renewed(self) -> bool {
        if self.lapsed.with_untracked(Option::is_none) {
            return true;
        }
        let (tell, told) = oneshot::channel();
        self.waiting.update_value(|w| w.push(tell));
        told.await.unwrap_or(false)
    }

    pub fn role(&self) -> Option<Role> {
        self.role.get()
    }

    pub fn role_known_untracked(&self) -> bool {
        self.role.with_untracked(Option::is_some)
    }

    /// The role as asked; told the same again, nothing that reads it is woken.
    pub fn set_role(&self, role: Option<Role>) {
        if self.role.try_get_untracked() != Some(role) {
            self.role.try_set(role);
        }
    }

    pub fn must_enrol(&self) -> bool {
        self.must_enrol.get()
    }

    /// Only a sign-in's answer, `/admin/auth/me` saying so, and the set-up itself (once its
    /// recovery codes are kept) change it: a `/me` asked while the codes are on screen must
    /// not take them away.
    pub fn set_must_enrol(&self, must: bool) {
        if self.must_enrol.try_get_untracked() != Some(must) {
            self.must_enrol.try_set(must);
        }
    }

    /// Changes whenever the role should be asked for again.
    pub fn role_asked(&self) -> u32 {
        self.role_asked.get()
    }

    /// A 403: the role may have changed since it was asked.
    pub fn ask_role_again(&self) {
        self.role_asked.try_update(|n| *n = n.wrapping_add(1));
    }

    /// Whether the operator may not do what needs `min` (tracked): their role is
    /// lower, or not known yet.
    pub fn lacks(&self, min: Role) -> bool {
        self.role.get().is_none_or(|role| role.lacks(min).is_some())
    }

    /// "Needs the admin role to `what`.", once the role is known to be lower;
    /// while it is not known yet, that the controls wait for it.
    pub fn note(&self, min: Role, what: &str) -> Option<String> {
        match self.role.get() {
            None => Some(format!("Checking your role before you can {what}…")),
            Some(role) => Some(format!("{} to {what}.", role.lacks(min)?)),
        }
    }

    pub fn active(&self) -> Option<Active> {
        self.active.get()
    }

    pub fn is_active(&self) -> bool {
        self.active.with(Option::is_some)
    }

    /// The gateway's idle limit and how long this session has left under it.
    pub fn set_idle(&self, secs: Option<u64>, left_secs: Option<u64>) {
        self.idle_end_ms
            .try_set_value(left_secs.map(|left| expires_at(now_ms(), left)));
        if self.idle_secs.try_get_untracked() != Some(secs) {
            self.idle_secs.try_set(secs);
        }
    }

    /// The gateway could not be asked at the idle end: ask again in `ms`.
    pub fn ask_idle_again_in(&self, ms: f64) {
        self.idle_end_ms.try_set_value(Some(now_ms() + ms));
    }

    /// The gateway's idle limit, once known (tracked).
    pub fn idle_secs(&self) -> Option<u64> {
        self.idle_secs.get()
    }

    /// A request that reports the operator's activity is on its way (or held for a sign-in).
    pub fn reported(&self) {
        self.reported_ms.set_value(now_ms());
    }

    /// Whether the operator's activity should be reported now (see `report_every_ms`).
    pub fn report_due(&self) -> bool {
        // Not while the session has lapsed: the sign-in itself is the news then.
        self.lapsed.with_untracked(Option::is_none)
            && self.idle_secs.get_untracked().is_some_and(|idle| {
                now_ms() - self.reported_ms.get_value() >= report_every_ms(idle)
            })
    }

    /// Milliseconds until the gateway ends the session for want of activity, at `now_ms`
    /// (tracked through the idle limit only).
    pub fn idle_left_ms(&self, now_ms: f64) -> Option<f64> {
        self.idle_secs()?;
        Some(self.idle_end_ms.get_value()? - now_ms)
    }

    /// Which sign-in the session is, if there is one (see `Active::sign_in`).
    pub fn sign_in_untracked(&self) -> Option<u32> {
        self.active
            .with_untracked(|a| a.as_ref().map(|a| a.sign_in))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_counts_from_this_clock_whatever_the_token_says() {
        // A clock three hours behind the gateway's still gets the full hour.
        let skewed_now = 1_700_000_000_000.0 - 3.0 * 3600.0 * 1000.0;
        assert_eq!(expires_at(skewed_now, 3600) - skewed_now, 3_600_000.0);
    }

    #[test]
    fn activity_is_reported_as_often_as_the_gateway_writes_it_and_asked_for_in_time() {
        // Thirty minutes: reported at most every 72 s, asked 2 min before the end.
        assert_eq!(report_every_ms(1800), 72_000.0);
        assert_eq!(idle_warning_ms(1800), 120_000.0);
        // A short limit (the browser tests'): a tenth of it, and asked halfway.
        assert_eq!(report_every_ms(12), 1_440.0);
        assert_eq!(idle_warning_ms(12), 6_000.0);
        assert!(report_every_ms(20) < idle_warning_ms(20));
    }

    #[test]
    fn roles_include_the_ones_before_them() {
        assert_eq!(Role::Admin.lacks(Role::Operator), None);
        assert_eq!(Role::Operator.lacks(Role::Operator), None);
        assert_eq!(
            Role::Operator.lacks(Role::Admin),
            Some("Needs the admin role")
        );
        assert_eq!(
            Role::Viewer.lacks(Role::Operator),
            Some("Needs the operator role")
        );
        for role in [Role::Viewer, Role::Operator, Role::Admin] {
            assert_eq!(Role::parse(role.label()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn a_stored_session_round_trips_and_garbage_is_none() {
        let active = Active {
            username: "admin".into(),
            expires_at_ms: 1_700_000_123_456.0,
            sign_in: 0,
        };
        let stored = active.stored();
        assert_eq!(stored, "1700000123456\nadmin", "no credential is kept");
        assert_eq!(Active::from_stored(&stored), Some(active));
        for bad in ["", "x\nadmin", "1", "eyJ.a.b", "1\nadmin\neyJ.a.b"] {
            assert_eq!(Active::from_stored(bad), None, "{bad:?}");
        }
    }
}

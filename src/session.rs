//! The operator's session. The token lives in `sessionStorage` (per tab, gone
//! when the tab closes), never in a URL or a log.

use leptos::prelude::*;

use crate::jwt;

const STORAGE_KEY: &str = "galaxy_admin_token";

#[derive(Debug, Clone, PartialEq)]
pub struct Active {
    pub token: String,
    pub username: String,
    /// Milliseconds since the Unix epoch, as `Date.now()` counts.
    pub expires_at_ms: f64,
}

#[derive(Clone, Copy)]
pub struct Session {
    active: RwSignal<Option<Active>>,
    /// Set when a 401 ended the session, so the login page can say why.
    expired: RwSignal<bool>,
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

fn activate(token: String) -> Option<Active> {
    let claims = jwt::claims(&token)?;
    let expires_at_ms = claims.exp as f64 * 1000.0;
    (expires_at_ms > now_ms()).then_some(Active {
        token,
        username: claims.sub,
        expires_at_ms,
    })
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}

impl Session {
    /// The session this tab already had, if its token is still valid.
    pub fn restore() -> Self {
        let active = storage()
            .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
            .and_then(activate);
        if active.is_none() {
            if let Some(s) = storage() {
                let _ = s.remove_item(STORAGE_KEY);
            }
        }
        Self {
            active: RwSignal::new(active),
            expired: RwSignal::new(false),
        }
    }

    pub fn begin(&self, token: String) -> Result<(), &'static str> {
        let active =
            activate(token).ok_or("The gateway issued a token the dashboard cannot read")?;
        if let Some(s) = storage() {
            let _ = s.set_item(STORAGE_KEY, &active.token);
        }
        self.expired.set(false);
        self.active.set(Some(active));
        Ok(())
    }

    fn clear(&self) {
        if let Some(s) = storage() {
            let _ = s.remove_item(STORAGE_KEY);
        }
        self.active.set(None);
    }

    /// The operator logged out.
    pub fn end(&self) {
        self.expired.set(false);
        self.clear();
    }

    /// The gateway refused the token. Idempotent, so a burst of 401s from
    /// several pollers ends the session once.
    pub fn expire(&self) {
        if self.active.with_untracked(Option::is_some) {
            self.expired.set(true);
            self.clear();
        }
    }

    pub fn active(&self) -> Option<Active> {
        self.active.get()
    }

    pub fn is_active(&self) -> bool {
        self.active.with(Option::is_some)
    }

    pub fn was_expired(&self) -> bool {
        self.expired.get()
    }

    pub fn token_untracked(&self) -> Option<String> {
        self.active
            .with_untracked(|a| a.as_ref().map(|a| a.token.clone()))
    }
}

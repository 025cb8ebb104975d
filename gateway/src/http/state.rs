//! What every handler shares: the settings, the store, and the HTTP layer's own state (the
//! request log and the injected faults of the dev controls).

use std::sync::{Arc, Mutex, MutexGuard};

use time::OffsetDateTime;

use crate::domain::accounts::{self, Account};
use crate::domain::players::Player;
use crate::domain::roles::Role;
use crate::http::faults::Fault;
use crate::http::request_log::RequestLog;
use crate::settings::Settings;
use crate::store::history::Source;
use crate::store::memory::{lock, World};

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    /// The admin from the secrets, as at start-up: its id lasts as long as the process, and a
    /// reset brings it back.
    pub bootstrap_admin: Arc<Account>,
    /// A hash of nothing anyone knows, verified against when a login names no account, so an
    /// unknown username takes as long to refuse as a wrong password.
    pub dummy_hash: Arc<String>,
    /// Held across a login's limit check, password verification and record, so concurrent
    /// guesses cannot all pass the check before any failure counts; other requests never wait.
    pub login_gate: Arc<tokio::sync::Mutex<()>>,
    /// Where `/admin/metrics/history` reads from.
    pub history_source: Arc<Source>,
    /// Sorted by id.
    seeded_players: Arc<Vec<Player>>,
    world: Arc<Mutex<World>>,
    /// Apart from the world: it is written after every response, and a world reset keeps it.
    requests: Arc<Mutex<RequestLog>>,
    /// The dev controls' injected faults: the HTTP layer's, not the game's, so apart from the
    /// world, and cleared with it by a reset.
    faults: Arc<Mutex<Vec<Fault>>>,
}

impl AppState {
    pub fn new(settings: Settings) -> Self {
        let mut seeded_players = crate::domain::players::seed(settings.players);
        seeded_players.sort_by_key(|p| p.id);
        let cost = settings.password_hash_cost;
        let bootstrap_admin = Account::new(
            &settings.secrets.admin_username,
            accounts::hash_password(cost, &settings.secrets.admin_password),
            Role::Admin,
        );
        let dummy_hash = accounts::hash_password(cost, &crate::settings::random_token(16));
        let mut world = World::new(
            &settings,
            seeded_players.clone(),
            vec![bootstrap_admin.clone()],
            0,
        );
        if settings.demo_history {
            let now = OffsetDateTime::now_utc().unix_timestamp();
            let online = world.players_online();
            let rate = world.config.tick_rate() as f32;
            let demo =
                crate::domain::history::demo(now, settings.history_interval_secs, rate, online);
            world.history.insert(demo);
        }
        let history_source =
            Source::new(settings.history_interval_secs, settings.prometheus.clone());
        Self {
            settings: Arc::new(settings),
            bootstrap_admin: Arc::new(bootstrap_admin),
            dummy_hash: Arc::new(dummy_hash),
            login_gate: Arc::new(tokio::sync::Mutex::new(())),
            history_source: Arc::new(history_source),
            seeded_players: Arc::new(seeded_players),
            world: Arc::new(Mutex::new(world)),
            requests: Arc::new(Mutex::new(RequestLog::default())),
            faults: Arc::new(Mutex::new(Vec::new())),
        }
    }

    pub fn world(&self) -> MutexGuard<'_, World> {
        lock(&self.world)
    }

    pub fn requests(&self) -> MutexGuard<'_, RequestLog> {
        lock(&self.requests)
    }

    /// The store itself, for a reader that takes the lock only for what it reads (the history
    /// source, which may instead wait on Prometheus).
    pub fn store(&self) -> &Mutex<World> {
        &self.world
    }

    pub fn faults(&self) -> MutexGuard<'_, Vec<Fault>> {
        lock(&self.faults)
    }

    /// Back to the world at start-up (see [`World::reset`]), the bootstrap admin with the
    /// password from the secrets, and no injected faults.
    pub fn reset(&self) {
        let mut world = self.world();
        world.reset(
            &self.settings,
            self.seeded_players.as_ref().clone(),
            &self.bootstrap_admin,
        );
        // Under the world's lock, as when the faults were part of the world.
        self.faults().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn a_reset_keeps_the_admin_id_and_clears_lockouts_and_their_setting() {
        let state = AppState::new(Settings::for_tests(1));
        let id = state.bootstrap_admin.id;
        let client: std::net::IpAddr = "192.0.2.1".parse().unwrap();
        let now = Instant::now();
        let lock = |world: &mut World| {
            for _ in 0..crate::domain::login_limit::ACCOUNT_FAILURES {
                world.login_limits.record_failure("admin", client, now);
            }
            world.login_limits.check("admin", client, now)
        };
        {
            let mut world = state.world();
            world.login_limits.set_base_lockout(Duration::from_secs(5));
            assert_eq!(lock(&mut world).map(|r| r.retry_after_secs), Some(5));
        }
        state.reset();
        let mut world = state.world();
        assert_eq!(world.login_limits.check("admin", client, now), None);
        assert_eq!(lock(&mut world).map(|r| r.retry_after_secs), Some(60));
        assert_eq!(state.bootstrap_admin.id, id);
        assert_eq!(world.account_named("admin").map(|a| a.id), Some(id));
        assert!(world.account_named("root").is_none());
    }
}

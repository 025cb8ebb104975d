//! What every handler shares: the settings, the store, and the HTTP layer's own state (the
//! request log and the injected faults of the dev controls).

use std::sync::{Arc, Mutex, MutexGuard};

use time::OffsetDateTime;

use crate::domain::accounts::{self, Account};
use crate::domain::audit::{Actor, Audit, AuditEntry, TargetType};
use crate::domain::passkeys::RelyingParty;
use crate::domain::players::Player;
use crate::domain::roles::Role;
use crate::http::faults::Fault;
use crate::http::request_log::RequestLog;
use crate::settings::Settings;
use crate::store::accounts::Accounts;
use crate::store::api_keys::ApiKeys;
use crate::store::audit_log::AuditLog;
use crate::store::history::Source;
use crate::store::login_limits::LoginLimitStore;
use crate::store::memory::{lock, KnownTargets, World};
use crate::store::moderation::Moderation;
use crate::store::passkeys::Passkeys;
use crate::store::player_events::PlayerEvents;
use crate::store::players::Players;
use crate::store::postgres::Postgres;
use crate::store::runtime_config::ConfigStore;
use crate::store::schedules::Schedules;
use crate::store::sessions::Sessions;
use crate::store::snapshots::Snapshots;

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
    /// The console's accounts: in the world, or in Galaxy's PostgreSQL.
    pub accounts: Accounts,
    /// The login limit's failures and lockouts, beside the accounts.
    pub login_limits: LoginLimitStore,
    /// Console sessions, beside the accounts.
    pub sessions: Sessions,
    /// API keys, beside the accounts.
    pub api_keys: ApiKeys,
    pub passkeys: Passkeys,
    pub relying_party: Arc<RelyingParty>,
    /// The audit log, beside the accounts.
    pub audit: AuditLog,
    /// Bans, notes and the deletion of players.
    pub moderation: Moderation,
    /// The players list, a player and the export.
    pub players: Players,
    /// Snapshots: listing, taking, pinning and deleting them.
    pub snapshots: Snapshots,
    /// The runtime configuration.
    pub config: ConfigStore,
    /// Bans and kicks reaching the player's sockets on every replica.
    pub player_events: PlayerEvents,
    /// Scheduled operations and their runs.
    pub schedules: Schedules,
    /// Wakes the schedule runner before its next second (a schedule saved, the clock moved).
    pub schedule_wake: Arc<tokio::sync::Notify>,
    /// One pass of the runner at a time in this process (the timer's and a dev control's).
    pub schedule_pass: Arc<tokio::sync::Mutex<()>>,
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
    /// Everything in memory, the embedded default.
    pub fn new(settings: Settings) -> Self {
        let bootstrap_admin = bootstrap_admin(&settings);
        Self::build(
            settings,
            bootstrap_admin.clone(),
            vec![bootstrap_admin],
            None,
        )
    }

    /// The console's accounts, login limit and audit log in Galaxy's PostgreSQL
    /// (`--database-url`), the rest in memory;
    /// the bootstrap admin from the secrets is created there unless an account of its name
    /// exists (see `store::postgres::Postgres::ensure_account`).
    pub async fn with_postgres(settings: Settings, pg: Postgres) -> Result<Self, String> {
        let mut bootstrap = bootstrap_admin(&settings);
        let stored = pg
            .ensure_account(&bootstrap)
            .await
            .map_err(|e| format!("cannot create the bootstrap admin: {e}"))?;
        // Its id as stored; the password hash stays the secrets', what a dev reset restores.
        bootstrap.id = stored.id;
        bootstrap.created_at = stored.created_at;
        Ok(Self::build(settings, bootstrap, Vec::new(), Some(pg)))
    }

    fn build(
        settings: Settings,
        bootstrap_admin: Account,
        accounts_in_world: Vec<Account>,
        pg: Option<Postgres>,
    ) -> Self {
        let mut seeded_players = crate::domain::players::seed(settings.players);
        seeded_players.sort_by_key(|p| p.id);
        let cost = settings.password_hash_cost;
        let dummy_hash = accounts::hash_password(cost, &crate::settings::random_token(16));
        let mut world = World::new(&settings, seeded_players.clone(), accounts_in_world, 0);
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
        let world = Arc::new(Mutex::new(world));
        let sessions = match &pg {
            Some(pg) => Sessions::Postgres(pg.clone()),
            None => Sessions::Memory(world.clone()),
        };
        let passkeys = match &pg {
            Some(pg) => Passkeys::Postgres(pg.clone()),
            None => Passkeys::Memory(world.clone()),
        };
        let relying_party = settings
            .relying_party()
            .expect("the passkey settings are checked at start-up");
        let schedules = match &pg {
            Some(pg) => Schedules::Postgres(pg.clone()),
            None => Schedules::Memory(world.clone()),
        };
        let api_keys = match &pg {
            Some(pg) => ApiKeys::Postgres(pg.clone()),
            None => ApiKeys::Memory(world.clone()),
        };
        let (accounts, login_limits, audit, moderation, players, snapshots, config, player_events) =
            match pg {
                Some(pg) => (
                    Accounts::Postgres(pg.clone()),
                    LoginLimitStore::Postgres(pg.clone(), world.clone()),
                    AuditLog::postgres(pg.clone(), world.clone()),
                    Moderation::Postgres(pg.clone(), world.clone()),
                    Players::Postgres(pg.clone(), world.clone()),
                    Snapshots::Postgres(pg.clone(), world.clone()),
                    ConfigStore::Postgres(pg.clone(), world.clone()),
                    PlayerEvents::postgres(pg, world.clone()),
                ),
                None => (
                    Accounts::Memory(world.clone()),
                    LoginLimitStore::Memory(world.clone()),
                    AuditLog::Memory(world.clone()),
                    Moderation::Memory(world.clone()),
                    Players::Memory(world.clone()),
                    Snapshots::Memory(world.clone()),
                    ConfigStore::Memory(world.clone()),
                    PlayerEvents::Local(world.clone()),
                ),
            };
        Self {
            settings: Arc::new(settings),
            bootstrap_admin: Arc::new(bootstrap_admin),
            dummy_hash: Arc::new(dummy_hash),
            login_gate: Arc::new(tokio::sync::Mutex::new(())),
            history_source: Arc::new(history_source),
            accounts,
            login_limits,
            sessions,
            api_keys,
            passkeys,
            relying_party: Arc::new(relying_party),
            audit,
            moderation,
            players,
            snapshots,
            config,
            player_events,
            schedules,
            schedule_wake: Arc::new(tokio::sync::Notify::new()),
            schedule_pass: Arc::new(tokio::sync::Mutex::new(())),
            seeded_players: Arc::new(seeded_players),
            world,
            requests: Arc::new(Mutex::new(RequestLog::default())),
            faults: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Which accounts, players and snapshots `entries` name still exist, for their `target_exists`;
    /// read before the world's lock is taken (the stores may be PostgreSQL).
    pub async fn known_targets(
        &self,
        entries: &[AuditEntry],
    ) -> Result<KnownTargets, crate::store::StoreError> {
        let named = |kind: TargetType| -> Vec<uuid::Uuid> {
            entries
                .iter()
                .filter(|e| e.target_type == Some(kind))
                .filter_map(|e| e.target_id.as_deref()?.parse().ok())
                .collect()
        };
        let players = named(TargetType::Player);
        let snapshots: Vec<u32> = entries
            .iter()
            .filter(|e| e.target_type == Some(TargetType::Snapshot))
            .filter_map(|e| e.target_id.as_deref()?.parse().ok())
            .collect();
        let accounts = if named(TargetType::Account).is_empty() {
            Default::default()
        } else {
            self.accounts.list().await?.iter().map(|a| a.id).collect()
        };
        let schedules = if named(TargetType::Schedule).is_empty() {
            Default::default()
        } else {
            self.schedules.list().await?.iter().map(|s| s.id).collect()
        };
        Ok(KnownTargets {
            schedules,
            accounts,
            players: self.players.existing(&players).await?,
            snapshots: self.snapshots.existing(&snapshots).await?,
        })
    }

    /// `audit` by `actor` as of now, for a store that records it with the change it describes.
    pub fn audit_entry(&self, actor: &Actor, audit: Audit) -> AuditEntry {
        let tick = self.world().status().tick;
        AuditEntry::recorded(actor, audit, tick)
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
    /// password from the secrets as the only account, and no injected faults.
    pub async fn reset(&self) -> Result<(), crate::store::StoreError> {
        self.accounts.reset(&self.bootstrap_admin).await?;
        self.login_limits.reset().await?;
        {
            let mut world = self.world();
            let in_world = matches!(self.accounts, Accounts::Memory(_));
            world.reset(
                &self.settings,
                self.seeded_players.as_ref().clone(),
                in_world.then_some(self.bootstrap_admin.as_ref()),
            );
            // Under the world's lock, as when the faults were part of the world.
            self.faults().clear();
        }
        // A configuration in PostgreSQL is Galaxy's and stays; the world's copy follows it.
        self.config.follow().await
    }
}

/// The admin from the secrets, as at start-up.
fn bootstrap_admin(settings: &Settings) -> Account {
    Account::new(
        &settings.secrets.admin_username,
        accounts::hash_password(
            settings.password_hash_cost,
            &settings.secrets.admin_password,
        ),
        Role::Admin,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[tokio::test]
    async fn a_reset_keeps_the_admin_id_and_clears_lockouts_and_their_setting() {
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
        state.reset().await.unwrap();
        let mut world = state.world();
        assert_eq!(world.login_limits.check("admin", client, now), None);
        assert_eq!(lock(&mut world).map(|r| r.retry_after_secs), Some(60));
        assert_eq!(state.bootstrap_admin.id, id);
        assert_eq!(world.account_named("admin").map(|a| a.id), Some(id));
        assert!(world.account_named("root").is_none());
    }
}

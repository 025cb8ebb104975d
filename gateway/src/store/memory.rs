//! The in-memory store: the whole simulated world behind one lock. Every handler holds it for
//! a few microseconds, so a plain mutex is simpler and faster than finer locking.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::accounts::Account;
use crate::domain::api_keys::ApiKey;
use crate::domain::audit::{Actor, Audit, AuditEntry, ListedEntry, TargetType};
use crate::domain::audit_chain::{link, Hash, GENESIS};
use crate::domain::game::{Game, GameStatus};
use crate::domain::history::{tick_duration_ms, History, Sample};
use crate::domain::login_limit::LoginLimits;
use crate::domain::player_sessions::{PlayerEvent, PlayerSessions};
use crate::domain::players::{Ban, Note, Player};
use crate::domain::runtime_config::RuntimeConfig;
use crate::domain::services::{Service, ServiceStatus, GATEWAY_SERVICE, INITIAL_VERSIONS};
use crate::domain::sessions::SessionRecord;
use crate::domain::snapshots::{retention_entry, taken_entry, Snapshot, MAX_SNAPSHOT_ID};
use crate::settings::Settings;

const AUDIT_CAPACITY: usize = 10_000;

/// Which of the accounts, players and snapshots some audit entries name still exist, as their stores
/// say (see [`World::target_exists`]).
#[derive(Debug, Default)]
pub struct KnownTargets {
    pub accounts: HashSet<Uuid>,
    pub players: HashSet<Uuid>,
    pub snapshots: HashSet<u32>,
    pub schedules: HashSet<Uuid>,
}
/// Entries kept for the PostgreSQL audit log while it cannot be written: a database outage of
/// hours at an operator's pace, far more than the console makes.
const OUTBOX_CAPACITY: usize = 100_000;

pub struct World {
    pub game: Game,
    pub config: RuntimeConfig,
    /// Changes of the configuration through this process, so that a copy read from PostgreSQL
    /// before one of them is not adopted after it (see `store::runtime_config`).
    pub config_writes: u64,
    /// Oldest first; listings reverse it.
    pub snapshots: Vec<Snapshot>,
    next_snapshot_id: u32,
    /// Sorted by id, so a lookup by id is a binary search even with 100000 players.
    pub players: Vec<Player>,
    /// Oldest first; listings reverse it. Empty when the audit log is kept in PostgreSQL.
    pub audit: VecDeque<AuditEntry>,
    next_audit_id: u64,
    /// The newest entry's hash: what the next entry links to (it carries on over a reset).
    audit_head: Hash,
    /// The hash of the entry before the oldest in `audit` (dropped from the ring, or before a
    /// reset): what a check of the chain starts from.
    audit_anchor: Hash,
    /// With the audit log in PostgreSQL: the entries recorded here and not yet written there,
    /// oldest first, without ids (the database assigns them). `None`: the log is `audit`.
    audit_outbox: Option<VecDeque<AuditEntry>>,
    /// The game's health over the last day (see `domain::history`).
    pub history: History,
    pub services: Vec<Service>,
    /// Console accounts, oldest first.
    pub accounts: Vec<Account>,
    /// Console sessions by id (`store::sessions`); a reset keeps the bootstrap admin's.
    pub sessions: HashMap<Uuid, SessionRecord>,
    /// API keys by id (`store::api_keys`); a reset forgets them all.
    pub api_keys: HashMap<Uuid, ApiKey>,
    /// When this process last recorded a refusal of each key: at most one entry a minute per
    /// key, so a script still using a revoked key cannot flood the audit log.
    pub api_key_refusals: HashMap<Uuid, OffsetDateTime>,
    /// Passkeys of the accounts (`store::passkeys`), oldest first; a reset forgets them all.
    pub passkeys: Vec<crate::domain::passkeys::Passkey>,
    /// WebAuthn ceremonies in flight, by challenge.
    pub passkey_ceremonies: HashMap<Uuid, crate::domain::passkeys::Ceremony>,
    pub token_generation: u64,
    pub token_ttl: Duration,
    /// The settings' idle limit of sessions, changed only by a dev control (a reset restores it).
    pub session_idle: Option<time::Duration>,
    /// The roles that must sign in with a second factor: the settings', changed only by a dev
    /// control (a reset restores them).
    pub second_factor_roles: Vec<crate::domain::roles::Role>,
    /// Whether dangerous actions take a proof: the settings', changed only by a dev control.
    pub confirm_dangerous_actions: bool,
    pub login_limits: LoginLimits,
    /// Bans by player id, including ones that have ended but were not yet noticed (see
    /// `expire_bans`).
    pub bans: HashMap<Uuid, Ban>,
    /// Every player's notes, oldest first.
    pub notes: Vec<Note>,
    next_note_id: u64,
    /// How far the ban clock is ahead of the real one (the dev control `/__dev/clock`).
    pub clock_offset: time::Duration,
    /// Simulated game clients' sockets, which bans and kicks close (see `domain::player_sessions`).
    pub player_sessions: PlayerSessions,
    /// Messages to players sent through this process, for the rate limit and the list.
    pub player_messages: crate::domain::player_messages::Outbox,
    /// Schedules (`store::schedules`), oldest first, and their runs, oldest first.
    pub schedules: Vec<crate::domain::schedules::Schedule>,
    pub schedule_runs: VecDeque<crate::domain::schedules::Run>,
    pub next_schedule_run_id: i64,
}

impl World {
    pub fn new(
        settings: &Settings,
        players: Vec<Player>,
        accounts: Vec<Account>,
        token_generation: u64,
    ) -> Self {
        let now = OffsetDateTime::now_utc();
        Self {
            game: Game::new(settings.start_date, Instant::now()),
            config: RuntimeConfig::default(),
            config_writes: 0,
            snapshots: Vec::new(),
            next_snapshot_id: 1,
            players,
            audit: VecDeque::new(),
            next_audit_id: 1,
            audit_head: GENESIS,
            audit_anchor: GENESIS,
            audit_outbox: None,
            history: History::new(settings.history_interval_secs),
            services: INITIAL_VERSIONS
                .iter()
                .map(|&(name, version)| Service {
                    name,
                    version: version.to_owned(),
                    status: ServiceStatus::Ready,
                    checked_at: now,
                })
                .collect(),
            accounts,
            sessions: HashMap::new(),
            api_keys: HashMap::new(),
            api_key_refusals: HashMap::new(),
            passkeys: Vec::new(),
            passkey_ceremonies: HashMap::new(),
            token_generation,
            token_ttl: settings.token_ttl,
            session_idle: settings
                .session_idle
                .map(|d| time::Duration::try_from(d).unwrap_or(time::Duration::MAX)),
            second_factor_roles: settings.second_factor_roles.clone(),
            confirm_dangerous_actions: settings.confirm_dangerous_actions,
            login_limits: LoginLimits::default(),
            bans: HashMap::new(),
            notes: Vec::new(),
            next_note_id: 1,
            clock_offset: time::Duration::ZERO,
            player_sessions: PlayerSessions::default(),
            player_messages: Default::default(),
            schedules: Vec::new(),
            schedule_runs: VecDeque::new(),
            next_schedule_run_id: 1,
        }
    }

    /// Now, as bans and schedules see it: the real time, shifted by the dev control
    /// `/__dev/clock`.
    pub fn ban_clock(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + self.clock_offset
    }

    /// The player's ban, if one holds now.
    pub fn active_ban(&self, id: Uuid) -> Option<&Ban> {
        let now = self.ban_clock();
        self.bans.get(&id).filter(|b| b.active_at(now))
    }

    /// Forgets the bans that have ended, each with a `player.ban_expired` entry by `(system)`,
    /// once. Called before players are read or changed and on every history sample, so an
    /// ended ban is recorded at the first of those after its end; a read in between already
    /// leaves it out (see `active_ban`).
    pub fn expire_bans(&mut self) {
        let now = self.ban_clock();
        let mut ended: Vec<(Uuid, Ban)> = self
            .bans
            .iter()
            .filter(|(_, b)| !b.active_at(now))
            .map(|(id, b)| (*id, b.clone()))
            .collect();
        if ended.is_empty() {
            return;
        }
        ended.sort_by_key(|(id, b)| (b.until, *id));
        for (id, ban) in ended {
            self.bans.remove(&id);
            let username = self
                .player_index(id)
                .map(|i| self.players[i].username.clone());
            self.audit(
                &Actor::system(),
                crate::domain::players::ban_expired(id, username.as_deref(), &ban),
            );
        }
    }

    /// The bans that hold now, by player.
    pub fn active_bans(&self) -> HashMap<Uuid, Ban> {
        let now = self.ban_clock();
        self.bans
            .iter()
            .filter(|(_, b)| b.active_at(now))
            .map(|(id, b)| (*id, b.clone()))
            .collect()
    }

    /// A new note on player `player_id`.
    pub fn add_note(&mut self, player_id: Uuid, text: String, actor: &Actor) -> Note {
        let note = Note {
            id: self.next_note_id,
            player_id,
            text,
            author: actor.username.clone(),
            author_id: actor.id.unwrap_or(Uuid::nil()),
            created_at: OffsetDateTime::now_utc(),
        };
        self.next_note_id += 1;
        self.notes.push(note.clone());
        note
    }

    /// The game status as of now.
    pub fn status(&mut self) -> GameStatus {
        let rate = self.config.tick_rate();
        self.game.advance(Instant::now(), rate);
        self.game.status(rate)
    }

    /// `config` in place of the world's, the ticks so far counted at the old rate.
    pub fn adopt_config(&mut self, config: RuntimeConfig) {
        let _ = self.status();
        self.config = config;
    }

    /// What `event` says about a player's sockets, applied to this process's: how many of its
    /// sockets it closed (for a broadcast: sent the message to).
    pub fn apply_player_event(&mut self, event: &PlayerEvent) -> usize {
        let now = self.ban_clock();
        let (player_id, online, closed) = match event {
            PlayerEvent::PlayerDisconnect {
                player_id,
                code,
                reason,
            } => (
                *player_id,
                false,
                self.player_sessions
                    .close_all(*player_id, *code, reason, now),
            ),
            PlayerEvent::PlayerConnect { player_id } => (*player_id, true, 0),
            PlayerEvent::PlayerBroadcast { frame } => return self.player_sessions.deliver(frame),
        };
        if let Some(index) = self.player_index(player_id) {
            self.players[index].online = online;
        }
        closed
    }

    /// Players connected now.
    pub fn players_online(&self) -> u32 {
        u32::try_from(self.players.iter().filter(|p| p.online).count()).unwrap_or(u32::MAX)
    }

    /// The game's health now, as the history keeps it.
    pub fn sample(&mut self, at: i64) -> Sample {
        let status = self.status();
        let players_online = self.players_online();
        Sample {
            at,
            tick_rate: status.tick_rate as f32,
            actual_rate: status.actual_rate as f32,
            ticks_behind: status.ticks_behind,
            tick_duration_ms: tick_duration_ms(status.paused, self.game.capacity(), players_online)
                as f32,
            players_online,
            paused: status.paused,
        }
    }

    /// Records an audit entry with the game tick now (see [`World::record_audit`]).
    pub fn audit(&mut self, actor: &Actor, audit: Audit) {
        let tick = self.status().tick;
        self.record_audit(AuditEntry::recorded(actor, audit, tick));
    }

    /// Records `entry`: in the log here with the next id, or, with the log in PostgreSQL, in
    /// the outbox that `store::audit_log` writes from.
    pub fn record_audit(&mut self, mut entry: AuditEntry) {
        if let Some(outbox) = &mut self.audit_outbox {
            if outbox.len() == OUTBOX_CAPACITY {
                let lost = outbox.pop_front();
                tracing::error!(
                    ?lost,
                    "the audit outbox is full (the database has been unreachable for long): \
                     its oldest entry is dropped"
                );
            }
            outbox.push_back(entry);
            return;
        }
        if self.audit.len() == AUDIT_CAPACITY {
            if let Some(dropped) = self.audit.pop_front() {
                self.audit_anchor = dropped.hash.unwrap_or(GENESIS);
            }
        }
        entry.id = self.next_audit_id;
        self.next_audit_id += 1;
        let hash = link(&self.audit_head, &entry);
        entry.hash = Some(hash);
        self.audit_head = hash;
        self.audit.push_back(entry);
    }

    /// Keeps a new session, and forgets those that ended or expired a day ago.
    pub fn start_session(&mut self, record: SessionRecord) {
        let forget_before = record.created_at - time::Duration::days(1);
        self.sessions.retain(|_, s| {
            s.expires_at > forget_before && s.ended_at.is_none_or(|at| at > forget_before)
        });
        self.sessions.insert(record.id, record);
    }

    /// The hash the oldest entry of `audit` follows.
    pub fn audit_anchor(&self) -> Hash {
        self.audit_anchor
    }

    /// Changes entry `id` without its hash, as someone with access to the store could: what the
    /// dev control that shows a broken chain does. False when no entry has that id.
    pub fn tamper_with_audit(&mut self, id: u64, after: String) -> bool {
        match self.audit.iter_mut().find(|e| e.id == id) {
            Some(entry) => {
                entry.after = Some(after);
                true
            }
            None => false,
        }
    }

    /// From now on, audit entries wait in an outbox for the PostgreSQL audit log.
    pub fn send_audit_to_store(&mut self) {
        self.audit_outbox.get_or_insert_with(VecDeque::new);
    }

    /// The entries waiting for the PostgreSQL audit log, oldest first, taken out of the outbox.
    pub fn take_audit_outbox(&mut self) -> Vec<AuditEntry> {
        self.audit_outbox
            .as_mut()
            .map(|o| o.drain(..).collect())
            .unwrap_or_default()
    }

    /// Puts back entries that could not be written, ahead of any recorded since.
    pub fn return_audit_outbox(&mut self, entries: Vec<AuditEntry>) {
        if let Some(outbox) = &mut self.audit_outbox {
            for entry in entries.into_iter().rev() {
                outbox.push_front(entry);
            }
            while outbox.len() > OUTBOX_CAPACITY {
                let lost = outbox.pop_front();
                tracing::error!(
                    ?lost,
                    "the audit outbox is full: its oldest entry is dropped"
                );
            }
        }
    }

    /// Whether what `entry` acted on is still there: the game always is, a configuration key
    /// always is, a snapshot, player, account, service or schedule only until deleted; an entry
    /// without a target type has none. Accounts, players and snapshots are judged by `known`,
    /// read from the stores that keep them (this world, or PostgreSQL).
    pub fn target_exists(&self, entry: &AuditEntry, known: &KnownTargets) -> bool {
        let id = entry.target_id.as_deref().unwrap_or("");
        match entry.target_type {
            None => false,
            Some(TargetType::Game) => true,
            Some(TargetType::Config) => self.config.items().iter().any(|i| i.key == id),
            Some(TargetType::Snapshot) => id
                .parse::<u32>()
                .is_ok_and(|n| known.snapshots.contains(&n)),
            Some(TargetType::Player) => {
                id.parse::<Uuid>().is_ok_and(|u| known.players.contains(&u))
            }
            Some(TargetType::Account) => id
                .parse::<Uuid>()
                .is_ok_and(|u| known.accounts.contains(&u)),
            Some(TargetType::Service) => self.services.iter().any(|s| s.name == id),
            Some(TargetType::Schedule) => id
                .parse::<Uuid>()
                .is_ok_and(|u| known.schedules.contains(&u)),
        }
    }

    pub fn listed<'a>(&self, entry: &'a AuditEntry, known: &KnownTargets) -> ListedEntry<'a> {
        ListedEntry {
            entry,
            target_exists: self.target_exists(entry, known),
        }
    }

    /// A snapshot of the world now; `None` once the id sequence is used up, as Postgres
    /// refuses a `SERIAL` past its maximum.
    pub fn create_snapshot(
        &mut self,
        created_by: Option<String>,
        label: Option<String>,
    ) -> Option<Snapshot> {
        if self.next_snapshot_id > MAX_SNAPSHOT_ID {
            return None;
        }
        let status = self.status();
        let snapshot = Snapshot {
            id: self.next_snapshot_id,
            tick_number: status.tick,
            game_time: status.game_time,
            created_at: OffsetDateTime::now_utc(),
            // A believable size: the world state grows with its players and varies a little
            // with the tick (bounded, since the tick counter can be enormous).
            size_bytes: 48_000 + 512 * self.players.len() as u64 + 16 * (status.tick % 4096),
            pinned: false,
            label,
            created_by,
        };
        self.next_snapshot_id += 1;
        self.snapshots.push(snapshot.clone());
        Some(snapshot)
    }

    /// Takes a snapshot for `actor` (a scheduled one for `(system)`), records it as
    /// `snapshot.create`, then applies retention, sparing `spare` too. `None` once the ids are
    /// used up.
    pub fn take_snapshot(
        &mut self,
        actor: &Actor,
        label: Option<String>,
        spare: Option<u32>,
    ) -> Option<Snapshot> {
        let created_by = actor.id.map(|_| actor.username.clone());
        let snapshot = self.create_snapshot(created_by, label)?;
        self.audit(actor, taken_entry(&snapshot));
        self.apply_retention(spare);
        Some(snapshot)
    }

    /// Keeps the newest `snapshot_retention` unpinned snapshots (and `spare`, and every pinned
    /// one) and deletes the other unpinned ones, oldest first, each a `snapshot.delete` entry
    /// by `(system)` with detail `retention`.
    pub fn apply_retention(&mut self, spare: Option<u32>) {
        let keep = self.config.snapshot_retention();
        let unpinned: Vec<u32> = self
            .snapshots
            .iter()
            .filter(|s| !s.pinned)
            .map(|s| s.id)
            .collect();
        let excess = unpinned.len().saturating_sub(keep);
        let doomed: Vec<u32> = unpinned
            .into_iter()
            .take(excess)
            .filter(|id| Some(*id) != spare)
            .collect();
        for id in doomed {
            let Some(index) = self.snapshots.iter().position(|s| s.id == id) else {
                continue;
            };
            self.snapshots.remove(index);
            self.audit(&Actor::system(), retention_entry(id));
        }
    }

    pub fn player_index(&self, id: Uuid) -> Option<usize> {
        self.players.binary_search_by_key(&id, |p| p.id).ok()
    }

    pub fn account(&self, id: Uuid) -> Option<&Account> {
        self.accounts.iter().find(|a| a.id == id)
    }

    pub fn account_mut(&mut self, id: Uuid) -> Option<&mut Account> {
        self.accounts.iter_mut().find(|a| a.id == id)
    }

    pub fn account_named(&self, username: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.username == username)
    }

    pub fn service_mut(&mut self, name: &str) -> Option<&mut Service> {
        self.services.iter_mut().find(|s| s.name == name)
    }

    pub fn gateway(&self) -> &Service {
        self.services
            .iter()
            .find(|s| s.name == GATEWAY_SERVICE)
            .expect("the gateway is always listed")
    }
    /// Back to the world at start-up, as after a restart of the game: `bootstrap_admin` as the
    /// only account (keeping its token version and last login, so its tokens stay valid unless
    /// they were issued for another role; none when the accounts are kept in PostgreSQL),
    /// `players` as seeded, the default login limits and no lockouts. The token generation and
    /// the audit ids carry on (the log here starts empty; one in PostgreSQL is append-only and
    /// stays whole), and no configuration entity tag from before matches after.
    pub fn reset(
        &mut self,
        settings: &Settings,
        players: Vec<Player>,
        bootstrap_admin: Option<&Account>,
    ) {
        let generation = self.token_generation;
        let next_audit_id = self.next_audit_id;
        let audit_head = self.audit_head;
        // Entries not yet written to PostgreSQL record what happened before the reset.
        let audit_outbox = self.audit_outbox.take();
        let config = RuntimeConfig::restarted_after(&self.config);
        let accounts = bootstrap_admin
            .map(|bootstrap| {
                let mut bootstrap = bootstrap.clone();
                if let Some(now) = self.account(bootstrap.id) {
                    bootstrap.token_version = now.token_version;
                    bootstrap.last_login_at = now.last_login_at;
                }
                bootstrap
            })
            .into_iter()
            .collect();
        // The bootstrap admin's sessions go on, as its tokens do.
        let sessions: HashMap<Uuid, SessionRecord> = std::mem::take(&mut self.sessions)
            .into_iter()
            .filter(|(_, s)| bootstrap_admin.is_some_and(|b| b.id == s.account_id))
            .collect();
        *self = World::new(settings, players, accounts, generation);
        self.sessions = sessions;
        self.config = config;
        self.next_audit_id = next_audit_id;
        self.audit_head = audit_head;
        self.audit_anchor = audit_head;
        self.audit_outbox = audit_outbox;
    }
}

/// A panic while holding a lock cannot leave state half-updated in a way that matters for a
/// reference server, so recover instead of poisoning every later request.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The world as the gateway starts it with `players` seeded players.
    fn world(players: u64) -> World {
        let settings = Settings::for_tests(players);
        let mut seeded = crate::domain::players::seed(settings.players);
        seeded.sort_by_key(|p| p.id);
        World::new(&settings, seeded, vec![], 0)
    }

    #[test]
    fn players_are_found_by_id_through_the_sorted_index() {
        let mut world = world(100_000);
        assert!(world.players.windows(2).all(|w| w[0].id < w[1].id));
        for n in [1, 2, 50_000, 100_000] {
            let id = crate::domain::players::seeded_id(n).unwrap();
            let index = world.player_index(id).expect("seeded");
            assert_eq!(world.players[index].id, id);
        }
        assert_eq!(world.player_index(Uuid::nil()), None);
        let id = world.players[10].id;
        world.players.remove(10);
        assert_eq!(world.player_index(id), None);
    }

    #[test]
    fn snapshot_ids_stop_at_the_serial_maximum() {
        let mut world = world(1);
        assert_eq!(world.create_snapshot(None, None).map(|s| s.id), Some(1));
        world.next_snapshot_id = MAX_SNAPSHOT_ID;
        assert_eq!(
            world.create_snapshot(None, None).map(|s| s.id),
            Some(MAX_SNAPSHOT_ID)
        );
        assert!(world.create_snapshot(None, None).is_none());
        assert_eq!(world.snapshots.len(), 2);
    }
}

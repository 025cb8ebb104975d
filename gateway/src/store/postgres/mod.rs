//! Galaxy's PostgreSQL as the console's store (`--database-url`), on the schema that
//! `api/migrations/` adds to Galaxy's seed. Every replica of the gateway reads and changes the
//! same rows, so what one does is in force through the others at once; rules about several
//! rows (there is always an enabled admin) hold under concurrency through row locks, as the
//! migrations describe next to the tables.
//!
//! The gateway connects as the least-privileged `galaxy_admin_api` role the migrations create
//! (or any role with its grants); it applies no migration itself, it checks at start-up that
//! the ones it needs are applied.

mod api_keys;
mod audit;
mod config;
mod moderation;
mod notify;
mod passkeys;
mod players;
mod schedules;
mod seed;
mod sessions;
mod snapshots;

pub use audit::AppendError;
pub use notify::Subscription;
pub use seed::seed_players;

use std::net::IpAddr;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use time::OffsetDateTime;
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};
use uuid::Uuid;

use crate::domain::accounts::{self, Account, AccountChange, SecondFactorChange};
use crate::domain::audit::AuditEntry;
use crate::domain::login_limit::{username_key, Standing, ADDRESS_FAILURES, ADDRESS_WINDOW};
use crate::domain::roles::Role;
use crate::store::{StoreError, StoreResult};

/// The migrations (`api/migrations/NNNN_*.sql`) this gateway's queries need; start-up refuses a
/// database where one is missing from `schema_migrations`.
pub const REQUIRED_MIGRATIONS: &[&str] = &[
    "0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009", "0010", "0011", "0012",
    "0013",
];

/// How long a request waits for a connection, or for a new one to be made, before it is
/// answered 503: a database that is down must not hold requests until the client gives up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections per replica; Galaxy's PostgreSQL allows 100 in all (its default), shared with
/// Galaxy's services, and the console is a light user.
const POOL_SIZE: usize = 8;
/// Per session, unless the URL sets `options`: a statement runs at most 5 s and waits for a
/// row lock at most 3 s.
const STATEMENT_LIMITS: &str = "-c statement_timeout=5000 -c lock_timeout=3000";
/// Login-limit rows of names and accounts not tried for this long are forgotten, so invented
/// usernames cannot grow the table without end (the in-memory limit caps its maps instead).
const LOCKOUT_ROWS_KEPT_SECS: f64 = 86_400.0;

/// PostgreSQL's text cannot hold NUL; no username can contain it (`^[a-zA-Z0-9_]{3,20}$`), so a
/// key with one is kept with U+FFFD in its place rather than failing the request.
fn text_key(key: &str) -> String {
    username_key(key).replace('\0', "\u{FFFD}")
}

#[derive(Clone)]
pub struct Postgres {
    pool: Pool,
    /// For connections outside the pool (listening for notifications).
    config: std::sync::Arc<tokio_postgres::Config>,
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

const ACCOUNT_COLUMNS: &str = "id, username, password_hash, role, disabled, \
     COALESCE(created_at, 'epoch'::timestamptz) AS created_at, last_login_at, token_version, \
     totp_secret, totp_last_step, recovery_codes, \
     (SELECT count(*) FROM admin_passkeys k WHERE k.admin_id = admins.id) AS passkeys";

/// The role in column `role` of `row`, from `table`: a value the migrations' CHECK allows.
fn stored_role(row: &Row, table: &str) -> StoreResult<Role> {
    let role: &str = row.get("role");
    Role::ALL
        .into_iter()
        .find(|r| r.as_str() == role)
        .ok_or_else(|| unavailable(format!("{table}.role holds an unknown role {role:?}")))
}

fn account(row: &Row) -> StoreResult<Account> {
    let role = stored_role(row, "admins")?;
    let token_version: i64 = row.get("token_version");
    Ok(Account {
        id: row.get("id"),
        username: row.get("username"),
        password_hash: row.get("password_hash"),
        role,
        disabled: row.get("disabled"),
        created_at: row.get("created_at"),
        last_login_at: row.get("last_login_at"),
        token_version: u64::try_from(token_version).unwrap_or_default(),
        totp_secret: row.get("totp_secret"),
        totp_last_step: u64::try_from(row.get::<_, i64>("totp_last_step")).unwrap_or_default(),
        recovery_codes: row.get("recovery_codes"),
        passkeys: usize::try_from(row.get::<_, i64>("passkeys")).unwrap_or_default(),
    })
}

fn version(account: &Account) -> i64 {
    i64::try_from(account.token_version).unwrap_or(i64::MAX)
}

impl Postgres {
    /// Connects to `url` (a libpq URL or key/value string, as Galaxy's `DATABASE_URL`) and
    /// checks that the migrations this gateway needs are applied.
    pub async fn connect(url: &str) -> Result<Self, String> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| format!("--database-url is not a PostgreSQL connection string: {e}"))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        config.application_name("galaxy-admin-gateway");
        // A database that stops answering, or a lock held elsewhere, must end in a 503, not a
        // request that hangs (the pool's timeouts cover only getting a connection).
        if config.get_options().is_none() {
            config.options(STATEMENT_LIMITS);
        }
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(CONNECT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| format!("cannot set up the connection pool: {e}"))?;
        let store = Postgres {
            pool,
            config: std::sync::Arc::new(config),
        };
        store.check_migrations().await?;
        Ok(store)
    }

    async fn client(&self) -> StoreResult<Object> {
        self.pool.get().await.map_err(unavailable)
    }

    /// Whether the database answers now (a readiness probe): a connection from the pool and
    /// one round trip, within the pool's timeouts.
    pub async fn ping(&self) -> StoreResult<()> {
        let client = self.client().await?;
        client
            .simple_query("SELECT 1")
            .await
            .map(drop)
            .map_err(unavailable)
    }

    async fn check_migrations(&self) -> Result<(), String> {
        let client = self
            .client()
            .await
            .map_err(|e| format!("cannot connect to the database: {e}"))?;
        let rows = client
            .query("SELECT version FROM schema_migrations", &[])
            .await
            .map_err(|e| {
                format!("cannot read schema_migrations ({e}); apply api/migrations/apply.sh to this database first")
            })?;
        let applied: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
        let missing: Vec<&str> = REQUIRED_MIGRATIONS
            .iter()
            .copied()
            .filter(|v| !applied.iter().any(|a| a == v))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "the database lacks migrations {}; apply api/migrations/apply.sh to it first",
                missing.join(", ")
            ));
        }
        Ok(())
    }

    /// The bootstrap admin from the secrets, created when no account of its name exists; an
    /// existing one is left as it is (its password may have been changed in the console since).
    /// Returns the account of that name as stored.
    pub async fn ensure_account(&self, bootstrap: &Account) -> StoreResult<Account> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO admins (id, username, password_hash, role, disabled, created_at, token_version) \
                 VALUES ($1, $2, $3, $4, FALSE, $5, 0) ON CONFLICT (username) DO NOTHING",
                &[
                    &bootstrap.id,
                    &bootstrap.username,
                    &bootstrap.password_hash,
                    &bootstrap.role.as_str(),
                    &bootstrap.created_at,
                ],
            )
            .await
            .map_err(unavailable)?;
        self.account_named(&bootstrap.username)
            .await?
            .ok_or_else(|| unavailable("the bootstrap admin vanished as it was created"))
    }

    pub async fn accounts(&self) -> StoreResult<Vec<Account>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM admins ORDER BY created_at, id"),
                &[],
            )
            .await
            .map_err(unavailable)?;
        rows.iter().map(account).collect()
    }

    pub async fn account(&self, id: Uuid) -> StoreResult<Option<Account>> {
        self.account_where("id = $1", &id).await
    }

    pub async fn account_named(&self, username: &str) -> StoreResult<Option<Account>> {
        if username.contains('\0') {
            return Ok(None); // no account's name can hold it, and PostgreSQL's text cannot
        }
        self.account_where("username = $1", &username).await
    }

    /// The one account matching `condition` on its unique `$1`, if any.
    async fn account_where(
        &self,
        condition: &str,
        value: &(dyn ToSql + Sync),
    ) -> StoreResult<Option<Account>> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM admins WHERE {condition}"),
                &[value],
            )
            .await
            .map_err(unavailable)?;
        row.as_ref().map(account).transpose()
    }

    /// Inserts `account` and its audit entry in one transaction; false (and no entry) when an
    /// account of its name exists.
    pub async fn create_account(
        &self,
        account: &Account,
        entry: Option<&AuditEntry>,
    ) -> StoreResult<bool> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        let inserted = tx
            .execute(
                "INSERT INTO admins (id, username, password_hash, role, disabled, created_at, token_version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (username) DO NOTHING",
                &[
                    &account.id,
                    &account.username,
                    &account.password_hash,
                    &account.role.as_str(),
                    &account.disabled,
                    &account.created_at,
                    &version(account),
                ],
            )
            .await
            .map_err(unavailable)?;
        if let (1, Some(entry)) = (inserted, entry) {
            audit::insert_audit(&tx, entry).await?;
        }
        tx.commit().await.map_err(unavailable)?;
        Ok(inserted == 1)
    }

    /// In one transaction: locks every enabled admin (in id order, as every such transaction
    /// does, so two never deadlock), then the target, and lets `decide` judge the change
    /// against what is locked; the change and its audit entry are written together. Two admins
    /// demoting each other at once: the second waits for the first's commit, then finds itself
    /// the last enabled admin.
    async fn with_admins_locked<T>(
        &self,
        id: Uuid,
        decide: impl FnOnce(&Account, &[Uuid]) -> StoreResult<(Option<Account>, Option<AuditEntry>, T)>,
        delete: bool,
    ) -> StoreResult<T> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        let admins: Vec<Uuid> = tx
            .query(
                "SELECT id FROM admins WHERE role = 'admin' AND NOT disabled ORDER BY id FOR UPDATE",
                &[],
            )
            .await
            .map_err(unavailable)?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let current = tx
            .query_opt(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM admins WHERE id = $1 FOR UPDATE"),
                &[&id],
            )
            .await
            .map_err(unavailable)?
            .as_ref()
            .map(account)
            .transpose()?
            .ok_or_else(|| StoreError::Rejected(accounts::not_found(id)))?;
        let (after, entry, answer) = decide(&current, &admins)?;
        if delete {
            tx.execute("DELETE FROM admins WHERE id = $1", &[&id])
                .await
                .map_err(unavailable)?;
        } else if let Some(after) = after {
            tx.execute(
                "UPDATE admins SET role = $2, disabled = $3, token_version = $4 WHERE id = $1",
                &[&id, &after.role.as_str(), &after.disabled, &version(&after)],
            )
            .await
            .map_err(unavailable)?;
        }
        if let Some(entry) = &entry {
            audit::insert_audit(&tx, entry).await?;
        }
        tx.commit().await.map_err(unavailable)?;
        Ok(answer)
    }

    /// The account before and after `change` (after is `None` when it changed nothing), with
    /// the entry `audit(before, after)` of a change.
    pub async fn change_account(
        &self,
        id: Uuid,
        acting: Uuid,
        change: AccountChange,
        audit: impl FnOnce(&Account, &Account) -> AuditEntry + Send,
    ) -> StoreResult<(Account, Option<Account>)> {
        self.with_admins_locked(
            id,
            |current, admins| {
                let after = accounts::apply_change(current, change, acting, admins)?;
                let entry = after.as_ref().map(|after| audit(current, after));
                Ok((after.clone(), entry, (current.clone(), after)))
            },
            false,
        )
        .await
    }

    /// Deletes the account with the entry `audit(account)`.
    pub async fn delete_account(
        &self,
        id: Uuid,
        acting: Uuid,
        audit: impl FnOnce(&Account) -> AuditEntry + Send,
    ) -> StoreResult<Account> {
        self.with_admins_locked(
            id,
            |current, admins| {
                accounts::check_delete(current, acting, admins)?;
                Ok((None, Some(audit(current)), current.clone()))
            },
            true,
        )
        .await
    }

    /// Sets the password hash and ends the account's sessions, only if the hash is still
    /// `expected` (when given), with `entry` when there is one; `None` when the account is gone
    /// or its password changed meanwhile.
    pub async fn set_password(
        &self,
        id: Uuid,
        expected: Option<&str>,
        hash: &str,
        entry: Option<&AuditEntry>,
    ) -> StoreResult<Option<Account>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        let row = tx
            .query_opt(
                &format!(
                    "UPDATE admins SET password_hash = $3, token_version = token_version + 1 \
                     WHERE id = $1 AND ($2::text IS NULL OR password_hash = $2) RETURNING {ACCOUNT_COLUMNS}"
                ),
                &[&id, &expected, &hash],
            )
            .await
            .map_err(unavailable)?;
        let changed = row.as_ref().map(account).transpose()?;
        if let (Some(_), Some(entry)) = (&changed, entry) {
            audit::insert_audit(&tx, entry).await?;
        }
        tx.commit().await.map_err(unavailable)?;
        Ok(changed)
    }

    /// Sets (or, with `secret` none, removes) the account's TOTP secret and recovery codes,
    /// ending its sessions when `revoke`, recorded with `entry`; `None` when it is gone.
    pub async fn set_second_factor(
        &self,
        id: Uuid,
        change: &SecondFactorChange,
        entry: &AuditEntry,
    ) -> StoreResult<Option<Account>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        let last_step = i64::try_from(change.last_step).unwrap_or(i64::MAX);
        if change.is_removal() {
            // A reset removes every factor: passkeys too. The account's row first, as adding
            // a passkey locks it, so none added meanwhile outlives the reset.
            tx.execute("SELECT 1 FROM admins WHERE id = $1 FOR UPDATE", &[&id])
                .await
                .map_err(unavailable)?;
            tx.execute("DELETE FROM admin_passkeys WHERE admin_id = $1", &[&id])
                .await
                .map_err(unavailable)?;
        }
        let row = tx
            .query_opt(
                &format!(
                    "UPDATE admins SET totp_secret = $2, totp_last_step = $3, recovery_codes = $4, \
                     token_version = token_version + $5 WHERE id = $1 RETURNING {ACCOUNT_COLUMNS}"
                ),
                &[
                    &id,
                    &change.secret,
                    &last_step,
                    &change.recovery_codes,
                    &i64::from(change.revoke),
                ],
            )
            .await
            .map_err(unavailable)?;
        let changed = row.as_ref().map(account).transpose()?;
        if changed.is_some() {
            audit::insert_audit(&tx, entry).await?;
        }
        tx.commit().await.map_err(unavailable)?;
        Ok(changed)
    }

    /// Uses the code of 30-second step `step`: true only if no code of it or a later step was
    /// used before, on any replica.
    pub async fn use_totp_step(&self, id: Uuid, step: u64) -> StoreResult<bool> {
        let client = self.client().await?;
        let step = i64::try_from(step).unwrap_or(i64::MAX);
        let updated = client
            .execute(
                "UPDATE admins SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2 \
                 AND totp_secret IS NOT NULL",
                &[&id, &step],
            )
            .await
            .map_err(unavailable)?;
        Ok(updated == 1)
    }

    /// Uses the recovery code hashed `hash`: how many are left, or none when it is not one.
    pub async fn use_recovery_code(&self, id: Uuid, hash: &str) -> StoreResult<Option<usize>> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "UPDATE admins SET recovery_codes = array_remove(recovery_codes, $2) \
                 WHERE id = $1 AND $2 = ANY (recovery_codes) RETURNING cardinality(recovery_codes)",
                &[&id, &hash],
            )
            .await
            .map_err(unavailable)?;
        Ok(row.map(|r| usize::try_from(r.get::<_, i32>(0)).unwrap_or_default()))
    }

    pub async fn record_login(&self, id: Uuid, at: OffsetDateTime) -> StoreResult<()> {
        let client = self.client().await?;
        client
            .execute(
                "UPDATE admins SET last_login_at = $2 WHERE id = $1",
                &[&id, &at],
            )
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// The dev controls' reset: `bootstrap` as the only account, an enabled admin with the
    /// secrets' password, keeping its token version and last login.
    pub async fn reset_accounts(&self, bootstrap: &Account) -> StoreResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        tx.execute("DELETE FROM admins WHERE id <> $1", &[&bootstrap.id])
            .await
            .map_err(unavailable)?;
        tx.execute(
            "DELETE FROM admin_passkeys WHERE admin_id = $1",
            &[&bootstrap.id],
        )
        .await
        .map_err(unavailable)?;
        tx.execute(
            "INSERT INTO admins (id, username, password_hash, role, disabled, created_at, token_version) \
             VALUES ($1, $2, $3, 'admin', FALSE, $4, 0) \
             ON CONFLICT (id) DO UPDATE SET username = EXCLUDED.username, \
             password_hash = EXCLUDED.password_hash, role = 'admin', disabled = FALSE, \
             totp_secret = NULL, totp_last_step = 0, recovery_codes = '{}'",
            &[
                &bootstrap.id,
                &bootstrap.username,
                &bootstrap.password_hash,
                &bootstrap.created_at,
            ],
        )
        .await
        .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)
    }
}

/// The login limit (`domain::login_limit`) on the tables of `0002_accounts.sql`, judged by the
/// database's clock, so every replica counts the same failures against the same lockouts.
impl Postgres {
    /// How long the account `key` is still locked, and how long until the oldest of the newest
    /// `ADDRESS_FAILURES` failures of `client` leaves the window (when it has that many).
    pub async fn login_waits(
        &self,
        key: &str,
        client: IpAddr,
    ) -> StoreResult<(Option<Duration>, Option<Duration>)> {
        let client_db = self.client().await?;
        let row = client_db
            .query_one(
                "SELECT \
                   (SELECT EXTRACT(EPOCH FROM locked_until - clock_timestamp())::float8 \
                     FROM admin_login_lockouts \
                     WHERE username_key = $1 AND locked_until > clock_timestamp()), \
                   (SELECT EXTRACT(EPOCH FROM failed_at + make_interval(secs => $3) - clock_timestamp())::float8 \
                     FROM admin_login_address_failures \
                     WHERE address = $2 AND failed_at > clock_timestamp() - make_interval(secs => $3) \
                     ORDER BY failed_at DESC OFFSET $4 LIMIT 1)",
                &[
                    &text_key(key),
                    &client,
                    &ADDRESS_WINDOW.as_secs_f64(),
                    &(ADDRESS_FAILURES as i64 - 1),
                ],
            )
            .await
            .map_err(unavailable)?;
        let wait = |seconds: Option<f64>| seconds.filter(|s| *s > 0.0).map(Duration::from_secs_f64);
        Ok((wait(row.get(0)), wait(row.get(1))))
    }

    /// Counts a failed attempt against the address and the account, in one transaction that
    /// holds the account's row (the upsert locks it, whether it was there or not), so failures
    /// through several replicas at once all count. Times are the database's clock when each
    /// statement runs, not when the transaction began: a failure that waited for the row lock
    /// is not recorded in the past.
    pub async fn record_login_failure(
        &self,
        key: &str,
        client: IpAddr,
        base: Duration,
    ) -> StoreResult<()> {
        let key = text_key(key);
        let mut client_db = self.client().await?;
        let tx = client_db.transaction().await.map_err(unavailable)?;
        // Only failures within the window can ever refuse anyone: every older one goes.
        tx.execute(
            "DELETE FROM admin_login_address_failures \
             WHERE failed_at <= clock_timestamp() - make_interval(secs => $1)",
            &[&ADDRESS_WINDOW.as_secs_f64()],
        )
        .await
        .map_err(unavailable)?;
        tx.execute(
            "DELETE FROM admin_login_lockouts \
             WHERE last_failure_at < clock_timestamp() - make_interval(secs => $1) \
               AND (locked_until IS NULL OR locked_until < clock_timestamp()) AND username_key <> $2",
            &[&LOCKOUT_ROWS_KEPT_SECS, &key],
        )
        .await
        .map_err(unavailable)?;
        tx.execute(
            "INSERT INTO admin_login_address_failures (address, failed_at) VALUES ($1, clock_timestamp())",
            &[&client],
        )
        .await
        .map_err(unavailable)?;
        let row = tx
            .query_one(
                "INSERT INTO admin_login_lockouts AS l (username_key, last_failure_at) \
                 VALUES ($1, clock_timestamp()) \
                 ON CONFLICT (username_key) DO UPDATE SET username_key = EXCLUDED.username_key \
                 RETURNING l.failures, l.lockouts, EXTRACT(EPOCH FROM l.locked_until - clock_timestamp())::float8",
                &[&key],
            )
            .await
            .map_err(unavailable)?;
        let count = |v: i32| u32::try_from(v).unwrap_or_default();
        let standing = Standing {
            failures: count(row.get(0)),
            lockouts: count(row.get(1)),
            locked_for: row
                .get::<_, Option<f64>>(2)
                .filter(|s| *s > 0.0)
                .map(Duration::from_secs_f64),
        };
        let next = standing.after_failure(base);
        let as_int = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
        tx.execute(
            "UPDATE admin_login_lockouts SET failures = $2, lockouts = $3, last_failure_at = clock_timestamp(), \
             locked_until = CASE WHEN $4::float8 IS NULL THEN locked_until \
                                 ELSE clock_timestamp() + make_interval(secs => $4) END \
             WHERE username_key = $1",
            &[
                &key,
                &as_int(next.failures),
                &as_int(next.lockouts),
                &(next != standing)
                    .then_some(next.locked_for)
                    .flatten()
                    .map(|d| d.as_secs_f64()),
            ],
        )
        .await
        .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)
    }

    /// A successful sign-in (or a password reset) clears the account's failures and lockouts.
    pub async fn clear_login_failures(&self, key: &str) -> StoreResult<()> {
        let client = self.client().await?;
        client
            .execute(
                "DELETE FROM admin_login_lockouts WHERE username_key = $1",
                &[&text_key(key)],
            )
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// The dev controls' reset: no failures and no lockouts.
    pub async fn reset_login_limits(&self) -> StoreResult<()> {
        let client = self.client().await?;
        client
            .batch_execute(
                "DELETE FROM admin_login_lockouts; DELETE FROM admin_login_address_failures",
            )
            .await
            .map_err(unavailable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_required_migrations_are_the_files_of_api_migrations() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../api/migrations");
        let mut versions: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| {
                let name = e.unwrap().file_name().into_string().unwrap();
                let (version, rest) = name.split_once('_')?;
                (rest.ends_with(".sql") && version.len() == 4).then(|| version.to_owned())
            })
            .collect();
        versions.sort();
        assert_eq!(versions, REQUIRED_MIGRATIONS);
    }
}

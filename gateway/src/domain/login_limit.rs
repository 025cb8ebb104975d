//! The login rate limit: per account and per client address, independently.
//!
//! Per account, so that guessing one admin's password is slow wherever the guesses come from;
//! per address, so that one client cannot spray guesses over many usernames. Neither alone is
//! enough, and keying only by address (as a gateway behind an ingress sees it) would let one
//! operator's typos lock out everyone. Unknown usernames are limited exactly like real ones, so
//! the answers never reveal which accounts exist.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Consecutive failures of one account that lock it.
pub const ACCOUNT_FAILURES: u32 = 5;
/// How long the first lockout of an account lasts, unless changed by the dev control.
pub const DEFAULT_BASE_LOCKOUT: Duration = Duration::from_secs(60);
/// Each further lockout of the same account doubles, up to this.
pub const MAX_LOCKOUT: Duration = Duration::from_secs(15 * 60);
/// Failures from one address within `ADDRESS_WINDOW` that block it until the oldest ages out.
pub const ADDRESS_FAILURES: usize = 20;
pub const ADDRESS_WINDOW: Duration = Duration::from_secs(60);

/// Bounds on memory: an attacker inventing usernames or addresses evicts the oldest entries
/// rather than growing the map without end.
const MAX_ACCOUNTS: usize = 10_000;
const MAX_ADDRESSES: usize = 10_000;
/// Usernames are at most 20 characters, so a longer name is no account and keeping only its
/// first characters merges nothing real while bounding each key.
pub const USERNAME_KEY_CHARS: usize = 64;

/// What a login attempt is refused for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitedBy {
    Account,
    Address,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub by: LimitedBy,
    /// Whole seconds until the attempt may be made again, at least 1.
    pub retry_after_secs: u64,
}

#[derive(Debug, Clone)]
struct Account {
    /// Failures since the last success or lockout.
    failures: u32,
    /// Lockouts since the last success; each doubles the next.
    lockouts: u32,
    locked_until: Option<Instant>,
    last_failure: Instant,
}

#[derive(Debug, Clone)]
pub struct LoginLimits {
    base_lockout: Duration,
    accounts: HashMap<String, Account>,
    /// Failure times within the window, oldest first.
    addresses: HashMap<IpAddr, VecDeque<Instant>>,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            base_lockout: DEFAULT_BASE_LOCKOUT,
            accounts: HashMap::new(),
            addresses: HashMap::new(),
        }
    }
}

/// The key an account is limited under: the username as typed, bounded.
pub fn username_key(username: &str) -> String {
    username.chars().take(USERNAME_KEY_CHARS).collect()
}

fn whole_seconds(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

/// The length of the `nth` lockout (from 1) of an account.
pub fn lockout_length(base: Duration, nth: u32) -> Duration {
    let doublings = nth.saturating_sub(1).min(31);
    base.saturating_mul(1 << doublings)
        .min(MAX_LOCKOUT.max(base))
}

/// An account's standing in the limit between attempts, as any store keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Standing {
    /// Failures since the last success or lockout.
    pub failures: u32,
    /// Lockouts since the last success; each doubles the next.
    pub lockouts: u32,
    /// How much longer the account is locked; `None` (or zero) when it is not.
    pub locked_for: Option<Duration>,
}

impl Standing {
    fn locked(&self) -> bool {
        self.locked_for.is_some_and(|wait| !wait.is_zero())
    }

    /// After one more failed attempt: the fifth in a row locks the account, each lockout twice
    /// as long as the one before (up to [`MAX_LOCKOUT`]). A locked account's attempts are
    /// refused unchecked, so none of them is a failure.
    pub fn after_failure(self, base: Duration) -> Standing {
        if self.locked() {
            return self;
        }
        let failures = self.failures + 1;
        if failures >= ACCOUNT_FAILURES {
            let lockouts = self.lockouts.saturating_add(1);
            return Standing {
                failures: 0,
                lockouts,
                locked_for: Some(lockout_length(base, lockouts)),
            };
        }
        Standing {
            failures,
            lockouts: self.lockouts,
            locked_for: None,
        }
    }
}

/// The refusal, if any, for an account locked for `account_wait` more and an address whose
/// oldest counted failure ages out of the window in `address_wait`: the longer wait is the one
/// that matters when both apply.
pub fn refusal(account_wait: Option<Duration>, address_wait: Option<Duration>) -> Option<Refusal> {
    let refuse = |by, wait: Duration| Refusal {
        by,
        retry_after_secs: whole_seconds(wait).max(1),
    };
    let account = account_wait
        .filter(|wait| !wait.is_zero())
        .map(|wait| refuse(LimitedBy::Account, wait));
    let address = address_wait.map(|wait| refuse(LimitedBy::Address, wait));
    match (account, address) {
        (Some(a), Some(b)) => Some(if b.retry_after_secs > a.retry_after_secs {
            b
        } else {
            a
        }),
        (a, b) => a.or(b),
    }
}

impl LoginLimits {
    /// Changes the first lockout's length (a dev control); existing lockouts keep theirs.
    pub fn set_base_lockout(&mut self, base: Duration) {
        self.base_lockout = base;
    }

    /// The first lockout's length.
    pub fn base_lockout(&self) -> Duration {
        self.base_lockout
    }

    /// Whether an attempt for `username` from `client` must be refused now, and for how long.
    /// When both limits apply, the longer wait is the one that matters.
    pub fn check(&mut self, username: &str, client: IpAddr, now: Instant) -> Option<Refusal> {
        let account = self
            .accounts
            .get(&username_key(username))
            .and_then(|a| a.locked_until)
            .and_then(|until| until.checked_duration_since(now));
        let address = self.addresses.get_mut(&client).and_then(|failures| {
            prune(failures, now);
            if failures.len() < ADDRESS_FAILURES {
                return None;
            }
            let oldest = *failures.front()?;
            Some(ADDRESS_WINDOW.saturating_sub(now.saturating_duration_since(oldest)))
        });
        refusal(account, address)
    }

    /// Counts a failed attempt against both the address and the account.
    pub fn record_failure(&mut self, username: &str, client: IpAddr, now: Instant) {
        self.record_address_failure(client, now);

        let key = username_key(username);
        if !self.accounts.contains_key(&key) && self.accounts.len() >= MAX_ACCOUNTS {
            evict_oldest(&mut self.accounts, |a| a.last_failure);
        }
        let base = self.base_lockout;
        let account = self.accounts.entry(key).or_insert(Account {
            failures: 0,
            lockouts: 0,
            locked_until: None,
            last_failure: now,
        });
        account.last_failure = now;
        let standing = Standing {
            failures: account.failures,
            lockouts: account.lockouts,
            locked_for: account
                .locked_until
                .and_then(|until| until.checked_duration_since(now)),
        };
        let next = standing.after_failure(base);
        if next == standing {
            return;
        }
        account.failures = next.failures;
        account.lockouts = next.lockouts;
        if let Some(wait) = next.locked_for {
            account.locked_until = Some(now + wait);
        }
    }

    fn record_address_failure(&mut self, client: IpAddr, now: Instant) {
        if !self.addresses.contains_key(&client) && self.addresses.len() >= MAX_ADDRESSES {
            self.addresses.retain(|_, failures| {
                prune(failures, now);
                !failures.is_empty()
            });
            if self.addresses.len() >= MAX_ADDRESSES {
                evict_oldest(&mut self.addresses, |f| *f.back().expect("pruned empty"));
            }
        }
        let failures = self.addresses.entry(client).or_default();
        prune(failures, now);
        failures.push_back(now);
        // Only the newest ADDRESS_FAILURES can ever decide a refusal.
        while failures.len() > ADDRESS_FAILURES {
            failures.pop_front();
        }
    }

    /// A successful login clears the account's failures and its lockout history. The address's
    /// failures stay: one right password must not license guessing other accounts' passwords.
    pub fn record_success(&mut self, username: &str) {
        self.accounts.remove(&username_key(username));
    }
}

fn prune(failures: &mut VecDeque<Instant>, now: Instant) {
    while failures
        .front()
        .is_some_and(|t| now.saturating_duration_since(*t) >= ADDRESS_WINDOW)
    {
        failures.pop_front();
    }
}

fn evict_oldest<K: Clone + Eq + std::hash::Hash, V>(
    map: &mut HashMap<K, V>,
    last_seen: impl Fn(&V) -> Instant,
) {
    if let Some(oldest) = map
        .iter()
        .min_by_key(|(_, v)| last_seen(v))
        .map(|(k, _)| k.clone())
    {
        map.remove(&oldest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    /// Fails `username` from `client` until it is locked; returns the lockout's length.
    fn lock(limits: &mut LoginLimits, username: &str, client: IpAddr, now: Instant) -> u64 {
        for _ in 0..ACCOUNT_FAILURES {
            assert_eq!(limits.check(username, client, now), None);
            limits.record_failure(username, client, now);
        }
        let refusal = limits.check(username, client, now).expect("locked");
        assert_eq!(refusal.by, LimitedBy::Account);
        refusal.retry_after_secs
    }

    #[test]
    fn lockouts_double_from_the_base_up_to_fifteen_minutes() {
        let base = DEFAULT_BASE_LOCKOUT;
        let lengths: Vec<u64> = (1..=7).map(|n| lockout_length(base, n).as_secs()).collect();
        assert_eq!(lengths, [60, 120, 240, 480, 900, 900, 900]);
        assert_eq!(lockout_length(secs(37), 1).as_secs(), 37);
        assert_eq!(lockout_length(secs(37), 2).as_secs(), 74);
        assert_eq!(lockout_length(base, u32::MAX), MAX_LOCKOUT);
    }

    #[test]
    fn five_consecutive_failures_lock_the_account_and_each_lockout_is_longer() {
        let mut limits = LoginLimits::default();
        let mut now = Instant::now();
        // Each round from a new address, so only the account limit is in play.
        for (round, expected) in [60, 120, 240, 480, 900, 900].into_iter().enumerate() {
            let client = ip(&format!("192.0.2.{round}"));
            assert_eq!(lock(&mut limits, "admin", client, now), expected);
            let half = secs(expected / 2);
            assert_eq!(
                limits
                    .check("admin", client, now + half)
                    .unwrap()
                    .retry_after_secs,
                expected - expected / 2
            );
            now += secs(expected);
        }
    }

    #[test]
    fn retry_after_rounds_up_and_is_never_zero() {
        let mut limits = LoginLimits::default();
        let t0 = Instant::now();
        lock(&mut limits, "admin", ip("192.0.2.1"), t0);
        let almost = t0 + secs(59) + Duration::from_millis(999);
        assert_eq!(
            limits
                .check("admin", ip("192.0.2.1"), almost)
                .unwrap()
                .retry_after_secs,
            1
        );
        let early = t0 + Duration::from_millis(1);
        assert_eq!(
            limits
                .check("admin", ip("192.0.2.1"), early)
                .unwrap()
                .retry_after_secs,
            60
        );
        assert_eq!(limits.check("admin", ip("192.0.2.1"), t0 + secs(60)), None);
    }

    #[test]
    fn a_success_resets_the_count_and_the_lockout_history() {
        let mut limits = LoginLimits::default();
        let client = ip("192.0.2.1");
        let t0 = Instant::now();
        for _ in 0..ACCOUNT_FAILURES - 1 {
            limits.record_failure("admin", client, t0);
        }
        limits.record_success("admin");
        for _ in 0..ACCOUNT_FAILURES - 1 {
            limits.record_failure("admin", client, t0);
        }
        assert_eq!(limits.check("admin", client, t0), None, "not consecutive");
        limits.record_success("admin");

        let t1 = t0 + secs(3600);
        lock(&mut limits, "admin", ip("192.0.2.2"), t1);
        let t2 = t1 + secs(60);
        limits.record_success("admin");
        assert_eq!(
            lock(&mut limits, "admin", ip("192.0.2.3"), t2),
            60,
            "back to the base lockout"
        );
    }

    #[test]
    fn accounts_are_independent_and_unknown_names_are_limited_alike() {
        let mut limits = LoginLimits::default();
        let client = ip("192.0.2.1");
        let now = Instant::now();
        assert_eq!(lock(&mut limits, "admin", client, now), 60);
        assert_eq!(limits.check("operator", client, now), None);
        assert_eq!(lock(&mut limits, "no_such_user", client, now), 60);
        assert_eq!(limits.check("Admin", client, now), None, "as typed");
    }

    #[test]
    fn the_base_lockout_can_be_changed() {
        let mut limits = LoginLimits::default();
        limits.set_base_lockout(secs(37));
        assert_eq!(
            lock(&mut limits, "admin", ip("192.0.2.1"), Instant::now()),
            37
        );
    }

    #[test]
    fn twenty_failures_a_minute_block_an_address_until_the_oldest_ages_out() {
        let mut limits = LoginLimits::default();
        let client = ip("198.51.100.1");
        let t0 = Instant::now();
        for i in 0..ADDRESS_FAILURES as u64 {
            let now = t0 + secs(i);
            assert_eq!(limits.check(&format!("user{i}"), client, now), None);
            limits.record_failure(&format!("user{i}"), client, now);
        }
        let refusal = limits.check("fresh_name", client, t0 + secs(30)).unwrap();
        assert_eq!(
            refusal,
            Refusal {
                by: LimitedBy::Address,
                retry_after_secs: 30
            }
        );
        assert_eq!(
            limits.check("fresh_name", ip("198.51.100.2"), t0 + secs(30)),
            None
        );
        // The window slides: once the oldest failure is a minute old, one more attempt may run.
        assert_eq!(limits.check("fresh_name", client, t0 + secs(60)), None);
        limits.record_failure("fresh_name", client, t0 + secs(60));
        assert_eq!(
            limits
                .check("other", client, t0 + secs(60))
                .map(|r| r.retry_after_secs),
            Some(1)
        );
    }

    #[test]
    fn the_longer_of_two_refusals_is_reported() {
        let mut limits = LoginLimits::default();
        limits.set_base_lockout(secs(30));
        let client = ip("198.51.100.1");
        let t0 = Instant::now();
        for i in 0..ADDRESS_FAILURES {
            limits.record_failure(if i < 5 { "admin" } else { "other" }, client, t0);
        }
        let refusal = limits.check("admin", client, t0 + secs(10)).unwrap();
        assert_eq!(
            (refusal.by, refusal.retry_after_secs),
            (LimitedBy::Address, 50)
        );

        limits.set_base_lockout(secs(300));
        let client = ip("203.0.113.1");
        for _ in 0..ACCOUNT_FAILURES {
            limits.record_failure("third", client, t0);
        }
        for i in 0..ADDRESS_FAILURES {
            limits.record_failure(&format!("x{i}"), client, t0);
        }
        let refusal = limits.check("third", client, t0).unwrap();
        assert_eq!(
            (refusal.by, refusal.retry_after_secs),
            (LimitedBy::Account, 300)
        );
    }

    #[test]
    fn memory_stays_bounded_and_the_oldest_entries_go_first() {
        let mut limits = LoginLimits::default();
        let t0 = Instant::now();
        lock(&mut limits, "admin", ip("192.0.2.1"), t0);
        for i in 0..MAX_ACCOUNTS as u64 {
            let client = IpAddr::from((i as u32 + 1).to_be_bytes());
            limits.record_failure(&format!("user{i}"), client, t0 + secs(1));
        }
        assert_eq!(limits.accounts.len(), MAX_ACCOUNTS);
        assert!(limits.addresses.len() <= MAX_ADDRESSES);
        assert_eq!(
            limits.check("admin", ip("192.0.2.9"), t0 + secs(1)),
            None,
            "evicted"
        );
        let long = "x".repeat(1_000_000);
        limits.record_failure(&long, ip("192.0.2.1"), t0 + secs(2));
        assert!(limits
            .accounts
            .keys()
            .all(|k| k.chars().count() <= USERNAME_KEY_CHARS));
    }
}

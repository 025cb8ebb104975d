//! Deterministic seeded players, so every run and every test sees the same world.

use std::collections::HashMap;

use serde::Serialize;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::domain::audit::{Audit, TargetType};

/// A row of Galaxy's `players` table (without the password hash), plus whether the player is
/// connected now.
#[derive(Debug, Clone, Serialize)]
pub struct Player {
    pub id: Uuid,
    pub username: String,
    /// `NOT NULL` in the schema: every player is created with a ship.
    pub ship_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub online: bool,
}

/// A ban of a player: a record of its own, apart from the `players` row, as Galaxy's schema
/// has no column for it. It ends by itself at `until`; `None` is permanent.
#[derive(Debug, Clone, Serialize)]
pub struct Ban {
    pub reason: String,
    #[serde(with = "time::serde::rfc3339")]
    pub banned_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub until: Option<OffsetDateTime>,
    /// The username of the account that banned.
    pub by: String,
    pub by_id: Uuid,
}

impl Ban {
    /// Whether the ban still holds at `now`.
    pub fn active_at(&self, now: OffsetDateTime) -> bool {
        self.until.is_none_or(|until| now < until)
    }

    /// `until` as the audit log and the CSV export write it: the time, or `permanent`.
    pub fn until_text(&self) -> String {
        self.until
            .map_or_else(|| "permanent".to_owned(), crate::domain::rfc3339)
    }
}

/// A note an operator left on a player; a record of its own, like a ban.
#[derive(Debug, Clone, Serialize)]
pub struct Note {
    pub id: u64,
    #[serde(skip)]
    pub player_id: Uuid,
    pub text: String,
    /// The username of the account that wrote it.
    pub author: String,
    pub author_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// The `player.ban_expired` entry of player `id`'s ended `ban`, recorded once by `(system)`;
/// `username` is `None` when the player is gone.
pub fn ban_expired(id: Uuid, username: Option<&str>, ban: &Ban) -> Audit {
    Audit::new("player.ban_expired")
        .on(
            TargetType::Player,
            Some(id.to_string()),
            Some(format!("player {id}")),
        )
        .change(ban.until_text(), "none")
        .detail(format!(
            "{}: the ban by {} ended at {}",
            username.unwrap_or("(deleted)"),
            ban.by,
            ban.until_text()
        ))
}

/// A player as the API shows it: the row, and its ban if one holds now (else null).
#[derive(Debug, Serialize)]
pub struct PlayerView<'a> {
    #[serde(flatten)]
    pub player: &'a Player,
    pub ban: Option<&'a Ban>,
}

impl<'a> PlayerView<'a> {
    /// `player` with its ban among `active` (the bans that hold now, by player).
    pub fn new(player: &'a Player, active: &'a HashMap<Uuid, Ban>) -> Self {
        PlayerView {
            player,
            ban: active.get(&player.id),
        }
    }
}

const PREFIXES: &[&str] = &[
    "nova", "astro", "star", "comet", "orbit", "nebula", "quasar", "pulsar", "void", "zenith",
    "rogue", "solar", "lunar", "cosmo", "photon", "ion", "warp", "drift", "flux", "vega",
];
const SUFFIXES: &[&str] = &[
    "pilot", "runner", "hawk", "fox", "wolf", "rider", "scout", "miner", "trader", "ace", "ghost",
    "blade", "storm", "knight", "seeker", "raven", "tiger", "spark", "shade", "viper",
];

/// SplitMix64: tiny, fast and good enough to make a believable, repeatable world.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A version-4 UUID, as `gen_random_uuid()` makes, but from this repeatable stream.
    fn uuid(&mut self) -> Uuid {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.next().to_be_bytes());
        bytes[8..].copy_from_slice(&self.next().to_be_bytes());
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }
}

/// `count` players in the order they joined the seed, with unique usernames matching
/// `^[a-zA-Z0-9_]{3,20}$`. Player `n` is the same whatever `count` is, as long as it is included.
pub fn seed(count: u64) -> Vec<Player> {
    let mut rng = SplitMix64(0x6A1A_C715);
    let epoch = OffsetDateTime::from_unix_timestamp(1_735_689_600).expect("valid timestamp"); // 2025-01-01
    (1..=count)
        .map(|n| {
            let prefix = PREFIXES[rng.below(PREFIXES.len() as u64) as usize];
            let suffix = SUFFIXES[rng.below(SUFFIXES.len() as u64) as usize];
            let minutes = rng.below(600 * 24 * 60) as i64;
            let online = rng.below(5) == 0;
            Player {
                id: rng.uuid(),
                // The sequence number keeps names unique; the longest is "nebula_seeker100000".
                username: format!("{prefix}_{suffix}{n}"),
                ship_id: rng.uuid(),
                created_at: epoch + Duration::minutes(minutes),
                online,
            }
        })
        .collect()
}

/// The id of the `n`th seeded player (from 1), for tests and tools that need a known player.
pub fn seeded_id(n: u64) -> Option<Uuid> {
    seed(n)
        .get(usize::try_from(n).ok()?.checked_sub(1)?)
        .map(|p| p.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn seeding_is_deterministic_and_names_and_ids_are_valid_and_unique() {
        let a = seed(100_000);
        let b = seed(100_000);
        assert_eq!(a.len(), 100_000);
        assert_eq!(a[4242].username, b[4242].username);
        assert_eq!(a[4242].id, b[4242].id);
        let mut names = HashSet::new();
        let mut ids = HashSet::new();
        for p in &a {
            let n = &p.username;
            assert!((3..=20).contains(&n.len()), "{n}");
            assert!(
                n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{n}"
            );
            assert!(names.insert(n.clone()), "duplicate {n}");
            for id in [p.id, p.ship_id] {
                assert_eq!(id.get_version(), Some(uuid::Version::Random), "{id}");
                assert_eq!(id.get_variant(), uuid::Variant::RFC4122, "{id}");
                assert!(ids.insert(id), "duplicate {id}");
            }
        }
    }

    #[test]
    fn a_player_does_not_depend_on_how_many_are_seeded() {
        let few = seed(10);
        let many = seed(1000);
        assert_eq!(few[9].id, many[9].id);
        assert_eq!(few[9].username, many[9].username);
        assert_eq!(seeded_id(10), Some(few[9].id));
        assert_eq!(seeded_id(0), None);
    }

    #[test]
    fn ids_serialize_as_hyphenated_lowercase_strings() {
        let p = &seed(1)[0];
        let json = serde_json::to_value(p).unwrap();
        let id = json["id"].as_str().unwrap();
        assert_eq!(id.len(), 36);
        assert_eq!(id, id.to_lowercase());
        assert_eq!(id.parse::<Uuid>().unwrap(), p.id);
        assert!(json["ship_id"].is_string());
    }
}

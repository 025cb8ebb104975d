//! Deterministic seeded players, so every run and every test sees the same world.

use serde::Serialize;
use time::{Duration, OffsetDateTime};

#[derive(Debug, Clone, Serialize)]
pub struct Player {
    pub id: u64,
    pub username: String,
    pub ship_id: Option<u64>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub online: bool,
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
}

/// `count` players with unique usernames matching `^[a-zA-Z0-9_]{3,20}$`.
pub fn seed(count: u64) -> Vec<Player> {
    let mut rng = SplitMix64(0x6A1A_C715);
    let epoch = OffsetDateTime::from_unix_timestamp(1_735_689_600).expect("valid timestamp"); // 2025-01-01
    (1..=count)
        .map(|id| {
            let prefix = PREFIXES[rng.below(PREFIXES.len() as u64) as usize];
            let suffix = SUFFIXES[rng.below(SUFFIXES.len() as u64) as usize];
            let minutes = rng.below(600 * 24 * 60) as i64;
            Player {
                id,
                username: format!("{prefix}_{suffix}{id}"),
                ship_id: (rng.below(10) != 0).then(|| 1000 + id),
                created_at: epoch + Duration::minutes(minutes),
                online: rng.below(5) == 0,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn seeding_is_deterministic_and_names_are_valid_and_unique() {
        let a = seed(100_000);
        let b = seed(100_000);
        assert_eq!(a.len(), 100_000);
        assert_eq!(a[4242].username, b[4242].username);
        let mut seen = HashSet::new();
        for p in &a {
            let n = &p.username;
            assert!((3..=20).contains(&n.len()), "{n}");
            assert!(
                n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{n}"
            );
            assert!(seen.insert(n.clone()), "duplicate {n}");
        }
    }
}

//! API keys: how scripts and the admin CLI sign in without a person's password or second
//! factor. A key is named, acts with a role no higher than its creator's (checked when it is
//! made and at every use, so a demoted or disabled creator takes their keys down with them),
//! expires, may be limited to address blocks, is shown once and stored as its SHA-256 only.
//! What a key does is attributed to it in the audit log, and each use is recorded.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::domain::audit::{Audit, TargetType};
use crate::domain::client_ip::Cidr;
use crate::domain::roles::Role;

/// What every key starts with, so that a key pasted where it should not be is recognisable
/// (secret scanners match it) and the gateway tells it from a session token at a glance.
pub const PREFIX: &str = "gak_";
/// Random bytes in a key: 256 bits, base64url.
const SECRET_BYTES: usize = 32;
/// Characters of the key shown in lists, to tell keys apart (the prefix and 6 more).
const SHOWN_CHARS: usize = 10;
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_DAYS: i64 = 365;
pub const MAX_ADDRESS_BLOCKS: usize = 20;
/// A key's last use (and its audit entry) is written at most this often: a script that polls
/// must not write a row and an entry per request.
pub const USED_EVERY: Duration = Duration::minutes(1);

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    /// The key's first characters, to tell it apart from others (never enough to use it).
    pub shown: String,
    #[serde(skip)]
    pub created_by: Uuid,
    /// The creator's username, as it is now (filled by the store when listing).
    #[serde(skip)]
    pub creator: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Empty: from anywhere.
    #[serde(serialize_with = "blocks_as_text")]
    pub allowed_addresses: Vec<Cidr>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    pub last_used_from: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    #[serde(skip)]
    pub revoked_by: Option<Uuid>,
    /// SHA-256 of the whole key, hex.
    #[serde(skip)]
    pub hash: String,
}

fn blocks_as_text<S: serde::Serializer>(blocks: &[Cidr], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(blocks.iter().map(ToString::to_string))
}

/// Why a key is refused at a use; the 401's detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Revoked,
    Expired,
    Address,
    /// Its creator is gone, disabled, or now has a lower role than the key.
    Creator,
}

impl Refusal {
    pub fn detail(self) -> &'static str {
        match self {
            Refusal::Revoked => "This API key was revoked",
            Refusal::Expired => "This API key has expired",
            Refusal::Address => "This API key may not be used from this address",
            Refusal::Creator => "This API key's creator may no longer grant its role",
        }
    }
}

impl ApiKey {
    /// A new key and the secret to show once: `gak_` and 43 base64url characters.
    pub fn new(
        name: String,
        role: Role,
        created_by: Uuid,
        now: OffsetDateTime,
        days: i64,
        allowed_addresses: Vec<Cidr>,
    ) -> (Self, String) {
        let mut bytes = [0u8; SECRET_BYTES];
        getrandom::fill(&mut bytes).expect("the OS random source is available");
        let secret = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
        let now = crate::domain::to_micros(now);
        let key = ApiKey {
            id: crate::domain::accounts::random_id(),
            name,
            role,
            shown: secret.chars().take(SHOWN_CHARS).collect(),
            created_by,
            creator: String::new(),
            created_at: now,
            expires_at: now + Duration::days(days),
            allowed_addresses,
            last_used_at: None,
            last_used_from: None,
            revoked_at: None,
            revoked_by: None,
            hash: hash(&secret),
        };
        (key, secret)
    }

    /// Whether the key may act now from `address`, for a creator whose role is now
    /// `creator_role` (none: gone or disabled).
    pub fn check(
        &self,
        now: OffsetDateTime,
        address: std::net::IpAddr,
        creator_role: Option<Role>,
    ) -> Result<(), Refusal> {
        if self.revoked_at.is_some() {
            return Err(Refusal::Revoked);
        }
        if self.expires_at <= now {
            return Err(Refusal::Expired);
        }
        if !self.allowed_addresses.is_empty()
            && !self.allowed_addresses.iter().any(|b| b.contains(address))
        {
            return Err(Refusal::Address);
        }
        if creator_role.is_none_or(|role| role < self.role) {
            return Err(Refusal::Creator);
        }
        Ok(())
    }

    /// Whether its last use is old enough to be written again at `now`.
    pub fn used_long_ago(&self, now: OffsetDateTime) -> bool {
        self.last_used_at.is_none_or(|at| now - at >= USED_EVERY)
    }

    /// "API key “nightly-backup” (gak_AbC123…)", as audit entries name it.
    pub fn label(&self) -> String {
        format!("API key “{}” ({}…)", self.name, self.shown)
    }

    /// An audit entry about this key: it is about the account that made the key (whose name
    /// `creator` must hold), and its detail names the key, then says `what` happened.
    pub fn audit(&self, action: &'static str, what: Option<&str>) -> Audit {
        let named = self.label();
        Audit::new(action)
            .on(
                TargetType::Account,
                Some(self.created_by.to_string()),
                Some(self.creator.clone()),
            )
            .detail(match what {
                Some(what) => format!("{named}: {what}"),
                None => named,
            })
    }
}

/// Whether `token` is an API key rather than a session's token.
pub fn is_key(token: &str) -> bool {
    token.starts_with(PREFIX)
}

/// How a key is stored and looked up: SHA-256, hex. The key is 256 random bits, so a fast hash
/// is enough (nothing to guess), and it lets every request find its key by an index.
pub fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A key's name as given: trimmed, 1 to [`MAX_NAME_CHARS`] characters, no control characters.
pub fn check_name(name: &str) -> Result<String, &'static str> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err("Value error, a name of 1 to 100 characters");
    }
    if name.chars().any(char::is_control) {
        return Err("Value error, a name without control characters");
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    fn key(role: Role, blocks: &[&str]) -> ApiKey {
        let blocks = blocks.iter().map(|b| b.parse().unwrap()).collect();
        ApiKey::new(
            "ci".into(),
            role,
            Uuid::nil(),
            OffsetDateTime::now_utc(),
            30,
            blocks,
        )
        .0
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_key_is_long_random_prefixed_and_stored_only_as_its_hash() {
        let (key, secret) = ApiKey::new(
            "ci".into(),
            Role::Viewer,
            Uuid::nil(),
            OffsetDateTime::now_utc(),
            1,
            vec![],
        );
        assert!(
            is_key(&secret) && secret.len() == PREFIX.len() + 43,
            "{secret}"
        );
        assert_eq!(key.hash, hash(&secret));
        assert!(!key.hash.contains(&secret[PREFIX.len()..]));
        assert!(secret.starts_with(&key.shown) && key.shown.len() == SHOWN_CHARS);
        let (_, other) = ApiKey::new(
            "ci".into(),
            Role::Viewer,
            Uuid::nil(),
            OffsetDateTime::now_utc(),
            1,
            vec![],
        );
        assert_ne!(secret, other);
        assert!(!is_key("eyJhbGciOiJIUzI1NiJ9.e30.x"));
    }

    #[test]
    fn a_key_acts_only_live_from_its_blocks_and_within_its_creators_role() {
        let now = OffsetDateTime::now_utc();
        let operator = key(Role::Operator, &["10.0.0.0/8"]);
        assert_eq!(
            operator.check(now, ip("10.1.2.3"), Some(Role::Admin)),
            Ok(())
        );
        assert_eq!(
            operator.check(now, ip("192.0.2.1"), Some(Role::Admin)),
            Err(Refusal::Address)
        );
        assert_eq!(
            operator.check(now, ip("10.1.2.3"), Some(Role::Viewer)),
            Err(Refusal::Creator)
        );
        assert_eq!(
            operator.check(now, ip("10.1.2.3"), None),
            Err(Refusal::Creator)
        );
        assert_eq!(
            operator.check(now + Duration::days(31), ip("10.1.2.3"), Some(Role::Admin)),
            Err(Refusal::Expired)
        );
        let revoked = ApiKey {
            revoked_at: Some(now),
            ..operator
        };
        assert_eq!(
            revoked.check(now, ip("10.1.2.3"), Some(Role::Admin)),
            Err(Refusal::Revoked)
        );
        let anywhere = key(Role::Viewer, &[]);
        assert_eq!(
            anywhere.check(now, ip("2001:db8::1"), Some(Role::Viewer)),
            Ok(())
        );
    }

    #[test]
    fn names_are_trimmed_bounded_and_printable() {
        assert_eq!(check_name("  nightly backup "), Ok("nightly backup".into()));
        assert!(check_name("   ").is_err());
        assert!(check_name(&"x".repeat(101)).is_err());
        assert!(check_name("a\u{0}b").is_err());
        assert_eq!(
            check_name(&"é".repeat(100)).map(|n| n.chars().count()),
            Ok(100)
        );
    }
}

//! Console accounts: the rows of Galaxy's `admins` table (id, username, password hash,
//! created_at) plus a role, a disabled flag, the last login and a token version.
//!
//! Passwords are hashed with Argon2id (RustCrypto's `argon2`) into a PHC string, which records
//! its own parameters, so a hash made with other parameters still verifies.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::error::{FieldError, Rejected};
use crate::domain::roles::Role;

/// The least length of a password an operator chooses.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Hashing is deliberately slow, so an unbounded password would be a way to burn CPU.
pub const MAX_PASSWORD_CHARS: usize = 128;
/// The length of a generated one-time password.
const GENERATED_PASSWORD_CHARS: usize = 20;
/// No 0/O, 1/l/I: a one-time password is read off a screen and typed.
const PASSWORD_ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

#[derive(Debug, Clone)]
pub struct Account {
    pub id: Uuid,
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: OffsetDateTime,
    pub last_login_at: Option<OffsetDateTime>,
    /// Bumped by every change that must end the account's sessions (role, disabling, password);
    /// a token carries the version it was issued at.
    pub token_version: u64,
    /// The TOTP secret (`domain::second_factor`); never listed (`second_factor` says whether
    /// the account has any factor).
    pub totp_secret: Option<Vec<u8>>,
    /// The last 30-second step whose code was used: a code works only for a later one.
    pub totp_last_step: u64,
    /// SHA-256 (hex) of each recovery code not used yet.
    pub recovery_codes: Vec<String>,
    /// How many passkeys it has (`domain::passkeys`), kept beside it by the store.
    pub passkeys: usize,
}

/// An account as the contract lists it: never its secrets, and its second factor only as
/// whether it has one.
impl Serialize for Account {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Listed<'a> {
            id: Uuid,
            username: &'a str,
            role: Role,
            disabled: bool,
            #[serde(with = "time::serde::rfc3339")]
            created_at: OffsetDateTime,
            #[serde(with = "time::serde::rfc3339::option")]
            last_login_at: Option<OffsetDateTime>,
            second_factor: bool,
        }
        Listed {
            id: self.id,
            username: &self.username,
            role: self.role,
            disabled: self.disabled,
            created_at: self.created_at,
            last_login_at: self.last_login_at,
            second_factor: self.has_second_factor(),
        }
        .serialize(s)
    }
}

impl Account {
    pub fn new(username: &str, password_hash: String, role: Role) -> Self {
        Self {
            id: random_id(),
            username: username.to_owned(),
            password_hash,
            role,
            disabled: false,
            // Microseconds, as PostgreSQL keeps them: the account reads back as it was created.
            created_at: crate::domain::to_micros(OffsetDateTime::now_utc()),
            last_login_at: None,
            token_version: 0,
            totp_secret: None,
            totp_last_step: 0,
            recovery_codes: Vec::new(),
            passkeys: 0,
        }
    }

    /// Whether it signs in with a second factor: an authenticator app or a passkey.
    pub fn has_second_factor(&self) -> bool {
        self.totp_secret.is_some() || self.passkeys > 0
    }

    /// What proves its owner, as the contract names the methods: each factor it has and its
    /// recovery codes, or its password when it has no factor.
    pub fn proof_methods(&self) -> &'static [&'static str] {
        match (self.totp_secret.is_some(), self.passkeys > 0) {
            (true, true) => &["totp", "passkey", "recovery_code"],
            (true, false) => &["totp", "recovery_code"],
            (false, true) => &["passkey", "recovery_code"],
            (false, false) => &["password"],
        }
    }

    /// The factors it has, as an audit entry's before and after name them.
    pub fn factor_names(&self) -> &'static str {
        match (self.totp_secret.is_some(), self.passkeys > 0) {
            (true, true) => "totp+passkey",
            (true, false) => "totp",
            (false, true) => "passkey",
            (false, false) => "none",
        }
    }

    /// Whether this account counts towards "at least one enabled admin".
    pub fn is_enabled_admin(&self) -> bool {
        self.role == Role::Admin && !self.disabled
    }

    /// Ends every session of the account.
    pub fn revoke_tokens(&mut self) {
        self.token_version += 1;
    }
}

/// A change of an account's second factor: an enrolment (a secret, the step of the code that
/// confirmed it, new recovery codes) or a removal (none of them).
#[derive(Debug, Clone)]
pub struct SecondFactorChange {
    pub secret: Option<Vec<u8>>,
    pub last_step: u64,
    /// Hashes, as stored.
    pub recovery_codes: Vec<String>,
    /// Whether the account's sessions end with it (a reset by an admin).
    pub revoke: bool,
}

impl SecondFactorChange {
    pub fn removal(revoke: bool) -> Self {
        Self {
            secret: None,
            last_step: 0,
            recovery_codes: Vec::new(),
            revoke,
        }
    }

    /// Whether it removes every factor (an admin's reset) rather than enrolling an app.
    pub fn is_removal(&self) -> bool {
        self.secret.is_none()
    }

    pub fn apply(&self, account: &mut Account) {
        if self.is_removal() {
            account.passkeys = 0;
        }
        account.totp_secret = self.secret.clone();
        account.totp_last_step = self.last_step;
        account.recovery_codes = self.recovery_codes.clone();
        if self.revoke {
            account.revoke_tokens();
        }
    }
}

/// A random version-4 id, as `gen_random_uuid()` gives.
pub fn random_id() -> Uuid {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// Argon2id's cost. Parallelism is always 1: the gateway runs on small nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashCost {
    pub memory_kib: u32,
    pub iterations: u32,
}

impl HashCost {
    /// OWASP's recommendation for Argon2id (19 MiB, 2 passes), also the crate's default:
    /// about 20 ms a hash on one core of a current server.
    pub const PRODUCTION: HashCost = HashCost {
        memory_kib: Params::DEFAULT_M_COST,
        iterations: Params::DEFAULT_T_COST,
    };
    /// For the test suite, where debug builds hash about 30 times slower: 1 MiB and 1 pass
    /// still exercise the real algorithm and PHC strings, at a few milliseconds a hash.
    pub const TESTS: HashCost = HashCost {
        memory_kib: 1024,
        iterations: 1,
    };

    pub fn params(self) -> Result<Params, String> {
        Params::new(self.memory_kib, self.iterations, 1, None)
            .map_err(|e| format!("invalid Argon2 parameters: {e}"))
    }
}

/// The PHC string (`$argon2id$v=19$m=…,t=…,p=1$salt$hash`) of `password`; at most about
/// 100 characters, so it fits `password_hash VARCHAR(255)`.
pub fn hash_password(cost: HashCost, password: &str) -> String {
    let params = cost.params().expect("validated at start-up");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(password.as_bytes())
        .expect("hashing with a random salt cannot fail")
        .to_string()
}

/// Whether `password` hashes to `hash`, with the parameters the hash records.
pub fn verify_password(hash: &str, password: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// A password of 20 characters from a 57-letter alphabet (about 116 bits), which passes the
/// password rules for `username`.
pub fn generate_password(username: &str) -> String {
    loop {
        let mut bytes = [0u8; GENERATED_PASSWORD_CHARS];
        getrandom::fill(&mut bytes).expect("the OS random source is available");
        // 256 is not a multiple of the alphabet's length; the bias (under 1 in 4 per letter
        // towards the first 28 letters) costs well under a bit of the 116.
        let password: String = bytes
            .iter()
            .map(|b| PASSWORD_ALPHABET[usize::from(*b) % PASSWORD_ALPHABET.len()] as char)
            .collect();
        if password_problem(&password, username).is_none() {
            return password;
        }
    }
}

/// Why `password` may not be `username`'s password, as a FastAPI 422 entry for `field`.
fn password_problem(password: &str, username: &str) -> Option<(String, &'static str)> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Some((
            format!("String should have at least {MIN_PASSWORD_CHARS} characters"),
            "string_too_short",
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Some((
            format!("String should have at most {MAX_PASSWORD_CHARS} characters"),
            "string_too_long",
        ));
    }
    if password.to_lowercase().contains(&username.to_lowercase()) {
        return Some((
            "Value error, the password must not contain the username".to_owned(),
            "value_error",
        ));
    }
    None
}

/// The password rules: 12 to 128 characters, not containing the username (in any case).
pub fn check_password(field: &str, password: &str, username: &str) -> Result<(), FieldError> {
    match password_problem(password, username) {
        Some((msg, kind)) => Err(FieldError::new(&["body", field], msg, kind)),
        None => Ok(()),
    }
}

/// The username rule of the `admins` table, as a FastAPI 422 entry.
pub fn check_username(username: &str) -> Result<(), FieldError> {
    if valid_username(username) {
        Ok(())
    } else {
        Err(FieldError::new(
            &["body", "username"],
            "String should match pattern '^[a-zA-Z0-9_]{3,20}$'",
            "string_pattern_mismatch",
        ))
    }
}

/// Whether `name` is a username Galaxy's schema allows, for players and admins alike:
/// `^[a-zA-Z0-9_]{3,20}$`.
pub fn valid_username(name: &str) -> bool {
    (3..=20).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The ids of the enabled admins among `accounts`, what [`keep_an_admin`] counts.
pub fn enabled_admins(accounts: &[Account]) -> Vec<Uuid> {
    accounts
        .iter()
        .filter(|a| a.is_enabled_admin())
        .map(|a| a.id)
        .collect()
}

/// 409 when no enabled admin would be left without `target` being one. `enabled_admins` are
/// the ids of every enabled admin as the change sees them: the in-memory store's accounts, or
/// the rows a PostgreSQL transaction has locked (so two changes at once count alike).
pub fn keep_an_admin(
    enabled_admins: &[Uuid],
    target: &Account,
    change: &str,
) -> Result<(), Rejected> {
    let others = enabled_admins.iter().filter(|&&id| id != target.id).count();
    if target.is_enabled_admin() && others == 0 {
        return Err(Rejected::Conflict(format!(
            "{} is the last enabled admin and cannot be {change}; make another account an admin first",
            target.username
        )));
    }
    Ok(())
}

/// A change of an account's standing, by an admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountChange {
    Role(Role),
    Disabled(bool),
}

/// Refused unless `acting` is still an enabled admin as the change sees the accounts: its
/// session was checked when its request came in, and another change (through any replica) may
/// have demoted or disabled it since.
fn still_an_admin(acting: Uuid, enabled_admins: &[Uuid]) -> Result<(), Rejected> {
    if enabled_admins.contains(&acting) {
        Ok(())
    } else {
        Err(Rejected::SessionEnded)
    }
}

/// `current` after `change` made by the account `acting`, or `None` when it changes nothing;
/// refused when `acting` is no longer an enabled admin, when it would leave no enabled admin
/// (see [`keep_an_admin`]) or when an admin would demote or disable itself. A role change and
/// disabling end the account's sessions; enabling it again does not bring them back.
pub fn apply_change(
    current: &Account,
    change: AccountChange,
    acting: Uuid,
    enabled_admins: &[Uuid],
) -> Result<Option<Account>, Rejected> {
    still_an_admin(acting, enabled_admins)?;
    let mut after = current.clone();
    match change {
        AccountChange::Role(role) => {
            if current.role == role {
                return Ok(None);
            }
            if role != Role::Admin {
                keep_an_admin(enabled_admins, current, "demoted")?;
            }
            not_yourself(acting, current, "change the role of")?;
            after.role = role;
            after.revoke_tokens();
        }
        AccountChange::Disabled(disabled) => {
            if current.disabled == disabled {
                return Ok(None);
            }
            if disabled {
                keep_an_admin(enabled_admins, current, "disabled")?;
                not_yourself(acting, current, "disable")?;
                after.revoke_tokens();
            }
            after.disabled = disabled;
        }
    }
    Ok(Some(after))
}

/// Refused when `acting` is no longer an enabled admin, when deleting `target` would leave no
/// enabled admin, or when `acting` is `target`.
pub fn check_delete(
    target: &Account,
    acting: Uuid,
    enabled_admins: &[Uuid],
) -> Result<(), Rejected> {
    still_an_admin(acting, enabled_admins)?;
    keep_an_admin(enabled_admins, target, "deleted")?;
    not_yourself(acting, target, "delete")
}

/// The refusal for an account id that names no account.
pub fn not_found(id: Uuid) -> Rejected {
    Rejected::NotFound(format!("Account {id} not found"))
}

/// 409 when an admin would demote, disable or delete the account it is signed in with: it
/// would end its own session mid-task, and another admin can do it. Checked after
/// `keep_an_admin`, whose reason matters more when both apply.
pub fn not_yourself(acting: uuid::Uuid, target: &Account, change: &str) -> Result<(), Rejected> {
    if acting == target.id {
        return Err(Rejected::Conflict(format!(
            "You cannot {change} the account you are signed in with; another admin can"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_phc_strings_that_verify_only_the_password() {
        let hash = hash_password(HashCost::TESTS, "correct horse battery staple");
        assert!(hash.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"), "{hash}");
        assert!(hash.len() <= 255);
        assert!(verify_password(&hash, "correct horse battery staple"));
        assert!(!verify_password(&hash, "correct horse battery stapl"));
        assert!(!verify_password("not a hash", "anything"));
        let again = hash_password(HashCost::TESTS, "correct horse battery staple");
        assert_ne!(hash, again, "salted");
    }

    #[test]
    fn a_hash_verifies_with_the_parameters_it_records() {
        let cost = HashCost {
            memory_kib: 2048,
            iterations: 2,
        };
        let hash = hash_password(cost, "another long password");
        assert!(hash.contains("m=2048,t=2,p=1"), "{hash}");
        assert!(verify_password(&hash, "another long password"));
    }

    #[test]
    fn password_rules() {
        assert!(check_password("password", "long enough pass", "alice").is_ok());
        let e = check_password("password", "short", "alice").unwrap_err();
        assert_eq!(
            (e.kind.as_str(), e.loc.clone()),
            (
                "string_too_short",
                vec![serde_json::json!("body"), serde_json::json!("password")]
            )
        );
        assert_eq!(
            check_password("new_password", "my name is ALICE!", "alice")
                .unwrap_err()
                .kind,
            "value_error"
        );
        assert_eq!(
            check_password("password", &"x".repeat(129), "alice")
                .unwrap_err()
                .kind,
            "string_too_long"
        );
        assert!(check_password("password", &"x".repeat(128), "alice").is_ok());
    }

    #[test]
    fn generated_passwords_follow_the_rules_and_differ() {
        let a = generate_password("abc");
        let b = generate_password("abc");
        assert_ne!(a, b);
        assert_eq!(a.len(), GENERATED_PASSWORD_CHARS);
        assert!(check_password("password", &a, "abc").is_ok());
        assert!(a.bytes().all(|c| PASSWORD_ALPHABET.contains(&c)));
    }

    #[test]
    fn an_admin_demoted_or_disabled_meanwhile_can_no_longer_change_accounts() {
        let acting = Account::new("root", String::new(), Role::Admin);
        let other = Account::new("second", String::new(), Role::Admin);
        let viewer = Account::new("viewer", String::new(), Role::Viewer);
        let admins = enabled_admins(&[acting.clone(), other.clone()]);
        assert!(apply_change(
            &viewer,
            AccountChange::Role(Role::Operator),
            acting.id,
            &admins
        )
        .is_ok());
        assert!(check_delete(&viewer, acting.id, &admins).is_ok());
        // As a change that locked the admins sees them after `acting` was demoted elsewhere.
        let without = enabled_admins(&[other]);
        assert!(matches!(
            apply_change(
                &viewer,
                AccountChange::Role(Role::Operator),
                acting.id,
                &without
            ),
            Err(Rejected::SessionEnded)
        ));
        assert!(matches!(
            apply_change(&viewer, AccountChange::Disabled(true), acting.id, &without),
            Err(Rejected::SessionEnded)
        ));
        assert!(matches!(
            check_delete(&viewer, acting.id, &without),
            Err(Rejected::SessionEnded)
        ));
    }

    #[test]
    fn created_accounts_keep_microseconds_as_postgresql_does() {
        let account = Account::new("root", String::new(), Role::Admin);
        assert_eq!(account.created_at.nanosecond() % 1000, 0);
    }

    #[test]
    fn the_last_enabled_admin_is_kept() {
        let admin = Account::new("root", String::new(), Role::Admin);
        let mut other = Account::new("second", String::new(), Role::Admin);
        let viewer = Account::new("viewer", String::new(), Role::Viewer);
        assert!(keep_an_admin(
            &enabled_admins(&[admin.clone(), viewer.clone()]),
            &viewer,
            "deleted"
        )
        .is_ok());
        let e = keep_an_admin(
            &enabled_admins(&[admin.clone(), viewer.clone()]),
            &admin,
            "deleted",
        )
        .unwrap_err();
        assert!(
            matches!(&e, Rejected::Conflict(m) if m.starts_with("root is the last enabled admin and cannot be deleted")),
            "{e:?}"
        );
        assert!(keep_an_admin(
            &enabled_admins(&[admin.clone(), other.clone()]),
            &admin,
            "disabled"
        )
        .is_ok());
        other.disabled = true;
        assert!(keep_an_admin(
            &enabled_admins(&[admin.clone(), other.clone()]),
            &admin,
            "disabled"
        )
        .is_err());
        // A disabled admin is no enabled admin to keep.
        assert!(keep_an_admin(&enabled_admins(&[admin, other.clone()]), &other, "deleted").is_ok());
    }
}

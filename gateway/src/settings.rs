//! Start-up settings, including the secrets read the way the Galaxy
//! deployment provides them: files in `SECRETS_DIR`, else environment variables.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use axum::http::HeaderValue;
use time::OffsetDateTime;

use crate::domain::accounts::{valid_username, HashCost};
use crate::domain::client_ip::Cidr;
use crate::domain::roles::Role;

/// An export's row cap, as the contract states it: a million rows is Galaxy's whole player
/// base at launch scale and about 200 MB of CSV; more is a query to narrow, not a download.
pub const DEFAULT_EXPORT_MAX_ROWS: usize = 1_000_000;

pub const DEFAULT_CORS_ORIGINS: &str = "https://localhost:30000,https://localhost:30001";

#[derive(Clone)]
pub struct Settings {
    /// Prefix every API path is served under, for example `/api`; empty for none.
    pub base_path: String,
    pub players: u64,
    pub start_date: OffsetDateTime,
    pub token_ttl: Duration,
    /// A session ends after this long without its operator's activity; none: no limit.
    pub session_idle: Option<Duration>,
    pub cors_origins: Vec<HeaderValue>,
    /// Peers whose `X-Forwarded-For` is believed (see `domain::client_ip`); empty believes no one.
    pub trusted_proxies: Vec<Cidr>,
    pub dev_controls: bool,
    /// Argon2id's cost for new password hashes.
    pub password_hash_cost: HashCost,
    /// Seconds between two samples of the game's health history (see `domain::history`), at least 1.
    pub history_interval_secs: u32,
    /// Fill the past day of history with a made-up, deterministic pattern at start-up.
    pub demo_history: bool,
    /// The most rows one CSV export holds (players or audit); a bigger one is refused.
    pub export_max_rows: usize,
    /// The roles that must sign in with a second factor; an account of one without it is sent
    /// to enrol at its next sign-in.
    pub second_factor_roles: Vec<Role>,
    /// Dangerous actions (restore, deleting a player or an account, a bulk ban of more than 10,
    /// role and disabled changes, factor resets) take a fresh proof (`http::confirmation`).
    pub confirm_dangerous_actions: bool,
    /// Configuration changes take a proof too: set in production, where a change reaches every
    /// player at once.
    pub confirm_config_changes: bool,
    /// The passkeys' RP ID; none: the host of the first CORS origin.
    pub passkey_rp_id: Option<String>,
    /// Read the history from this Prometheus instead of the in-process ring.
    pub prometheus: Option<crate::store::prometheus::Prometheus>,
    pub secrets: Secrets,
}

#[derive(Clone)]
pub struct Secrets {
    pub jwt_secret_key: Vec<u8>,
    pub admin_username: String,
    pub admin_password: String,
}

// Never print secrets by accident.
impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secrets")
            .field("admin_username", &self.admin_username)
            .finish_non_exhaustive()
    }
}

/// Where one secret came from, so start-up can say so without printing production values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    File,
    Env,
    Generated,
}

pub struct LoadedSecrets {
    pub secrets: Secrets,
    pub sources: [(&'static str, Source); 3],
}

fn read_secret(dir: Option<&Path>, name: &str) -> Result<Option<(String, Source)>, String> {
    if let Some(dir) = dir {
        let path = dir.join(name);
        match std::fs::read_to_string(&path) {
            Ok(value) if !value.trim().is_empty() => {
                return Ok(Some((value.trim().to_owned(), Source::File)))
            }
            Ok(_) => return Err(format!("secret file {} is empty", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot read secret file {}: {e}", path.display())),
        }
    }
    match std::env::var(name.to_ascii_uppercase()) {
        Ok(value) if !value.trim().is_empty() => Ok(Some((value.trim().to_owned(), Source::Env))),
        _ => Ok(None),
    }
}

pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the OS random source is available");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// Loads the three secrets. In dev mode an absent one is generated (the key,
/// the password) or defaulted (the username `admin`); otherwise it is an error.
pub fn load_secrets(dir: Option<&Path>, dev: bool) -> Result<LoadedSecrets, String> {
    let get =
        |name: &'static str, fallback: &dyn Fn() -> String| -> Result<(String, Source), String> {
            match read_secret(dir, name)? {
                Some(found) => Ok(found),
                None if dev => Ok((fallback(), Source::Generated)),
                None => Err(format!(
                "missing secret {name}: put it in $SECRETS_DIR/{name} or ${}, or start with --dev",
                name.to_ascii_uppercase()
            )),
            }
        };
    let (key, key_source) = get("jwt_secret_key", &|| random_token(32))?;
    let (username, user_source) = get("galaxy_admin_username", &|| "admin".to_owned())?;
    let (password, password_source) = get("galaxy_admin_password", &|| random_token(12))?;
    if !valid_username(&username) {
        return Err(format!(
            "galaxy_admin_username {username:?} must match ^[a-zA-Z0-9_]{{3,20}}$, as in the admins table"
        ));
    }
    Ok(LoadedSecrets {
        secrets: Secrets {
            jwt_secret_key: key.into_bytes(),
            admin_username: username,
            admin_password: password,
        },
        sources: [
            ("jwt_secret_key", key_source),
            ("galaxy_admin_username", user_source),
            ("galaxy_admin_password", password_source),
        ],
    })
}

pub fn parse_origins(list: &str) -> Result<Vec<HeaderValue>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|origin| {
            if origin == "*" {
                return Err("CORS_ORIGINS must list origins explicitly; '*' is not allowed with credentials".to_owned());
            }
            HeaderValue::from_str(origin).map_err(|_| format!("invalid origin in CORS_ORIGINS: {origin}"))
        })
        .collect()
}

/// `--second-factor-roles`: comma-separated role names, or `none`.
pub fn parse_roles(list: &str) -> Result<Vec<Role>, String> {
    let list = list.trim();
    if list.is_empty() || list.eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    list.split(',')
        .map(|name| {
            let name = name.trim();
            Role::ALL
                .into_iter()
                .find(|r| r.as_str() == name)
                .ok_or_else(|| format!("unknown role {name:?} in --second-factor-roles (viewer, operator, admin or none)"))
        })
        .collect()
}

impl Settings {
    /// The WebAuthn relying party: the RP ID (set, or the first CORS origin's host) and the
    /// CORS origins, the dashboard's, as the origins a passkey may be used from.
    pub fn relying_party(&self) -> Result<crate::domain::passkeys::RelyingParty, String> {
        let origins: Vec<String> = self
            .cors_origins
            .iter()
            .filter_map(|o| o.to_str().ok().map(str::to_owned))
            .collect();
        let rp_id = match &self.passkey_rp_id {
            Some(id) => id.clone(),
            None => origins
                .first()
                .and_then(|o| o.split_once("://"))
                .map(|(_, rest)| rest.split(':').next().unwrap_or(rest).to_owned())
                .ok_or(
                    "passkeys need the dashboard's origin: set --cors-origins (CORS_ORIGINS), e.g. \
                     https://galaxy.example.com, and --passkey-rp-id (PASSKEY_RP_ID) if the RP ID \
                     is not its host",
                )?,
        };
        crate::domain::passkeys::RelyingParty::new(&rp_id, origins)
    }

    /// Settings for tests: dev controls on, fixed credentials, loopback origins.
    pub fn for_tests(players: u64) -> Self {
        Settings {
            base_path: "/api".to_owned(),
            players,
            start_date: time::macros::datetime!(2000-01-01 12:00:00 UTC),
            token_ttl: Duration::from_secs(3600),
            // The idle limit's own tests set it.
            session_idle: None,
            cors_origins: parse_origins(DEFAULT_CORS_ORIGINS).expect("valid default origins"),
            trusted_proxies: Vec::new(),
            dev_controls: true,
            password_hash_cost: HashCost::TESTS,
            history_interval_secs: crate::domain::history::DEFAULT_INTERVAL_SECS,
            demo_history: false,
            export_max_rows: DEFAULT_EXPORT_MAX_ROWS,
            // The policy's own tests set it; the others sign in with a password alone.
            second_factor_roles: Vec::new(),
            confirm_dangerous_actions: false,
            confirm_config_changes: false,
            passkey_rp_id: None,
            prometheus: None,
            secrets: Secrets {
                jwt_secret_key: b"test-secret-key-of-sufficient-length".to_vec(),
                admin_username: "admin".to_owned(),
                admin_password: "correct horse battery staple".to_owned(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_win_over_generation_and_missing_secrets_fail_outside_dev() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("galaxy_admin_username"), "captain\n").unwrap();
        let loaded = load_secrets(Some(dir.path()), true).unwrap();
        assert_eq!(loaded.secrets.admin_username, "captain");
        assert_eq!(loaded.sources[1].1, Source::File);
        assert_eq!(loaded.sources[2].1, Source::Generated);
        assert!(load_secrets(Some(dir.path()), false).is_err());
    }

    #[test]
    fn the_admin_username_must_fit_the_admins_table() {
        assert!(
            valid_username("admin") && valid_username("Ops_2") && valid_username(&"a".repeat(20))
        );
        for bad in [
            "ab",
            "ops-team",
            "ops@example.com",
            "émile",
            &"a".repeat(21),
        ] {
            assert!(!valid_username(bad), "{bad}");
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("galaxy_admin_username"), "ops@example.com").unwrap();
        let error = load_secrets(Some(dir.path()), true).err().unwrap();
        assert!(error.contains("galaxy_admin_username"), "{error}");
    }

    #[test]
    fn wildcard_origin_is_refused() {
        assert!(parse_origins("*").is_err());
        assert_eq!(parse_origins(DEFAULT_CORS_ORIGINS).unwrap().len(), 2);
    }
}

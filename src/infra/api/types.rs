//! The gateway's JSON, as described in `api/openapi.yaml`, with Galaxy's own
//! types: UUIDs stay opaque strings, BIGINT ticks are u64 (`infra::json` keeps
//! numbers as text, never passing integers through an f64).
//!
//! Each type reads itself from a parsed `Value` by hand rather than through
//! serde's derive: one JSON parser serves every response, instead of one
//! generated per type, which keeps tens of KB out of the bundle.

use crate::infra::json::Value;

/// A type the gateway sends; the error names the field that is missing or wrong.
pub trait FromJson: Sized {
    fn from_json(v: &Value) -> Result<Self, String>;
}

fn field<'a>(v: &'a Value, name: &str) -> Result<&'a Value, String> {
    v.get(name).ok_or_else(|| format!("missing field `{name}`"))
}

fn wrong(name: &str, what: &str) -> String {
    format!("field `{name}` is not {what}")
}

fn text(v: &Value, name: &str) -> Result<String, String> {
    field(v, name)?
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| wrong(name, "a string"))
}

/// A string or null; absent counts as null.
fn text_or_null(v: &Value, name: &str) -> Result<Option<String>, String> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(wrong(name, "a string or null")),
    }
}

fn whole(v: &Value, name: &str) -> Result<u64, String> {
    field(v, name)?
        .as_u64()
        .ok_or_else(|| wrong(name, "a whole number"))
}

/// A whole number or null; absent counts as null.
fn whole_or_null(v: &Value, name: &str) -> Result<Option<u64>, String> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(n) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| wrong(name, "a whole number or null")),
    }
}

fn number(v: &Value, name: &str) -> Result<f64, String> {
    field(v, name)?
        .as_f64()
        .ok_or_else(|| wrong(name, "a number"))
}

/// An RFC 3339 date-time, as seconds since the Unix epoch.
fn time(v: &Value, name: &str) -> Result<i64, String> {
    crate::infra::time::parse_rfc3339(&text(v, name)?).ok_or_else(|| wrong(name, "a date-time"))
}

fn flag(v: &Value, name: &str) -> Result<bool, String> {
    field(v, name)?
        .as_bool()
        .ok_or_else(|| wrong(name, "true or false"))
}

/// A list of strings (recovery codes, address blocks).
fn texts(v: &Value, name: &str) -> Result<Vec<String>, String> {
    field(v, name)?
        .as_array()
        .ok_or_else(|| wrong(name, "a list"))?
        .iter()
        .map(|s| {
            s.as_str()
                .map(str::to_owned)
                .ok_or_else(|| wrong(name, "a list of strings"))
        })
        .collect()
}

fn list<T: FromJson>(v: &Value, name: &str) -> Result<Vec<T>, String> {
    field(v, name)?
        .as_array()
        .ok_or_else(|| wrong(name, "a list"))?
        .iter()
        .map(T::from_json)
        .collect()
}

/// A session the gateway started: its token is in the HttpOnly cookie it set, out of reach of
/// this page's scripts; only how long it lasts is told.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub expires_in: u64,
    /// The session may only set up the second factor its role requires (login's answers).
    pub must_enrol: bool,
}

impl FromJson for Token {
    fn from_json(v: &Value) -> Result<Self, String> {
        // A bearer token in the answer would mean no cookie was set: every request after it
        // would be refused, so it is not taken for a session.
        if text(v, "token_type")? != "cookie" {
            return Err("the gateway did not start a cookie session".to_owned());
        }
        Ok(Self {
            expires_in: whole(v, "expires_in")?,
            // Absent from other answers than a sign-in's.
            must_enrol: v
                .get("must_enrol")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    }
}

/// A proof for one dangerous action (`confirmAction`), for its `X-Confirmation`.
#[derive(Debug, Clone, PartialEq)]
pub struct Proof {
    pub confirmation: String,
}

impl FromJson for Proof {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(Self {
            confirmation: text(v, "confirmation")?,
        })
    }
}

/// The signed-in account's second factor, as `/admin/auth/me` tells it.
#[derive(Debug, Clone, PartialEq)]
pub struct Factors {
    /// An authenticator app is enrolled.
    pub totp: bool,
    /// How many passkeys.
    pub passkeys: u64,
    pub recovery_codes_left: u64,
    /// The account's role must have one.
    pub required: bool,
}

impl FromJson for Factors {
    fn from_json(v: &Value) -> Result<Self, String> {
        let factor = field(v, "second_factor")?;
        Ok(Self {
            totp: flag(factor, "totp")?,
            passkeys: whole(factor, "passkeys")?,
            recovery_codes_left: whole(factor, "recovery_codes_left")?,
            required: flag(factor, "required")?,
        })
    }
}

/// The options of a passkey ceremony the gateway began, for `navigator.credentials`.
#[derive(Debug, Clone, PartialEq)]
pub struct PasskeyOptions {
    pub options: Value,
}

impl FromJson for PasskeyOptions {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(Self {
            options: field(v, "options")?.clone(),
        })
    }
}

/// One of the signed-in account's passkeys (`listPasskeys`).
#[derive(Debug, Clone, PartialEq)]
pub struct Passkey {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

impl FromJson for Passkey {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(Self {
            id: text(v, "id")?,
            name: text(v, "name")?,
            created_at: text(v, "created_at")?,
            last_used_at: text_or_null(v, "last_used_at")?,
        })
    }
}

/// A passkey kept (`addPasskey`): with recovery codes when it is the account's first factor.
#[derive(Debug, Clone, PartialEq)]
pub struct PasskeyAdded {
    pub recovery_codes: Option<Vec<String>>,
}

impl FromJson for PasskeyAdded {
    fn from_json(v: &Value) -> Result<Self, String> {
        field(v, "passkey").and_then(Passkey::from_json)?;
        Ok(Self {
            recovery_codes: match v.get("recovery_codes") {
                Some(_) => Some(texts(v, "recovery_codes")?),
                None => None,
            },
        })
    }
}

/// A new authenticator secret to set up (`newTotpSecret`), not stored until enrolled.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSecret {
    /// Base32, for typing into an app by hand.
    pub secret: String,
    pub otpauth_url: String,
    /// The QR code of `otpauth_url`: `size` rows of `size` modules, `1` dark.
    pub qr_size: usize,
    pub qr_modules: String,
}

impl FromJson for NewSecret {
    fn from_json(v: &Value) -> Result<Self, String> {
        let qr = field(v, "qr")?;
        let qr_size = whole(qr, "size")? as usize;
        let qr_modules = text(qr, "modules")?;
        if qr_modules.len() != qr_size * qr_size {
            return Err(wrong("qr.modules", "size × size modules"));
        }
        Ok(Self {
            secret: text(v, "secret")?,
            otpauth_url: text(v, "otpauth_url")?,
            qr_size,
            qr_modules,
        })
    }
}

/// An enrolled app: the new session, and the recovery codes, shown this once.
#[derive(Debug, Clone, PartialEq)]
pub struct Enrolled {
    pub session: Token,
    pub recovery_codes: Vec<String>,
}

impl FromJson for Enrolled {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(Self {
            session: Token::from_json(v)?,
            recovery_codes: texts(v, "recovery_codes")?,
        })
    }
}

/// What a right password gets: a session, or a challenge for the second factor.
#[derive(Debug, Clone, PartialEq)]
pub enum SignIn {
    Token(Token),
    /// `passkey`: the account has one, so the second step can be a passkey's.
    SecondFactor {
        challenge: String,
        passkey: bool,
    },
}

impl FromJson for SignIn {
    fn from_json(v: &Value) -> Result<Self, String> {
        if v.get("second_factor_required").and_then(Value::as_bool) == Some(true) {
            Ok(SignIn::SecondFactor {
                challenge: text(v, "challenge")?,
                passkey: texts(v, "methods")?.iter().any(|m| m == "passkey"),
            })
        } else {
            Token::from_json(v).map(SignIn::Token)
        }
    }
}

/// The signed-in account (`/admin/auth/me`).
#[derive(Debug, Clone, PartialEq)]
pub struct Me {
    pub username: String,
    pub role: String,
    /// How long the session may go without the operator's activity; none: no limit.
    pub idle_timeout_secs: Option<u64>,
    /// How long it has left without activity, by the gateway's record.
    pub idle_expires_in: Option<u64>,
    /// The session may only set up a second factor, which its role requires.
    pub must_enrol: bool,
}

impl FromJson for Me {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(Self {
            username: text(v, "username")?,
            role: text(v, "role")?,
            idle_timeout_secs: whole_or_null(v, "idle_timeout_secs")?,
            idle_expires_in: whole_or_null(v, "idle_expires_in")?,
            must_enrol: flag(v, "must_enrol")?,
        })
    }
}

/// One of the signed-in account's sessions (`/admin/auth/sessions`).
#[derive(Debug, Clone, PartialEq)]
pub struct OwnSession {
    /// UUID.
    pub id: String,
    pub created_at: String,
    pub last_seen_at: String,
    pub address: String,
    pub device: String,
    /// The session of this tab.
    pub current: bool,
}

impl FromJson for OwnSession {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(Self {
            id: text(v, "id")?,
            created_at: text(v, "created_at")?,
            last_seen_at: text(v, "last_seen_at")?,
            address: text(v, "address")?,
            device: text(v, "device")?,
            current: flag(v, "current")?,
        })
    }
}

/// A console account, as admins manage them.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    /// UUID.
    pub id: String,
    pub username: String,
    pub role: String,
    pub disabled: bool,
    pub last_login_at: Option<String>,
    /// An authenticator app is enrolled.
    pub second_factor: bool,
}

impl FromJson for Account {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(Self {
            id: text(v, "id")?,
            username: text(v, "username")?,
            role: text(v, "role")?,
            disabled: flag(v, "disabled")?,
            last_login_at: text_or_null(v, "last_login_at")?,
            second_factor: flag(v, "second_factor")?,
        })
    }
}

/// An API key for scripts and the admin CLI (`listApiKeys`), never its secret.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    /// UUID.
    pub id: String,
    pub name: String,
    pub role: String,
    /// The key's first 10 characters (`gak_` and 6 more), to tell keys apart.
    pub shown: String,
    /// The creator's username.
    pub created_by: String,
    pub created_at: String,
    pub expires_at: String,
    pub allowed_addresses: Vec<String>,
    pub last_used_at: Option<String>,
    pub last_used_from: Option<String>,
    pub revoked_at: Option<String>,
}

impl FromJson for ApiKey {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(Self {
            id: text(v, "id")?,
            name: text(v, "name")?,
            role: text(v, "role")?,
            shown: text(v, "shown")?,
            created_by: text(field(v, "created_by")?, "username")?,
            created_at: text(v, "created_at")?,
            expires_at: text(v, "expires_at")?,
            allowed_addresses: texts(v, "allowed_addresses")?,
            last_used_at: text_or_null(v, "last_used_at")?,
            last_used_from: text_or_null(v, "last_used_from")?,
            revoked_at: text_or_null(v, "revoked_at")?,
        })
    }
}

/// A key just made, with its secret, answered this once.
#[derive(Debug, Clone, PartialEq)]
pub struct NewApiKey {
    pub key: ApiKey,
    pub secret: String,
}

impl FromJson for NewApiKey {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(Self {
            key: ApiKey::from_json(v)?,
            secret: text(v, "key")?,
        })
    }
}

/// How many sessions an admin's "end this account's sessions" ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Ended {
    pub ended: u64,
}

impl FromJson for Ended {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(Self {
            ended: whole(v, "ended")?,
        })
    }
}

/// An account created or whose password was reset, with the generated
/// password, shown once.
#[derive(Debug, Clone, PartialEq)]
pub struct WithPassword {
    pub account: Account,
    pub one_time_password: Option<String>,
}

impl FromJson for WithPassword {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(Self {
            account: Account::from_json(field(v, "account")?)?,
            one_time_password: text_or_null(v, "one_time_password")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct GameStatus {
    pub tick: u64,
    pub game_time: String,
    pub tick_rate: f64,
    pub actual_rate: f64,
    pub paused: bool,
    pub ticks_behind: u64,
    pub players_online: u64,
}

impl FromJson for GameStatus {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(Self {
            tick: whole(v, "tick")?,
            game_time: text(v, "game_time")?,
            tick_rate: number(v, "tick_rate")?,
            actual_rate: number(v, "actual_rate")?,
            paused: flag(v, "paused")?,
            ticks_behind: whole(v, "ticks_behind")?,
            players_online: whole(v, "players_online")?,
        })
    }
}

/// One page of a paginated list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Counted up to 10 000 by lists paged by cursor; `total_exact` says
    /// whether it is the whole count (lists paged by number always count all).
    pub total: u64,
    pub total_exact: bool,
    /// The newest entry counted, for lists that grow at the top while they are
    /// paged (the audit log): later pages ask up to it and stay in place.
    pub until_id: Option<u64>,
    /// The cursors of the pages either side, for lists paged by cursor.
    pub next_cursor: Option<String>,
    pub prev_cursor: Option<String>,
}

impl<T: FromJson> FromJson for Page<T> {
    fn from_json(v: &Value) -> Result<Self, String> {
        let cursor = |key: &str| match v.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(c) => c
                .as_str()
                .map(|c| Some(c.to_owned()))
                .ok_or_else(|| format!("{key} is not text")),
        };
        Ok(Self {
            items: list(v, "items")?,
            total: whole(v, "total")?,
            total_exact: match v.get("total_exact") {
                None => true,
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err("total_exact is not true or false".to_owned()),
            },
            until_id: match v.get("until_id") {
                None | Some(Value::Null) => None,
                Some(_) => Some(whole(v, "until_id")?),
            },
            next_cursor: cursor("next_cursor")?,
            prev_cursor: cursor("prev_cursor")?,
        })
    }
}

/// An unpaginated list.
#[derive(Debug, Clone, PartialEq)]
pub struct Items<T> {
    pub items: Vec<T>,
}

impl<T: FromJson> FromJson for Items<T> {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(Self {
            items: list(v, "items")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConfigItem {
    pub key: String,
    pub value: Value,
    pub default: Value,
    pub description: String,
    pub updated_at: Option<String>,
    /// The entity tag a change sends back as If-Match.
    pub etag: String,
}

impl FromJson for ConfigItem {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(Self {
            key: text(v, "key")?,
            value: field(v, "value")?.clone(),
            default: field(v, "default")?.clone(),
            description: text(v, "description")?,
            updated_at: text_or_null(v, "updated_at")?,
            etag: text(v, "etag")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// SERIAL.
    pub id: u64,
    pub tick_number: u64,
    pub game_time: String,
    pub created_at: String,
    pub size_bytes: u64,
    /// Pinned snapshots cannot be deleted, and retention never removes them.
    pub pinned: bool,
    /// Such as "before restore of #4".
    pub label: Option<String>,
    /// Who took it; `None`: the scheduler.
    pub created_by: Option<String>,
}

impl FromJson for Snapshot {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(Self {
            id: whole(v, "id")?,
            tick_number: whole(v, "tick_number")?,
            game_time: text(v, "game_time")?,
            created_at: text(v, "created_at")?,
            size_bytes: whole(v, "size_bytes")?,
            pinned: flag(v, "pinned")?,
            label: text_or_null(v, "label")?,
            created_by: text_or_null(v, "created_by")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Player {
    /// UUID.
    pub id: String,
    pub username: String,
    /// UUID.
    pub ship_id: String,
    pub created_at: String,
    pub online: bool,
    /// The ban in force, if any (an ended one is not reported).
    pub ban: Option<Ban>,
}

impl FromJson for Player {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(Self {
            id: text(v, "id")?,
            username: text(v, "username")?,
            ship_id: text(v, "ship_id")?,
            created_at: text(v, "created_at")?,
            online: flag(v, "online")?,
            ban: match field(v, "ban")? {
                Value::Null => None,
                ban => Some(Ban::from_json(ban)?),
            },
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ban {
    pub reason: String,
    pub banned_at: String,
    /// `None`: permanent.
    pub until: Option<String>,
    pub by: String,
}

impl FromJson for Ban {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(Self {
            reason: text(v, "reason")?,
            banned_at: text(v, "banned_at")?,
            until: text_or_null(v, "until")?,
            by: text(v, "by")?,
        })
    }
}

/// What one player of a bulk action came to: done, or why not.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkResult {
    pub id: String,
    pub ok: bool,
    pub error: Option<String>,
}

impl FromJson for BulkResult {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(Self {
            id: text(v, "id")?,
            ok: flag(v, "ok")?,
            error: text_or_null(v, "error")?,
        })
    }
}

/// `POST /admin/players/bulk`: a result per player, in the order asked.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkResults(pub Vec<BulkResult>);

impl FromJson for BulkResults {
    fn from_json(v: &Value) -> Result<Self, String> {
        list(v, "results").map(Self)
    }
}

/// An operator's note on a player.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub text: String,
    pub author: String,
    pub created_at: String,
}

impl FromJson for Note {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(Self {
            text: text(v, "text")?,
            author: text(v, "author")?,
            created_at: text(v, "created_at")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    pub name: String,
    pub version: String,
    pub status: String,
    pub checked_at: String,
}

impl FromJson for Service {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(Self {
            name: text(v, "name")?,
            version: text(v, "version")?,
            status: text(v, "status")?,
            checked_at: text(v, "checked_at")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// Increasing; the log's order and its paging cursor.
    pub id: u64,
    pub at: String,
    pub admin: String,
    /// The role the account acted with (null for anonymous, such as a failed login).
    pub role: Option<String>,
    pub action: String,
    /// The target as a person reads it.
    pub target: Option<String>,
    /// What kind of thing the target is (`player`, `snapshot`, `config`, ...), if any.
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// Whether the target still exists, so a link to it leads somewhere.
    pub target_exists: bool,
    pub before: Option<String>,
    pub after: Option<String>,
    pub reason: Option<String>,
    /// The game tick when it happened.
    pub tick: u64,
    pub detail: Option<String>,
}

impl FromJson for AuditEntry {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(Self {
            id: whole(v, "id")?,
            at: text(v, "at")?,
            admin: text(v, "admin")?,
            role: text_or_null(v, "role")?,
            action: text(v, "action")?,
            target: text_or_null(v, "target")?,
            target_type: text_or_null(v, "target_type")?,
            target_id: text_or_null(v, "target_id")?,
            target_exists: flag(v, "target_exists")?,
            before: text_or_null(v, "before")?,
            after: text_or_null(v, "after")?,
            reason: text_or_null(v, "reason")?,
            tick: whole(v, "tick")?,
            detail: text_or_null(v, "detail")?,
        })
    }
}

/// The health figures the gateway samples, in the order of `Bucket::stats`.
pub const SERIES: [&str; 5] = [
    "tick_rate",
    "actual_rate",
    "ticks_behind",
    "tick_duration_ms",
    "players_online",
];

/// Minimum, mean and maximum of one figure over a bucket: a spike shows in `max`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Stat {
    pub min: f64,
    pub avg: f64,
    pub max: f64,
}

impl FromJson for Stat {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(Self {
            min: number(v, "min")?,
            avg: number(v, "avg")?,
            max: number(v, "max")?,
        })
    }
}

/// The samples of one time slice of the history.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    /// Start, in seconds since the Unix epoch.
    pub at: i64,
    /// Whether the game was paused at any sample in it.
    pub paused: bool,
    /// By `SERIES`.
    pub stats: [Stat; 5],
}

impl FromJson for Bucket {
    fn from_json(v: &Value) -> Result<Self, String> {
        let mut stats = [Stat::default(); 5];
        for (stat, name) in stats.iter_mut().zip(SERIES) {
            *stat = Stat::from_json(field(v, name)?)?;
        }
        Ok(Self {
            at: time(v, "at")?,
            paused: flag(v, "paused")?,
            stats,
        })
    }
}

/// `/admin/metrics/history`: the game's health over a range, and what
/// operators did in it.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    pub from: i64,
    pub to: i64,
    pub bucket_seconds: i64,
    pub buckets: Vec<Bucket>,
    pub events: Vec<AuditEntry>,
}

impl FromJson for History {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(Self {
            from: time(v, "from")?,
            to: time(v, "to")?,
            bucket_seconds: whole(v, "bucket_seconds")?.max(1) as i64,
            buckets: list(v, "buckets")?,
            events: list(v, "events")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Readiness {
    pub status: String,
    pub version: Option<String>,
}

impl FromJson for Readiness {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(Self {
            status: text(v, "status")?,
            version: text_or_null(v, "version")?,
        })
    }
}

/// `/versions` and `version.json`: names to version strings, in name order.
/// A sorted list, not a map: a handful of entries, and no map code in the bundle.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Versions(pub Vec<(String, String)>);

impl Versions {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Sets `name`'s version, keeping the names in order.
    pub fn insert(&mut self, name: String, version: String) {
        match self.0.iter().position(|(n, _)| *n >= name) {
            Some(i) if self.0[i].0 == name => self.0[i].1 = version,
            Some(i) => self.0.insert(i, (name, version)),
            None => self.0.push((name, version)),
        }
    }
}

impl FromJson for Versions {
    fn from_json(v: &Value) -> Result<Self, String> {
        let mut versions = Versions::default();
        for (name, version) in v
            .as_object()
            .ok_or_else(|| "not an object".to_owned())?
            .iter()
        {
            let version = version.as_str().ok_or_else(|| wrong(name, "a string"))?;
            versions.insert(name.clone(), version.to_owned());
        }
        Ok(versions)
    }
}

/// What a check of the audit log's hash chain found (`GET /admin/audit/verify`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChainCheck {
    pub verified_from: Option<u64>,
    pub verified_through: Option<u64>,
    /// Links checked that hold.
    pub checked: u64,
    /// The first entry whose link fails; none while the chain holds.
    pub broken_at: Option<u64>,
    /// The newest checked entry's hash, for the operator to keep outside the console.
    pub head: Option<String>,
}

impl FromJson for ChainCheck {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(Self {
            verified_from: whole_or_null(v, "verified_from")?,
            verified_through: whole_or_null(v, "verified_through")?,
            checked: whole(v, "checked")?,
            broken_at: whole_or_null(v, "broken_at")?,
            head: text_or_null(v, "head")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn reads_galaxy_types_exactly() {
        let status = GameStatus::from_json(&Value::parse(
            r#"{"tick":9007199254740993,"game_time":"2000-01-01T12:00:00Z","tick_rate":1.5,"actual_rate":0,"paused":false,"ticks_behind":2,"players_online":7}"#,
        ).unwrap())
        .unwrap();
        assert_eq!(status.tick, 9_007_199_254_740_993, "beyond 2^53, exact");
        assert_eq!(status.actual_rate, 0.0, "an integer is a number too");
        let player = Player::from_json(&json!({
            "id": "0b7c6f0e-3f9a-4c41-9d2e-2f0d7c1a5b33", "username": "nova_ace",
            "ship_id": "1c7c6f0e-3f9a-4c41-9d2e-2f0d7c1a5b33", "created_at": "2025-01-01T00:00:00Z", "online": true, "ban": null,
        }))
        .unwrap();
        assert_eq!(player.id, "0b7c6f0e-3f9a-4c41-9d2e-2f0d7c1a5b33");
        let page = Page::<AuditEntry>::from_json(&json!({
            "items": [{
                "id": 3, "at": "2025-01-01T00:00:00Z", "admin": "admin", "action": "game.pause", "target": null,
                "target_exists": false, "tick": 9007199254740993_u64,
            }],
            "total": 1,
        }))
        .unwrap();
        assert_eq!(
            (
                page.total,
                page.items[0].target.clone(),
                page.items[0].detail.clone()
            ),
            (1, None, None)
        );
    }

    #[test]
    fn a_wrong_or_missing_field_is_named() {
        let integer_ids = json!({ "items": [{ "id": 7, "username": "x", "ship_id": null, "created_at": "", "online": true }], "total": 1 });
        assert_eq!(
            Page::<Player>::from_json(&integer_ids).unwrap_err(),
            "field `id` is not a string"
        );
        assert_eq!(
            Token::from_json(&json!({ "token_type": "cookie" })).unwrap_err(),
            "missing field `expires_in`"
        );
        assert_eq!(
            Token::from_json(
                &json!({ "access_token": "t", "token_type": "bearer", "expires_in": 60 })
            )
            .unwrap_err(),
            "the gateway did not start a cookie session"
        );
        assert_eq!(
            Token::from_json(&json!({ "token_type": "cookie", "expires_in": 60 })),
            Ok(Token {
                expires_in: 60,
                must_enrol: false
            })
        );
        assert_eq!(
            Token::from_json(
                &json!({ "token_type": "cookie", "expires_in": 60, "must_enrol": true })
            ),
            Ok(Token {
                expires_in: 60,
                must_enrol: true
            })
        );
        assert_eq!(
            GameStatus::from_json(&json!({ "tick": -1 })).unwrap_err(),
            "field `tick` is not a whole number"
        );
        assert_eq!(
            Versions::from_json(&json!({ "physics": 1 })).unwrap_err(),
            "field `physics` is not a string"
        );
        assert!(Items::<Service>::from_json(&json!([])).is_err());
    }
}

/// What a schedule's step does, as the gateway sends it (`ScheduleAction`): `kind` is its
/// `type`, and the fields its kind has.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StepAction {
    /// `pause`, `resume`, `snapshot`, `set_config`, `reset_config` or `message`.
    pub kind: String,
    pub label: Option<String>,
    pub key: Option<String>,
    /// A `set_config` value, as JSON.
    pub value: Option<Value>,
    pub text: Option<String>,
}

impl FromJson for StepAction {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(Self {
            kind: text(v, "type")?,
            label: text_or_null(v, "label")?,
            key: text_or_null(v, "key")?,
            value: v.get("value").cloned(),
            text: text_or_null(v, "text")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleStep {
    pub offset_seconds: i64,
    pub action: StepAction,
    /// Whether a failure stops the run's later steps.
    pub stop_on_failure: bool,
}

/// A signed whole number (`infra::json` keeps numbers as text).
fn signed(v: &Value, name: &str) -> Result<i64, String> {
    field(v, name)?
        .as_f64()
        .filter(|n| n.fract() == 0.0)
        .map(|n| n as i64)
        .ok_or_else(|| wrong(name, "a whole number"))
}

impl FromJson for ScheduleStep {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(Self {
            offset_seconds: signed(v, "offset_seconds")?,
            action: StepAction::from_json(field(v, "action")?)?,
            stop_on_failure: text_or_null(v, "on_failure")?.as_deref() != Some("continue"),
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub id: String,
    pub name: String,
    pub time_zone: String,
    /// `Some(local date-time)` for a one-off, else the cron expression in `cron`.
    pub once_at: Option<String>,
    pub cron: Option<String>,
    pub steps: Vec<ScheduleStep>,
    pub enabled: bool,
    pub owner: String,
    pub revision: u64,
    pub next_at: Option<i64>,
    /// `next_at` in the schedule's zone with its offset, as the gateway reads the zone.
    pub next_at_local: Option<String>,
}

impl FromJson for Schedule {
    fn from_json(v: &Value) -> Result<Self, String> {
        let when = field(v, "when")?;
        let next_at = match v.get("next_at") {
            None | Some(Value::Null) => None,
            Some(_) => Some(time(v, "next_at")?),
        };
        Ok(Self {
            id: text(v, "id")?,
            name: text(v, "name")?,
            time_zone: text(v, "time_zone")?,
            once_at: text_or_null(when, "at")?,
            cron: text_or_null(when, "expression")?,
            steps: list(v, "steps")?,
            enabled: flag(v, "enabled")?,
            owner: text(field(v, "owner")?, "username")?,
            revision: whole(v, "revision")?,
            next_at,
            next_at_local: text_or_null(v, "next_at_local")?,
        })
    }
}

/// One step to come, of a run under way or of a schedule's next occurrence.
#[derive(Debug, Clone, PartialEq)]
pub struct UpcomingStep {
    pub schedule_name: String,
    pub due_at: i64,
    pub kind: String,
    pub description: String,
}

impl FromJson for UpcomingStep {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(Self {
            schedule_name: text(v, "schedule_name")?,
            due_at: time(v, "due_at")?,
            kind: text(field(v, "action")?, "type")?,
            description: text(v, "description")?,
        })
    }
}

/// Only what the shell needs of `listSchedules` on every page: the steps to come and the
/// gateway's clock (the schedules themselves are read by their page, in its own module).
#[derive(Debug, Clone, PartialEq)]
pub struct Upcoming {
    pub steps: Vec<UpcomingStep>,
    /// The gateway's clock when it answered, which runs the steps.
    pub now: i64,
}

impl FromJson for Upcoming {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(Self {
            steps: list(v, "upcoming")?,
            now: time(v, "now")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Schedules {
    pub items: Vec<Schedule>,
}

impl FromJson for Schedules {
    fn from_json(v: &Value) -> Result<Self, String> {
        list(v, "items").map(|items| Self { items })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StepOutcome {
    pub index: u64,
    pub due_at: i64,
    pub at: i64,
    /// `succeeded`, `failed`, `skipped`, `missed` or `interrupted`.
    pub result: String,
    pub detail: String,
}

impl FromJson for StepOutcome {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(Self {
            index: whole(v, "index")?,
            due_at: time(v, "due_at")?,
            at: time(v, "at")?,
            result: text(v, "result")?,
            detail: text(v, "detail")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleRun {
    pub id: u64,
    pub schedule_name: String,
    pub at: i64,
    /// `scheduled` or `manual`.
    pub trigger: String,
    pub started_by: String,
    pub status: String,
    pub steps: Vec<ScheduleStep>,
    pub outcomes: Vec<StepOutcome>,
    pub missed_occurrences: u64,
}

impl FromJson for ScheduleRun {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(Self {
            id: whole(v, "id")?,
            schedule_name: text(v, "schedule_name")?,
            at: time(v, "at")?,
            trigger: text(v, "trigger")?,
            started_by: text(v, "started_by")?,
            status: text(v, "status")?,
            steps: list(v, "steps")?,
            outcomes: list(v, "outcomes")?,
            missed_occurrences: whole(v, "missed_occurrences")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleRuns(pub Vec<ScheduleRun>);

impl FromJson for ScheduleRuns {
    fn from_json(v: &Value) -> Result<Self, String> {
        list(v, "items").map(Self)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlayerMessage {
    pub text: String,
    pub sent_at: String,
    pub sent_by: String,
    pub recipients: u64,
}

impl FromJson for PlayerMessage {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(Self {
            text: text(v, "text")?,
            sent_at: text(v, "sent_at")?,
            sent_by: text(v, "sent_by")?,
            recipients: whole(v, "recipients")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlayerMessages(pub Vec<PlayerMessage>);

impl FromJson for PlayerMessages {
    fn from_json(v: &Value) -> Result<Self, String> {
        list(v, "items").map(Self)
    }
}

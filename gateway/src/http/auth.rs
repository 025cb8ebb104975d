//! JWT bearer sessions (HS256) and the role check of every operation. Accounts are in
//! `domain::accounts`, the login rate limit in `domain::login_limit`, the role table in
//! `domain::roles`.

use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath};
use std::net::{IpAddr, SocketAddr};

use axum::http::{header, request::Parts, HeaderMap};
use jsonwebtoken::{
    decode, encode, errors::ErrorKind, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::accounts::{self, Account};
use crate::domain::api_keys;
use crate::domain::audit::{Actor, Audit, TargetType};
use crate::domain::login_limit::username_key;
use crate::domain::roles::{self, Role};
use crate::domain::sessions::SessionRecord;
use crate::http::client_ip;
use crate::http::error::ApiError;
use crate::http::session_cookie;
use crate::http::state::AppState;
use crate::store::sessions::Which;

/// Who issues admin tokens; a token from another issuer is refused.
pub const ISSUER: &str = "galaxy-api-gateway";
/// The audience of admin tokens. Galaxy mounts one JWT secret into several services (the
/// players service signs players' tokens with it), so the signature alone does not make a
/// token an admin's: its audience and type must say so too.
pub const AUDIENCE: &str = "galaxy-admin";
/// The token type: an admin's access token, not a player's, not a refresh token.
pub const TOKEN_TYPE: &str = "admin_access";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    /// Checked by `Validation` before the claims are read: a string, or an array with it.
    #[serde(skip_deserializing)]
    aud: String,
    /// See [`TOKEN_TYPE`].
    typ: String,
    /// The account's id.
    sub: String,
    /// The role the token was issued for.
    role: Role,
    /// The account's token version when issued: any role, password or disabled change bumps
    /// it, which ends the token at once.
    ver: u64,
    iat: i64,
    exp: i64,
    /// Tokens from an older generation are revoked (dev control "expire all tokens").
    gen: u64,
    /// A session that must enrol a second factor before anything else (`roles::ENROLMENT_OPERATIONS`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    enrol: bool,
    /// The session (`domain::sessions`) the token belongs to; a token without one is refused.
    #[serde(default)]
    sid: String,
}

/// The refusal of a token whose session was ended (signed out, or ended from elsewhere).
pub const SESSION_ENDED: &str = "This session was ended; log in again";

/// The refusal of a session that went longer than the idle limit without its operator's activity.
pub const SESSION_IDLE: &str = "Signed out after a time without activity; log in again";

/// Ends session `s`, idle longer than `idle`: recorded, so its operator and the audit log see why.
async fn end_idle(
    state: &AppState,
    account: &Account,
    s: &SessionRecord,
    idle: Option<time::Duration>,
) -> Result<(), ApiError> {
    let limit = match idle.map_or(0, |i| i.whole_seconds()) {
        s if s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    };
    let stamp = state.audit_entry(&Actor::account(account), Audit::default());
    let entry = |ended: &[SessionRecord]| {
        let s = ended.first()?;
        Some(
            stamp.with(
                Audit::new("auth.session_end")
                    .on(
                        TargetType::Account,
                        Some(account.id.to_string()),
                        Some(account.username.clone()),
                    )
                    .detail(format!(
                        "signed out after {limit} without activity: {}",
                        s.label()
                    )),
            ),
        )
    };
    state
        .sessions
        .end(account.id, Which::One(s.id), "idle", &entry)
        .await?;
    Ok(())
}

/// The type of the token between a right password and the second factor: it opens no session.
pub const CHALLENGE_TYPE: &str = "admin_second_factor";
/// How long the second step of a sign-in may wait.
pub const CHALLENGE_SECS: i64 = 300;

#[derive(Debug, Serialize, Deserialize)]
struct ChallengeClaims {
    iss: String,
    #[serde(skip_deserializing)]
    aud: String,
    typ: String,
    sub: String,
    /// The account's token version: a password change or a reset in between voids it.
    ver: u64,
    exp: i64,
    gen: u64,
}

/// A token saying that the account's password was right just now, for the second step.
pub fn challenge(state: &AppState, account: &Account) -> String {
    let claims = ChallengeClaims {
        iss: ISSUER.to_owned(),
        aud: AUDIENCE.to_owned(),
        typ: CHALLENGE_TYPE.to_owned(),
        sub: account.id.to_string(),
        ver: account.token_version,
        exp: OffsetDateTime::now_utc().unix_timestamp() + CHALLENGE_SECS,
        gen: state.world().token_generation,
    };
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&state.settings.secrets.jwt_secret_key),
    )
    .expect("HS256 signing cannot fail")
}

/// The claims of a session's token, if it is one of ours, signed and unexpired (its type and
/// session are the caller's to check).
fn session_claims(state: &AppState, token: &str) -> jsonwebtoken::errors::Result<Claims> {
    decode::<Claims>(
        token,
        &DecodingKey::from_secret(&state.settings.secrets.jwt_secret_key),
        &validation(),
    )
    .map(|data| data.claims)
}

fn validation() -> Validation {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.set_required_spec_claims(&["exp", "sub", "aud", "iss"]);
    validation.set_audience(&[AUDIENCE]);
    validation.set_issuer(&[ISSUER]);
    validation
}

/// The account a challenge is for, if it is one of ours, unexpired, of this generation and of
/// the account's current token version.
pub async fn challenged(state: &AppState, token: &str) -> Result<Account, ApiError> {
    let expired = || ApiError::Unauthorized("The sign-in took too long; enter your password again");
    let claims = decode::<ChallengeClaims>(
        token,
        &DecodingKey::from_secret(&state.settings.secrets.jwt_secret_key),
        &validation(),
    )
    .map_err(|_| expired())?
    .claims;
    if claims.typ != CHALLENGE_TYPE || claims.gen != state.world().token_generation {
        return Err(expired());
    }
    let id: Uuid = claims.sub.parse().map_err(|_| expired())?;
    state
        .accounts
        .get(id)
        .await?
        .filter(|a| a.token_version == claims.ver && !a.disabled)
        .ok_or_else(expired)
}

pub struct IssuedToken {
    pub token: String,
    pub expires_in: u64,
}

impl IssuedToken {
    /// The answer that hands it over: in the body, or as the browser's cookie if the request
    /// asked for one (`session_cookie`).
    pub fn answer(self, headers: &HeaderMap) -> session_cookie::Issued {
        session_cookie::Issued::new(headers, self.token, self.expires_in)
    }
}

/// Where a sign-in comes from, for its session's record.
pub struct Origin<'a> {
    pub address: IpAddr,
    pub user_agent: Option<&'a str>,
}

impl<'a> Origin<'a> {
    pub fn of(address: IpAddr, headers: &'a HeaderMap) -> Self {
        Origin {
            address,
            user_agent: headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok()),
        }
    }
}

/// Ends the session of the cookie a browser signs in over (if it has one, of any account): the
/// new cookie replaces it, so nobody could use that session again, and it must not stay live.
pub async fn end_replaced(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(token) = session_cookie::token(headers) else {
        return Ok(());
    };
    let Ok(claims) = session_claims(state, token) else {
        return Ok(());
    };
    let (Ok(account), Ok(sid)) = (claims.sub.parse(), claims.sid.parse()) else {
        return Ok(());
    };
    state
        .sessions
        .end(
            account,
            Which::One(sid),
            "replaced by a sign-in in the same browser",
            &|_| None,
        )
        .await?;
    Ok(())
}

/// A new session of `account` from `origin` and its token.
pub async fn start(
    state: &AppState,
    account: &Account,
    origin: &Origin<'_>,
) -> Result<IssuedToken, ApiError> {
    start_with(state, account, origin, false, None).await
}

/// A new session that ends no later than `until` (one replacing another).
pub async fn start_until(
    state: &AppState,
    account: &Account,
    origin: &Origin<'_>,
    until: OffsetDateTime,
) -> Result<IssuedToken, ApiError> {
    start_with(state, account, origin, false, Some(until)).await
}

/// A session that may only enrol a second factor (the policy asks for one).
pub async fn start_for_enrolment(
    state: &AppState,
    account: &Account,
    origin: &Origin<'_>,
) -> Result<IssuedToken, ApiError> {
    start_with(state, account, origin, true, None).await
}

async fn start_with(
    state: &AppState,
    account: &Account,
    origin: &Origin<'_>,
    enrol: bool,
    until: Option<OffsetDateTime>,
) -> Result<IssuedToken, ApiError> {
    let now = OffsetDateTime::now_utc();
    let (ttl, generation) = {
        let world = state.world();
        (world.token_ttl.as_secs(), world.token_generation)
    };
    let ttl = match until {
        Some(until) => u64::try_from((until - now).whole_seconds())
            .unwrap_or(1)
            .clamp(1, ttl),
        None => ttl,
    };
    let record = SessionRecord::new(
        account.id,
        now,
        now + time::Duration::seconds(ttl as i64),
        origin.address.to_string(),
        origin.user_agent,
    );
    state.sessions.start(&record).await?;
    let now = now.unix_timestamp();
    let claims = Claims {
        iss: ISSUER.to_owned(),
        aud: AUDIENCE.to_owned(),
        typ: TOKEN_TYPE.to_owned(),
        sub: account.id.to_string(),
        role: account.role,
        ver: account.token_version,
        iat: now,
        exp: now + ttl as i64,
        gen: generation,
        enrol,
        sid: record.id.to_string(),
    };
    let token = encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&state.settings.secrets.jwt_secret_key),
    )
    .expect("HS256 signing cannot fail");
    Ok(IssuedToken {
        token,
        expires_in: ttl,
    })
}

/// A signed-in account allowed to call the operation of the request; extracting it is what
/// protects a route: 401 without a live session, 403 when the role is below the operation's.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: Uuid,
    pub username: String,
    pub role: Role,
    pub expires_at: OffsetDateTime,
    /// The session may only enrol a second factor (`roles::ENROLMENT_OPERATIONS`).
    pub must_enrol: bool,
    /// The account's token version: a proof of a dangerous action is good only within it.
    pub version: u64,
    /// What a proof of the account's owner may be (`Account::proof_methods`): its factors, or
    /// its password when it has none.
    pub proof_methods: &'static [&'static str],
    /// The session (`domain::sessions`) the token belongs to; for an API key, the key's id.
    pub sid: Uuid,
    /// Set when the request is signed by an API key rather than a person's session.
    pub api_key: Option<String>,
    /// When the session ends without its operator's activity, by its last activity written
    /// down (none: no idle limit, or an API key).
    pub idle_ends_at: Option<OffsetDateTime>,
}

impl Session {
    pub fn actor(&self) -> Actor {
        Actor {
            id: Some(self.id),
            username: self.username.clone(),
            role: Some(self.role),
            via: self.api_key.clone(),
        }
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The route template of the request relative to the API base path, as the role table has it.
fn route(parts: &Parts, state: &AppState) -> String {
    let matched = parts
        .extensions
        .get::<MatchedPath>()
        .map_or("", MatchedPath::as_str);
    let base = state.settings.base_path.trim_end_matches('/');
    matched.strip_prefix(base).unwrap_or(matched).to_owned()
}

impl FromRequestParts<AppState> for Session {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // A bearer token (scripts, the CLI) if the request has one, else the browser's cookie,
        // which must come with the CSRF defence's header from an allowed origin.
        let token = match bearer(parts) {
            Some(key) if api_keys::is_key(key) => {
                let key = key.to_owned();
                let session = key_session(parts, state, &key).await?;
                return authorize(parts, state, session);
            }
            Some(token) => token,
            None => {
                let token = session_cookie::token(&parts.headers)
                    .ok_or(ApiError::Unauthorized("Not authenticated"))?;
                session_cookie::check_request(&parts.headers, &parts.uri, &state.settings)?;
                token
            }
        };
        let claims = session_claims(state, token).map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => ApiError::Unauthorized("Token expired"),
            _ => ApiError::Unauthorized("Invalid token"),
        })?;
        if claims.typ != TOKEN_TYPE {
            return Err(ApiError::Unauthorized("Invalid token"));
        }
        let expires_at = OffsetDateTime::from_unix_timestamp(claims.exp)
            .map_err(|_| ApiError::Unauthorized("Invalid token"))?;
        let id: Uuid = claims
            .sub
            .parse()
            .map_err(|_| ApiError::Unauthorized("Invalid token"))?;
        let session = {
            if claims.gen != state.world().token_generation {
                return Err(ApiError::Unauthorized("Token expired"));
            }
            // As stored now, so that a change through another replica is in force at once.
            let account = state
                .accounts
                .get(id)
                .await?
                .ok_or(ApiError::Unauthorized("Account deleted"))?;
            if account.disabled {
                return Err(ApiError::Unauthorized("Account disabled"));
            }
            if claims.ver != account.token_version || claims.role != account.role {
                return Err(ApiError::Unauthorized(
                    "Session ended: the account's role or password changed; log in again",
                ));
            }
            // As stored now, so that a session ended through another replica is refused here.
            let sid: Uuid = claims
                .sid
                .parse()
                .map_err(|_| ApiError::Unauthorized("Invalid token"))?;
            let now = OffsetDateTime::now_utc();
            let idle = state.world().session_idle;
            let active = !session_cookie::background(&parts.headers);
            let idle_ends_at = match state.sessions.touch(sid, now, active, idle).await? {
                Some(s) if s.account_id == id && s.is_live(now) && s.is_idle(now, idle) => {
                    end_idle(state, &account, &s, idle).await?;
                    return Err(ApiError::Unauthorized(SESSION_IDLE));
                }
                Some(s) if s.account_id == id && s.is_live(now) => {
                    idle.map(|idle| s.last_seen_at + idle)
                }
                Some(s) if s.account_id == id => {
                    return Err(ApiError::Unauthorized(SESSION_ENDED));
                }
                _ => return Err(ApiError::Unauthorized("Invalid token")),
            };
            Session {
                id,
                username: account.username.clone(),
                role: account.role,
                expires_at,
                must_enrol: claims.enrol,
                version: account.token_version,
                proof_methods: account.proof_methods(),
                sid,
                api_key: None,
                idle_ends_at,
            }
        };
        authorize(parts, state, session)
    }
}

/// Whether `session` may call the operation of the request: its role, and what a session
/// limited to enrolling or signed by an API key may not do.
fn authorize(parts: &Parts, state: &AppState, session: Session) -> Result<Session, ApiError> {
    let operation = roles::find(parts.method.as_str(), &route(parts, state));
    let named = |ids: &[&str]| operation.is_some_and(|o| ids.contains(&o.id));
    if session.must_enrol && !named(roles::ENROLMENT_OPERATIONS) {
        return Err(ApiError::ForbiddenCode {
            code: "second_factor_required",
            detail: "Set up a second factor first: your role must sign in with one".to_owned(),
        });
    }
    if session.api_key.is_some() && named(roles::NOT_FOR_API_KEYS) {
        return Err(ApiError::ForbiddenCode {
            code: "not_for_api_keys",
            detail: "An API key cannot do this; sign in as a person".to_owned(),
        });
    }
    let minimum = roles::minimum_role(operation);
    if session.role < minimum {
        return Err(ApiError::Forbidden(roles::denied_detail(
            minimum,
            session.role,
        )));
    }
    Ok(session)
}

/// The session of a request signed by API key `secret`: its creator's account, with the key's
/// role, if the key may act now from the request's address (else 401 saying why). A use is
/// recorded (the key's last use and an `auth.api_key_use` entry) at most once a minute.
async fn key_session(parts: &Parts, state: &AppState, secret: &str) -> Result<Session, ApiError> {
    let invalid = || ApiError::Unauthorized("Invalid API key");
    let mut key = state
        .api_keys
        .by_hash(&api_keys::hash(secret))
        .await?
        .ok_or_else(invalid)?;
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip());
    let address = client_ip::resolve(peer, &parts.headers, &state.settings.trusted_proxies);
    let account = state.accounts.get(key.created_by).await?;
    let creator_role = account.as_ref().filter(|a| !a.disabled).map(|a| a.role);
    key.creator = account
        .as_ref()
        .map_or_else(String::new, |a| a.username.clone());
    let now = OffsetDateTime::now_utc();
    let via = key.label();
    if let Err(refusal) = key.check(now, address, creator_role) {
        let mut world = state.world();
        let due = world
            .api_key_refusals
            .get(&key.id)
            .is_none_or(|at| now - *at >= api_keys::USED_EVERY);
        if due {
            world.api_key_refusals.insert(key.id, now);
            world.audit(
                &Actor::anonymous(),
                key.audit(
                    "auth.api_key_refused",
                    Some(&format!("from {address}: {}", refusal.detail())),
                ),
            );
        }
        return Err(ApiError::Unauthorized(refusal.detail()));
    }
    let creator = account.ok_or_else(invalid)?;
    let session = Session {
        id: creator.id,
        username: creator.username.clone(),
        role: key.role,
        expires_at: key.expires_at,
        must_enrol: false,
        version: creator.token_version,
        proof_methods: &[],
        sid: key.id,
        api_key: Some(via.clone()),
        idle_ends_at: None,
    };
    if key.used_long_ago(now) {
        let entry = state.audit_entry(
            &session.actor(),
            Audit {
                detail: Some(format!("from {address}")),
                ..key.audit("auth.api_key_use", None)
            },
        );
        state
            .api_keys
            .record_use(
                key.id,
                crate::domain::to_micros(now),
                &address.to_string(),
                entry,
            )
            .await?;
    }
    Ok(session)
}

/// The key the login limit counts an attempt under: the account when the username names one,
/// so a deleted and re-created name starts afresh; else the username as typed, limited alike
/// so that the answers never reveal which accounts exist.
pub fn limit_key(account: Option<&Account>, username: &str) -> String {
    match account {
        Some(a) => format!("account:{}", a.id),
        None => format!("name:{}", username_key(username)),
    }
}

/// Whether `password` is the password of `hash` (or, without one, of nothing: still as slow),
/// off the async threads, since Argon2 is slow on purpose.
pub async fn verify_slowly(state: &AppState, hash: Option<String>, password: String) -> bool {
    let known = hash.is_some();
    let hash = hash.unwrap_or_else(|| state.dummy_hash.as_ref().clone());
    let matches = tokio::task::spawn_blocking(move || accounts::verify_password(&hash, &password))
        .await
        .unwrap_or(false);
    known && matches
}

/// The PHC string of `password` with the configured cost, off the async threads.
pub async fn hash_slowly(state: &AppState, password: String) -> String {
    let cost = state.settings.password_hash_cost;
    tokio::task::spawn_blocking(move || accounts::hash_password(cost, &password))
        .await
        .expect("hashing does not panic")
}

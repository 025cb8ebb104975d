//! Admin accounts and JWT bearer authentication (HS256). The login rate limit is in
//! `login_limit`.

use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts};
use jsonwebtoken::{
    decode, encode, errors::ErrorKind, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::{AppState, World};

/// An admin as Galaxy's `admins` table has it (without the password hash).
#[derive(Debug, Clone)]
pub struct AdminAccount {
    pub id: Uuid,
    pub username: String,
    pub created_at: OffsetDateTime,
}

impl AdminAccount {
    /// The admin from the secrets, created at start-up with a random version-4 id, as
    /// `gen_random_uuid()` would give it.
    pub fn bootstrap(username: &str) -> Self {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).expect("the OS random source is available");
        Self {
            id: uuid::Builder::from_random_bytes(bytes).into_uuid(),
            username: username.to_owned(),
            created_at: OffsetDateTime::now_utc(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iat: i64,
    exp: i64,
    /// Tokens from an older generation are revoked (dev control "expire all tokens").
    gen: u64,
}

pub struct IssuedToken {
    pub token: String,
    pub expires_in: u64,
}

pub fn issue(state: &AppState, world: &World, username: &str) -> IssuedToken {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let ttl = world.token_ttl.as_secs();
    let claims = Claims {
        sub: username.to_owned(),
        iat: now,
        exp: now + ttl as i64,
        gen: world.token_generation,
    };
    let token = encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&state.settings.secrets.jwt_secret_key),
    )
    .expect("HS256 signing cannot fail");
    IssuedToken {
        token,
        expires_in: ttl,
    }
}

pub fn credentials_match(state: &AppState, username: &str, password: &str) -> bool {
    let secrets = &state.settings.secrets;
    // Compare both in constant time and without short-circuiting, so timing reveals neither.
    let user_ok = secrets.admin_username.as_bytes().ct_eq(username.as_bytes());
    let password_ok = secrets.admin_password.as_bytes().ct_eq(password.as_bytes());
    (user_ok & password_ok).into()
}

/// An authenticated admin; extracting it is what protects a route.
pub struct Admin {
    pub id: Uuid,
    pub username: String,
    pub expires_at: OffsetDateTime,
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(ApiError::Unauthorized("Not authenticated"))?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let data = decode::<Claims>(
            token,
            &DecodingKey::from_secret(&state.settings.secrets.jwt_secret_key),
            &validation,
        )
        .map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => ApiError::Unauthorized("Token expired"),
            _ => ApiError::Unauthorized("Invalid token"),
        })?;
        if data.claims.gen != state.world().token_generation {
            return Err(ApiError::Unauthorized("Token expired"));
        }
        let expires_at = OffsetDateTime::from_unix_timestamp(data.claims.exp)
            .map_err(|_| ApiError::Unauthorized("Invalid token"))?;
        // A validly signed token for an account that no longer exists is no session.
        let account = state
            .admin_named(&data.claims.sub)
            .ok_or(ApiError::Unauthorized("Invalid token"))?;
        Ok(Admin {
            id: account.id,
            username: account.username.clone(),
            expires_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;

    #[test]
    fn the_bootstrap_admin_gets_a_random_version_4_id() {
        let a = AdminAccount::bootstrap("admin");
        let b = AdminAccount::bootstrap("admin");
        assert_eq!(a.id.get_version(), Some(uuid::Version::Random));
        assert_ne!(a.id, b.id);
    }

    #[test]
    fn credentials_must_both_match() {
        let state = AppState::new(Settings::for_tests(1));
        assert!(credentials_match(
            &state,
            "admin",
            "correct horse battery staple"
        ));
        assert!(!credentials_match(&state, "admin", "wrong"));
        assert!(!credentials_match(
            &state,
            "root",
            "correct horse battery staple"
        ));
    }
}

//! Reads the claims the dashboard needs from a JWT. The signature is the
//! gateway's business; the dashboard only needs to know when the token expires.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Claims {
    pub sub: String,
    /// Expiry, seconds since the Unix epoch.
    pub exp: i64,
}

pub fn claims(token: &str) -> Option<Claims> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(payload: &str) -> String {
        format!(
            "eyJhbGciOiJIUzI1NiJ9.{}.c2ln",
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    #[test]
    fn decodes_subject_and_expiry() {
        let c = claims(&token(
            r#"{"sub":"admin","exp":1700000000,"iat":1699996400}"#,
        ))
        .unwrap();
        assert_eq!(
            c,
            Claims {
                sub: "admin".into(),
                exp: 1_700_000_000
            }
        );
    }

    #[test]
    fn garbage_is_none_not_a_panic() {
        for t in [
            "",
            "abc",
            "a.b.c",
            "a.!!!.c",
            &token("not json"),
            &token(r#"{"sub":"x"}"#),
        ] {
            assert_eq!(claims(t), None, "{t}");
        }
    }
}

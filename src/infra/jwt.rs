//! Reads the claims the dashboard needs from a JWT. The signature is the
//! gateway's business; the dashboard only needs to know when the token expires.

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Claims {
    pub sub: String,
    /// Expiry, seconds since the Unix epoch.
    pub exp: i64,
}

/// Decodes unpadded base64url (RFC 4648 §5), the encoding of JWT segments. A few
/// lines here instead of the base64 crate, which costs more wasm than it earns.
fn base64url(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'-' => Some(62),
        b'_' => Some(63),
        _ => None,
    };
    let text = text.trim_end_matches('=').as_bytes();
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for chunk in text.chunks(4) {
        let mut bits = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            bits |= u32::from(value(c)?) << (18 - 6 * i);
        }
        out.extend_from_slice(&bits.to_be_bytes()[1..chunk.len()]);
    }
    Some(out)
}

pub fn claims(token: &str) -> Option<Claims> {
    let payload = token.split('.').nth(1)?;
    serde_json::from_slice(&base64url(payload)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference encoder, for the tests only.
    fn encode(bytes: &[u8]) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let mut b = [0u8; 3];
            b[..chunk.len()].copy_from_slice(chunk);
            let n = u32::from_be_bytes([0, b[0], b[1], b[2]]);
            for i in 0..=chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            }
        }
        out
    }

    fn token(payload: &str) -> String {
        format!("eyJhbGciOiJIUzI1NiJ9.{}.c2ln", encode(payload.as_bytes()))
    }

    #[test]
    fn base64url_round_trips_every_length_and_byte() {
        let bytes: Vec<u8> = (0..=255).collect();
        for len in 0..40 {
            assert_eq!(
                base64url(&encode(&bytes[..len])).as_deref(),
                Some(&bytes[..len]),
                "{len}"
            );
        }
        assert_eq!(base64url("-_8"), Some(vec![0xfb, 0xff]));
        assert_eq!(base64url("a"), None);
        assert_eq!(base64url("ab+c"), None, "standard base64 is not base64url");
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

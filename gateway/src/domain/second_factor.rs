//! The second factor of a sign-in: TOTP (RFC 6238 with SHA-1, six digits and 30-second steps,
//! what every authenticator app reads from an `otpauth://` URL), computed by `totp-rs`, and ten
//! recovery codes for the day the phone is lost.
//!
//! A code is accepted for the step before, the current one or the next (clocks drift), and only
//! for a step later than the last one used, so a code works once, even replayed at once.
//! Recovery codes carry 80 random bits, are shown once and stored as SHA-256 hashes (their
//! entropy makes a slow hash unnecessary), and each works once.

use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::domain::roles::Role;

/// The name an authenticator app lists the account under, beside the username.
pub const ISSUER: &str = "Galaxy admin";
/// 160 bits, the length RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;
pub const STEP_SECS: u64 = 30;
pub const DIGITS: usize = 6;
pub const RECOVERY_CODES: usize = 10;
/// RFC 4648's base32 alphabet in lower case: no 0/1/8, so nothing reads as O, l or B.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
/// Sixteen characters of 5 bits: 80 bits, in groups of four.
const RECOVERY_CHARS: usize = 16;

/// The roles that must have a second factor by default: admins.
pub const DEFAULT_REQUIRED: &[Role] = &[Role::Admin];

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    bytes
}

/// A new TOTP secret.
pub fn new_secret() -> Vec<u8> {
    random_bytes::<SECRET_BYTES>().to_vec()
}

fn totp(secret: &[u8], username: &str) -> Option<TOTP> {
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        1,
        STEP_SECS,
        secret.to_vec(),
        Some(ISSUER.to_owned()),
        username.to_owned(),
    )
    .ok()
}

/// The secret as an authenticator app takes it typed: base32 without padding.
pub fn secret_base32(secret: &[u8]) -> String {
    Secret::Raw(secret.to_vec()).to_encoded().to_string()
}

/// A secret sent back as base32; none unless it is exactly [`SECRET_BYTES`] long.
pub fn parse_secret(base32: &str) -> Option<Vec<u8>> {
    Secret::Encoded(base32.trim().to_uppercase())
        .to_bytes()
        .ok()
        .filter(|bytes| bytes.len() == SECRET_BYTES)
}

/// The `otpauth://totp/...` URL an authenticator app scans, as a QR code or a link.
pub fn otpauth_url(secret: &[u8], username: &str) -> Option<String> {
    totp(secret, username).map(|t| t.get_url())
}

/// The step `code` is right for at `now` (seconds since 1970), among the one before, the
/// current one and the next, and only if later than `last_used`; none when it is not.
pub fn matching_step(secret: &[u8], code: &str, now: u64, last_used: u64) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret, "check")?;
    let current = now / STEP_SECS;
    (current.saturating_sub(1)..=current + 1)
        .filter(|step| *step > last_used)
        .find(|step| {
            totp.generate(step * STEP_SECS)
                .as_bytes()
                .ct_eq(code.as_bytes())
                .into()
        })
}

/// Ten new recovery codes, as shown once: `abcd-efgh-ijkl-mnop`.
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let bytes = random_bytes::<RECOVERY_CHARS>();
            let chars: Vec<char> = bytes
                .iter()
                .map(|b| RECOVERY_ALPHABET[usize::from(*b) % RECOVERY_ALPHABET.len()] as char)
                .collect();
            chars
                .chunks(4)
                .map(|group| group.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// A recovery code as stored: SHA-256 in hex of the code in lower case without dashes or
/// spaces, so it is found however it was typed.
pub fn recovery_hash(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    hex::encode(Sha256::digest(normal.as_bytes()))
}

/// A QR code as the dashboard draws it: `size` modules a side, row by row, `1` for dark.
#[derive(Debug, Serialize)]
pub struct QrModules {
    pub size: usize,
    pub modules: String,
}

pub fn qr(text: &str) -> Option<QrModules> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let modules = code
        .to_colors()
        .iter()
        .map(|c| if *c == qrcode::Color::Dark { '1' } else { '0' })
        .collect();
    Some(QrModules {
        size: code.width(),
        modules,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238's SHA-1 test secret (the ASCII of "12345678901234567890").
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn codes_are_rfc_6238s_test_vectors() {
        // Appendix B, SHA-1, the last six of the eight digits.
        for (time, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(
                matching_step(RFC_SECRET, code, time, 0),
                Some(time / STEP_SECS),
                "{time}"
            );
        }
    }

    #[test]
    fn a_code_works_for_the_steps_around_now_and_only_once() {
        let now = 1_234_567_890;
        let step = now / STEP_SECS;
        let code = totp(RFC_SECRET, "x").unwrap().generate(now);
        assert_eq!(matching_step(RFC_SECRET, &code, now + 30, 0), Some(step));
        assert_eq!(matching_step(RFC_SECRET, &code, now - 30, 0), Some(step));
        assert_eq!(matching_step(RFC_SECRET, &code, now + 60, 0), None);
        assert_eq!(matching_step(RFC_SECRET, &code, now, step), None, "used");
        assert_eq!(
            matching_step(
                RFC_SECRET,
                &format!(" {} {} ", &code[..3], &code[3..]),
                now,
                0
            ),
            Some(step),
            "spaces as apps show them"
        );
        for bad in ["", "12345", "1234567", "abcdef"] {
            assert_eq!(matching_step(RFC_SECRET, bad, now, 0), None, "{bad}");
        }
    }

    #[test]
    fn a_secret_goes_out_and_back_as_base32() {
        let secret = new_secret();
        let text = secret_base32(&secret);
        assert_eq!(text.len(), 32);
        assert_eq!(parse_secret(&text.to_lowercase()), Some(secret.clone()));
        assert_eq!(parse_secret("AAAA"), None, "too short");
        assert_eq!(parse_secret("not base32!"), None);
        let url = otpauth_url(&secret, "alice").unwrap();
        assert!(
            url.starts_with("otpauth://totp/Galaxy%20admin:alice?"),
            "{url}"
        );
        assert!(url.contains(&format!("secret={text}")), "{url}");
        assert!(url.contains("issuer=Galaxy%20admin"), "{url}");
    }

    #[test]
    fn recovery_codes_are_ten_distinct_80_bit_codes_found_however_typed() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let distinct: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), RECOVERY_CODES);
        for code in &codes {
            assert_eq!(code.len(), 19);
            assert!(code
                .bytes()
                .all(|b| b == b'-' || RECOVERY_ALPHABET.contains(&b)));
        }
        let code = &codes[0];
        assert_eq!(
            recovery_hash(code),
            recovery_hash(&code.replace('-', " ").to_uppercase())
        );
        assert_ne!(recovery_hash(code), recovery_hash(&codes[1]));
        assert_eq!(recovery_hash(code).len(), 64);
    }

    #[test]
    fn the_qr_code_is_square() {
        let qr = qr("otpauth://totp/Galaxy%20admin:alice?secret=ABC").unwrap();
        assert_eq!(qr.modules.len(), qr.size * qr.size);
        assert!(qr.modules.bytes().all(|b| b == b'0' || b == b'1'));
    }
}

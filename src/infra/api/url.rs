//! Request URLs: the gateway's base from config.js joined with a contract path,
//! and query values percent-encoded.

/// The base as config.js states it, trimmed of surrounding blanks and trailing
/// slashes, so that joining a contract path (which starts with `/`) never doubles
/// one: `"/"` is the same origin's root (`""`), `"/api/"` is `"/api"`. `None` when
/// it is neither an absolute https URL nor a same-origin path.
pub fn normalise_base(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let valid_path = raw.starts_with('/') && !raw.starts_with("//");
    let valid_url = raw.strip_prefix("https://").is_some_and(|rest| {
        let host = rest.split('/').next().unwrap_or_default();
        !host.is_empty() && !host.contains('@')
    });
    let clean = !raw.contains(|c: char| c.is_whitespace() || c == '?' || c == '#' || c == '\\');
    (clean && (valid_path || valid_url)).then(|| raw.trim_end_matches('/').to_owned())
}

/// `base` (normalised) followed by `path` (from the contract, starting with `/`).
pub fn join(base: &str, path: &str) -> String {
    format!("{base}{path}")
}

/// Percent-encodes a query value (RFC 3986 unreserved characters pass); held to
/// the percent-encoding crate by a differential test.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(HEX[usize::from(byte >> 4)] as char);
                out.push(HEX[usize::from(byte & 15)] as char);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_accepted_base_yields_the_right_request_url() {
        let path = "/admin/game/status";
        for (base, url) in [
            (
                "https://galaxy.example.com/api",
                "https://galaxy.example.com/api/admin/game/status",
            ),
            (
                "https://galaxy.example.com/api/",
                "https://galaxy.example.com/api/admin/game/status",
            ),
            (
                "https://galaxy.example.com/api//",
                "https://galaxy.example.com/api/admin/game/status",
            ),
            (
                "https://galaxy.example.com",
                "https://galaxy.example.com/admin/game/status",
            ),
            (
                "https://galaxy.example.com/",
                "https://galaxy.example.com/admin/game/status",
            ),
            (
                "https://localhost:30002/api",
                "https://localhost:30002/api/admin/game/status",
            ),
            (" /api ", "/api/admin/game/status"),
            ("/api", "/api/admin/game/status"),
            ("/api/", "/api/admin/game/status"),
            ("/", "/admin/game/status"),
            ("/galaxy/api/", "/galaxy/api/admin/game/status"),
        ] {
            let base = normalise_base(base).unwrap_or_else(|| panic!("{base:?} is accepted"));
            assert_eq!(join(&base, path), url, "{base:?}");
            assert!(
                !join(&base, path).starts_with("//"),
                "{base:?} names no other host"
            );
        }
    }

    #[test]
    fn other_forms_are_refused() {
        for bad in [
            "",
            "api",
            "//api",
            "//evil.example.com/api",
            "http://galaxy.example.com/api",
            "https://",
            "https:///api",
            "https://user@evil.example.com",
            "/api?x=1",
            "/api#x",
            "/a pi",
            "/\\evil",
        ] {
            assert_eq!(normalise_base(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode("<b>&ü"), "%3Cb%3E%26%C3%BC");
        assert_eq!(encode("nova_ace-1.~"), "nova_ace-1.~");
        assert_eq!(encode("a b/c?"), "a%20b%2Fc%3F");
    }

    mod against_percent_encoding {
        use super::*;
        use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
        use proptest::prelude::*;

        /// RFC 3986's unreserved characters pass: everything but ALPHA / DIGIT / - . _ ~.
        const QUERY_VALUE: &percent_encoding::AsciiSet = &NON_ALPHANUMERIC
            .remove(b'-')
            .remove(b'.')
            .remove(b'_')
            .remove(b'~');

        proptest! {
            #[test]
            fn encodes_as_it_does(value in "\\PC{0,40}") {
                prop_assert_eq!(encode(&value), utf8_percent_encode(&value, QUERY_VALUE).to_string());
            }
        }
    }
}

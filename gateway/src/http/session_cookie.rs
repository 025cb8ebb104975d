//! The browser's session: an HttpOnly cookie no page script can read, instead of a bearer
//! token the page would have to keep. Scripts and the admin CLI keep bearer tokens.
//!
//! A client asks for it by sending `X-Galaxy-Session: cookie` when it signs in. The gateway
//! then sets the token as `__Host-galaxy_admin_session` (Secure, HttpOnly, SameSite=Strict,
//! path `/`, no domain) and leaves it out of the answer. Every request the cookie
//! authenticates must carry the same header and, when the browser names its origin, come from
//! an allowed one (`--cors-origins`) or the gateway's own. A page elsewhere cannot add the
//! header without a CORS preflight this gateway refuses, so a forged form or `fetch` is
//! refused before it acts, even from a sibling port of `localhost`, which SameSite counts as
//! the same site.

use axum::http::{header, HeaderMap, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::http::error::ApiError;
use crate::settings::Settings;

/// The cookie's name; `__Host-` makes the browser refuse it unless it is Secure, from a secure
/// origin, on path `/` and without a domain, so no sibling host can set or shadow it.
pub const COOKIE: &str = "__Host-galaxy_admin_session";
/// The header that asks for a cookie session at sign-in and must come with every request the
/// cookie authenticates (the CSRF defence's custom header).
pub const HEADER: &str = "x-galaxy-session";
const HEADER_VALUE: &str = "cookie";

/// Whether the request says it uses the cookie session.
pub fn asked(headers: &HeaderMap) -> bool {
    headers
        .get(HEADER)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(HEADER_VALUE.as_bytes()))
}

/// The header a client marks its requests with when they are not its operator's doing (a page
/// polling while it is left open): they do not count as activity for the idle limit.
pub const ACTIVITY_HEADER: &str = "x-galaxy-activity";

/// Whether the request says it is background work, not its operator's activity.
pub fn background(headers: &HeaderMap) -> bool {
    headers
        .get(ACTIVITY_HEADER)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"background"))
}

/// The session token in the request's cookie, if it has one.
pub fn token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

/// Refuses a request the cookie would authenticate unless it carries the header and comes
/// from an allowed origin (see the module's doc).
pub fn check_request(headers: &HeaderMap, uri: &Uri, settings: &Settings) -> Result<(), ApiError> {
    let refused = |detail: &str| ApiError::ForbiddenCode {
        code: "cross_site_request",
        detail: detail.to_owned(),
    };
    if !asked(headers) {
        return Err(refused(
            "A request signed in by the session cookie must send X-Galaxy-Session: cookie",
        ));
    }
    let allowed = match headers.get(header::ORIGIN) {
        None => true,
        Some(origin) => {
            settings.cors_origins.iter().any(|o| o == origin) || same_origin(headers, uri)
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(refused(
            "Requests from this origin may not use the session cookie",
        ))
    }
}

/// Whether a request comes from the gateway's own origin, as far as the browser says: no
/// `Origin` (not a browser's cross-origin call), or an `https` one whose host and port are the
/// request's (`Host`, or over HTTP/2 the URI's authority). The scheme is not the request's own
/// (TLS may end at the ingress), but the cookie only ever travels over HTTPS, so a page of
/// the same host over plain HTTP is another origin.
pub fn same_origin(headers: &HeaderMap, uri: &Uri) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let Some(origin) = text("origin") else {
        return true;
    };
    let Some(origin) = origin
        .get(..8)
        .filter(|scheme| scheme.eq_ignore_ascii_case("https://"))
        .map(|_| &origin[8..])
    else {
        return false;
    };
    text("host")
        .or_else(|| uri.authority().map(|a| a.as_str()))
        .is_some_and(|host| host.eq_ignore_ascii_case(origin))
}

/// A new session's answer: its token in the body (`token_type: bearer`), or, for a client that
/// asked for the cookie, in the cookie only (`token_type: cookie`). `body` can take more fields.
pub struct Issued {
    pub body: Value,
    cookie: Option<HeaderValue>,
}

impl Issued {
    /// The answer of a new session whose `token` lasts `expires_in` seconds.
    pub fn new(headers: &HeaderMap, token: String, expires_in: u64) -> Self {
        if asked(headers) {
            Self {
                body: json!({ "token_type": "cookie", "expires_in": expires_in }),
                cookie: Some(set_cookie(&token, expires_in)),
            }
        } else {
            Self {
                body: json!({
                    "access_token": token,
                    "token_type": "bearer",
                    "expires_in": expires_in,
                }),
                cookie: None,
            }
        }
    }
}

impl IntoResponse for Issued {
    fn into_response(self) -> Response {
        let mut response = Json(self.body).into_response();
        if let Some(cookie) = self.cookie {
            response.headers_mut().insert(header::SET_COOKIE, cookie);
        }
        response
    }
}

fn set_cookie(token: &str, max_age: u64) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{COOKIE}={token}; Path=/; Max-Age={max_age}; Secure; HttpOnly; SameSite=Strict"
    ))
    .expect("a JWT and digits are valid in a header")
}

/// The `Set-Cookie` that makes the browser forget the session's cookie.
pub fn cleared() -> HeaderValue {
    set_cookie("", 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn the_token_is_read_from_its_own_cookie_only() {
        let h = headers(&[
            ("cookie", "theme=dark; __Host-galaxy_admin_session=a.b.c"),
            ("cookie", "other=1"),
        ]);
        assert_eq!(token(&h), Some("a.b.c"));
        assert_eq!(
            token(&headers(&[("cookie", "galaxy_admin_session=x")])),
            None
        );
        assert_eq!(
            token(&headers(&[("cookie", "__Host-galaxy_admin_session=")])),
            None
        );
        assert_eq!(token(&HeaderMap::new()), None);
    }

    #[test]
    fn the_cookie_is_host_only_secure_http_only_and_strict() {
        let value = set_cookie("t", 60);
        let text = value.to_str().unwrap();
        assert!(text.starts_with("__Host-galaxy_admin_session=t;"));
        for attribute in [
            "Path=/",
            "Max-Age=60",
            "Secure",
            "HttpOnly",
            "SameSite=Strict",
        ] {
            assert!(text.contains(attribute), "{text} lacks {attribute}");
        }
        assert!(!text.to_ascii_lowercase().contains("domain="));
        assert!(cleared().to_str().unwrap().contains("Max-Age=0"));
    }

    #[test]
    fn a_cookie_request_needs_the_header_and_an_allowed_origin() {
        let settings = Settings::for_tests(0);
        let uri: Uri = "/api/admin/game/status".parse().unwrap();
        let allowed = settings.cors_origins[0].to_str().unwrap().to_owned();
        let ok = |pairs: &[(&'static str, &str)]| {
            check_request(&headers(pairs), &uri, &settings).is_ok()
        };
        assert!(ok(&[("x-galaxy-session", "cookie")]));
        assert!(ok(&[("x-galaxy-session", "cookie"), ("origin", &allowed)]));
        assert!(ok(&[
            ("x-galaxy-session", "cookie"),
            ("origin", "https://gw.example"),
            ("host", "gw.example"),
        ]));
        assert!(!ok(&[]), "without the header");
        assert!(
            !ok(&[("origin", &allowed)]),
            "a form post from an allowed origin"
        );
        assert!(!ok(&[
            ("x-galaxy-session", "cookie"),
            ("origin", "https://localhost:30009"),
        ]));
    }

    #[test]
    fn same_origin_is_an_origin_naming_the_requests_own_host_and_port() {
        let plain: Uri = "/api/admin/auth/logout".parse().unwrap();
        assert!(
            same_origin(&headers(&[]), &plain),
            "no Origin: not a cross-origin call"
        );
        let host = [("host", "galaxy.example.com")];
        let here = [
            ("host", "galaxy.example.com"),
            ("origin", "https://galaxy.example.com"),
        ];
        let there = [
            ("host", "localhost:30002"),
            ("origin", "https://localhost:30001"),
        ];
        assert!(same_origin(&headers(&here), &plain));
        assert!(!same_origin(&headers(&there), &plain));
        let insecure = [
            ("host", "galaxy.example.com"),
            ("origin", "http://galaxy.example.com"),
        ];
        assert!(!same_origin(&headers(&insecure), &plain));
        assert!(!same_origin(
            &headers(&[("host", "x"), ("origin", "null")]),
            &plain
        ));
        assert!(same_origin(&headers(&host), &plain));
        // HTTP/2 has no Host: the URI's authority is the request's.
        let h2: Uri = "https://localhost:30002/api/admin/auth/logout"
            .parse()
            .unwrap();
        assert!(same_origin(
            &headers(&[("origin", "https://localhost:30002")]),
            &h2
        ));
        assert!(!same_origin(
            &headers(&[("origin", "https://localhost:30001")]),
            &h2
        ));
    }
}

//! The client's address of a request (see `domain::client_ip`), from its peer and its
//! `X-Forwarded-For` fields.

use std::net::IpAddr;

use axum::http::HeaderMap;

use crate::domain::client_ip::{resolve_forwarded, Cidr};

/// The client's address: the peer, unless the peer is a trusted proxy.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[Cidr]) -> IpAddr {
    // Several X-Forwarded-For fields are one list, in order (RFC 9110, section 5.3).
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    resolve_forwarded(peer, &entries, trusted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::client_ip::parse_trusted;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        headers
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let headers = xff(&["198.51.100.1"]);
        assert_eq!(resolve(ip("203.0.113.9"), &headers, &[]), ip("203.0.113.9"));
        let trusted = parse_trusted("10.0.0.0/8").unwrap();
        assert_eq!(
            resolve(ip("203.0.113.9"), &headers, &trusted),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_hop_is_the_client() {
        let trusted = parse_trusted("10.0.0.0/8").unwrap();
        let peer = ip("10.0.0.2");
        // The client sent a forged first entry; the ingress appended what it saw.
        let headers = xff(&["1.2.3.4, 198.51.100.7"]);
        assert_eq!(resolve(peer, &headers, &trusted), ip("198.51.100.7"));
        // Two proxies of ours in a row.
        let headers = xff(&["1.2.3.4, 198.51.100.7, 10.0.0.9"]);
        assert_eq!(resolve(peer, &headers, &trusted), ip("198.51.100.7"));
        // Split over two header fields, with ports and IPv6.
        let headers = xff(&["1.2.3.4", "[2001:db8::5]:4711, 10.3.3.3:80"]);
        assert_eq!(resolve(peer, &headers, &trusted), ip("2001:db8::5"));
        let headers = xff(&["198.51.100.8:5000"]);
        assert_eq!(resolve(peer, &headers, &trusted), ip("198.51.100.8"));
    }

    #[test]
    fn without_a_usable_forwarded_address_the_nearest_known_hop_counts() {
        let trusted = parse_trusted("10.0.0.0/8").unwrap();
        let peer = ip("10.0.0.2");
        assert_eq!(resolve(peer, &HeaderMap::new(), &trusted), peer);
        assert_eq!(resolve(peer, &xff(&["garbage"]), &trusted), peer);
        assert_eq!(
            resolve(peer, &xff(&["198.51.100.7, garbage, 10.0.0.5"]), &trusted),
            ip("10.0.0.5")
        );
        assert_eq!(
            resolve(peer, &xff(&["10.9.9.9"]), &trusted),
            ip("10.9.9.9"),
            "all hops trusted: the furthest one"
        );
    }
}

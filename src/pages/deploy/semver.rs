//! Semantic-version precedence (semver.org §11), enough to tell whether a
//! deployed dashboard is newer than the running one. Hand-written because the
//! full `semver` crate would cost more wasm than this one comparison is worth;
//! a differential property test holds it to that crate (a dev-dependency).

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: Vec<Identifier>,
    text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Identifier {
    // Numeric identifiers sort before alphanumeric ones (§11.4.3); derive(Ord) follows variant order.
    Numeric(u64),
    Alpha(String),
}

impl Version {
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (core_and_pre, build) = match text.split_once('+') {
            Some((before, build)) => (before, Some(build)),
            None => (text, None),
        };
        // Build metadata does not count for precedence, but must be well formed (§10).
        if build.is_some_and(|b| b.split('.').any(|id| !identifier(id))) {
            return None;
        }
        let (core, pre) = match core_and_pre.split_once('-') {
            Some((core, pre)) => (core, Some(pre)),
            None => (core_and_pre, None),
        };
        let mut parts = core.split('.');
        let mut number = || -> Option<u64> {
            let p = parts.next()?;
            (!p.is_empty()
                && p.chars().all(|c| c.is_ascii_digit())
                && (p == "0" || !p.starts_with('0')))
            .then(|| p.parse().ok())
            .flatten()
        };
        let (major, minor, patch) = (number()?, number()?, number()?);
        if parts.next().is_some() {
            return None;
        }
        let pre = match pre {
            None => Vec::new(),
            Some(pre) => pre
                .split('.')
                .map(|id| {
                    if !identifier(id) {
                        None
                    } else if id.chars().all(|c| c.is_ascii_digit()) {
                        // Numeric identifiers have no leading zeros (§9).
                        (id == "0" || !id.starts_with('0'))
                            .then(|| id.parse().ok().map(Identifier::Numeric))
                            .flatten()
                    } else {
                        Some(Identifier::Alpha(id.to_owned()))
                    }
                })
                .collect::<Option<Vec<_>>>()?,
        };
        Some(Self {
            major,
            minor,
            patch,
            pre,
            text: text.to_owned(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// A dot-separated identifier: one or more of `[0-9A-Za-z-]`.
fn identifier(id: &str) -> bool {
    !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                // A release outranks its pre-releases.
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.pre.cmp(&other.pre),
            })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap_or_else(|| panic!("{s} should parse"))
    }

    #[test]
    fn precedence_follows_the_spec_example() {
        let ordered = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.1.0",
            "1.10.0",
            "2.0.0",
        ];
        for pair in ordered.windows(2) {
            assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn build_metadata_is_ignored() {
        assert_eq!(v("1.2.3+abc").cmp(&v("1.2.3+def")), Ordering::Equal);
    }

    #[test]
    fn invalid_versions_are_rejected() {
        for bad in [
            "",
            "1",
            "1.2",
            "1.2.3.4",
            "01.2.3",
            "1.2.x",
            "v1.2.3",
            "1.2.3-",
            "1.2.3-a..b",
            "1.2.3-ä",
            "1.2.3-01",
            "1.2.3+",
            "1.2.3+a..b",
        ] {
            assert!(Version::parse(bad).is_none(), "{bad}");
        }
    }

    mod against_the_semver_crate {
        use super::*;
        use proptest::prelude::*;

        fn near_semver() -> impl Strategy<Value = String> {
            let number = prop_oneof!["0", "[1-9][0-9]{0,3}", "0[0-9]", "[0-9]{21}"];
            let id = prop_oneof![
                "[0-9]{1,3}",
                "0[0-9]",
                "[a-z]{1,3}",
                "[a-z0-9-]{1,4}",
                "",
                "ä"
            ];
            (
                number.clone(),
                number.clone(),
                number,
                prop::option::of(prop::collection::vec(id.clone(), 1..4)),
                prop::option::of(prop::collection::vec(id, 1..3)),
            )
                .prop_map(|(a, b, c, pre, build)| {
                    let mut v = format!("{a}.{b}.{c}");
                    if let Some(pre) = pre {
                        v = format!("{v}-{}", pre.join("."));
                    }
                    if let Some(build) = build {
                        v = format!("{v}+{}", build.join("."));
                    }
                    v
                })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(3000))]

            #[test]
            fn accepts_what_it_accepts(text in near_semver()) {
                prop_assert_eq!(
                    Version::parse(&text).is_some(),
                    semver::Version::parse(&text).is_ok(),
                    "{}", text
                );
            }

            #[test]
            fn orders_as_it_orders(a in near_semver(), b in near_semver()) {
                if let (Some(ours_a), Some(ours_b), Ok(theirs_a), Ok(theirs_b)) = (
                    Version::parse(&a),
                    Version::parse(&b),
                    semver::Version::parse(&a),
                    semver::Version::parse(&b),
                ) {
                    prop_assert_eq!(ours_a.cmp(&ours_b), theirs_a.cmp_precedence(&theirs_b), "{} vs {}", a, b);
                }
            }
        }
    }
}

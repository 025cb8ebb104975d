//! Version awareness decisions, kept pure: when to show the "new dashboard"
//! banner, and what changed among backend services.

use crate::infra::api::types::Versions;
use crate::pages::deploy::semver::Version;

/// The running build's version, from Cargo.toml.
pub const RUNNING: &str = env!("CARGO_PKG_VERSION");

/// Shows the banner only for a version strictly newer than the running build,
/// reported on two polls in a row: during a rolling update old and new pods
/// answer alternately, and an older or equal version must never show it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BannerDecision {
    candidate: Option<Version>,
    shown: Option<Version>,
}

impl BannerDecision {
    /// Feeds one poll's `version.json` version; returns the version to announce, if any.
    pub fn observe(&mut self, running: &Version, reported: &str) -> Option<&str> {
        match Version::parse(reported).filter(|r| r > running) {
            Some(newer) => {
                if self.candidate.as_ref() == Some(&newer)
                    && self.shown.as_ref().is_none_or(|s| newer > *s)
                {
                    self.shown = Some(newer.clone());
                }
                self.candidate = Some(newer);
            }
            None => self.candidate = None,
        }
        self.shown.as_ref().map(Version::as_str)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub service: String,
    pub from: String,
    pub to: String,
}

/// Services whose version differs from the one known, in name order. New services
/// count as changes from "none"; a service that disappears is not a deploy to announce.
pub fn changed_services(known: &Versions, now: &Versions) -> Vec<Change> {
    now.0
        .iter()
        .filter_map(|(service, to)| {
            let from = known.get(service).unwrap_or("none");
            (from != to).then(|| Change {
                service: service.clone(),
                from: from.to_owned(),
                to: to.clone(),
            })
        })
        .collect()
}

pub fn describe(changes: &[Change]) -> String {
    let list: Vec<String> = changes
        .iter()
        .map(|c| format!("{} {} → {}", c.service, c.from, c.to))
        .collect();
    format!("Services updated: {}", list.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running() -> Version {
        Version::parse("1.4.0").unwrap()
    }

    #[test]
    fn newer_version_needs_two_polls_in_a_row() {
        let mut d = BannerDecision::default();
        assert_eq!(d.observe(&running(), "1.5.0"), None);
        assert_eq!(d.observe(&running(), "1.5.0"), Some("1.5.0"));
    }

    #[test]
    fn alternating_old_and_new_pods_do_not_show_it() {
        let mut d = BannerDecision::default();
        for reported in ["1.5.0", "1.4.0", "1.5.0", "1.4.0"] {
            assert_eq!(d.observe(&running(), reported), None, "{reported}");
        }
    }

    #[test]
    fn equal_older_and_garbage_never_show_it() {
        let mut d = BannerDecision::default();
        for reported in [
            "1.4.0",
            "1.4.0",
            "1.3.9",
            "1.3.9",
            "1.5.0-rc.1+x",
            "banana",
            "banana",
            "1.4.0-rc.1",
        ] {
            assert_eq!(d.observe(&running(), reported), None, "{reported}");
        }
    }

    #[test]
    fn once_shown_it_stays_and_follows_a_still_newer_build() {
        let mut d = BannerDecision::default();
        d.observe(&running(), "1.5.0");
        d.observe(&running(), "1.5.0");
        assert_eq!(d.observe(&running(), "1.4.0"), Some("1.5.0"), "persistent");
        assert_eq!(d.observe(&running(), "1.6.0"), Some("1.5.0"));
        assert_eq!(d.observe(&running(), "1.6.0"), Some("1.6.0"));
    }

    #[test]
    fn service_changes_are_listed_and_described() {
        let mut known = Versions::default();
        for (name, version) in [("players", "1.1.0"), ("physics", "1.2.0")] {
            known.insert(name.into(), version.into());
        }
        let mut now = known.clone();
        now.insert("physics".into(), "1.3.0".into());
        now.insert("galaxy".into(), "1.0.0".into());
        let changes = changed_services(&known, &now);
        assert_eq!(
            describe(&changes),
            "Services updated: galaxy none → 1.0.0, physics 1.2.0 → 1.3.0"
        );
        assert!(changed_services(&known, &known).is_empty());
    }
}

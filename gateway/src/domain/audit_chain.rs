//! The audit log's hash chain, which makes it tamper-evident: each entry's `hash` is SHA-256 of
//! the entry before's hash followed by the entry's own fields, so an entry changed, removed or
//! moved after it was written breaks the link of the entry after it. PostgreSQL computes the
//! same bytes in the trigger of migration 0007 (`admin_audit_chain()`); the gateway's audit
//! tests, which `tests/db` runs on PostgreSQL too, check the trigger's links with this code.
//!
//! A chain shows that nothing inside it changed, not that its oldest entry is the first ever
//! written: once old entries leave (the memory ring's oldest, a dropped partition), the oldest
//! retained entry is the anchor and is taken as it stands. The newest hash (`head`) recorded
//! outside the console closes that gap for everything up to it.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::domain::audit::AuditEntry;
pub use crate::domain::audit::{serialize_hash, Hash};

/// What the first entry of a chain links to.
pub const GENESIS: Hash = [0; 32];

/// A field as hashed: `-` for none, otherwise its length in bytes, `:` and its UTF-8 bytes, so
/// no two different entries have the same bytes.
fn field(out: &mut Vec<u8>, value: Option<&str>) {
    match value {
        None => out.push(b'-'),
        Some(v) => {
            out.extend_from_slice(v.len().to_string().as_bytes());
            out.push(b':');
            out.extend_from_slice(v.as_bytes());
        }
    }
}

/// The bytes of `e` that its hash covers, in the column order of `admin_audit`. The time is
/// whole microseconds since 1970, the precision PostgreSQL keeps.
pub fn record(e: &AuditEntry) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let micros = e.at.unix_timestamp_nanos().div_euclid(1000);
    field(&mut out, Some(&e.id.to_string()));
    field(&mut out, Some(&micros.to_string()));
    field(&mut out, Some(&e.tick.to_string()));
    field(&mut out, Some(&e.admin));
    field(&mut out, e.admin_id.map(|id| id.to_string()).as_deref());
    field(&mut out, e.role.map(|r| r.as_str()));
    field(&mut out, Some(&e.action));
    field(&mut out, e.target_type.map(|t| t.as_str()));
    for text in [
        &e.target_id,
        &e.target,
        &e.before,
        &e.after,
        &e.reason,
        &e.detail,
    ] {
        field(&mut out, text.as_deref());
    }
    out
}

/// The hash of `e` following an entry whose hash is `prev`.
pub fn link(prev: &Hash, e: &AuditEntry) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update(prev);
    hasher.update(record(e));
    hasher.finalize().into()
}

/// What a check of the chain found.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// The first entry whose link was checked; none when no link was.
    pub verified_from: Option<u64>,
    /// Every link from `verified_from` up to this entry holds.
    pub verified_through: Option<u64>,
    /// How many links were checked and hold.
    pub checked: u64,
    /// The first entry whose hash does not follow from the entry before: it, or the entry
    /// before it, was changed, removed or inserted after the fact. None when the chain holds.
    pub broken_at: Option<u64>,
    /// The newest entry checked's hash: kept outside the console, it anchors a later check.
    #[serde(serialize_with = "serialize_hash")]
    pub head: Option<Hash>,
}

/// Checks entries oldest first, one at a time, so a store can read them in chunks.
pub struct Verifier {
    /// The hash the next entry must follow; none before the first entry when nothing anchors it.
    prev: Option<Hash>,
    /// Whether an entry with a hash was seen: after it, an entry without one is a broken link
    /// (only entries written before migration 0007 have none).
    chained: bool,
    found: Verification,
}

impl Verifier {
    /// A check starting after `anchor`: the hash of the entry before the first one pushed
    /// ([`GENESIS`] when the first is the log's first ever); `None` when that entry is gone or
    /// not read, so the first entry is checked as a genesis entry or else taken as the anchor.
    pub fn new(anchor: Option<Hash>) -> Self {
        Verifier {
            prev: anchor,
            chained: false,
            found: Verification::default(),
        }
    }

    /// Checks the next entry; false once the chain is broken (nothing after matters).
    pub fn push(&mut self, e: &AuditEntry) -> bool {
        if self.found.broken_at.is_some() {
            return false;
        }
        let Some(hash) = e.hash else {
            if self.chained {
                self.found.broken_at = Some(e.id);
                return false;
            }
            // Written before the chain began: the next entry links to the genesis.
            self.prev = Some(GENESIS);
            return true;
        };
        self.chained = true;
        let expected = match self.prev {
            Some(prev) => link(&prev, e),
            None if link(&GENESIS, e) == hash => hash,
            None => {
                // The entry before is gone: this one anchors the check.
                self.prev = Some(hash);
                self.found.head = Some(hash);
                return true;
            }
        };
        if expected != hash {
            // The head stays the last hash that holds: a broken one is not worth keeping.
            self.found.broken_at = Some(e.id);
            return false;
        }
        self.found.head = Some(hash);
        self.prev = Some(hash);
        self.found.checked += 1;
        self.found.verified_from.get_or_insert(e.id);
        self.found.verified_through = Some(e.id);
        true
    }

    pub fn finish(self) -> Verification {
        self.found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::audit::{Actor, Audit, TargetType};
    use time::OffsetDateTime;

    fn chain(n: u64) -> Vec<AuditEntry> {
        let mut prev = GENESIS;
        (1..=n)
            .map(|id| {
                let mut e = AuditEntry::recorded(
                    &Actor::system(),
                    Audit::new("service.deploy").on(
                        TargetType::Service,
                        Some(format!("svc-{id}")),
                        None,
                    ),
                    id * 10,
                );
                e.id = id;
                e.hash = Some(link(&prev, &e));
                prev = e.hash.unwrap();
                e
            })
            .collect()
    }

    fn verify(anchor: Option<Hash>, entries: &[AuditEntry]) -> Verification {
        let mut v = Verifier::new(anchor);
        for e in entries {
            if !v.push(e) {
                break;
            }
        }
        v.finish()
    }

    #[test]
    fn an_untouched_chain_holds_from_its_genesis() {
        let entries = chain(5);
        let found = verify(Some(GENESIS), &entries);
        assert_eq!(found.verified_from, Some(1));
        assert_eq!(found.verified_through, Some(5));
        assert_eq!(found.checked, 5);
        assert_eq!(found.broken_at, None);
        assert_eq!(found.head, entries[4].hash);
        // Without an anchor, a genesis entry is recognised as one.
        assert_eq!(verify(None, &entries), found);
    }

    #[test]
    fn the_head_is_the_last_hash_that_holds() {
        let mut entries = chain(3);
        entries[2].after = Some("x".into());
        let found = verify(Some(GENESIS), &entries);
        assert_eq!((found.broken_at, found.head), (Some(3), entries[1].hash));
    }

    #[test]
    fn a_changed_field_breaks_the_link_of_its_entry() {
        for change in 0..4 {
            let mut entries = chain(5);
            let e = &mut entries[2];
            match change {
                0 => e.after = Some("x".into()),
                1 => e.at += time::Duration::microseconds(1),
                2 => e.admin = "mallory".into(),
                _ => e.target_id = None,
            }
            assert_eq!(
                verify(Some(GENESIS), &entries).broken_at,
                Some(3),
                "{change}"
            );
        }
    }

    #[test]
    fn a_removed_or_reordered_entry_breaks_the_chain_after_it() {
        let mut entries = chain(5);
        entries.remove(2);
        assert_eq!(verify(Some(GENESIS), &entries).broken_at, Some(4));
        let mut entries = chain(5);
        entries.swap(1, 2);
        assert_eq!(verify(Some(GENESIS), &entries).broken_at, Some(3));
        let mut entries = chain(5);
        entries[3].hash = None;
        assert_eq!(verify(Some(GENESIS), &entries).broken_at, Some(4));
    }

    #[test]
    fn without_its_predecessor_the_oldest_entry_anchors_the_check() {
        let entries = chain(5);
        let found = verify(None, &entries[2..]);
        assert_eq!(found.verified_from, Some(4));
        assert_eq!(found.checked, 2);
        assert_eq!(found.broken_at, None);
        // With the predecessor's hash as anchor, the oldest is checked too.
        assert_eq!(
            verify(entries[1].hash, &entries[2..]).verified_from,
            Some(3)
        );
    }

    #[test]
    fn entries_from_before_the_chain_are_skipped_and_the_chain_starts_at_genesis() {
        let mut old = chain(2);
        for e in &mut old {
            e.hash = None;
        }
        let mut entries = chain(3);
        for (i, e) in entries.iter_mut().enumerate() {
            e.id = 3 + i as u64;
        }
        let mut prev = GENESIS;
        for e in &mut entries {
            e.hash = Some(link(&prev, e));
            prev = e.hash.unwrap();
        }
        old.extend(entries);
        let found = verify(None, &old);
        assert_eq!((found.verified_from, found.checked), (Some(3), 3));
    }

    #[test]
    fn fields_are_length_prefixed_so_text_cannot_move_between_them() {
        let mut a = chain(1).remove(0);
        let mut b = a.clone();
        a.target = Some("ab".into());
        a.before = Some("c".into());
        b.target = Some("a".into());
        b.before = Some("bc".into());
        assert_ne!(record(&a), record(&b));
        a.before = None;
        b.target = Some("ab".into());
        b.before = Some("-".into());
        assert_ne!(record(&a), record(&b));
    }

    #[test]
    fn the_record_is_the_documented_byte_layout() {
        let mut e = chain(1).remove(0);
        e.at = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789).unwrap();
        e.reason = Some("é".into());
        assert_eq!(
            String::from_utf8(record(&e)).unwrap(),
            "1:116:17000000001234562:108:(system)--14:service.deploy7:service5:svc-1---2:é-"
        );
        // SHA-256 of 32 zero bytes and that record, as Python's hashlib computes it.
        assert_eq!(
            hex::encode(link(&GENESIS, &e)),
            "38d93d0b9a8bfc3e6cb8b1f507c53af68e675e06862f354c064502b90f56720d"
        );
    }
}

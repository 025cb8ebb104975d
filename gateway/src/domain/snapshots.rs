//! Snapshots of the game's world: what one records and how they are numbered.

use serde::Serialize;
use time::OffsetDateTime;

use crate::domain::audit::{Audit, TargetType};

/// Snapshot ids are a `SERIAL`: 1 to 2^31 - 1, never reused.
pub const MAX_SNAPSHOT_ID: u32 = i32::MAX as u32;

#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    pub id: u32,
    /// A `BIGINT`; serialized as an exact JSON integer even beyond 2^53.
    pub tick_number: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub game_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub size_bytes: u64,
    /// A pinned snapshot cannot be deleted, by an admin or by retention, until unpinned.
    pub pinned: bool,
    /// For people, such as `before restore of #3`; null for most.
    pub label: Option<String>,
    /// The username of the account that took it; `None` for a scheduled one.
    pub created_by: Option<String>,
}

/// What a deletion did.
pub enum Deletion {
    Deleted(Snapshot),
    /// The snapshot is pinned and stays.
    Pinned,
    NotFound,
}

/// An entry about snapshot `id`.
pub fn snapshot_audit(action: &'static str, id: u32) -> Audit {
    Audit::new(action).on(
        TargetType::Snapshot,
        Some(id.to_string()),
        Some(format!("snapshot {id}")),
    )
}

/// `snapshot.create` for `taken`: its tick, and its label if it has one.
pub fn taken_entry(taken: &Snapshot) -> Audit {
    let detail = match &taken.label {
        Some(label) => format!("tick {}, {label}", taken.tick_number),
        None => format!("tick {}", taken.tick_number),
    };
    snapshot_audit("snapshot.create", taken.id).detail(detail)
}

/// `snapshot.delete` of snapshot `id` by retention (recorded by `(system)`).
pub fn retention_entry(id: u32) -> Audit {
    snapshot_audit("snapshot.delete", id).detail("retention")
}

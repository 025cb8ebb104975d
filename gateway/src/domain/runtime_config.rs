//! The runtime configuration keys operators may change, with the server-side
//! validation the dashboard mirrors, and optimistic concurrency: every key has an entity tag
//! that changes with each change, and a change made against a stale one is refused, so two
//! operators cannot silently overwrite each other.

use serde::{Serialize, Serializer};
use serde_json::Value;
use time::OffsetDateTime;

use crate::domain::error::{FieldError, Rejected};

#[derive(Debug, Clone, Copy)]
enum Kind {
    Number { min: f64, max: f64 },
    Integer { min: i64, max: i64 },
    Text { max_chars: usize },
}

struct KeySpec {
    key: &'static str,
    kind: Kind,
    default: fn() -> Value,
    description: &'static str,
}

const KEYS: &[KeySpec] = &[
    KeySpec {
        key: "tick_rate",
        kind: Kind::Number {
            min: 0.1,
            max: 100.0,
        },
        default: || Value::from(1.0),
        description: "Simulation ticks per second",
    },
    KeySpec {
        key: "snapshot_interval",
        kind: Kind::Integer { min: 10, max: 3600 },
        default: || Value::from(60),
        description: "Seconds between automatic snapshots",
    },
    KeySpec {
        key: "max_players",
        kind: Kind::Integer {
            min: 1,
            max: 100_000,
        },
        default: || Value::from(1000),
        description: "Maximum number of players connected at once",
    },
    KeySpec {
        key: "motd",
        kind: Kind::Text { max_chars: 200 },
        default: || Value::from(""),
        description: "Message of the day shown to players on login",
    },
    KeySpec {
        key: "snapshot_retention",
        kind: Kind::Integer { min: 1, max: 1000 },
        default: || Value::from(DEFAULT_SNAPSHOT_RETENTION),
        description: "Unpinned snapshots kept: after each new snapshot the oldest unpinned ones \
                      beyond this many are deleted; pinned snapshots are never deleted",
    },
];

/// The default of `snapshot_retention`.
pub const DEFAULT_SNAPSHOT_RETENTION: u64 = 20;

#[derive(Debug, Clone, Serialize)]
pub struct ConfigItem {
    pub key: &'static str,
    pub value: Value,
    pub default: Value,
    pub description: &'static str,
    #[serde(with = "time::serde::rfc3339::option")]
    pub updated_at: Option<OffsetDateTime>,
    /// Changes with every set or reset of this key, and only grows: by one in memory, from
    /// `game_config`'s sequence in PostgreSQL (0 there while the key has no row). Served as the
    /// entity tag.
    #[serde(rename = "etag", serialize_with = "serialize_etag")]
    pub revision: u64,
}

impl ConfigItem {
    /// A strong entity tag, quotes included, as the `ETag` header carries it.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.revision)
    }
}

fn serialize_etag<S: Serializer>(revision: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&format_args!("\"{revision}\""))
}

/// Whether an `If-Match` value admits the current entity tag: `*`, or a list of tags one of
/// which is the current one by strong comparison (RFC 9110, section 13.1.1). Anything else,
/// including a weak or malformed tag, does not match.
pub fn if_match_allows(if_match: &str, etag: &str) -> bool {
    let if_match = if_match.trim();
    if_match == "*" || if_match.split(',').any(|tag| tag.trim() == etag)
}

#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    items: Vec<ConfigItem>,
}

/// What a change does to a key.
pub enum ConfigChange {
    Set(Value),
    /// Back to the key's default.
    Reset,
}

/// A key's row in a store that keeps only what was changed (`game_config`: Galaxy's runtime
/// overrides); a key without one has its default.
#[derive(Debug, Clone)]
pub struct StoredValue {
    pub key: String,
    pub value: Value,
    pub updated_at: Option<OffsetDateTime>,
    pub revision: u64,
}

/// The entity tag's revision of a key that has no stored row: below every revision a row gets
/// (a sequence starting at 1), so no tag a client saw on a stored value matches it.
pub const NEVER_STORED: u64 = 0;

impl Default for RuntimeConfig {
    fn default() -> Self {
        let items = KEYS
            .iter()
            .map(|spec| ConfigItem {
                key: spec.key,
                value: (spec.default)(),
                default: (spec.default)(),
                description: spec.description,
                updated_at: None,
                revision: 1,
            })
            .collect();
        Self { items }
    }
}

fn invalid(msg: String, kind: &str) -> Rejected {
    Rejected::Invalid(vec![FieldError::new(&["body", "value"], msg, kind)])
}

/// What any key's value must be, checked as FastAPI checks a request body's model: before the
/// key is even looked up, so a malformed request is 422 whatever its key or `If-Match`.
pub fn check_value_type(value: &Value) -> Result<(), Rejected> {
    if value.is_number() || value.is_string() {
        Ok(())
    } else {
        Err(invalid(
            "Input should be a valid number or string".into(),
            "union_type",
        ))
    }
}

fn validate(kind: Kind, value: &Value) -> Result<Value, Rejected> {
    match kind {
        Kind::Number { min, max } => {
            let n = value
                .as_f64()
                .ok_or_else(|| invalid("Input should be a valid number".into(), "float_type"))?;
            if n < min {
                return Err(invalid(
                    format!("Input should be greater than or equal to {min}"),
                    "greater_than_equal",
                ));
            }
            if n > max {
                return Err(invalid(
                    format!("Input should be less than or equal to {max}"),
                    "less_than_equal",
                ));
            }
            Ok(Value::from(n))
        }
        Kind::Integer { min, max } => {
            let n = value
                .as_i64()
                .ok_or_else(|| invalid("Input should be a valid integer".into(), "int_type"))?;
            if n < min {
                return Err(invalid(
                    format!("Input should be greater than or equal to {min}"),
                    "greater_than_equal",
                ));
            }
            if n > max {
                return Err(invalid(
                    format!("Input should be less than or equal to {max}"),
                    "less_than_equal",
                ));
            }
            Ok(Value::from(n))
        }
        Kind::Text { max_chars } => {
            let s = value
                .as_str()
                .ok_or_else(|| invalid("Input should be a valid string".into(), "string_type"))?;
            if s.chars().count() > max_chars {
                return Err(invalid(
                    format!("String should have at most {max_chars} characters"),
                    "string_too_long",
                ));
            }
            Ok(Value::from(s))
        }
    }
}

impl RuntimeConfig {
    pub fn items(&self) -> &[ConfigItem] {
        &self.items
    }

    /// Every key with its stored value, or its default when none is stored. Rows of keys the
    /// console does not manage (another Galaxy service's) are left out.
    ///
    /// A stored value the key's rules refuse (written by hand, or by a service that checks
    /// less) is served and used as the default, with its row's tag, so the game never runs
    /// on it and an operator can set the key again.
    pub fn from_stored(stored: &[StoredValue]) -> Self {
        let mut config = Self::default();
        for (item, spec) in config.items.iter_mut().zip(KEYS) {
            item.revision = NEVER_STORED;
            if let Some(row) = stored.iter().find(|row| row.key == item.key) {
                item.updated_at = row.updated_at;
                item.revision = row.revision;
                match validate(spec.kind, &row.value) {
                    Ok(value) => item.value = value,
                    Err(_) => tracing::warn!(
                        "game_config holds {} = {}, which its rules refuse; using {}",
                        item.key,
                        row.value,
                        item.value
                    ),
                }
            }
        }
        config
    }

    /// `item` as the store wrote it (its revision and time are the store's), in place of the
    /// key's current one.
    pub fn replace(&mut self, item: ConfigItem) {
        if let Some(current) = self.items.iter_mut().find(|i| i.key == item.key) {
            *current = item;
        }
    }

    /// Whether `key` is one of the keys: refused as unknown (404) otherwise.
    pub fn check_key(&self, key: &str) -> Result<(), Rejected> {
        self.position(key).map(drop)
    }

    /// The value of `key` now, if it is a key.
    pub fn value(&self, key: &str) -> Option<&Value> {
        self.items.iter().find(|i| i.key == key).map(|i| &i.value)
    }

    fn position(&self, key: &str) -> Result<usize, Rejected> {
        self.items
            .iter()
            .position(|item| item.key == key)
            .ok_or_else(|| Rejected::NotFound(format!("Unknown config key: {key}")))
    }

    /// Every key back at its default, with entity tags the previous configuration never had,
    /// so a tag from before a reset cannot match a value set after it.
    pub fn restarted_after(previous: &RuntimeConfig) -> Self {
        let mut config = Self::default();
        for (item, old) in config.items.iter_mut().zip(&previous.items) {
            item.revision = old.revision + 1;
        }
        config
    }

    /// The key's index, if it exists and `if_match` (the request's `If-Match`, if any) admits
    /// its current entity tag.
    fn position_if_match(&self, key: &str, if_match: Option<&str>) -> Result<usize, Rejected> {
        let index = self.position(key)?;
        let item = &self.items[index];
        match if_match {
            Some(tags) if !if_match_allows(tags, &item.etag()) => Err(Rejected::ChangedMeanwhile {
                detail: format!("{key} was changed by someone else since you loaded it"),
                etag: item.etag(),
                current: serde_json::to_value(item).expect("a config item serializes"),
            }),
            _ => Ok(index),
        }
    }

    /// Checks, in this order: the key exists (404), `if_match` admits it (412), the value is
    /// valid for it (422); only then changes it.
    pub fn set(
        &mut self,
        key: &str,
        value: &Value,
        if_match: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<ConfigItem, Rejected> {
        let index = self.position_if_match(key, if_match)?;
        let normalized = validate(KEYS[index].kind, value)?;
        let item = &mut self.items[index];
        item.value = normalized;
        item.updated_at = Some(now);
        item.revision += 1;
        Ok(item.clone())
    }

    pub fn reset(
        &mut self,
        key: &str,
        if_match: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<ConfigItem, Rejected> {
        let index = self.position_if_match(key, if_match)?;
        let item = &mut self.items[index];
        item.value = item.default.clone();
        item.updated_at = Some(now);
        item.revision += 1;
        Ok(item.clone())
    }

    pub fn tick_rate(&self) -> f64 {
        self.items[0].value.as_f64().unwrap_or(1.0)
    }

    /// How many unpinned snapshots retention keeps (`snapshot_retention`).
    pub fn snapshot_retention(&self) -> usize {
        self.items
            .iter()
            .find(|i| i.key == "snapshot_retention")
            .and_then(|i| i.value.as_u64())
            .map_or(DEFAULT_SNAPSHOT_RETENTION as usize, |n| n as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH
    }

    #[test]
    fn tick_rate_is_the_first_key() {
        assert_eq!(KEYS[0].key, "tick_rate");
    }

    #[test]
    fn accepts_values_in_range_and_records_the_change() {
        let mut c = RuntimeConfig::default();
        let item = c.set("tick_rate", &json!(2.5), None, now()).unwrap();
        assert_eq!(item.value, json!(2.5));
        assert_eq!(item.updated_at, Some(now()));
        assert_eq!(c.tick_rate(), 2.5);
    }

    #[test]
    fn rejects_out_of_range_and_wrong_types() {
        let mut c = RuntimeConfig::default();
        for (key, value) in [
            ("tick_rate", json!(0.01)),
            ("tick_rate", json!(101)),
            ("tick_rate", json!("fast")),
            ("snapshot_interval", json!(9)),
            ("snapshot_interval", json!(60.5)),
            ("max_players", json!(100_001)),
            ("motd", json!(5)),
            ("motd", json!("x".repeat(201))),
            ("snapshot_retention", json!(0)),
            ("snapshot_retention", json!(1001)),
            ("snapshot_retention", json!(2.5)),
        ] {
            assert!(
                matches!(c.set(key, &value, None, now()), Err(Rejected::Invalid(_))),
                "{key}={value}"
            );
        }
        assert!(matches!(
            c.set("nope", &json!(1), None, now()),
            Err(Rejected::NotFound(_))
        ));
    }

    #[test]
    fn only_numbers_and_strings_are_values_of_any_key() {
        for ok in [json!(1), json!(-2.5), json!("x")] {
            assert!(check_value_type(&ok).is_ok(), "{ok}");
        }
        for bad in [json!(null), json!(true), json!([1]), json!({})] {
            assert!(
                matches!(check_value_type(&bad), Err(Rejected::Invalid(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn reset_restores_the_default() {
        let mut c = RuntimeConfig::default();
        c.set("motd", &json!("hello"), None, now()).unwrap();
        assert_eq!(c.reset("motd", None, now()).unwrap().value, json!(""));
    }

    #[test]
    fn every_set_or_reset_changes_the_entity_tag() {
        let mut c = RuntimeConfig::default();
        let first = c.items()[3].etag();
        assert_eq!(first, "\"1\"");
        let set = c.set("motd", &json!("hi"), None, now()).unwrap();
        assert_eq!(set.etag(), "\"2\"");
        assert_eq!(serde_json::to_value(&set).unwrap()["etag"], json!("\"2\""));
        let reset = c.reset("motd", Some(&set.etag()), now()).unwrap();
        assert_eq!(reset.etag(), "\"3\"");
        assert_eq!(c.items()[0].etag(), "\"1\"", "per key");
        assert!(
            c.set("motd", &json!(5), None, now()).is_err() && c.items()[3].etag() == "\"3\"",
            "a refused value changes nothing"
        );
        let after_reset = RuntimeConfig::restarted_after(&c);
        assert_eq!(after_reset.items()[3].etag(), "\"4\"");
        assert_eq!(after_reset.items()[3].value, json!(""));
    }

    #[test]
    fn a_stale_entity_tag_is_refused_with_the_current_item() {
        let mut c = RuntimeConfig::default();
        let loaded = c.items()[3].etag();
        c.set("motd", &json!("mine"), Some(&loaded), now()).unwrap();
        match c.set("motd", &json!("theirs"), Some(&loaded), now()) {
            Err(Rejected::ChangedMeanwhile {
                detail,
                etag,
                current,
            }) => {
                assert_eq!(
                    detail,
                    "motd was changed by someone else since you loaded it"
                );
                assert_eq!(etag, "\"2\"");
                assert_eq!(
                    (current["value"].clone(), current["etag"].clone()),
                    (json!("mine"), json!("\"2\""))
                );
            }
            other => panic!("expected 412, got {other:?}"),
        }
        assert!(matches!(
            c.reset("motd", Some("\"1\""), now()),
            Err(Rejected::ChangedMeanwhile { .. })
        ));
        assert!(
            matches!(
                c.set("motd", &json!(5), Some("\"1\""), now()),
                Err(Rejected::ChangedMeanwhile { .. })
            ),
            "the precondition is checked before the value"
        );
        assert!(matches!(
            c.set("nope", &json!(5), Some("\"1\""), now()),
            Err(Rejected::NotFound(_))
        ));
        assert_eq!(c.items()[3].value, json!("mine"));
    }

    #[test]
    fn stored_values_replace_defaults_and_unstored_keys_have_their_own_tag() {
        let stored = [
            StoredValue {
                key: "motd".into(),
                value: json!("hello"),
                updated_at: Some(now()),
                revision: 41,
            },
            StoredValue {
                key: "physics_substeps".into(),
                value: json!(8),
                updated_at: None,
                revision: 42,
            },
        ];
        let c = RuntimeConfig::from_stored(&stored);
        assert_eq!(
            c.items().len(),
            KEYS.len(),
            "another service's key is not listed"
        );
        assert_eq!(c.value("motd"), Some(&json!("hello")));
        assert_eq!(c.items()[3].etag(), "\"41\"");
        assert_eq!(c.items()[3].updated_at, Some(now()));
        assert_eq!(c.items()[0].value, json!(1.0));
        assert_eq!(c.items()[0].etag(), "\"0\"");
        assert_eq!(c.items()[0].updated_at, None);
        let mut c = c;
        let mut changed = c.set("tick_rate", &json!(3), Some("\"0\""), now()).unwrap();
        changed.revision = 43;
        c.replace(changed);
        assert_eq!((c.tick_rate(), c.items()[0].etag()), (3.0, "\"43\"".into()));
    }

    #[test]
    fn if_match_takes_a_star_or_a_list_compared_strongly() {
        assert!(if_match_allows("*", "\"7\""));
        assert!(if_match_allows("\"7\"", "\"7\""));
        assert!(if_match_allows(" \"3\", \"7\" ", "\"7\""));
        for stale in ["\"6\"", "W/\"7\"", "7", "", "\"7\"x", "**"] {
            assert!(!if_match_allows(stale, "\"7\""), "{stale}");
        }
    }
}

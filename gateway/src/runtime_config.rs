//! The runtime configuration keys operators may change, with the server-side
//! validation the dashboard mirrors.

use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::error::{ApiError, FieldError};

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
];

#[derive(Debug, Clone, Serialize)]
pub struct ConfigItem {
    pub key: &'static str,
    pub value: Value,
    pub default: Value,
    pub description: &'static str,
    #[serde(with = "time::serde::rfc3339::option")]
    pub updated_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    items: Vec<ConfigItem>,
}

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
            })
            .collect();
        Self { items }
    }
}

fn invalid(msg: String, kind: &str) -> ApiError {
    ApiError::Validation(vec![FieldError::new(&["body", "value"], msg, kind)])
}

fn validate(kind: Kind, value: &Value) -> Result<Value, ApiError> {
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

    fn position(&self, key: &str) -> Result<usize, ApiError> {
        self.items
            .iter()
            .position(|item| item.key == key)
            .ok_or_else(|| ApiError::NotFound(format!("Unknown config key: {key}")))
    }

    pub fn set(
        &mut self,
        key: &str,
        value: &Value,
        now: OffsetDateTime,
    ) -> Result<ConfigItem, ApiError> {
        let index = self.position(key)?;
        let normalized = validate(KEYS[index].kind, value)?;
        let item = &mut self.items[index];
        item.value = normalized;
        item.updated_at = Some(now);
        Ok(item.clone())
    }

    pub fn reset(&mut self, key: &str, now: OffsetDateTime) -> Result<ConfigItem, ApiError> {
        let index = self.position(key)?;
        let item = &mut self.items[index];
        item.value = item.default.clone();
        item.updated_at = Some(now);
        Ok(item.clone())
    }

    pub fn tick_rate(&self) -> f64 {
        self.items[0].value.as_f64().unwrap_or(1.0)
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
        let item = c.set("tick_rate", &json!(2.5), now()).unwrap();
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
        ] {
            assert!(
                matches!(c.set(key, &value, now()), Err(ApiError::Validation(_))),
                "{key}={value}"
            );
        }
        assert!(matches!(
            c.set("nope", &json!(1), now()),
            Err(ApiError::NotFound(_))
        ));
    }

    #[test]
    fn reset_restores_the_default() {
        let mut c = RuntimeConfig::default();
        c.set("motd", &json!("hello"), now()).unwrap();
        assert_eq!(c.reset("motd", now()).unwrap().value, json!(""));
    }
}

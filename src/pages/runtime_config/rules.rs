//! The gateway's validation of runtime config values, mirrored so operators
//! see a mistake before sending it. The server stays the authority: its 422
//! messages are shown next to the field too.

use crate::infra::json::{Number, Value};

use crate::ui::format;

enum Rule {
    Number { min: f64, max: f64 },
    Integer { min: i64, max: i64 },
    Text { max_chars: usize },
}

fn rule(key: &str, default: &Value) -> Rule {
    match key {
        "tick_rate" => Rule::Number {
            min: 0.1,
            max: 100.0,
        },
        "snapshot_interval" => Rule::Integer { min: 10, max: 3600 },
        "max_players" => Rule::Integer {
            min: 1,
            max: 100_000,
        },
        "motd" => Rule::Text { max_chars: 200 },
        // A key this build does not know: follow its default's type, leave ranges to the server.
        _ if default.is_integer() => Rule::Integer {
            min: i64::MIN,
            max: i64::MAX,
        },
        _ if default.is_number() => Rule::Number {
            min: f64::MIN,
            max: f64::MAX,
        },
        _ => Rule::Text {
            max_chars: usize::MAX,
        },
    }
}

/// The value to send for what the operator typed, or why it is not acceptable.
pub fn validate(key: &str, default: &Value, input: &str) -> Result<Value, String> {
    match rule(key, default) {
        Rule::Number { min, max } => {
            // JSON's number syntax, and sent as typed: what the operator sees is what is set.
            let typed = Number::parse(input.trim())
                .filter(|n| n.as_f64().is_finite())
                .ok_or_else(|| "Enter a number".to_owned())?;
            let n = typed.as_f64();
            if n < min || n > max {
                return Err(format!(
                    "Must be between {} and {}",
                    format::decimal(min),
                    format::decimal(max)
                ));
            }
            Ok(Value::from(typed))
        }
        Rule::Integer { min, max } => {
            let n: i64 = input
                .trim()
                .parse()
                .map_err(|_| "Enter a whole number".to_owned())?;
            if n < min || n > max {
                return Err(format!("Must be between {min} and {max}"));
            }
            Ok(Value::from(n))
        }
        Rule::Text { max_chars } => {
            let count = input.chars().count();
            if count > max_chars {
                return Err(format!("At most {max_chars} characters ({count} now)"));
            }
            Ok(Value::from(input))
        }
    }
}

/// How a value is shown in an input.
pub fn display(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn known_keys_follow_the_server_ranges() {
        assert_eq!(validate("tick_rate", &json!(1.0), " 2.5 "), Ok(json!(2.5)));
        assert!(validate("tick_rate", &json!(1.0), "0.05").is_err());
        assert!(validate("tick_rate", &json!(1.0), "100.1").is_err());
        assert!(validate("tick_rate", &json!(1.0), "NaN").is_err());
        assert_eq!(
            validate("snapshot_interval", &json!(60), "3600"),
            Ok(json!(3600))
        );
        assert!(validate("snapshot_interval", &json!(60), "60.5").is_err());
        assert!(validate("max_players", &json!(1000), "0").is_err());
        assert_eq!(
            validate("motd", &json!(""), "Welcome, pilots"),
            Ok(json!("Welcome, pilots"))
        );
        assert!(validate("motd", &json!(""), &"é".repeat(201)).is_err());
    }

    #[test]
    fn mistakes_are_explained() {
        let tick_rate = |input| validate("tick_rate", &json!(1.0), input);
        assert_eq!(
            tick_rate("0.05"),
            Err("Must be between 0.1 and 100".to_owned())
        );
        for not_a_number in ["", "fast", "inf", "1.2.3", "1e999"] {
            assert_eq!(
                tick_rate(not_a_number),
                Err("Enter a number".to_owned()),
                "{not_a_number:?}"
            );
        }
        assert_eq!(
            tick_rate("1e1"),
            Ok(Value::from(Number::parse("1e1").unwrap())),
            "sent as typed"
        );
    }

    #[test]
    fn unknown_keys_follow_their_default_type() {
        assert_eq!(validate("warp_limit", &json!(3), "4"), Ok(json!(4)));
        assert!(validate("warp_limit", &json!(3), "four").is_err());
        assert_eq!(
            validate("banner", &json!("x"), "anything"),
            Ok(json!("anything"))
        );
    }

    #[test]
    fn values_display_without_json_quotes() {
        assert_eq!(display(&json!("hello")), "hello");
        assert_eq!(display(&json!(1.5)), "1.5");
    }
}

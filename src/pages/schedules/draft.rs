//! A schedule as the operator edits it, and the request body it becomes: offsets in whole
//! minutes before or after the schedule's time, a value typed as text. Pure, so it is tested
//! natively.

use crate::infra::api::types::{Schedule, ScheduleStep};
use crate::infra::json::{object, Number, Value};

/// At most what a game client's banner shows (the gateway refuses more).
pub const MESSAGE_MAX_CHARS: usize = 280;

/// The kinds of step, with what the form calls them.
pub const KINDS: [(&str, &str); 6] = [
    ("message", "Message players"),
    ("snapshot", "Take a snapshot"),
    ("pause", "Pause the game"),
    ("resume", "Resume the game"),
    ("set_config", "Set a config key"),
    ("reset_config", "Reset a config key"),
];

#[derive(Debug, Clone, PartialEq)]
pub struct StepDraft {
    /// Whole minutes from the schedule's time, as typed.
    pub minutes: String,
    pub before: bool,
    pub kind: String,
    /// The message, the snapshot's label or the config key.
    pub text: String,
    /// A `set_config` value, as typed.
    pub value: String,
    pub stop_on_failure: bool,
}

impl StepDraft {
    pub fn new(kind: &str, minutes_before: i64, text: &str) -> Self {
        Self {
            minutes: minutes_before.abs().to_string(),
            before: minutes_before > 0,
            kind: kind.to_owned(),
            text: text.to_owned(),
            value: String::new(),
            // A warning that does not reach the players must not cancel the maintenance.
            stop_on_failure: kind != "message",
        }
    }

    pub fn from_step(step: &ScheduleStep) -> Self {
        let a = &step.action;
        Self {
            minutes: minutes_text(step.offset_seconds.abs()),
            before: step.offset_seconds < 0,
            kind: a.kind.clone(),
            text: a
                .text
                .clone()
                .or_else(|| a.label.clone())
                .or_else(|| a.key.clone())
                .unwrap_or_default(),
            value: a.value.as_ref().map(value_text).unwrap_or_default(),
            stop_on_failure: step.stop_on_failure,
        }
    }
}

/// Seconds as minutes, whole when they are ("10"), else with the fraction ("0.5"), so an
/// offset of seconds made through the API survives an edit here.
fn minutes_text(seconds: i64) -> String {
    if seconds % 60 == 0 {
        (seconds / 60).to_string()
    } else {
        (seconds as f64 / 60.0).to_string()
    }
}

/// A config value as the operator typed it: a number or true/false as JSON, else text.
pub fn typed_value(text: &str) -> Value {
    let t = text.trim();
    match t {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => Number::parse(t).map_or_else(|| Value::from(t), Value::from),
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The steps of a night's maintenance: three warnings, a snapshot, then the pause.
pub fn maintenance() -> Vec<StepDraft> {
    vec![
        StepDraft::new(
            "message",
            10,
            "Server maintenance in 10 minutes. Find a safe spot.",
        ),
        StepDraft::new("message", 5, "Server maintenance in 5 minutes."),
        StepDraft::new(
            "message",
            1,
            "Server maintenance in 1 minute. The universe pauses shortly.",
        ),
        StepDraft::new("snapshot", 0, "before maintenance"),
        StepDraft::new("pause", 0, ""),
    ]
}

/// "10 min before", "at the time", "2 min after".
pub fn offset_label(seconds: i64) -> String {
    let minutes = seconds.abs() / 60;
    let secs = seconds.abs() % 60;
    let amount = if secs == 0 {
        format!("{minutes} min")
    } else {
        format!("{minutes} min {secs} s")
    };
    match seconds {
        0 => "at the time".to_owned(),
        s if s < 0 => format!("{amount} before"),
        _ => format!("{amount} after"),
    }
}

/// The step's seconds from the schedule's time, or what is wrong with what was typed.
pub fn offset_seconds(step: &StepDraft, position: usize) -> Result<i64, String> {
    let minutes: f64 = step
        .minutes
        .trim()
        .parse()
        .ok()
        .filter(|m: &f64| m.is_finite())
        .ok_or_else(|| {
            format!("Step {position}: minutes before or after is a number, such as 10")
        })?;
    if !(0.0..=1440.0).contains(&minutes) {
        return Err(format!(
            "Step {position}: at most 1440 minutes (a day) before or after"
        ));
    }
    let seconds = (minutes * 60.0).round() as i64;
    Ok(if step.before { -seconds } else { seconds })
}

fn action(step: &StepDraft) -> Value {
    let text = step.text.trim();
    match step.kind.as_str() {
        "message" => object([
            ("type", "message".into()),
            ("text", step.text.clone().into()),
        ]),
        "snapshot" if text.is_empty() => object([("type", "snapshot".into())]),
        "snapshot" => object([("type", "snapshot".into()), ("label", text.into())]),
        "set_config" => object([
            ("type", "set_config".into()),
            ("key", text.into()),
            ("value", typed_value(&step.value)),
        ]),
        "reset_config" => object([("type", "reset_config".into()), ("key", text.into())]),
        kind => object([("type", kind.into())]),
    }
}

/// The body of `createSchedule` / `updateSchedule`, or the first thing to fix.
pub fn body(
    name: &str,
    time_zone: &str,
    once: bool,
    at: &str,
    cron: &str,
    enabled: bool,
    steps: &[StepDraft],
) -> Result<Value, String> {
    if steps.is_empty() {
        return Err("Add at least one step".to_owned());
    }
    let when = if once {
        if at.trim().is_empty() {
            return Err("Choose the date and time".to_owned());
        }
        object([("type", "once".into()), ("at", at.trim().into())])
    } else {
        object([("type", "cron".into()), ("expression", cron.trim().into())])
    };
    let mut list = Vec::with_capacity(steps.len());
    for (i, step) in steps.iter().enumerate() {
        let on_failure = if step.stop_on_failure {
            "stop"
        } else {
            "continue"
        };
        list.push(object([
            ("offset_seconds", offset_seconds(step, i + 1)?.into()),
            ("action", action(step)),
            ("on_failure", on_failure.into()),
        ]));
    }
    Ok(object([
        ("name", name.trim().into()),
        ("time_zone", time_zone.trim().into()),
        ("when", when),
        ("steps", Value::Array(list)),
        ("enabled", enabled.into()),
    ]))
}

/// The steps of `schedule`, for editing.
pub fn steps_of(schedule: &Schedule) -> Vec<StepDraft> {
    schedule.steps.iter().map(StepDraft::from_step).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_maintenance_preset_warns_three_times_then_snapshots_and_pauses() {
        let steps = maintenance();
        let offsets: Vec<i64> = steps
            .iter()
            .enumerate()
            .map(|(i, s)| offset_seconds(s, i + 1).unwrap())
            .collect();
        assert_eq!(offsets, [-600, -300, -60, 0, 0]);
        let kinds: Vec<&str> = steps.iter().map(|s| s.kind.as_str()).collect();
        assert_eq!(
            kinds,
            ["message", "message", "message", "snapshot", "pause"]
        );
        assert!(!steps[0].stop_on_failure && steps[4].stop_on_failure);
    }

    #[test]
    fn a_body_has_the_contracts_fields() {
        let steps = vec![
            StepDraft::new("message", 10, "Soon"),
            StepDraft {
                value: "2.5".into(),
                ..StepDraft::new("set_config", 0, "tick_rate")
            },
        ];
        let body = body(
            "Nightly",
            "Europe/Berlin",
            true,
            "2026-12-08T04:00",
            "",
            true,
            &steps,
        )
        .unwrap()
        .to_string();
        assert_eq!(
            body,
            r#"{"name":"Nightly","time_zone":"Europe/Berlin","when":{"type":"once","at":"2026-12-08T04:00"},"steps":[{"offset_seconds":-600,"action":{"type":"message","text":"Soon"},"on_failure":"continue"},{"offset_seconds":0,"action":{"type":"set_config","key":"tick_rate","value":2.5},"on_failure":"stop"}],"enabled":true}"#
        );
    }

    #[test]
    fn what_cannot_be_sent_is_said() {
        let mut step = StepDraft::new("pause", 0, "");
        assert!(
            body("n", "UTC", true, "", "", true, std::slice::from_ref(&step))
                .unwrap_err()
                .contains("date and time")
        );
        assert!(body("n", "UTC", true, "x", "", true, &[]).is_err());
        step.minutes = "ten".into();
        assert!(body("n", "UTC", false, "", "0 4 * * *", true, &[step])
            .unwrap_err()
            .starts_with("Step 1"));
    }

    #[test]
    fn values_and_offsets_read_as_an_operator_means_them() {
        assert_eq!(typed_value("3"), Value::from(3_i64));
        assert_eq!(typed_value(" true "), Value::Bool(true));
        assert_eq!(typed_value("Welcome!"), Value::from("Welcome!"));
        assert_eq!(offset_label(-600), "10 min before");
        assert_eq!(offset_label(0), "at the time");
        assert_eq!(offset_label(90), "1 min 30 s after");
        // An offset of seconds made through the API comes back the same after an edit.
        for seconds in [-30, -600, 20, 0] {
            let step = ScheduleStep {
                offset_seconds: seconds,
                action: Default::default(),
                stop_on_failure: true,
            };
            assert_eq!(offset_seconds(&StepDraft::from_step(&step), 1), Ok(seconds));
        }
    }
}

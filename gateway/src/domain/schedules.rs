//! Scheduled operations: what a schedule is, when it runs, and what each run did.
//!
//! A schedule is a list of steps, each at an offset from the schedule's time ("warn 10 minutes
//! before, pause at 04:00"), run once at a wall-clock time or on every match of a cron
//! expression. Times are entered as the operator reads them, in an IANA zone, and kept as UTC
//! instants: the zone's rules (from the tz database bundled into the gateway, so every host
//! answers alike) turn a local 04:00 into the right instant on either side of a
//! daylight-saving change. A local time the clocks skip is refused; one they pass twice is
//! the first of the two.
//!
//! A run is one occurrence of the schedule's time. Its steps are taken one at a time, in
//! order, by whichever replica claims them in the store; a step due longer ago than [`GRACE`]
//! (the gateway was down) is recorded as missed instead of being run late.

use std::str::FromStr;

use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{civil, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::error::{FieldError, Rejected};
use crate::domain::roles::Role;

/// How late a step may still run: one due while no gateway ran (a restart, an outage) runs when
/// the gateway is back within this time, else it is recorded as missed. Long enough for a
/// rolling update, short enough that a warning "in 5 minutes" is not sent 20 minutes late.
pub const GRACE_SECS: i64 = 120;
pub const GRACE: time::Duration = time::Duration::seconds(GRACE_SECS);
/// A step claimed by a replica that did not record its outcome within this time (it stopped
/// while running it) is recorded as interrupted; it is not run a second time.
pub const CLAIM_LEASE: time::Duration = time::Duration::seconds(60);
pub const MAX_STEPS: usize = 20;
/// A step may be a day before or after the schedule's time.
pub const MAX_OFFSET_SECS: i32 = 86_400;
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_LABEL_CHARS: usize = 100;
/// Schedules kept; a game's planned work is a few dozen.
pub const MAX_SCHEDULES: usize = 200;

/// What a step does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    Pause,
    Resume,
    Snapshot {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
    },
    SetConfig {
        key: String,
        value: Value,
    },
    ResetConfig {
        key: String,
    },
    /// A message to every player online when the step runs.
    Message {
        text: String,
    },
}

impl Action {
    /// The least role that may schedule this step and in whose name it may run: an operator
    /// plans game operations and messages; a configuration change waits for nobody's review
    /// at 04:00, so only an admin schedules one.
    pub fn minimum_role(&self) -> Role {
        match self {
            Action::SetConfig { .. } | Action::ResetConfig { .. } => Role::Admin,
            _ => Role::Operator,
        }
    }

    /// "pause the game", "send “Restart in 5 minutes”", for the audit log and run records.
    pub fn describe(&self) -> String {
        match self {
            Action::Pause => "pause the game".into(),
            Action::Resume => "resume the game".into(),
            Action::Snapshot { label: Some(l) } => format!("take a snapshot “{l}”"),
            Action::Snapshot { label: None } => "take a snapshot".into(),
            Action::SetConfig { key, value } => format!("set {key} to {value}"),
            Action::ResetConfig { key } => format!("reset {key}"),
            Action::Message { text } => format!("send “{text}”"),
        }
    }
}

/// An action's object with no field beyond its kind's. serde lets a unit variant of an
/// internally tagged enum take any other field (serde-rs/serde#2123), so `{"type": "pause",
/// "label": "x"}` would pass as a pause; the contract says no more fields.
fn action_fields<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Action, D::Error> {
    use serde::de::Error;
    let map = serde_json::Map::<String, Value>::deserialize(d)?;
    let allowed: &[&str] = match map.get("type").and_then(Value::as_str) {
        Some("snapshot") => &["type", "label"],
        Some("set_config") => &["type", "key", "value"],
        Some("reset_config") => &["type", "key"],
        Some("message") => &["type", "text"],
        _ => &["type"],
    };
    if let Some(extra) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(D::Error::unknown_field(extra, allowed));
    }
    serde_json::from_value(Value::Object(map)).map_err(D::Error::custom)
}

/// What a failing step does to the rest of its run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnFailure {
    #[default]
    Stop,
    Continue,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Seconds from the schedule's time; negative is before it (a warning).
    pub offset_seconds: i32,
    #[serde(deserialize_with = "action_fields")]
    pub action: Action,
    #[serde(default)]
    pub on_failure: OnFailure,
}

/// When a schedule runs, as the operator entered it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum When {
    /// Once, at this wall-clock time in the schedule's zone (`2026-12-08T04:00`).
    Once { at: String },
    /// On every match of a five-field cron expression, read in the schedule's zone.
    Cron { expression: String },
}

/// A schedule as created or edited.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Draft {
    pub name: String,
    /// IANA zone name, such as `Europe/Berlin`, or `UTC`.
    pub time_zone: String,
    pub when: When,
    pub steps: Vec<Step>,
    /// Absent: enabled for a new schedule, as it was for an edit.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// Who a schedule acts for: the account that last saved it. Its steps run with that account's
/// role as it is when they run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Owner {
    pub id: Uuid,
    pub username: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    pub id: Uuid,
    pub name: String,
    pub time_zone: String,
    pub when: When,
    /// Sorted by offset (steps at one offset keep the order they were given).
    pub steps: Vec<Step>,
    pub enabled: bool,
    pub owner: Owner,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Bumped by every change, for `If-Match`-like edits.
    pub revision: i32,
    /// The schedule's time of the next occurrence not started yet; `None` once a one-off
    /// schedule has started, or when a cron expression matches no more. Starting an occurrence
    /// moves it on and bumps `revision`, so an edit made from before cannot move it back.
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_at: Option<OffsetDateTime>,
}

/// A schedule as the API lists it: with when its next occurrence's first step is due, and its
/// next occurrence in its own zone with the offset.
#[derive(Serialize)]
pub struct Listed<'a> {
    #[serde(flatten)]
    pub schedule: &'a Schedule,
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_due_at: Option<OffsetDateTime>,
    pub next_at_local: Option<String>,
}

impl Schedule {
    pub fn listed(&self) -> Listed<'_> {
        Listed {
            schedule: self,
            next_due_at: self.next_due(),
            next_at_local: self.next_at.and_then(|t| in_zone(t, &self.time_zone)),
        }
    }

    /// When the next occurrence's first step is due (what the runner waits for).
    pub fn next_due(&self) -> Option<OffsetDateTime> {
        Some(self.next_at? + first_offset(&self.steps))
    }
}

/// The earliest step's offset.
pub fn first_offset(steps: &[Step]) -> time::Duration {
    time::Duration::seconds(
        steps
            .iter()
            .map(|s| s.offset_seconds)
            .min()
            .unwrap_or(0)
            .into(),
    )
}

fn last_offset(steps: &[Step]) -> time::Duration {
    time::Duration::seconds(
        steps
            .iter()
            .map(|s| s.offset_seconds)
            .max()
            .unwrap_or(0)
            .into(),
    )
}

fn invalid(loc: &[&str], msg: impl Into<String>) -> FieldError {
    FieldError::new(loc, msg, "value_error")
}

/// A draft checked field by field; the schedule's steps sorted by offset and its first
/// occurrence after `now` computed, or every field error at once.
pub struct Checked {
    pub name: String,
    pub time_zone: String,
    pub when: When,
    pub steps: Vec<Step>,
    pub enabled: Option<bool>,
    pub next_at: Option<OffsetDateTime>,
}

impl Checked {
    /// The schedule `id` as checked, saved now by `owner` (who it then acts for) as its
    /// `revision`.
    /// `revision`; `was_enabled` is what an edit keeps when the draft does not say.
    pub fn into_schedule(
        self,
        id: Uuid,
        owner: Owner,
        created_at: OffsetDateTime,
        revision: i32,
        was_enabled: bool,
    ) -> Schedule {
        Schedule {
            id,
            name: self.name,
            time_zone: self.time_zone,
            when: self.when,
            steps: self.steps,
            enabled: self.enabled.unwrap_or(was_enabled),
            owner,
            created_at,
            updated_at: OffsetDateTime::now_utc(),
            revision,
            next_at: self.next_at,
        }
    }
}

/// Checks `draft` as `role` would schedule it at `now` (the gateway's clock). A one-off whose
/// first step would be due before `now` is refused ("in the past"); a cron schedule starts at
/// its first occurrence whose first step is still ahead.
pub fn check(draft: Draft, role: Role, now: OffsetDateTime) -> Result<Checked, Rejected> {
    let mut errors = Vec::new();
    let name = draft.name.trim().to_owned();
    if name.is_empty() || draft.name.chars().count() > MAX_NAME_CHARS {
        errors.push(invalid(
            &["body", "name"],
            format!("Value error, a name of 1 to {MAX_NAME_CHARS} characters"),
        ));
    }
    let zone = match TimeZone::get(&draft.time_zone) {
        Ok(zone) => Some(zone),
        Err(_) => {
            errors.push(invalid(
                &["body", "time_zone"],
                format!(
                    "Value error, “{}” is no IANA time zone (such as Europe/Berlin or UTC)",
                    draft.time_zone
                ),
            ));
            None
        }
    };
    if draft.steps.is_empty() || draft.steps.len() > MAX_STEPS {
        errors.push(invalid(
            &["body", "steps"],
            format!("Value error, a schedule has 1 to {MAX_STEPS} steps"),
        ));
    }
    for (i, step) in draft.steps.iter().enumerate() {
        let index = i.to_string();
        let loc = |field: &'static str| -> Vec<&str> { vec!["body", "steps", &index, field] };
        if step.offset_seconds.abs() > MAX_OFFSET_SECS {
            errors.push(invalid(
                &loc("offset_seconds"),
                "Value error, a step is at most a day before or after the schedule's time",
            ));
        }
        if step.action.minimum_role() > role {
            errors.push(FieldError::new(
                &loc("action"),
                format!(
                    "Value error, your role ({role}) may not schedule this: {} needs {}",
                    step.action.describe(),
                    step.action.minimum_role()
                ),
                "role",
            ));
        }
        match &step.action {
            Action::Snapshot { label: Some(label) }
                if label.trim().is_empty() || label.chars().count() > MAX_LABEL_CHARS =>
            {
                errors.push(invalid(
                    &loc("action"),
                    format!("Value error, a label of 1 to {MAX_LABEL_CHARS} characters"),
                ));
            }
            Action::Message { text } => {
                if let Err(msg) = crate::domain::player_messages::check_text(text) {
                    errors.push(invalid(&loc("action"), format!("Value error, {msg}")));
                }
            }
            Action::SetConfig { value, .. } => {
                if let Err(Rejected::Invalid(e)) =
                    crate::domain::runtime_config::check_value_type(value)
                {
                    errors.extend(e.into_iter().map(|mut e| {
                        e.loc = loc("action").iter().map(|s| Value::from(*s)).collect();
                        e
                    }));
                }
            }
            _ => {}
        }
    }
    let mut steps = draft.steps;
    // Stable: steps at one offset keep the order they were given.
    steps.sort_by_key(|s| s.offset_seconds);
    let next_at = match (&zone, &draft.when) {
        (Some(zone), When::Once { at }) => match local_instant(at, zone) {
            Ok(instant) if instant + first_offset(&steps) < now => {
                errors.push(invalid(
                    &["body", "when", "at"],
                    "Value error, this time is in the past (or its first step would be)",
                ));
                None
            }
            Ok(instant) => Some(instant),
            Err(msg) => {
                errors.push(invalid(
                    &["body", "when", "at"],
                    format!("Value error, {msg}"),
                ));
                None
            }
        },
        (Some(zone), When::Cron { expression }) => match parse_cron(expression) {
            Ok(cron) => next_cron(&cron, zone, now - first_offset(&steps)),
            Err(msg) => {
                errors.push(invalid(
                    &["body", "when", "expression"],
                    format!("Value error, {msg}"),
                ));
                None
            }
        },
        (None, _) => None,
    };
    if !errors.is_empty() {
        return Err(Rejected::Invalid(errors));
    }
    Ok(Checked {
        name,
        time_zone: draft.time_zone,
        when: draft.when,
        steps,
        enabled: draft.enabled,
        next_at,
    })
}

/// The instant of wall-clock time `local` (`YYYY-MM-DDTHH:MM[:SS]`) in `zone`. A time the
/// clocks skip (spring forward) is refused with what to enter instead; a time they pass twice
/// (fall back) is its first passing, as most schedulers read it.
pub fn local_instant(local: &str, zone: &TimeZone) -> Result<OffsetDateTime, String> {
    let civil = civil::DateTime::from_str(local)
        .map_err(|_| format!("“{local}” is no date and time (such as 2026-12-08T04:00)"))?;
    let ambiguous = zone.to_ambiguous_timestamp(civil);
    let timestamp = match ambiguous.offset() {
        AmbiguousOffset::Unambiguous { offset } => offset.to_timestamp(civil),
        AmbiguousOffset::Fold { before, .. } => before.to_timestamp(civil),
        AmbiguousOffset::Gap { before, after } => {
            return Err(format!(
                "{local} does not exist in {}: the clocks move from {before} to {after} then; \
                 choose a time outside the change",
                zone.iana_name().unwrap_or("this zone")
            ))
        }
    }
    .map_err(|e| format!("{local} is out of range: {e}"))?;
    to_offset_date_time(timestamp)
}

fn to_offset_date_time(t: Timestamp) -> Result<OffsetDateTime, String> {
    OffsetDateTime::from_unix_timestamp(t.as_second()).map_err(|e| e.to_string())
}

fn to_timestamp(t: OffsetDateTime) -> Timestamp {
    Timestamp::from_second(t.unix_timestamp()).expect("the gateway's instants are in jiff's range")
}

/// `t` in `zone`, with its offset (`2026-12-08T04:00:00+01:00`), as the console shows it.
pub fn in_zone(t: OffsetDateTime, zone_name: &str) -> Option<String> {
    let zone = TimeZone::get(zone_name).ok()?;
    let zoned = to_timestamp(t).to_zoned(zone);
    Some(
        zoned
            .timestamp()
            .display_with_offset(zoned.offset())
            .to_string(),
    )
}

/// Five fields (minute hour day-of-month month day-of-week): a schedule runs at most once a
/// minute, on whole minutes.
pub fn parse_cron(expression: &str) -> Result<croner::Cron, String> {
    let fields = expression.split_whitespace().count();
    if fields != 5 {
        return Err(format!(
            "a cron expression has five fields (minute hour day month weekday), not {fields}"
        ));
    }
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Disallowed)
        .build()
        .parse(expression)
        .map_err(|e| format!("“{expression}” is no cron expression: {e}"))
}

/// The first match of `cron` in `zone` strictly after `after`.
pub fn next_cron(
    cron: &croner::Cron,
    zone: &TimeZone,
    after: OffsetDateTime,
) -> Option<OffsetDateTime> {
    let start = to_timestamp(after).to_zoned(zone.clone());
    let next = cron.find_next_occurrence(&start, false).ok()?;
    to_offset_date_time(next.timestamp()).ok()
}

/// The schedule's time of the occurrence after `after` (a cron schedule's next match; none
/// for a one-off, which has only the one).
pub fn following(schedule: &Schedule, after: OffsetDateTime) -> Option<OffsetDateTime> {
    match &schedule.when {
        When::Once { .. } => None,
        When::Cron { expression } => {
            let cron = parse_cron(expression).ok()?;
            let zone = TimeZone::get(&schedule.time_zone).ok()?;
            next_cron(&cron, &zone, after)
        }
    }
}

/// What the runner does with a schedule whose next occurrence is due at `now`: start it, or,
/// when even its last step is past the grace period (no gateway ran through it), record it as
/// missed together with any later occurrences that are past as well.
#[derive(Debug, PartialEq)]
pub struct Due {
    /// The occurrence's time.
    pub at: OffsetDateTime,
    /// Whole occurrences no gateway ran through, up to and including `at`; 0 when `at` starts
    /// now.
    pub missed: u32,
    /// The schedule's next occurrence after this one.
    pub next_at: Option<OffsetDateTime>,
}

/// Most occurrences counted one by one when catching up (a minutely cron after a day down);
/// beyond it, the count says "at least".
const MAX_CATCH_UP: u32 = 10_000;

pub fn due(schedule: &Schedule, now: OffsetDateTime) -> Option<Due> {
    let at = schedule.next_at?;
    if at + first_offset(&schedule.steps) > now {
        return None;
    }
    let past = |t: OffsetDateTime| t + last_offset(&schedule.steps) + GRACE < now;
    let mut due = Due {
        at,
        missed: 0,
        next_at: following(schedule, at),
    };
    while past(due.at) && due.missed < MAX_CATCH_UP {
        due.missed += 1;
        match due.next_at {
            Some(next) if past(next) => {
                due.at = next;
                due.next_at = following(schedule, next);
            }
            _ => break,
        }
    }
    Some(due)
}

/// Why a run happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    Scheduled,
    /// "Run now", by an operator.
    Manual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Succeeded,
    /// At least one step failed.
    Failed,
    /// No gateway ran while its steps were due (beyond the grace period).
    Missed,
    /// The schedule was cancelled while the run was under way.
    Cancelled,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Missed => "missed",
            RunStatus::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepResult {
    Succeeded,
    Failed,
    /// Not run: an earlier step failed and stops the run, or the schedule was cancelled.
    Skipped,
    /// Not run: due longer than the grace period ago.
    Missed,
    /// Claimed by a replica that stopped before recording what happened; not run again.
    Interrupted,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepOutcome {
    pub index: usize,
    #[serde(with = "time::serde::rfc3339")]
    pub due_at: OffsetDateTime,
    /// When the gateway ran it (or decided not to), on its clock.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub result: StepResult,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Run {
    pub id: i64,
    pub schedule_id: Uuid,
    pub schedule_name: String,
    /// The schedule's time of this occurrence; each step is due at this plus its offset.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub trigger: Trigger,
    /// Who started it: the owner for a scheduled run, the operator for "run now".
    pub started_by: String,
    pub status: RunStatus,
    /// The steps as they were when the run started (a later edit does not change a run).
    pub steps: Vec<Step>,
    pub outcomes: Vec<StepOutcome>,
    /// Earlier occurrences missed with this one (see [`Due::missed`]); 0 for most.
    pub missed_occurrences: u32,
    #[serde(skip)]
    pub owner: Owner,
    /// The step a replica has claimed and is running, and since when.
    #[serde(skip)]
    pub claimed: Option<(usize, OffsetDateTime)>,
}

impl Run {
    pub fn due_at(&self, index: usize) -> OffsetDateTime {
        self.at + time::Duration::seconds(self.steps[index].offset_seconds.into())
    }

    /// The next step to take, when it is due by `now` and no replica holds one.
    pub fn next_step(&self, now: OffsetDateTime) -> Option<usize> {
        let index = self.outcomes.len();
        (self.status == RunStatus::Running
            && self.claimed.is_none()
            && index < self.steps.len()
            && self.due_at(index) <= now)
            .then_some(index)
    }

    /// Whether an earlier step did not run as planned (failed, missed, or interrupted, so
    /// perhaps not done) and said the run stops there.
    pub fn stopped(&self) -> bool {
        self.outcomes.iter().any(|o| {
            matches!(
                o.result,
                StepResult::Failed | StepResult::Missed | StepResult::Interrupted
            ) && self.steps[o.index].on_failure == OnFailure::Stop
        })
    }

    /// The status once every step has an outcome.
    pub fn final_status(outcomes: &[StepOutcome]) -> RunStatus {
        if outcomes.iter().all(|o| o.result == StepResult::Missed) {
            RunStatus::Missed
        } else if outcomes.iter().all(|o| o.result == StepResult::Succeeded) {
            RunStatus::Succeeded
        } else {
            RunStatus::Failed
        }
    }

    /// A run of `schedule` at `at`, every step missed (the gateway was down through it).
    pub fn missed(
        schedule: &Schedule,
        at: OffsetDateTime,
        occurrences: u32,
        now: OffsetDateTime,
    ) -> Self {
        let mut run = Self::start(schedule, at, Trigger::Scheduled, &schedule.owner.username);
        run.outcomes = (0..run.steps.len())
            .map(|index| StepOutcome {
                index,
                due_at: run.due_at(index),
                at: now,
                result: StepResult::Missed,
                detail: format!(
                    "not run: no gateway was running within {GRACE_SECS} s of its time"
                ),
            })
            .collect();
        run.status = RunStatus::Missed;
        run.missed_occurrences = occurrences.saturating_sub(1);
        run
    }

    pub fn start(schedule: &Schedule, at: OffsetDateTime, trigger: Trigger, by: &str) -> Self {
        Self {
            id: 0,
            schedule_id: schedule.id,
            schedule_name: schedule.name.clone(),
            at,
            trigger,
            started_by: by.to_owned(),
            status: RunStatus::Running,
            steps: schedule.steps.clone(),
            outcomes: Vec::new(),
            missed_occurrences: 0,
            owner: schedule.owner.clone(),
            claimed: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn zone(name: &str) -> TimeZone {
        TimeZone::get(name).unwrap()
    }

    #[test]
    fn a_local_time_is_the_instant_of_its_zones_offset_on_that_day() {
        let berlin = zone("Europe/Berlin");
        // Winter: UTC+1; summer: UTC+2.
        assert_eq!(
            local_instant("2026-12-08T04:00", &berlin).unwrap(),
            datetime!(2026-12-08 03:00 UTC)
        );
        assert_eq!(
            local_instant("2027-07-01T04:00:00", &berlin).unwrap(),
            datetime!(2027-07-01 02:00 UTC)
        );
    }

    #[test]
    fn a_time_the_clocks_skip_is_refused_and_one_they_pass_twice_is_the_first() {
        let berlin = zone("Europe/Berlin");
        // 2027-03-28: 02:00 CET becomes 03:00 CEST.
        let skipped = local_instant("2027-03-28T02:30", &berlin).unwrap_err();
        assert!(skipped.contains("does not exist"), "{skipped}");
        assert_eq!(
            local_instant("2027-03-28T03:30", &berlin).unwrap(),
            datetime!(2027-03-28 01:30 UTC)
        );
        // 2027-10-31: 03:00 CEST becomes 02:00 CET; 02:30 happens at 00:30 and 01:30 UTC.
        assert_eq!(
            local_instant("2027-10-31T02:30", &berlin).unwrap(),
            datetime!(2027-10-31 00:30 UTC)
        );
        let new_york = zone("America/New_York");
        assert_eq!(
            local_instant("2027-03-14T04:00", &new_york).unwrap(),
            datetime!(2027-03-14 08:00 UTC)
        );
    }

    #[test]
    fn a_daily_cron_keeps_its_wall_clock_time_across_a_change() {
        let berlin = zone("Europe/Berlin");
        let cron = parse_cron("0 4 * * *").unwrap();
        let before = next_cron(&cron, &berlin, datetime!(2027-03-27 12:00 UTC)).unwrap();
        assert_eq!(before, datetime!(2027-03-28 02:00 UTC));
        let after = next_cron(&cron, &berlin, before).unwrap();
        assert_eq!(after, datetime!(2027-03-29 02:00 UTC));
        let winter = next_cron(&cron, &berlin, datetime!(2027-10-30 12:00 UTC)).unwrap();
        assert_eq!(winter, datetime!(2027-10-31 03:00 UTC));
    }

    #[test]
    fn an_action_takes_no_field_beyond_its_kinds() {
        let step = |action: &str| {
            serde_json::from_str::<Step>(&format!(r#"{{"offset_seconds": 0, "action": {action}}}"#))
        };
        assert!(step(r#"{"type": "pause"}"#).is_ok());
        assert!(step(r#"{"type": "pause", "label": "x"}"#).is_err());
        assert!(step(r#"{"type": "snapshot", "label": "x"}"#).is_ok());
        assert!(step(r#"{"type": "message", "text": "hi", "key": "x"}"#).is_err());
        assert!(step(r#"{"type": "launch"}"#).is_err());
        let when = |text: &str| serde_json::from_str::<When>(text);
        assert!(when(r#"{"type": "once", "at": "2026-12-08T04:00"}"#).is_ok());
        assert!(when(r#"{"type": "once", "at": "2026-12-08T04:00", "expression": "x"}"#).is_err());
    }

    #[test]
    fn cron_needs_five_fields() {
        assert!(parse_cron("0 4 * * *").is_ok());
        assert!(parse_cron("*/15 * * * *").is_ok());
        assert!(parse_cron("0 0 4 * * *")
            .unwrap_err()
            .contains("five fields"));
        assert!(parse_cron("61 4 * * *").is_err());
    }

    fn draft(when: When, steps: Vec<Step>) -> Draft {
        Draft {
            name: "Maintenance".into(),
            time_zone: "Europe/Berlin".into(),
            when,
            steps,
            enabled: None,
        }
    }

    fn step(offset_seconds: i32, action: Action) -> Step {
        Step {
            offset_seconds,
            action,
            on_failure: OnFailure::Stop,
        }
    }

    fn message(offset: i32) -> Step {
        step(
            offset,
            Action::Message {
                text: "Restart soon".into(),
            },
        )
    }

    #[test]
    fn a_one_off_in_the_past_or_with_a_warning_in_the_past_is_refused() {
        let now = datetime!(2026-12-08 02:55 UTC);
        let once = || When::Once {
            at: "2026-12-08T04:00".into(),
        };
        // 04:00 Berlin is 03:00 UTC: the pause is ahead, a warning 10 minutes before is not.
        assert!(check(
            draft(once(), vec![step(0, Action::Pause)]),
            Role::Operator,
            now
        )
        .is_ok());
        let Err(Rejected::Invalid(e)) = check(
            draft(once(), vec![step(0, Action::Pause), message(-600)]),
            Role::Operator,
            now,
        ) else {
            panic!("accepted")
        };
        assert_eq!(e[0].loc, ["body", "when", "at"]);
    }

    #[test]
    fn steps_are_sorted_by_offset_and_roles_are_checked_per_step() {
        let now = datetime!(2026-12-08 00:00 UTC);
        let when = When::Once {
            at: "2026-12-08T04:00".into(),
        };
        let checked = check(
            draft(
                when.clone(),
                vec![step(0, Action::Pause), message(-60), message(-600)],
            ),
            Role::Operator,
            now,
        )
        .unwrap();
        let offsets: Vec<i32> = checked.steps.iter().map(|s| s.offset_seconds).collect();
        assert_eq!(offsets, [-600, -60, 0]);
        assert_eq!(checked.next_at, Some(datetime!(2026-12-08 03:00 UTC)));
        let config = step(
            0,
            Action::SetConfig {
                key: "tick_rate".into(),
                value: 2.into(),
            },
        );
        let Err(Rejected::Invalid(e)) = check(
            draft(when.clone(), vec![config.clone()]),
            Role::Operator,
            now,
        ) else {
            panic!("an operator scheduled a configuration change")
        };
        assert_eq!(e[0].kind, "role");
        assert!(check(draft(when.clone(), vec![config]), Role::Admin, now).is_ok());
        assert!(check(draft(when, vec![step(0, Action::Pause)]), Role::Viewer, now).is_err());
    }

    fn schedule(when: When, steps: Vec<Step>, next_at: OffsetDateTime) -> Schedule {
        Schedule {
            id: Uuid::nil(),
            name: "s".into(),
            time_zone: "UTC".into(),
            when,
            steps,
            enabled: true,
            owner: Owner {
                id: Uuid::nil(),
                username: "op".into(),
            },
            created_at: next_at,
            updated_at: next_at,
            revision: 1,
            next_at: Some(next_at),
        }
    }

    #[test]
    fn an_occurrence_is_due_at_its_first_step_and_missed_past_its_last_plus_grace() {
        let at = datetime!(2026-12-08 04:00 UTC);
        let s = schedule(
            When::Once {
                at: "2026-12-08T04:00".into(),
            },
            vec![message(-600), step(0, Action::Pause)],
            at,
        );
        assert_eq!(due(&s, datetime!(2026-12-08 03:49:59 UTC)), None);
        let started = due(&s, datetime!(2026-12-08 03:50 UTC)).unwrap();
        assert_eq!((started.at, started.missed, started.next_at), (at, 0, None));
        // Down from before 03:50 until 04:01:59: the pause is still within the grace period.
        assert_eq!(
            due(&s, datetime!(2026-12-08 04:01:59 UTC)).unwrap().missed,
            0
        );
        assert_eq!(
            due(&s, datetime!(2026-12-08 04:02:01 UTC)).unwrap().missed,
            1
        );
    }

    #[test]
    fn occurrences_missed_in_a_row_are_counted_into_one() {
        let at = datetime!(2026-12-08 04:00 UTC);
        let s = schedule(
            When::Cron {
                expression: "0 * * * *".into(),
            },
            vec![step(0, Action::Snapshot { label: None })],
            at,
        );
        // Down from before 04:00 until 07:30: 04:00, 05:00, 06:00 and 07:00 are missed.
        let d = due(&s, datetime!(2026-12-08 07:30 UTC)).unwrap();
        assert_eq!(d.missed, 4);
        assert_eq!(d.at, datetime!(2026-12-08 07:00 UTC));
        assert_eq!(d.next_at, Some(datetime!(2026-12-08 08:00 UTC)));
    }

    #[test]
    fn a_run_takes_its_steps_in_order_when_due_and_stops_on_a_failure_that_says_so() {
        let at = datetime!(2026-12-08 04:00 UTC);
        let mut s = schedule(
            When::Once { at: String::new() },
            vec![message(-60), step(0, Action::Pause)],
            at,
        );
        s.steps[0].on_failure = OnFailure::Continue;
        let mut run = Run::start(&s, at, Trigger::Scheduled, "op");
        assert_eq!(run.next_step(datetime!(2026-12-08 03:58 UTC)), None);
        assert_eq!(run.next_step(datetime!(2026-12-08 03:59 UTC)), Some(0));
        run.outcomes.push(StepOutcome {
            index: 0,
            due_at: run.due_at(0),
            at: run.due_at(0),
            result: StepResult::Failed,
            detail: String::new(),
        });
        assert!(!run.stopped(), "the warning's failure continues");
        assert_eq!(run.next_step(datetime!(2026-12-08 03:59 UTC)), None);
        assert_eq!(run.next_step(at), Some(1));
        run.claimed = Some((1, at));
        assert_eq!(run.next_step(at), None, "one step at a time");
        assert_eq!(Run::final_status(&run.outcomes), RunStatus::Failed);
    }
}

//! Scheduled operations over HTTP, driven by the dev clock (`/__dev/clock`), which takes the
//! steps due before it answers: warnings, a snapshot and a pause run in order at their times;
//! times in the past, skipped by a clock change, or beyond a role are refused; a step found
//! late runs within the grace period and is recorded as missed beyond it; an owner demoted
//! since gets its steps refused; messages reach the simulated players and are rate-limited.
//! In memory, and on PostgreSQL in the db stage.

mod common;

use common::{player, Gateway};
use reqwest::Method;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The gateway's clock now: moved by nothing (a zero advance answers it).
async fn clock(gw: &Gateway) -> OffsetDateTime {
    advance(gw, 0).await
}

/// Moves the gateway's clock; the steps due by then have run when this returns.
async fn advance(gw: &Gateway, seconds: i64) -> OffsetDateTime {
    let response = gw
        .dev(
            Method::POST,
            "/__dev/clock",
            json!({ "advance_seconds": seconds }),
        )
        .await;
    let body: Value = response.json().await.unwrap();
    OffsetDateTime::parse(body["now"].as_str().unwrap(), &Rfc3339).unwrap()
}

/// Whole seconds from `now` to `t`, rounded up: the clock moved by them is at `t` or just after.
fn until(t: OffsetDateTime, now: OffsetDateTime) -> i64 {
    let ms = (t - now).whole_milliseconds() as i64;
    (ms + 999).div_euclid(1000)
}

/// `t` as the wall-clock time a UTC operator enters, to the minute (rounded up).
fn local_minute(t: OffsetDateTime) -> (String, OffsetDateTime) {
    let t =
        t.replace_second(0).unwrap().replace_nanosecond(0).unwrap() + time::Duration::minutes(1);
    (
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute()
        ),
        t,
    )
}

fn message(offset: i64, text: &str) -> Value {
    json!({ "offset_seconds": offset, "on_failure": "continue",
            "action": { "type": "message", "text": text } })
}

fn draft(at: &str, steps: Value) -> Value {
    json!({ "name": "Maintenance", "time_zone": "UTC",
            "when": { "type": "once", "at": at }, "steps": steps })
}

async fn runs(gw: &Gateway, token: &str) -> Vec<Value> {
    gw.get(token, "/admin/schedule-runs").await["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn audit(gw: &Gateway, token: &str, action: &str) -> Vec<Value> {
    gw.get(token, &format!("/admin/audit?action={action}&limit=50"))
        .await["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn received(gw: &Gateway, player_id: &str) -> Vec<String> {
    let response = gw
        .request(Method::GET, &format!("/__dev/players/{player_id}/sessions"))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    body["items"].as_array().unwrap()[0]["received"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|m| m["text"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn paused(gw: &Gateway, token: &str) -> bool {
    gw.get(token, "/admin/game/status").await["paused"] == true
}

#[tokio::test]
async fn warnings_a_snapshot_and_a_pause_run_in_order_at_their_times() {
    let gw = Gateway::start().await;
    let (_, operator) = gw.signed_in("olga", "operator").await;
    let pilot = player(7);
    gw.dev(
        Method::POST,
        &format!("/__dev/players/{pilot}/sessions"),
        json!({}),
    )
    .await;
    let (at, instant) = local_minute(clock(&gw).await + time::Duration::hours(1));
    let steps = json!([
        { "offset_seconds": 0, "action": { "type": "pause" } },
        message(-600, "Maintenance in 10 minutes"),
        message(-300, "Maintenance in 5 minutes"),
        message(-60, "Maintenance in 1 minute"),
        { "offset_seconds": -30, "action": { "type": "snapshot", "label": "before maintenance" } },
    ]);
    let (code, schedule) = gw
        .send(
            &operator,
            Method::POST,
            "/admin/schedules",
            Some(draft(&at, steps)),
        )
        .await;
    assert_eq!(code, 201, "{schedule}");
    let offsets: Vec<i64> = schedule["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["offset_seconds"].as_i64().unwrap())
        .collect();
    assert_eq!(offsets, [-600, -300, -60, -30, 0], "sorted by offset");
    assert_eq!(schedule["next_at"], instant.format(&Rfc3339).unwrap());
    let listed = gw.get(&operator, "/admin/schedules").await;
    assert_eq!(
        listed["upcoming"][0]["description"],
        "send “Maintenance in 10 minutes”"
    );
    assert_eq!(listed["upcoming"][4]["description"], "pause the game");

    // Up to a second before the first warning: nothing.
    let to = until;
    let now = clock(&gw).await;
    advance(&gw, to(instant - time::Duration::seconds(601), now)).await;
    assert!(received(&gw, &pilot).await.is_empty());
    assert!(runs(&gw, &operator).await.is_empty());
    // Each warning at its time, then the snapshot, and the game still runs until 0.
    let mut now = advance(&gw, 1).await;
    assert_eq!(received(&gw, &pilot).await, ["Maintenance in 10 minutes"]);
    for (offset, expected) in [(-300, 2), (-60, 3)] {
        now = advance(&gw, to(instant + time::Duration::seconds(offset), now)).await;
        assert_eq!(received(&gw, &pilot).await.len(), expected);
    }
    now = advance(&gw, 30).await;
    let snapshots = gw.get(&operator, "/admin/snapshots").await;
    assert_eq!(snapshots["items"][0]["label"], "before maintenance");
    assert!(!paused(&gw, &operator).await);
    now = advance(&gw, to(instant - time::Duration::seconds(1), now)).await;
    assert!(!paused(&gw, &operator).await, "not before its time");
    advance(&gw, 1).await;
    assert!(paused(&gw, &operator).await);
    let _ = now;

    let [run] = runs(&gw, &operator).await.try_into().unwrap();
    assert_eq!(run["status"], "succeeded", "{run}");
    for outcome in run["outcomes"].as_array().unwrap() {
        assert_eq!(outcome["result"], "succeeded");
        let at = |f: &str| OffsetDateTime::parse(outcome[f].as_str().unwrap(), &Rfc3339).unwrap();
        let late = at("at") - at("due_at");
        assert!(
            late >= time::Duration::ZERO && late < time::Duration::seconds(2),
            "each on time: {outcome}"
        );
    }
    let listed = gw.get(&operator, "/admin/schedules").await;
    assert_eq!(
        listed["items"][0]["next_at"],
        Value::Null,
        "a one-off runs once"
    );
    // The audit log, in the operator's name "with schedule", each on time.
    let pause = &audit(&gw, &operator, "game.pause").await[0];
    assert_eq!(pause["admin"], "olga");
    let detail = pause["detail"].as_str().unwrap();
    assert!(
        detail.contains("with schedule “Maintenance” (step 5 of 5"),
        "{detail}"
    );
    assert!(detail.contains("on time"), "{detail}");
    assert_eq!(audit(&gw, &operator, "game.message").await.len(), 3);
    assert_eq!(audit(&gw, &operator, "snapshot.create").await.len(), 1);
    let end = &audit(&gw, &operator, "schedule.run").await[0];
    assert!(
        end["detail"]
            .as_str()
            .unwrap()
            .contains("succeeded: 5 of 5"),
        "{end}"
    );
    assert_eq!(
        audit(&gw, &operator, "schedule.create").await[0]["admin"],
        "olga"
    );
}

#[tokio::test]
async fn times_in_the_past_skipped_by_a_clock_change_or_beyond_a_role_are_refused() {
    let gw = Gateway::start().await;
    let (_, operator) = gw.signed_in("olga", "operator").await;
    let (_, viewer) = gw.signed_in("vera", "viewer").await;
    let now = clock(&gw).await;
    let (soon, _) = local_minute(now + time::Duration::minutes(5));
    let pause = json!([{ "offset_seconds": 0, "action": { "type": "pause" } }]);

    let (code, _) = gw
        .send(
            &viewer,
            Method::POST,
            "/admin/schedules",
            Some(draft(&soon, pause.clone())),
        )
        .await;
    assert_eq!(code, 403, "a viewer cannot schedule");

    let (past, _) = local_minute(now - time::Duration::hours(1));
    let (code, body) = gw
        .send(
            &operator,
            Method::POST,
            "/admin/schedules",
            Some(draft(&past, pause.clone())),
        )
        .await;
    assert_eq!(code, 422);
    assert_eq!(body["detail"][0]["loc"], json!(["body", "when", "at"]));
    // A warning ten minutes before a time five minutes away would be in the past.
    let early =
        json!([message(-600, "soon"), { "offset_seconds": 0, "action": { "type": "pause" } }]);
    let (code, _) = gw
        .send(
            &operator,
            Method::POST,
            "/admin/schedules",
            Some(draft(&soon, early)),
        )
        .await;
    assert_eq!(code, 422);

    let config = json!([{ "offset_seconds": 0,
                          "action": { "type": "set_config", "key": "tick_rate", "value": 2 } }]);
    let (code, body) = gw
        .send(
            &operator,
            Method::POST,
            "/admin/schedules",
            Some(draft(&soon, config.clone())),
        )
        .await;
    assert_eq!(
        (code, body["detail"][0]["type"].as_str()),
        (422, Some("role")),
        "{body}"
    );
    let admin = gw.login().await;
    let (code, _) = gw
        .send(
            &admin,
            Method::POST,
            "/admin/schedules",
            Some(draft(&soon, config)),
        )
        .await;
    assert_eq!(code, 201, "an admin schedules a configuration change");

    // Berlin's clocks skip 02:00-03:00 on 2027-03-28 and pass 02:00-03:00 twice on 2027-10-31.
    let berlin = |at: &str| {
        json!({ "name": "DST", "time_zone": "Europe/Berlin",
                "when": { "type": "once", "at": at }, "steps": pause })
    };
    let (code, body) = gw
        .send(
            &operator,
            Method::POST,
            "/admin/schedules",
            Some(berlin("2027-03-28T02:30")),
        )
        .await;
    assert_eq!(code, 422);
    assert!(
        body["detail"][0]["msg"]
            .as_str()
            .unwrap()
            .contains("does not exist"),
        "{body}"
    );
    // Local time, the instant it is, and that instant in Berlin with its offset.
    for (local, utc, shown) in [
        (
            "2027-03-28T04:00",
            "2027-03-28T02:00:00Z",
            "2027-03-28T04:00:00+02:00",
        ),
        // The first of the two 02:30s, still in summer time.
        (
            "2027-10-31T02:30",
            "2027-10-31T00:30:00Z",
            "2027-10-31T02:30:00+02:00",
        ),
        (
            "2027-10-31T04:00",
            "2027-10-31T03:00:00Z",
            "2027-10-31T04:00:00+01:00",
        ),
    ] {
        let (code, body) = gw
            .send(
                &operator,
                Method::POST,
                "/admin/schedules",
                Some(berlin(local)),
            )
            .await;
        assert_eq!(code, 201, "{body}");
        assert_eq!(
            (body["next_at"].as_str(), body["next_at_local"].as_str()),
            (Some(utc), Some(shown))
        );
    }
}

#[tokio::test]
async fn a_step_found_late_runs_within_the_grace_period_and_is_missed_beyond_it() {
    let gw = Gateway::start().await;
    let (_, operator) = gw.signed_in("olga", "operator").await;
    let grace = gw.get(&operator, "/admin/schedules").await["grace_seconds"]
        .as_i64()
        .unwrap();
    let now = clock(&gw).await;
    let (at, instant) = local_minute(now + time::Duration::minutes(10));
    let steps = json!([message(0, "first"), message(grace + 60, "second")]);
    let (code, _) = gw
        .send(
            &operator,
            Method::POST,
            "/admin/schedules",
            Some(draft(&at, steps)),
        )
        .await;
    assert_eq!(code, 201);
    // The gateway was away from before the first step until 60 s after it: it runs, late.
    let now = advance(&gw, until(instant, now) + 60).await;
    // ... and then until longer than the grace after the second.
    advance(&gw, until(instant, now) + 2 * grace + 61).await;
    let [run] = runs(&gw, &operator).await.try_into().unwrap();
    assert_eq!(run["outcomes"][0]["result"], "succeeded", "{run}");
    assert_eq!(run["outcomes"][1]["result"], "missed", "{run}");
    assert_eq!(run["status"], "failed");
    let message = &audit(&gw, &operator, "game.message").await[0];
    let detail = message["detail"].as_str().unwrap();
    assert!(
        detail.contains("60 s late") || detail.contains("61 s late"),
        "{detail}"
    );
    let missed = &audit(&gw, &operator, "schedule.step").await[0];
    assert!(
        missed["detail"].as_str().unwrap().contains("missed"),
        "{missed}"
    );

    // A whole occurrence no gateway ran through is recorded as missed, not dropped.
    let now = clock(&gw).await;
    let (at, instant) = local_minute(now + time::Duration::minutes(10));
    let steps = json!([{ "offset_seconds": 0, "action": { "type": "pause" } }]);
    let (code, _) = gw
        .send(
            &operator,
            Method::POST,
            "/admin/schedules",
            Some(draft(&at, steps)),
        )
        .await;
    assert_eq!(code, 201);
    advance(&gw, until(instant, now) + grace + 1).await;
    assert!(!paused(&gw, &operator).await);
    let latest = &runs(&gw, &operator).await[0];
    assert_eq!(latest["status"], "missed", "{latest}");
    let end = &audit(&gw, &operator, "schedule.run").await[0];
    assert!(
        end["detail"].as_str().unwrap().contains("was missed"),
        "{end}"
    );
}

#[tokio::test]
async fn a_step_runs_with_its_owners_role_as_it_is_when_it_runs() {
    let gw = Gateway::start().await;
    let admin = gw.login().await;
    let (olga, operator) = gw.signed_in("olga", "operator").await;
    let now = clock(&gw).await;
    let (at, instant) = local_minute(now + time::Duration::minutes(10));
    let steps = json!([{ "offset_seconds": 0, "action": { "type": "pause" } }]);
    let (code, _) = gw
        .send(
            &operator,
            Method::POST,
            "/admin/schedules",
            Some(draft(&at, steps)),
        )
        .await;
    assert_eq!(code, 201);
    let (code, _) = gw
        .send(
            &admin,
            Method::PUT,
            &format!("/admin/accounts/{olga}/role"),
            Some(json!({ "role": "viewer" })),
        )
        .await;
    assert_eq!(code, 200);
    advance(&gw, until(instant, now)).await;
    assert!(
        !paused(&gw, &admin).await,
        "a viewer's schedule does not pause"
    );
    let [run] = runs(&gw, &admin).await.try_into().unwrap();
    assert_eq!(run["outcomes"][0]["result"], "failed");
    let detail = run["outcomes"][0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("needs operator") && detail.contains("viewer"),
        "{detail}"
    );
}

#[tokio::test]
async fn edits_enable_cancel_and_run_now() {
    let gw = Gateway::start().await;
    let (_, operator) = gw.signed_in("olga", "operator").await;
    let (_, other) = gw.signed_in("otto", "operator").await;
    let now = clock(&gw).await;
    let (at, instant) = local_minute(now + time::Duration::hours(2));
    let steps = json!([message(-60, "Pausing in a minute"),
                       { "offset_seconds": 0, "action": { "type": "pause" } }]);
    let (_, schedule) = gw
        .send(
            &operator,
            Method::POST,
            "/admin/schedules",
            Some(draft(&at, steps.clone())),
        )
        .await;
    let id = schedule["id"].as_str().unwrap().to_owned();
    // An edit from revision 1 by someone else; a second from revision 1 is refused.
    let edit = |token: &str, revision: &str| {
        gw.request(Method::PUT, &format!("/admin/schedules/{id}"))
            .bearer_auth(token.to_owned())
            .header("if-match", format!("\"{revision}\""))
            .json(&draft(&at, steps.clone()))
            .send()
    };
    let response = edit(&other, "1").await.unwrap();
    assert_eq!(response.status(), 200);
    let edited: Value = response.json().await.unwrap();
    assert_eq!(
        (
            edited["revision"].as_i64(),
            edited["owner"]["username"].as_str()
        ),
        (Some(2), Some("otto"))
    );
    assert_eq!(edit(&operator, "1").await.unwrap().status(), 412);

    let (code, disabled) = gw
        .send(
            &operator,
            Method::PUT,
            &format!("/admin/schedules/{id}/enabled"),
            Some(json!({ "enabled": false })),
        )
        .await;
    assert_eq!((code, disabled["enabled"].as_bool()), (200, Some(false)));
    advance(&gw, until(instant, now)).await;
    assert!(
        runs(&gw, &operator).await.is_empty(),
        "a disabled schedule does not run"
    );

    // Run now: the warning goes at once, the pause a minute later.
    let (code, run) = gw
        .send(
            &operator,
            Method::POST,
            &format!("/admin/schedules/{id}/run"),
            None,
        )
        .await;
    assert_eq!(code, 201, "{run}");
    assert_eq!(
        (
            run["trigger"].as_str(),
            run["outcomes"][0]["result"].as_str()
        ),
        (Some("manual"), Some("succeeded"))
    );
    assert!(!paused(&gw, &operator).await);
    // Cancelled before the pause: it never runs.
    assert_eq!(
        gw.delete(&operator, &format!("/admin/schedules/{id}"), None)
            .await
            .0,
        204
    );
    advance(&gw, 120).await;
    assert!(!paused(&gw, &operator).await);
    let latest = &runs(&gw, &operator).await[0];
    assert_eq!(
        (
            latest["status"].as_str(),
            latest["outcomes"][1]["result"].as_str()
        ),
        (Some("cancelled"), Some("skipped"))
    );
    let actions: Vec<String> = gw
        .get(&operator, "/admin/audit?action=schedule&limit=20")
        .await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    for action in [
        "schedule.create",
        "schedule.update",
        "schedule.disable",
        "schedule.run_now",
        "schedule.cancel",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
}

#[tokio::test]
async fn messages_reach_every_online_session_within_their_limits() {
    let gw = Gateway::start().await;
    let (_, operator) = gw.signed_in("olga", "operator").await;
    let (_, viewer) = gw.signed_in("vera", "viewer").await;
    let pilot = player(3);
    gw.dev(
        Method::POST,
        &format!("/__dev/players/{pilot}/sessions"),
        json!({}),
    )
    .await;
    let send = |token: &str, text: String| say(&gw, token.to_owned(), text);
    let (code, sent) = send(&operator, "Server restart in 5 minutes".into()).await;
    assert_eq!(code, 201, "{sent}");
    assert!(sent["recipients"].as_u64().unwrap() > 0);
    assert_eq!(received(&gw, &pilot).await, ["Server restart in 5 minutes"]);
    assert_eq!(send(&viewer, "hi".into()).await.0, 403);
    assert_eq!(send(&operator, "x".repeat(281)).await.0, 422);
    assert_eq!(send(&operator, "  ".into()).await.0, 422);
    for i in 2..=5 {
        assert_eq!(send(&operator, format!("message {i}")).await.0, 201);
    }
    let response = gw
        .call(
            &operator,
            Method::POST,
            "/admin/players/messages",
            Some(json!({ "text": "one more" })),
        )
        .await;
    assert_eq!(response.status(), 429);
    assert!(common::retry_after(&response) >= 1);
    let listed = gw.get(&viewer, "/admin/players/messages").await;
    assert_eq!(listed["items"][0]["text"], "message 5");
    assert_eq!(audit(&gw, &operator, "game.message").await.len(), 5);
}

async fn say(gw: &Gateway, token: String, text: String) -> (u16, Value) {
    gw.send(
        &token,
        Method::POST,
        "/admin/players/messages",
        Some(json!({ "text": text })),
    )
    .await
}

#[tokio::test]
async fn an_edit_during_a_run_never_starts_it_again() {
    let gw = Gateway::start().await;
    let (_, operator) = gw.signed_in("olga", "operator").await;
    let now = clock(&gw).await;
    let (at, instant) = local_minute(now + time::Duration::hours(1));
    let steps = json!([message(-600, "Pause in 10 minutes"),
                       { "offset_seconds": 0, "action": { "type": "pause" } }]);
    let (_, schedule) = gw
        .send(
            &operator,
            Method::POST,
            "/admin/schedules",
            Some(draft(&at, steps)),
        )
        .await;
    let id = schedule["id"].as_str().unwrap().to_owned();
    advance(&gw, until(instant - time::Duration::minutes(10), now)).await;
    assert_eq!(
        runs(&gw, &operator).await.len(),
        1,
        "the warning's time started the run"
    );
    // Starting it moved the schedule on: an edit made from before is refused...
    let stale = gw
        .request(Method::PUT, &format!("/admin/schedules/{id}"))
        .bearer_auth(&operator)
        .header("if-match", "\"1\"")
        .json(&draft(&at, json!([message(-60, "Pause in a minute")])))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 412);
    // ... and one from now cannot run the started one-off again.
    let (code, body) = gw
        .send(
            &operator,
            Method::PUT,
            &format!("/admin/schedules/{id}"),
            Some(draft(&at, json!([message(-60, "Pause in a minute")]))),
        )
        .await;
    assert_eq!(code, 409, "{body}");
    let now = clock(&gw).await;
    advance(&gw, until(instant, now)).await;
    assert!(paused(&gw, &operator).await);
    assert_eq!(runs(&gw, &operator).await.len(), 1, "one run");
    assert_eq!(
        audit(&gw, &operator, "game.message").await.len(),
        1,
        "one warning"
    );
}

#[tokio::test]
async fn an_operator_cannot_run_or_enable_an_admins_configuration_schedule() {
    let gw = Gateway::start().await;
    let admin = gw.login().await;
    let (_, operator) = gw.signed_in("olga", "operator").await;
    let (at, _) = local_minute(clock(&gw).await + time::Duration::hours(1));
    let mut body = draft(
        &at,
        json!([{ "offset_seconds": 0, "action": { "type": "set_config", "key": "tick_rate", "value": 2 } }]),
    );
    body["enabled"] = json!(false);
    let (code, schedule) = gw
        .send(&admin, Method::POST, "/admin/schedules", Some(body))
        .await;
    assert_eq!(code, 201, "{schedule}");
    let id = schedule["id"].as_str().unwrap();
    let run = gw
        .send(
            &operator,
            Method::POST,
            &format!("/admin/schedules/{id}/run"),
            None,
        )
        .await;
    assert_eq!(run.0, 403, "{}", run.1);
    let enabled = format!("/admin/schedules/{id}/enabled");
    let (code, _) = gw
        .send(
            &operator,
            Method::PUT,
            &enabled,
            Some(json!({ "enabled": true })),
        )
        .await;
    assert_eq!(code, 403, "enabling takes the role its steps need");
    assert!(runs(&gw, &admin).await.is_empty());
    assert_eq!(
        gw.get(&admin, "/admin/config").await["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["key"] == "tick_rate")
            .unwrap()["value"],
        json!(1.0),
        "nothing changed"
    );
}

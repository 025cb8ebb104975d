//! The role matrix: the contract's `x-minimum-role` of every operation is the gateway's table,
//! and every operation called as every role succeeds or is refused with 403 accordingly.

mod common;

use std::collections::BTreeSet;

use common::{player, read, Gateway, PASSWORD};
use galaxy_gateway::domain::roles::{Role, NOT_FOR_API_KEYS, OPERATIONS};
use reqwest::Method;
use serde_json::{json, Value};

fn contract() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../api/openapi.yaml");
    let text = std::fs::read_to_string(path).expect("api/openapi.yaml");
    serde_yaml_ng::from_str(&text).expect("the contract is YAML")
}

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

#[test]
fn every_operation_names_its_minimum_role_once_and_the_gateway_enforces_the_same() {
    let contract = contract();
    let mut seen = BTreeSet::new();
    for (path, item) in contract["paths"].as_object().unwrap() {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let id = op["operationId"].as_str().unwrap();
            let public = op.get("security") == Some(&json!([]));
            let table = OPERATIONS.iter().find(|o| o.id == id);
            let Some(minimum) = op.get("x-minimum-role") else {
                assert!(public, "{id} needs a session but names no x-minimum-role");
                assert!(table.is_none(), "{id} is public but in the gateway's table");
                continue;
            };
            assert!(!public, "{id} needs no session, so it has no minimum role");
            let minimum: Role = serde_json::from_value(minimum.clone())
                .unwrap_or_else(|_| panic!("{id}: x-minimum-role {minimum} is no role"));
            let table = table.unwrap_or_else(|| panic!("{id} is not in the gateway's table"));
            assert_eq!(
                (table.method, table.path, table.minimum),
                (method.to_uppercase().as_str(), path.as_str(), minimum),
                "{id}"
            );
            // A 403 is documented exactly where a role or an API key can be refused.
            let forbidden = op["responses"].get("403").is_some();
            assert_eq!(
                forbidden,
                minimum > Role::Viewer || NOT_FOR_API_KEYS.contains(&id),
                "{id}: 403 response"
            );
            seen.insert(id.to_owned());
        }
    }
    let table: BTreeSet<String> = OPERATIONS.iter().map(|o| o.id.to_owned()).collect();
    assert_eq!(
        seen, table,
        "the contract and the table list the same operations"
    );
}

#[test]
fn the_introduction_states_the_matrix_for_every_role() {
    let contract = contract();
    let description = contract["info"]["description"].as_str().unwrap();
    for role in Role::ALL {
        assert!(
            description.contains(&format!("| `{role}` |")),
            "no row for {role}"
        );
    }
    assert!(description.contains("x-minimum-role"));
}

/// A secret an authenticator app could have been given (20 bytes in base32).
const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/// The code of `TOTP_SECRET` now, as the app would show it.
fn totp_code() -> String {
    let secret = totp_rs::Secret::Encoded(TOTP_SECRET.into())
        .to_bytes()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, secret, None, "x".into())
        .unwrap()
        .generate(now)
}

/// A call that succeeds for a role allowed to make it.
struct Call {
    method: Method,
    path: String,
    body: Option<Value>,
    success: u16,
}

fn call(method: Method, path: impl Into<String>, body: Option<Value>, success: u16) -> Call {
    Call {
        method,
        path: path.into(),
        body,
        success,
    }
}

/// Ids of what the calls act on, made by the bootstrap admin before the role's calls.
struct Fixture {
    restore_snapshot: u64,
    delete_snapshot: u64,
    role_target: String,
    delete_target: String,
    pin_snapshot: u64,
    unpin_snapshot: u64,
    online_player: String,
    banned_player: String,
    /// Another session of the role's own account, which `endOwnSession` ends.
    spare_session: String,
    schedule: String,
}

/// A schedule any operator may run, disabled so that nothing of it runs by itself while the
/// test counts audit entries: a warning, then a pause an hour later (run now, the warning goes
/// before the answer and the pause long after the test).
fn schedule_draft() -> Value {
    json!({
        "name": "Nightly maintenance",
        "time_zone": "UTC",
        "when": { "type": "cron", "expression": "0 4 * * *" },
        "enabled": false,
        "steps": [
            { "offset_seconds": -3600, "action": { "type": "message", "text": "Pause in an hour" } },
            { "offset_seconds": 0, "action": { "type": "pause" } }
        ]
    })
}

/// The call for operation `id`, made valid by `fixture`, for the role's own `password`.
fn call_for(id: &str, f: &Fixture, password: &str) -> Call {
    let account = |suffix: &str| format!("/admin/accounts/{}{suffix}", f.role_target);
    match id {
        "me" => call(Method::GET, "/admin/auth/me", None, 200),
        "changePassword" => call(
            Method::POST,
            "/admin/auth/password",
            Some(json!({ "current_password": password, "new_password": "a brand new passphrase" })),
            200,
        ),
        "gameStatus" => call(Method::GET, "/admin/game/status", None, 200),
        "pauseGame" => call(Method::POST, "/admin/game/pause", None, 200),
        "resumeGame" => call(Method::POST, "/admin/game/resume", None, 200),
        "listConfig" => call(Method::GET, "/admin/config", None, 200),
        "setConfig" => call(
            Method::PUT,
            "/admin/config/motd",
            Some(json!({ "value": "hello" })),
            200,
        ),
        "resetConfig" => call(Method::DELETE, "/admin/config/motd", None, 200),
        "listSnapshots" => call(Method::GET, "/admin/snapshots", None, 200),
        "createSnapshot" => call(Method::POST, "/admin/snapshots", None, 201),
        "deleteSnapshot" => call(
            Method::DELETE,
            format!("/admin/snapshots/{}", f.delete_snapshot),
            None,
            204,
        ),
        "restoreSnapshot" => call(
            Method::POST,
            format!("/admin/snapshots/{}/restore", f.restore_snapshot),
            None,
            200,
        ),
        "listPlayers" => call(Method::GET, "/admin/players", None, 200),
        "getPlayer" => call(
            Method::GET,
            format!("/admin/players/{}", player(1)),
            None,
            200,
        ),
        "deletePlayer" => call(
            Method::DELETE,
            format!("/admin/players/{}", player(2)),
            None,
            204,
        ),
        "pinSnapshot" => call(
            Method::PUT,
            format!("/admin/snapshots/{}/pin", f.pin_snapshot),
            None,
            200,
        ),
        "unpinSnapshot" => call(
            Method::DELETE,
            format!("/admin/snapshots/{}/pin", f.unpin_snapshot),
            None,
            200,
        ),
        "exportPlayers" => call(Method::GET, "/admin/players/export?banned=true", None, 200),
        "bulkPlayers" => call(
            Method::POST,
            "/admin/players/bulk",
            Some(json!({ "action": "kick", "ids": [player(5)] })),
            200,
        ),
        "banPlayer" => call(
            Method::POST,
            format!("/admin/players/{}/ban", player(3)),
            Some(json!({ "reason": "griefing", "duration_seconds": 3600 })),
            200,
        ),
        "unbanPlayer" => call(
            Method::DELETE,
            format!("/admin/players/{}/ban", f.banned_player),
            None,
            200,
        ),
        "kickPlayer" => call(
            Method::POST,
            format!("/admin/players/{}/kick", f.online_player),
            None,
            200,
        ),
        "listPlayerNotes" => call(
            Method::GET,
            format!("/admin/players/{}/notes", player(1)),
            None,
            200,
        ),
        "addPlayerNote" => call(
            Method::POST,
            format!("/admin/players/{}/notes", player(1)),
            Some(json!({ "text": "asked about refunds" })),
            201,
        ),
        "playerTimeline" => call(
            Method::GET,
            format!("/admin/players/{}/timeline", player(1)),
            None,
            200,
        ),
        "listServices" => call(Method::GET, "/admin/services", None, 200),
        "listAudit" => call(Method::GET, "/admin/audit", None, 200),
        "exportAudit" => call(Method::GET, "/admin/audit/export", None, 200),
        "verifyAudit" => call(Method::GET, "/admin/audit/verify", None, 200),
        "newTotpSecret" => call(Method::POST, "/admin/auth/totp/secret", None, 200),
        "confirmAction" => call(
            Method::POST,
            "/admin/auth/confirm",
            Some(json!({ "action": "deletePlayer", "target": player(1), "password": password })),
            200,
        ),
        "enrolTotp" => call(
            Method::PUT,
            "/admin/auth/totp",
            Some(
                json!({ "secret": TOTP_SECRET, "code": totp_code(), "current_password": password }),
            ),
            200,
        ),
        "resetAccountSecondFactor" => call(Method::DELETE, account("/second-factor"), None, 200),
        "listOwnSessions" => call(Method::GET, "/admin/auth/sessions", None, 200),
        // The fixture's accounts have no passkey; a ceremony begun and never finished expires.
        "confirmWithPasskeyOptions" => call(Method::POST, "/admin/auth/confirm/passkey", None, 409),
        "startPasskeyRegistration" => {
            call(Method::POST, "/admin/auth/passkeys/registration", None, 200)
        }
        "addPasskey" => call(
            Method::POST,
            "/admin/auth/passkeys",
            Some(json!({ "name": " ", "credential": {} })),
            422,
        ),
        "listPasskeys" => call(Method::GET, "/admin/auth/passkeys", None, 200),
        "deletePasskey" => call(
            Method::DELETE,
            format!("/admin/auth/passkeys/{}", uuid::Uuid::nil()),
            None,
            404,
        ),
        "createApiKey" => call(
            Method::POST,
            "/admin/api-keys",
            Some(json!({ "name": "roles", "role": "viewer", "expires_in_days": 1 })),
            201,
        ),
        "listApiKeys" => call(Method::GET, "/admin/api-keys", None, 200),
        "revokeApiKey" => call(
            Method::DELETE,
            "/admin/api-keys/00000000-0000-4000-8000-000000000000",
            None,
            404,
        ),
        "endOtherSessions" => call(Method::POST, "/admin/auth/sessions/end-others", None, 200),
        "endOwnSession" => call(
            Method::DELETE,
            format!("/admin/auth/sessions/{}", f.spare_session),
            None,
            204,
        ),
        // Made with a session of its own (see the loop), so the others go on.
        "logout" => call(Method::POST, "/admin/auth/logout", None, 204),
        "listAccountSessions" => call(Method::GET, account("/sessions"), None, 200),
        "endAccountSessions" => call(Method::DELETE, account("/sessions"), None, 200),
        "metricsHistory" => call(Method::GET, "/admin/metrics/history?range=1h", None, 200),
        "listAccounts" => call(Method::GET, "/admin/accounts", None, 200),
        "createAccount" => call(
            Method::POST,
            "/admin/accounts",
            Some(json!({ "username": "newcomer", "role": "viewer" })),
            201,
        ),
        "getAccount" => call(Method::GET, account(""), None, 200),
        "setAccountRole" => call(
            Method::PUT,
            account("/role"),
            Some(json!({ "role": "operator" })),
            200,
        ),
        "setAccountDisabled" => call(
            Method::PUT,
            account("/disabled"),
            Some(json!({ "disabled": true })),
            200,
        ),
        "resetAccountPassword" => call(Method::POST, account("/password"), None, 200),
        "deleteAccount" => call(
            Method::DELETE,
            format!("/admin/accounts/{}", f.delete_target),
            None,
            204,
        ),
        "listSchedules" => call(Method::GET, "/admin/schedules", None, 200),
        "createSchedule" => call(
            Method::POST,
            "/admin/schedules",
            Some(schedule_draft()),
            201,
        ),
        "updateSchedule" => call(
            Method::PUT,
            format!("/admin/schedules/{}", f.schedule),
            Some(schedule_draft()),
            200,
        ),
        "setScheduleEnabled" => call(
            Method::PUT,
            format!("/admin/schedules/{}/enabled", f.schedule),
            Some(json!({ "enabled": false })),
            200,
        ),
        "runScheduleNow" => call(
            Method::POST,
            format!("/admin/schedules/{}/run", f.schedule),
            None,
            201,
        ),
        "cancelSchedule" => call(
            Method::DELETE,
            format!("/admin/schedules/{}", f.schedule),
            None,
            204,
        ),
        "listScheduleRuns" => call(Method::GET, "/admin/schedule-runs", None, 200),
        "sendPlayerMessage" => call(
            Method::POST,
            "/admin/players/messages",
            Some(json!({ "text": "Hello, pilots" })),
            201,
        ),
        "listPlayerMessages" => call(Method::GET, "/admin/players/messages", None, 200),
        other => panic!("no call for {other}: add one to this table"),
    }
}

/// Every operation of the contract with its `x-minimum-role`, in the order the calls run:
/// pausing before restoring, and changing the password (which ends the session) last. The
/// expectations come from the contract, not from the gateway's table, so that this test
/// checks the enforcement against the contract on its own.
fn ordered() -> Vec<(String, Role)> {
    let contract = contract();
    let mut ops = vec![];
    for item in contract["paths"].as_object().unwrap().values() {
        for method in METHODS {
            if let Some(minimum) = item.get(method).and_then(|op| op.get("x-minimum-role")) {
                let id = item[method]["operationId"].as_str().unwrap().to_owned();
                ops.push((id, serde_json::from_value(minimum.clone()).unwrap()));
            }
        }
    }
    let rank = |id: &str| match id {
        "pauseGame" => 0,
        // Before endOtherSessions ends the session it ends.
        "restoreSnapshot" | "endOwnSession" => 1,
        // After the schedule's other calls.
        "cancelSchedule" => 3,
        "changePassword" => 4,
        _ => 2,
    };
    ops.sort_by_key(|(id, _)| rank(id));
    ops
}

/// A player online now that none of the other calls touches.
async fn online_player(gw: &Gateway, admin: &str) -> String {
    let taken: Vec<String> = (1..=5).map(player).collect();
    let list = gw.get(admin, "/admin/players?online=true&limit=20").await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .find(|id| !taken.contains(id))
        .expect("an online player")
}

async fn audit_total(gw: &Gateway, admin: &str) -> u64 {
    gw.get(admin, "/admin/audit?limit=1").await["total"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn every_operation_as_every_role_succeeds_or_is_refused_with_403() {
    for role in Role::ALL {
        // A gateway per role, so what one role deletes is there for the next.
        let gw = Gateway::start().await;
        let admin = gw.login().await;
        // Reads the log throughout: the role's own calls end the admin's other sessions.
        let (_, auditor) = gw.signed_in("auditor", "viewer").await;
        let mut snapshots = vec![];
        for _ in 0..4 {
            let (code, s) = gw
                .send(&admin, Method::POST, "/admin/snapshots", None)
                .await;
            assert_eq!(code, 201);
            snapshots.push(s["id"].as_u64().unwrap());
        }
        let fixture = Fixture {
            restore_snapshot: snapshots[0],
            delete_snapshot: snapshots[1],
            role_target: gw
                .add_account("target_a", "target a password", "viewer")
                .await,
            delete_target: gw
                .add_account("target_b", "target b password", "viewer")
                .await,
            pin_snapshot: snapshots[2],
            unpin_snapshot: snapshots[3],
            online_player: online_player(&gw, &admin).await,
            banned_player: player(4),
            spare_session: String::new(),
            schedule: {
                let (code, s) = gw
                    .send(
                        &admin,
                        Method::POST,
                        "/admin/schedules",
                        Some(schedule_draft()),
                    )
                    .await;
                assert_eq!(code, 201, "{s}");
                s["id"].as_str().unwrap().to_owned()
            },
        };
        let pinned = gw
            .status(
                &admin,
                Method::PUT,
                &format!("/admin/snapshots/{}/pin", fixture.unpin_snapshot),
            )
            .await;
        assert_eq!(pinned, 200);
        let (code, _) = gw
            .send(
                &admin,
                Method::POST,
                &format!("/admin/players/{}/ban", fixture.banned_player),
                Some(json!({ "reason": "fixture", "duration_seconds": null })),
            )
            .await;
        assert_eq!(code, 200);
        // The role's own sessions: the one the calls are made in (an admin's apart from the
        // fixture's, since enrolling replaces it), one that signs out, one to end.
        let (name, password) = if role == Role::Admin {
            ("admin".to_owned(), PASSWORD.to_owned())
        } else {
            let name = format!("as_{role}");
            gw.add_account(&name, &format!("{name} password"), role.as_str())
                .await;
            let password = format!("{name} password");
            (name, password)
        };
        let mut token = gw.login_as(&name, &password).await;
        let signing_out = gw.login_as(&name, &password).await;
        let spare = gw.login_as(&name, &password).await;
        let spare_sessions = gw.get(&spare, "/admin/auth/sessions").await;
        let spare_session = spare_sessions["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["current"] == true)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let fixture = Fixture {
            spare_session,
            ..fixture
        };

        let operations = ordered();
        assert_eq!(operations.len(), OPERATIONS.len());
        for (id, minimum) in operations {
            let id = id.as_str();
            let c = call_for(id, &fixture, &password);
            let before = audit_total(&gw, &auditor).await;
            let caller = if id == "logout" { &signing_out } else { &token };
            let (code, body) = gw.send(caller, c.method, &c.path, c.body).await;
            if role >= minimum {
                assert_eq!(code, c.success, "{id} as {role}: {body}");
                // Enrolling and changing the password go on in a new session.
                if let Some(next) = body["access_token"].as_str() {
                    token = next.to_owned();
                }
            } else {
                assert_eq!(
                    (code, body),
                    (
                        403,
                        json!({ "detail": format!(
                            "This action needs the {minimum} role; you are signed in as {role}"
                        ) })
                    ),
                    "{id} as {role}"
                );
                assert_eq!(
                    audit_total(&gw, &auditor).await,
                    before,
                    "{id} as {role} did nothing"
                );
            }
        }
        // What a refused role tried is still there.
        let (code, _) = gw
            .send(
                &auditor,
                Method::GET,
                &format!("/admin/players/{}", player(2)),
                None,
            )
            .await;
        assert_eq!(code == 200, role < Role::Admin, "player 2 as {role}");
    }
}

#[tokio::test]
async fn the_role_is_checked_after_the_token_and_before_the_request() {
    let gw = Gateway::start().await;
    let (_, viewer) = gw.signed_in("vera", "viewer").await;
    // A malformed id and body would be 422 for an admin; a viewer is refused before that.
    let (code, _) = gw
        .send(&viewer, Method::DELETE, "/admin/players/not-a-uuid", None)
        .await;
    assert_eq!(code, 403);
    let response = gw
        .request(Method::PUT, "/admin/config/motd")
        .bearer_auth(&viewer)
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    // Without a session it is 401 whatever the operation's role.
    let (code, _) = read(
        gw.request(Method::GET, "/admin/accounts")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(code, 401);
}

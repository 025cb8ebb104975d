//! Passkeys over real HTTP, answered by a software security key written here from WebAuthn's
//! formats (CBOR attestation "none", Ed25519 signatures over the authenticator data and the
//! client data's hash): registering one after the owner's proof, the second step of a sign-in
//! with it, a proof of a dangerous action, and every answer working once.

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use common::{player, read, Gateway};
use ed25519_dalek::{Signer, SigningKey};
use galaxy_gateway::domain::roles::Role;
use galaxy_gateway::Settings;
use reqwest::Method;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The origin the dashboard is served from in `Settings::for_tests` (a CORS origin).
const ORIGIN: &str = "https://localhost:30001";

/// A security key holding one credential, as a browser's `toJSON()` would send its answers.
struct SoftKey {
    key: SigningKey,
    id: Vec<u8>,
    counter: u32,
}

impl SoftKey {
    fn new(seed: u8) -> Self {
        Self {
            key: SigningKey::from_bytes(&[seed; 32]),
            id: vec![seed; 16],
            counter: 0,
        }
    }

    fn client_data(kind: &str, options: &Value) -> Vec<u8> {
        format!(
            r#"{{"type":"{kind}","challenge":"{}","origin":"{ORIGIN}","crossOrigin":false}}"#,
            options["challenge"].as_str().unwrap()
        )
        .into_bytes()
    }

    /// The answer of `navigator.credentials.create` with `options`.
    fn create(&self, options: &Value) -> Value {
        let x = self.key.verifying_key().to_bytes();
        // COSE_Key {1: 1 (OKP), 3: -8 (EdDSA), -1: 6 (Ed25519), -2: x}
        let mut cose = vec![0xa4, 0x01, 0x01, 0x03, 0x27, 0x20, 0x06, 0x21, 0x58, 0x20];
        cose.extend_from_slice(&x);
        let mut auth_data = rp_id_hash(options["rp"]["id"].as_str().unwrap());
        auth_data.push(0x45); // user present, user verified, attested credential data
        auth_data.extend_from_slice(&0u32.to_be_bytes());
        auth_data.extend_from_slice(&[0; 16]); // AAGUID
        auth_data.extend_from_slice(&u16::try_from(self.id.len()).unwrap().to_be_bytes());
        auth_data.extend_from_slice(&self.id);
        auth_data.extend_from_slice(&cose);
        // {"fmt": "none", "attStmt": {}, "authData": auth_data}
        let mut attestation = vec![0xa3, 0x63];
        attestation.extend_from_slice(b"fmt");
        attestation.push(0x64);
        attestation.extend_from_slice(b"none");
        attestation.push(0x67);
        attestation.extend_from_slice(b"attStmt");
        attestation.push(0xa0);
        attestation.push(0x68);
        attestation.extend_from_slice(b"authData");
        attestation.extend_from_slice(&[0x58, u8::try_from(auth_data.len()).unwrap()]);
        attestation.extend_from_slice(&auth_data);
        // SubjectPublicKeyInfo of an Ed25519 key: a fixed prefix and the key.
        let mut spki = vec![
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ];
        spki.extend_from_slice(&x);
        json!({
            "id": B64.encode(&self.id),
            "rawId": B64.encode(&self.id),
            "type": "public-key",
            "response": {
                "clientDataJSON": B64.encode(Self::client_data("webauthn.create", options)),
                "attestationObject": B64.encode(&attestation),
                "authenticatorData": B64.encode(&auth_data),
                "transports": ["usb"],
                "publicKey": B64.encode(&spki),
                "publicKeyAlgorithm": -8,
            },
            "authenticatorAttachment": "cross-platform",
            "clientExtensionResults": {},
        })
    }

    /// The answer of `navigator.credentials.get` with `options`; the counter goes up.
    fn get(&mut self, options: &Value) -> Value {
        self.counter += 1;
        let mut auth_data = rp_id_hash(options["rpId"].as_str().unwrap());
        auth_data.push(0x05); // user present, user verified
        auth_data.extend_from_slice(&self.counter.to_be_bytes());
        let client_data = Self::client_data("webauthn.get", options);
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data));
        let signature = self.key.sign(&signed).to_bytes();
        json!({
            "id": B64.encode(&self.id),
            "rawId": B64.encode(&self.id),
            "type": "public-key",
            "response": {
                "clientDataJSON": B64.encode(&client_data),
                "authenticatorData": B64.encode(&auth_data),
                "signature": B64.encode(signature),
            },
            "authenticatorAttachment": "cross-platform",
            "clientExtensionResults": {},
        })
    }
}

fn rp_id_hash(rp_id: &str) -> Vec<u8> {
    Sha256::digest(rp_id.as_bytes()).to_vec()
}

/// A proof for `action` on `target` with the password (an account without a factor).
async fn password_proof(
    gw: &Gateway,
    token: &str,
    action: &str,
    target: &str,
    password: &str,
) -> String {
    let (status, body) = gw
        .send(
            token,
            Method::POST,
            "/admin/auth/confirm",
            Some(json!({ "action": action, "target": target, "password": password })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["confirmation"].as_str().unwrap().to_owned()
}

/// Registers `key` for the account of `token`, proving it with `proof` (if any).
async fn add(
    gw: &Gateway,
    token: &str,
    key: &SoftKey,
    name: &str,
    proof: Option<&str>,
) -> (u16, Value) {
    let (status, begun) = gw
        .send(
            token,
            Method::POST,
            "/admin/auth/passkeys/registration",
            None,
        )
        .await;
    assert_eq!(status, 200, "{begun}");
    let mut request = gw
        .request(Method::POST, "/admin/auth/passkeys")
        .bearer_auth(token)
        .json(&json!({ "name": name, "credential": key.create(&begun["options"]) }));
    if let Some(proof) = proof {
        request = request.header("x-confirmation", proof);
    }
    read(request.send().await.unwrap()).await
}

#[tokio::test]
async fn a_passkey_is_kept_after_the_owners_proof_and_signs_in_once_per_ceremony() {
    let gw = Gateway::start().await;
    let password = "vela password";
    let (id, token) = gw.signed_in("vela", "operator").await;
    let mut key = SoftKey::new(7);

    let (status, begun) = gw
        .send(
            &token,
            Method::POST,
            "/admin/auth/passkeys/registration",
            None,
        )
        .await;
    assert_eq!(status, 200, "{begun}");
    assert_eq!(begun["options"]["rp"]["id"], "localhost");
    assert_eq!(begun["options"]["user"]["name"], "vela");
    assert!(begun["expires_in"].as_i64().unwrap() > 0);

    // Never without the owner's proof, even with dangerous actions unconfirmed: the refusal
    // names the password, as the account has no factor yet.
    let (status, refused) = add(&gw, &token, &key, "Desk key", None).await;
    assert_eq!(status, 403, "{refused}");
    assert_eq!(refused["code"], "confirmation_required");
    assert_eq!(refused["action"], "addPasskey");
    assert_eq!(refused["methods"], json!(["password"]));

    let proof = password_proof(&gw, &token, "addPasskey", &id, password).await;
    let (status, added) = add(&gw, &token, &key, "Desk key", Some(&proof)).await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["passkey"]["name"], "Desk key");
    assert_eq!(
        added["recovery_codes"].as_array().unwrap().len(),
        10,
        "a first factor's codes"
    );
    // The same key again is refused: it is registered already.
    let (status, again) = add(&gw, &token, &key, "Desk key", Some(&proof)).await;
    assert_eq!(status, 409, "{again}");

    let me = gw.get(&token, "/admin/auth/me").await;
    assert_eq!(me["second_factor"]["passkeys"], 1);
    let listed = gw.get(&token, "/admin/auth/passkeys").await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed["items"][0]["last_used_at"], Value::Null);

    // The password now asks for the second step, which a passkey can answer.
    let (status, first) = read(gw.try_login("vela", password, None).await).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["methods"], json!(["passkey", "recovery_code"]));
    let challenge = first["challenge"].as_str().unwrap();
    let (status, options) = read(
        gw.request(Method::POST, "/admin/auth/login/passkey")
            .json(&json!({ "challenge": challenge }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{options}");
    assert_eq!(
        options["options"]["allowCredentials"][0]["id"],
        B64.encode(&key.id)
    );
    let answer = json!({ "challenge": challenge, "passkey": key.get(&options["options"]) });
    let second = |body: &Value| {
        gw.request(Method::POST, "/admin/auth/login/second-factor")
            .json(body)
            .send()
    };
    let (status, signed) = read(second(&answer).await.unwrap()).await;
    assert_eq!(status, 200, "{signed}");
    assert!(signed["access_token"].is_string());
    // Replayed, the same answer finds its ceremony used up.
    let (status, replayed) = read(second(&answer).await.unwrap()).await;
    assert_eq!(status, 401, "{replayed}");
    assert_eq!(replayed["detail"], "The passkey was not accepted");
    let listed = gw.get(&token, "/admin/auth/passkeys").await;
    assert!(listed["items"][0]["last_used_at"].is_string(), "{listed}");

    let audit = gw
        .get(&gw.login().await, "/admin/audit?action=auth.login&limit=5")
        .await;
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("password and a passkey")),
        "{audit}"
    );
}

#[tokio::test]
async fn a_passkeys_proof_approves_one_action_and_a_cloned_keys_counter_is_refused() {
    let mut settings = Settings::for_tests(10);
    settings.confirm_dangerous_actions = true;
    let gw = Gateway::start_with(settings).await;
    let password = "lyra password";
    let (id, token) = gw.signed_in("lyra", "admin").await;
    let mut key = SoftKey::new(9);
    let proof = password_proof(&gw, &token, "addPasskey", &id, password).await;
    assert_eq!(add(&gw, &token, &key, "Laptop", Some(&proof)).await.0, 201);

    // Deleting a player now takes the passkey (or a recovery code), not the password.
    let target = player(1);
    let (status, refused) = gw
        .send(
            &token,
            Method::DELETE,
            &format!("/admin/players/{target}"),
            None,
        )
        .await;
    assert_eq!(status, 403, "{refused}");
    assert_eq!(refused["methods"], json!(["passkey", "recovery_code"]));

    let begin = || gw.send(&token, Method::POST, "/admin/auth/confirm/passkey", None);
    let confirm = |passkey: Value| {
        gw.send(
            &token,
            Method::POST,
            "/admin/auth/confirm",
            Some(json!({ "action": "deletePlayer", "target": target, "passkey": passkey })),
        )
    };
    let (status, options) = begin().await;
    assert_eq!(status, 200, "{options}");
    let answer = key.get(&options["options"]);
    let (status, proven) = confirm(answer.clone()).await;
    assert_eq!(status, 200, "{proven}");
    // Once only.
    let (status, again) = confirm(answer).await;
    assert_eq!(status, 422, "{again}");

    // An answer to a sign-in's ceremony proves no action.
    let (_, first) = read(gw.try_login("lyra", password, None).await).await;
    let (_, sign_in) = read(
        gw.request(Method::POST, "/admin/auth/login/passkey")
            .json(&json!({ "challenge": first["challenge"] }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let (status, wrong) = confirm(key.get(&sign_in["options"])).await;
    assert_eq!(status, 422, "{wrong}");

    // A key whose counter does not go forward is a clone: refused.
    let (_, options) = begin().await;
    key.counter = 0;
    let (status, cloned) = confirm(key.get(&options["options"])).await;
    assert_eq!(status, 422, "{cloned}");

    let failed = gw
        .get(
            &gw.login().await,
            "/admin/audit?action=auth.confirm_failed&limit=10",
        )
        .await;
    assert!(failed["items"].as_array().unwrap().len() >= 3, "{failed}");
}

#[tokio::test]
async fn the_only_factor_of_a_required_role_stays_and_an_admins_reset_removes_passkeys() {
    let mut settings = Settings::for_tests(10);
    settings.second_factor_roles = vec![Role::Operator];
    let gw = Gateway::start_with(settings).await;
    let password = "orion password";
    let id = gw.add_account("orion", password, "operator").await;
    // Made to enrol: the session may list, register and prove, nothing else.
    let token = gw.login_as("orion", password).await;
    assert_eq!(
        gw.status(&token, Method::GET, "/admin/auth/passkeys").await,
        200
    );
    assert_eq!(
        gw.status(&token, Method::GET, "/admin/game/status").await,
        403
    );
    // Its proofs are for adding a passkey only.
    let (status, refused) = gw
        .send(
            &token,
            Method::POST,
            "/admin/auth/confirm",
            Some(json!({ "action": "deletePlayer", "target": player(1), "password": password })),
        )
        .await;
    assert_eq!(status, 403, "{refused}");
    assert_eq!(refused["code"], "second_factor_required");
    let key = SoftKey::new(11);
    let proof = password_proof(&gw, &token, "addPasskey", &id, password).await;
    let (status, added) = add(&gw, &token, &key, "Phone", Some(&proof)).await;
    assert_eq!(status, 201, "{added}");
    // The enrolment's answer is a full session, as after setting up an app.
    let full = added["access_token"].as_str().unwrap();
    assert_eq!(
        gw.status(full, Method::GET, "/admin/game/status").await,
        200
    );

    let passkey = added["passkey"]["id"].as_str().unwrap();
    let (status, kept) = gw
        .delete(full, &format!("/admin/auth/passkeys/{passkey}"), None)
        .await;
    assert_eq!(status, 409, "{kept}");

    let admin = gw.login().await;
    let (status, reset) = gw
        .delete(&admin, &format!("/admin/accounts/{id}/second-factor"), None)
        .await;
    assert_eq!(status, 200, "{reset}");
    assert_eq!(reset["account"]["second_factor"], false);
    let (status, first) = read(gw.try_login("orion", password, None).await).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        first["must_enrol"], true,
        "no factor left: sent to enrol again"
    );
    let token = first["access_token"].as_str().unwrap();
    let listed = gw.get(token, "/admin/auth/passkeys").await;
    assert_eq!(listed["items"], json!([]));
}

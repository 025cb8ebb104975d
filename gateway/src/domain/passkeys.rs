//! Passkeys and security keys (WebAuthn) as a second factor: the relying party's two
//! ceremonies, done by `webauthn_rp`. A registration makes a credential of an account; an
//! assertion proves the account's owner holds one, at sign-in or to confirm a dangerous action.
//!
//! Each ceremony is started by one request and finished by another, which may reach another
//! replica, so its server state is encoded to bytes for the store ([`Ceremony`]) and taken from
//! there exactly once: an answer replayed finds no ceremony. What is kept of a credential is
//! public (its id, public key, signature counter); an authenticator never gives out its private
//! key.

use std::time::SystemTime;

use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;
use webauthn_rp::bin::{Decode, Encode};
use webauthn_rp::request::auth::{AllowedCredentials, AuthenticationVerificationOptions};
use webauthn_rp::request::register::{
    Nickname, PublicKeyCredentialUserEntity, RegistrationVerificationOptions, UserHandle16,
    Username,
};
use webauthn_rp::request::{
    AsciiDomain, Credentials, PublicKeyCredentialDescriptor, RpId, TimedCeremony,
};
use webauthn_rp::response::register::{CompressedPubKey, DynamicState, StaticState};
use webauthn_rp::response::{AuthTransports, CredentialId, SentChallenge};
use webauthn_rp::{
    AuthenticatedCredential, NonDiscoverableAuthentication16,
    NonDiscoverableAuthenticationServerState, NonDiscoverableCredentialRequestOptions,
    PublicKeyCredentialCreationOptions, Registration, RegistrationServerState,
};

/// The longest name an owner gives a passkey (migration 0012's CHECK).
pub const MAX_NAME_CHARS: usize = 64;
/// The most passkeys an account keeps: enough for a key on the desk, one on the keyring and
/// every laptop, few enough that an assertion's list of allowed credentials stays short.
pub const MAX_PER_ACCOUNT: usize = 10;

/// A public key as `webauthn_rp` decodes it: Ed25519, P-256 or P-384 compressed, or RSA.
type PublicKey = CompressedPubKey<[u8; 32], [u8; 32], [u8; 48], Vec<u8>>;

/// A passkey of an account, as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Passkey {
    pub id: Uuid,
    #[serde(skip)]
    pub account_id: Uuid,
    pub name: String,
    #[serde(skip)]
    pub credential_id: Vec<u8>,
    #[serde(skip)]
    pub public_key: Vec<u8>,
    #[serde(skip)]
    pub dynamic_state: Vec<u8>,
    #[serde(skip)]
    pub transports: u8,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
}

/// What a ceremony in flight is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Register,
    SignIn,
    Confirm,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Register => "register",
            Purpose::SignIn => "sign_in",
            Purpose::Confirm => "confirm",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Purpose::Register, Purpose::SignIn, Purpose::Confirm]
            .into_iter()
            .find(|p| p.as_str() == text)
    }
}

/// A ceremony started and not yet finished: what the store keeps between the two requests.
#[derive(Debug, Clone)]
pub struct Ceremony {
    /// The challenge the authenticator signs, as the store's key.
    pub challenge: Uuid,
    pub account_id: Uuid,
    pub purpose: Purpose,
    /// `webauthn_rp`'s server state, encoded.
    pub state: Vec<u8>,
    pub expires_at: OffsetDateTime,
}

/// A ceremony begun: the options for the browser's `navigator.credentials` call (WebAuthn's
/// JSON forms, which `PublicKeyCredential.parse*OptionsFromJSON` reads) and what to keep.
pub struct Started {
    pub options: Value,
    pub ceremony: Ceremony,
}

/// A registration verified: the credential to keep.
#[derive(Debug)]
pub struct NewCredential {
    pub credential_id: Vec<u8>,
    pub public_key: Vec<u8>,
    pub dynamic_state: Vec<u8>,
    pub transports: u8,
}

/// What keeping a new passkey found.
#[derive(Debug, PartialEq, Eq)]
pub enum Added {
    Now,
    /// The credential is registered already (to this account or another).
    Duplicate,
    /// The account has [`MAX_PER_ACCOUNT`] already.
    TooMany,
    /// The account is gone.
    NoAccount,
}

/// What removing a passkey found.
#[derive(Debug)]
pub enum Removed {
    Now(Passkey),
    /// The account has no such passkey.
    NotFound,
    /// It is the account's only factor, which its role requires.
    LastFactor,
}

/// Why a ceremony failed, in words for the operator; the library's own reason goes to the log.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    /// The answer is not a WebAuthn response of the expected kind.
    Malformed(String),
    /// No ceremony waits for the answer's challenge: finished already, expired or never begun.
    NoCeremony,
    /// The response does not verify: another site, another challenge, a bad signature.
    Refused(String),
    /// The passkey answering is not one of the account's.
    UnknownPasskey,
}

/// The relying party: the domain passkeys are bound to and the origins allowed to use them.
#[derive(Debug)]
pub struct RelyingParty {
    rp_id: RpId,
    origins: Vec<String>,
}

impl RelyingParty {
    /// `rp_id` is the dashboard's host (or a parent domain of it); `origins` the exact origins
    /// (`https://host[:port]`) the dashboard is served from.
    pub fn new(rp_id: &str, origins: Vec<String>) -> Result<Self, String> {
        let domain = AsciiDomain::try_from(rp_id.to_owned())
            .map_err(|e| format!("the passkey RP ID {rp_id:?} is not a domain: {e}"))?;
        if origins.is_empty() {
            return Err(
                "passkeys need the dashboard's origin: set --cors-origins (CORS_ORIGINS), \
                 e.g. https://galaxy.example.com"
                    .to_owned(),
            );
        }
        Ok(Self {
            rp_id: RpId::Domain(domain),
            origins,
        })
    }

    pub fn rp_id(&self) -> &str {
        self.rp_id.as_ref()
    }

    /// Starts registering a new passkey of `account_id`, which must not be one of `existing`
    /// (the authenticator is told, so it does not make a second for the same account).
    pub fn start_registration(
        &self,
        account_id: Uuid,
        username: &str,
        existing: &[Passkey],
    ) -> Result<Started, Failure> {
        let user_id = user_handle(account_id);
        let name = Username::try_from(username).map_err(|e| Failure::Malformed(e.to_string()))?;
        let display = Nickname::try_from(username).ok();
        let exclude = existing.iter().filter_map(|k| descriptor(k).ok()).collect();
        let options = PublicKeyCredentialCreationOptions::second_factor(
            &self.rp_id,
            PublicKeyCredentialUserEntity {
                name,
                id: &user_id,
                display_name: display,
            },
            exclude,
        );
        let (server, client) = options
            .start_ceremony()
            .map_err(|e| Failure::Malformed(e.to_string()))?;
        started(
            &client,
            server.sent_challenge(),
            server.expiration(),
            server.encode(),
            account_id,
            Purpose::Register,
        )
    }

    /// Starts an assertion by one of `keys` (an account's, at least one) for `purpose`.
    pub fn start_assertion(
        &self,
        account_id: Uuid,
        keys: &[Passkey],
        purpose: Purpose,
    ) -> Result<Started, Failure> {
        let mut allowed = AllowedCredentials::with_capacity(keys.len());
        for key in keys {
            allowed.push(descriptor(key)?.into());
        }
        let (server, client) =
            NonDiscoverableCredentialRequestOptions::second_factor(&self.rp_id, allowed)
                .map_err(|_| Failure::UnknownPasskey)?
                .start_ceremony()
                .map_err(|e| Failure::Malformed(e.to_string()))?;
        started(
            &client,
            server.sent_challenge(),
            server.expiration(),
            server.encode(),
            account_id,
            purpose,
        )
    }

    /// Checks a registration answer (`PublicKeyCredential.toJSON()` of `create`) against the
    /// ceremony it answers.
    pub fn finish_registration(
        &self,
        ceremony: &Ceremony,
        answer: &Registration,
    ) -> Result<NewCredential, Failure> {
        let server = RegistrationServerState::<16>::decode(ceremony.state.as_slice())
            .map_err(|e| Failure::Malformed(e.to_string()))?;
        let options = RegistrationVerificationOptions::<String, String> {
            allowed_origins: &self.origins,
            ..RegistrationVerificationOptions::default()
        };
        let credential = server
            .verify(&self.rp_id, answer, &options)
            .map_err(|e| Failure::Refused(e.to_string()))?;
        if credential.user_id().as_ref() != ceremony.account_id.as_bytes() {
            return Err(Failure::Refused("the passkey is of another account".into()));
        }
        let id = credential.id();
        Ok(NewCredential {
            credential_id: id.encode().unwrap_or_else(|n| match n {}).to_vec(),
            public_key: credential
                .static_state()
                .encode()
                .unwrap_or_else(|n| match n {}),
            dynamic_state: credential
                .dynamic_state()
                .encode()
                .unwrap_or_else(|n| match n {})
                .to_vec(),
            transports: credential
                .transports()
                .encode()
                .unwrap_or_else(|n| match n {}),
        })
    }

    /// Checks an assertion (`toJSON()` of `get`) by `key` against its ceremony; the passkey's
    /// new signature counter and flags when they changed, to store.
    pub fn finish_assertion(
        &self,
        ceremony: &Ceremony,
        answer: &NonDiscoverableAuthentication16,
        key: &Passkey,
    ) -> Result<Option<Vec<u8>>, Failure> {
        let server = NonDiscoverableAuthenticationServerState::decode(ceremony.state.as_slice())
            .map_err(|e| Failure::Malformed(e.to_string()))?;
        let user_id = user_handle(ceremony.account_id);
        let public_key = StaticState::<PublicKey>::decode(key.public_key.as_slice())
            .map_err(|e| Failure::Malformed(format!("stored public key: {e}")))?;
        let dynamic = <[u8; 7]>::try_from(key.dynamic_state.as_slice())
            .ok()
            .and_then(|bytes| DynamicState::decode(bytes).ok())
            .ok_or_else(|| Failure::Malformed("stored signature counter".into()))?;
        let id = CredentialId::<&[u8]>::decode(key.credential_id.as_slice())
            .map_err(|e| Failure::Malformed(e.to_string()))?;
        let mut credential = AuthenticatedCredential::new(id, &user_id, public_key, dynamic)
            .map_err(|e| Failure::Malformed(e.to_string()))?;
        let options = AuthenticationVerificationOptions::<String, String> {
            allowed_origins: &self.origins,
            ..AuthenticationVerificationOptions::default()
        };
        let changed = server
            .verify(&self.rp_id, answer, &mut credential, &options)
            .map_err(|e| Failure::Refused(e.to_string()))?;
        Ok(changed.then(|| {
            credential
                .dynamic_state()
                .encode()
                .unwrap_or_else(|n| match n {})
                .to_vec()
        }))
    }
}

/// The challenge a registration answer signed, to find its ceremony.
pub fn registration_challenge(answer: &Registration) -> Result<Uuid, Failure> {
    answer
        .challenge()
        .map(|c| Uuid::from_u128(c.0))
        .map_err(|e| Failure::Malformed(e.to_string()))
}

/// The challenge an assertion signed, to find its ceremony.
pub fn assertion_challenge(answer: &NonDiscoverableAuthentication16) -> Result<Uuid, Failure> {
    answer
        .challenge()
        .map(|c| Uuid::from_u128(c.0))
        .map_err(|e| Failure::Malformed(e.to_string()))
}

/// The id of the credential an assertion is by.
pub fn assertion_credential(answer: &NonDiscoverableAuthentication16) -> Vec<u8> {
    let id = answer.raw_id();
    id.encode().unwrap_or_else(|n| match n {}).to_vec()
}

pub fn parse_registration(answer: &Value) -> Result<Registration, Failure> {
    serde_json::from_value(answer.clone()).map_err(|e| Failure::Malformed(e.to_string()))
}

pub fn parse_assertion(answer: &Value) -> Result<NonDiscoverableAuthentication16, Failure> {
    serde_json::from_value(answer.clone()).map_err(|e| Failure::Malformed(e.to_string()))
}

/// An account's WebAuthn user handle: its id's 16 bytes (random, and no personal data, as
/// WebAuthn asks).
fn user_handle(account_id: Uuid) -> UserHandle16 {
    UserHandle16::decode(*account_id.as_bytes()).unwrap_or_else(|n| match n {})
}

fn descriptor(key: &Passkey) -> Result<PublicKeyCredentialDescriptor<Vec<u8>>, Failure> {
    Ok(PublicKeyCredentialDescriptor {
        id: CredentialId::<Vec<u8>>::decode(key.credential_id.clone())
            .map_err(|e| Failure::Malformed(e.to_string()))?,
        transports: AuthTransports::decode(key.transports)
            .map_err(|e| Failure::Malformed(e.to_string()))?,
    })
}

/// A ceremony begun: the browser's options, and its server state as the store keeps it.
fn started(
    client: &impl Serialize,
    challenge: SentChallenge,
    expires: SystemTime,
    state: Result<Vec<u8>, impl std::fmt::Display>,
    account_id: Uuid,
    purpose: Purpose,
) -> Result<Started, Failure> {
    let malformed = |e: &dyn std::fmt::Display| Failure::Malformed(e.to_string());
    Ok(Started {
        options: serde_json::to_value(client).map_err(|e| malformed(&e))?,
        ceremony: Ceremony {
            challenge: Uuid::from_u128(challenge.0),
            account_id,
            purpose,
            expires_at: crate::domain::to_micros(OffsetDateTime::from(expires)),
            state: state.map_err(|e| malformed(&e))?,
        },
    })
}

/// A name as given, trimmed; none when empty or longer than [`MAX_NAME_CHARS`].
pub fn valid_name(name: &str) -> Option<String> {
    let name = name.trim();
    (!name.is_empty() && name.chars().count() <= MAX_NAME_CHARS).then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn party() -> RelyingParty {
        RelyingParty::new("localhost", vec!["https://localhost:30001".into()]).unwrap()
    }

    #[test]
    fn a_registration_offers_the_account_and_excludes_its_passkeys() {
        let account = Uuid::from_u128(7);
        let started = party()
            .start_registration(account, "alice_01", &[])
            .unwrap();
        let options = &started.options;
        assert_eq!(options["rp"]["id"], "localhost");
        assert_eq!(options["user"]["name"], "alice_01");
        assert_eq!(options["excludeCredentials"], serde_json::json!([]));
        assert_eq!(started.ceremony.purpose, Purpose::Register);
        assert_eq!(started.ceremony.account_id, account);
        assert!(started.ceremony.expires_at > OffsetDateTime::now_utc());
        // The challenge the browser signs is the ceremony's key.
        let sent = options["challenge"].as_str().unwrap();
        let bytes = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, sent)
            .unwrap();
        assert_eq!(bytes.len(), 16);
        assert_eq!(
            u128::from_le_bytes(bytes.try_into().unwrap()),
            started.ceremony.challenge.as_u128()
        );
    }

    #[test]
    fn an_assertion_needs_a_passkey_to_allow() {
        assert_eq!(
            party()
                .start_assertion(Uuid::from_u128(7), &[], Purpose::SignIn)
                .err(),
            Some(Failure::UnknownPasskey)
        );
    }

    #[test]
    fn an_answer_that_is_not_webauthn_is_malformed() {
        let answer = serde_json::json!({"id": "x", "type": "public-key"});
        assert!(matches!(
            parse_registration(&answer),
            Err(Failure::Malformed(_))
        ));
        assert!(matches!(
            parse_assertion(&answer),
            Err(Failure::Malformed(_))
        ));
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(valid_name("  YubiKey 5 "), Some("YubiKey 5".into()));
        assert_eq!(valid_name("   "), None);
        assert_eq!(valid_name(&"k".repeat(MAX_NAME_CHARS + 1)), None);
    }

    #[test]
    fn an_origin_list_is_required() {
        assert!(RelyingParty::new("localhost", Vec::new()).is_err());
        assert!(RelyingParty::new("", vec!["https://x".into()]).is_err());
    }
}

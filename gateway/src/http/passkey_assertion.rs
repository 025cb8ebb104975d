//! The check of a passkey's assertion, shared by the second step of a sign-in and the proof of
//! a dangerous action (`http::passkeys` begins the ceremonies).

use serde_json::Value;
use time::OffsetDateTime;

use crate::domain::accounts::Account;
use crate::domain::passkeys::{self as domain, Purpose};
use crate::http::error::ApiResult;
use crate::http::state::AppState;

/// Whether `answer` is an assertion by one of `account`'s passkeys for a ceremony begun for it
/// and `purpose`. The ceremony is used up whatever the outcome, so an answer works once.
pub async fn verify_assertion(
    state: &AppState,
    account: &Account,
    answer: &Value,
    purpose: Purpose,
) -> ApiResult<bool> {
    let Ok(answer) = domain::parse_assertion(answer) else {
        return Ok(false);
    };
    let Ok(challenge) = domain::assertion_challenge(&answer) else {
        return Ok(false);
    };
    let Some(ceremony) = state.passkeys.take(challenge).await? else {
        return Ok(false);
    };
    if ceremony.account_id != account.id || ceremony.purpose != purpose {
        return Ok(false);
    }
    let credential = domain::assertion_credential(&answer);
    let keys = state.passkeys.list(account.id).await?;
    let Some(key) = keys.iter().find(|k| k.credential_id == credential) else {
        return Ok(false);
    };
    match state
        .relying_party
        .finish_assertion(&ceremony, &answer, key)
    {
        // Counted only if no other assertion of the key was counted meanwhile.
        Ok(changed) => state
            .passkeys
            .record_use(key, changed, OffsetDateTime::now_utc())
            .await
            .map_err(Into::into),
        Err(failure) => {
            tracing::info!("a passkey assertion was refused: {failure:?}");
            Ok(false)
        }
    }
}

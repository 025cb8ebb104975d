//! The browser's side of a passkey: `navigator.credentials.create` or `get` with the options
//! the gateway began a ceremony with, and the credential's answer to send back. Both ways are
//! WebAuthn's JSON forms, converted by the browser itself (`PublicKeyCredential`'s
//! `parse*OptionsFromJSON` and the credential's `toJSON`), so no byte of the ceremony is
//! encoded here.

use js_sys::{Function, Object, Promise, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::infra::json::Value;

/// Which of the two ceremonies.
#[derive(Clone, Copy)]
pub enum Ceremony {
    /// Registers a new passkey.
    Create,
    /// Proves one is held (a sign-in's second step, a proof).
    Get,
}

const UNSUPPORTED: &str =
    "This browser cannot use passkeys here. Use a current browser, or an authenticator code.";

fn get(target: &JsValue, name: &str) -> Option<JsValue> {
    Reflect::get(target, &JsValue::from_str(name))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

fn method(target: &JsValue, name: &str) -> Result<Function, String> {
    get(target, name)
        .and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or_else(|| UNSUPPORTED.to_owned())
}

/// Runs `ceremony` with the gateway's `options`; the credential's JSON to send back, or why
/// there is none, in the operator's words.
pub async fn run(ceremony: Ceremony, options: &Value) -> Result<Value, String> {
    let window: JsValue = web_sys::window().ok_or(UNSUPPORTED)?.into();
    let class = get(&window, "PublicKeyCredential").ok_or(UNSUPPORTED)?;
    let (parse, call) = match ceremony {
        Ceremony::Create => ("parseCreationOptionsFromJSON", "create"),
        Ceremony::Get => ("parseRequestOptionsFromJSON", "get"),
    };
    let json = JSON::parse(&options.to_string())
        .map_err(|_| "The gateway's passkey options could not be read.".to_owned())?;
    let public_key = method(&class, parse)?
        .call1(&class, &json)
        .map_err(|e| refusal(&e))?;
    let request = Object::new();
    Reflect::set(&request, &JsValue::from_str("publicKey"), &public_key)
        .map_err(|e| refusal(&e))?;
    let navigator = get(&window, "navigator").ok_or(UNSUPPORTED)?;
    let credentials = get(&navigator, "credentials").ok_or(UNSUPPORTED)?;
    let promise: Promise = method(&credentials, call)?
        .call1(&credentials, &request)
        .map_err(|e| refusal(&e))?
        .dyn_into()
        .map_err(|_| UNSUPPORTED.to_owned())?;
    let credential = JsFuture::from(promise).await.map_err(|e| refusal(&e))?;
    if credential.is_null() || credential.is_undefined() {
        return Err("No passkey was used.".to_owned());
    }
    let answer = method(&credential, "toJSON")?
        .call0(&credential)
        .map_err(|e| refusal(&e))?;
    let text: String = JSON::stringify(&answer).map_err(|e| refusal(&e))?.into();
    Value::parse(&text).map_err(|_| "The passkey's answer could not be read.".to_owned())
}

/// A browser's refusal (a `DOMException`) in the operator's words.
fn refusal(error: &JsValue) -> String {
    let text = |name| {
        get(error, name)
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    };
    said(&text("name"), &text("message"))
}

fn said(name: &str, message: &str) -> String {
    match name {
        "NotAllowedError" => {
            "The passkey was not used: the browser's prompt was cancelled or timed out. Try again."
                .to_owned()
        }
        "InvalidStateError" => {
            "This security key or device already holds a passkey of your account.".to_owned()
        }
        "SecurityError" => {
            "The browser refused: this address is not one Galaxy's passkeys are for.".to_owned()
        }
        "NotSupportedError" => UNSUPPORTED.to_owned(),
        _ if message.is_empty() => "The passkey could not be used.".to_owned(),
        _ => format!("The passkey could not be used: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::said;

    #[test]
    fn a_browser_refusal_reads_as_what_to_do() {
        assert!(said(
            "NotAllowedError",
            "The operation either timed out or was not allowed."
        )
        .contains("cancelled or timed out"));
        assert!(said("InvalidStateError", "").contains("already holds"));
        assert_eq!(said("", ""), "The passkey could not be used.");
        assert_eq!(
            said("UnknownError", "boom"),
            "The passkey could not be used: boom"
        );
    }
}

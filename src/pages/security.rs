//! Two-step sign-in: an authenticator app (TOTP) and its recovery codes. A session whose
//! role must have a second factor sees only this until it has one; every operator can set
//! one up, or replace theirs, from the page of the same name.

use std::fmt::Write;

use gloo_net::http::Method;
use leptos::prelude::*;

use crate::infra::api::types::{Enrolled, Items, Me, OwnSession, Token, TotpSecret};
use crate::infra::api::use_api;
use crate::infra::json::{object, Value};
use crate::infra::loader::Loader;
use crate::infra::mutation::Mutation;
use crate::infra::session::use_session;
use crate::ui::format;
use crate::ui::load::render;
use crate::ui::toast::use_toasts;

/// The QR code's modules as one SVG path, with the four-module quiet zone scanners need.
pub fn qr_path(size: usize, modules: &str) -> String {
    let mut path = String::new();
    for (i, module) in modules.bytes().enumerate() {
        if module == b'1' {
            let _ = write!(path, "M{} {}h1v1h-1z", i % size + 4, i / size + 4);
        }
    }
    path
}

/// The secret in groups of four, as it is easiest to type.
pub fn grouped(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a session that must set up a second factor sees, in place of the console.
#[component]
pub fn EnrolFirst() -> impl IntoView {
    crate::infra::polling::set_title("Set up two-step sign-in");
    let session = use_session();
    let api = use_api();
    let username = session.active().map(|a| a.username).unwrap_or_default();
    let codes = RwSignal::new(None::<Enrolled>);
    let name = username.clone();
    let done = Callback::new(move |enrolled: Enrolled| {
        // The session that enrolled has ended: the new one is kept at once (a reload must
        // not fall back on the ended one), still shown here until the codes are saved.
        let held = Token {
            must_enrol: true,
            ..enrolled.token.clone()
        };
        session.begin(&held, name.clone());
        codes.set(Some(enrolled));
    });
    let finish = Callback::new(move |_| {
        if let Some(enrolled) = codes.get_untracked() {
            session.begin(&enrolled.token, username.clone());
        }
    });
    view! {
        <main class="login">
            <div class="login-card enrol-card">
                <h1>"Set up two-step sign-in"</h1>
                {move || match codes.get() {
                    None => view! {
                        <crate::pages::login::SignInAgain />
                        <p>"Your role signs in with a code from an authenticator app as well as your password. Set one up to continue."</p>
                        <TotpSetup replacing=false on_done=done />
                        <button type="button" class="link-button" on:click=move |_| api.log_out()>"Log out"</button>
                    }.into_any(),
                    Some(enrolled) => view! {
                        <RecoveryCodes codes=enrolled.recovery_codes on_continue=finish />
                    }.into_any(),
                }}
            </div>
        </main>
    }
}

/// Every operator's own sign-in: two-step sign-in and their sessions, inside the console.
#[component]
pub fn SecurityPage() -> impl IntoView {
    crate::infra::polling::set_title("Sign-in security");
    let api = use_api();
    let session = use_session();
    let toasts = use_toasts();
    let me = Loader::new(move || async move { api.get::<Me>("/admin/auth/me").await });
    let setting_up = RwSignal::new(false);
    let codes = RwSignal::new(None::<Vec<String>>);
    let done = Callback::new(move |enrolled: Enrolled| {
        let name = session.active().map(|a| a.username).unwrap_or_default();
        session.begin(&enrolled.token, name);
        setting_up.set(false);
        codes.set(Some(enrolled.recovery_codes));
        me.refetch();
        toasts.success("Authenticator app set up");
    });
    let retry = Callback::new(move |_| me.refetch());
    view! {
        <section class="page">
            <h1>"Sign-in security"</h1>
            <h2>"Two-step sign-in"</h2>
            {move || codes.get().map(|list| view! {
                <RecoveryCodes codes=list on_continue=Callback::new(move |_| codes.set(None)) />
            })}
            {move || render(me.get(), "your sign-in settings", retry, move |me| {
                let status = if me.totp {
                    format!("On: you sign in with your password and a code from your authenticator app. {} of 10 recovery codes left.", me.recovery_codes_left)
                } else if me.factor_required {
                    "Off, but your role requires it: you will be asked to set it up at your next sign-in.".to_owned()
                } else {
                    "Off: you sign in with your password alone.".to_owned()
                };
                view! {
                    <p data-testid="two-step-status">{status}</p>
                    {move || if setting_up.get() {
                        view! { <TotpSetup replacing=me.totp on_done=done /> }.into_any()
                    } else {
                        let label = if me.totp { "Replace the authenticator app" } else { "Set up an authenticator app" };
                        view! { <button type="button" class="button primary" on:click=move |_| setting_up.set(true)>{label}</button> }.into_any()
                    }}
                }.into_any()
            })}
            <YourSessions />
        </section>
    }
}

/// The operator's live sessions: where and since when, and ending one (a stolen laptop's)
/// or all the others.
#[component]
fn YourSessions() -> impl IntoView {
    let api = use_api();
    let toasts = use_toasts();
    let list =
        Loader::new(
            move || async move { api.get::<Items<OwnSession>>("/admin/auth/sessions").await },
        );
    let action = Mutation::new();
    let end = move |s: OwnSession| {
        action.run(
            api.empty(
                Method::DELETE,
                format!("/admin/auth/sessions/{}", s.id),
                None,
            ),
            move |_| {
                toasts.success(format!("Ended the session on {}", short_device(&s.device)));
                list.refetch();
            },
        );
    };
    let end_others = move |_| {
        action.run(
            api.json::<Ended>(Method::POST, "/admin/auth/sessions/end-others", None),
            move |ended| {
                toasts.success(format!("Ended {} other sessions", ended.0));
                list.refetch();
            },
        );
    };
    let retry = Callback::new(move |_| list.refetch());
    view! {
        <h2>"Your sessions"</h2>
        <p class="hint">"Every place you are signed in. End one you do not recognise: it is refused at its next request."</p>
        {move || action.message().get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        {move || render(list.get(), "your sessions", retry, move |sessions| {
            let others = sessions.items.iter().filter(|s| !s.current).count();
            view! {
                <table class="data sessions" data-testid="sessions">
                    <thead>
                        <tr>
                            <th scope="col">"Device"</th>
                            <th scope="col">"Address"</th>
                            <th scope="col">"Signed in"</th>
                            <th scope="col">"Last seen"</th>
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        {sessions.items.into_iter().map(|s| {
                            let current = s.current;
                            let this = s.clone();
                            view! {
                                <tr data-session=s.id.clone()>
                                    <td class="wrap" title=s.device.clone()>{short_device(&s.device)}</td>
                                    <td>{s.address.clone()}</td>
                                    <td>{format::timestamp(&s.created_at)}</td>
                                    <td>{format::timestamp(&s.last_seen_at)}</td>
                                    <td class="actions">
                                        {if current {
                                            view! { <span class="pill ok">"This session"</span> }.into_any()
                                        } else {
                                            view! { <button type="button" class="button" disabled=action.busy() on:click=move |_| end(this.clone())>"End"</button> }.into_any()
                                        }}
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                {(others > 0).then(|| view! {
                    <button type="button" class="button" disabled=action.busy() on:click=end_others>"End all other sessions"</button>
                })}
            }.into_any()
        })}
    }
}

/// `endOtherSessions`' answer: how many ended.
struct Ended(u64);

impl crate::infra::api::types::FromJson for Ended {
    fn from_json(v: &Value) -> Result<Self, String> {
        v.get("ended")
            .and_then(Value::as_u64)
            .map(Ended)
            .ok_or_else(|| "missing field `ended`".to_owned())
    }
}

/// A User-Agent as people read it: cut at 60 characters (the whole is its title).
pub fn short_device(device: &str) -> String {
    if device.chars().count() <= 60 {
        device.to_owned()
    } else {
        format!("{}…", device.chars().take(59).collect::<String>())
    }
}

/// A new secret to scan or type, and the code that proves the app has it; replacing an
/// app also takes a code of the current one.
#[component]
fn TotpSetup(replacing: bool, on_done: Callback<Enrolled>) -> impl IntoView {
    let api = use_api();
    let offered = Loader::new(move || async move {
        api.json::<TotpSecret>(Method::POST, "/admin/auth/totp/secret", None)
            .await
    });
    let code = RwSignal::new(String::new());
    let current = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let save = Mutation::new();
    let retry = Callback::new(move |_| offered.refetch());
    view! {
        {move || render(offered.get(), "a new secret", retry, move |secret| {
            let size = secret.qr_size + 8;
            let path = qr_path(secret.qr_size, &secret.qr_modules);
            let text = secret.secret.clone();
            let submit = move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                let secret: Value = text.as_str().into();
                let new_code: Value = code.get_untracked().trim().into();
                // The owner's proof: a code of the current app, or, for a first one, the password.
                let proof = if replacing {
                    // Six digits are the app's code; anything else, one of its recovery codes.
                    let typed = current.get_untracked().trim().to_owned();
                    let field = if typed.len() == 6 && typed.bytes().all(|b| b.is_ascii_digit()) {
                        "current_code"
                    } else {
                        "current_recovery_code"
                    };
                    (field, typed.as_str().into())
                } else {
                    ("current_password", password.get_untracked().into())
                };
                let body = object([("secret", secret), ("code", new_code), proof]);
                save.run(
                    api.json::<Enrolled>(Method::PUT, "/admin/auth/totp", Some(body)),
                    move |enrolled| on_done.run(enrolled),
                );
            };
            view! {
                <form class="stacked-form totp-setup" on:submit=submit novalidate>
                    <p>"1. Scan this code with your authenticator app (such as Google Authenticator, 1Password or Aegis)."</p>
                    <svg class="qr" viewBox=format!("0 0 {size} {size}") role="img" aria-label="QR code of the secret, for an authenticator app" shape-rendering="crispEdges">
                        <rect width=size height=size fill="#fff" />
                        <path d=path fill="#000" />
                    </svg>
                    <p>"Or type this key: " <code data-testid="totp-secret">{grouped(&secret.secret)}</code></p>
                    <p class="hint"><a href=secret.otpauth_url.clone()>"Open in an authenticator app on this device"</a></p>
                    {if replacing {
                        view! {
                            <label for="current-code">"2. A code from your current app, or a recovery code"</label>
                            <input id="current-code" autocomplete="one-time-code" required prop:value=current on:input=move |ev| current.set(event_target_value(&ev)) />
                        }.into_any()
                    } else {
                        view! {
                            <label for="setup-password">"2. Your password"</label>
                            <input id="setup-password" type="password" autocomplete="current-password" required prop:value=password on:input=move |ev| password.set(event_target_value(&ev)) />
                        }.into_any()
                    }}
                    <label for="new-code">"3. The code the app shows"</label>
                    <input id="new-code" autocomplete="one-time-code" inputmode="numeric" required prop:value=code on:input=move |ev| code.set(event_target_value(&ev)) />
                    {move || save.message().get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                    <button type="submit" class="button primary" disabled=save.busy()>"Turn on"</button>
                </form>
            }.into_any()
        })}
    }
}

/// The ten recovery codes, shown this once, kept on screen until the operator says they
/// are saved.
#[component]
fn RecoveryCodes(codes: Vec<String>, on_continue: Callback<()>) -> impl IntoView {
    let saved = RwSignal::new(false);
    view! {
        <div class="recovery-codes" role="region" aria-label="Recovery codes">
            <h2>"Save your recovery codes"</h2>
            <p>"If you lose your phone, each of these signs you in once instead of a code. They are shown only now: keep them in your password manager."</p>
            <ul data-testid="recovery-codes">
                {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
            </ul>
            <label class="check">
                <input type="checkbox" prop:checked=saved on:change=move |ev| saved.set(event_target_checked(&ev)) />
                "I have saved these codes"
            </label>
            <button type="button" class="button primary" disabled=move || !saved.get() on:click=move |_| on_continue.run(())>"Continue"</button>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_path_draws_each_dark_module_inside_the_quiet_zone() {
        assert_eq!(qr_path(2, "1001"), "M4 4h1v1h-1zM5 5h1v1h-1z");
        assert_eq!(qr_path(3, "000000000"), "");
    }

    #[test]
    fn long_devices_are_cut_short() {
        assert_eq!(short_device("curl/8"), "curl/8");
        let long = "x".repeat(100);
        assert_eq!(short_device(&long).chars().count(), 60);
        assert!(short_device(&long).ends_with('…'));
    }

    #[test]
    fn secrets_are_grouped_by_four() {
        assert_eq!(grouped("ABCDEFGHIJ"), "ABCD EFGH IJ");
        assert_eq!(grouped(""), "");
    }
}

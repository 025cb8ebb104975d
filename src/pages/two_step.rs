//! Two-step sign-in on "Your sign-in": whether an authenticator app is set up and how many
//! recovery codes are left; setting one up or replacing it, from a QR code or its key typed
//! in; and the ten recovery codes the gateway gives, shown this once.

use std::fmt::Write;

use gloo_net::http::Method;
use leptos::prelude::*;

use crate::infra::api::types::{Enrolled, Factors, NewSecret};
use crate::infra::api::use_api;
use crate::infra::json::object;
use crate::infra::loader::Loader;
use crate::infra::mutation::Mutation;
use crate::infra::session::use_session;
use crate::pages::login::{code_kind, password_field};
use crate::pages::passkeys::Passkeys;
use crate::ui::focus;
use crate::ui::load::render;
use crate::ui::toast::use_toasts;

#[derive(Clone)]
enum Step {
    Status,
    /// Setting up the app for this secret; `replacing` the one enrolled; `passkey_only`: the
    /// account's factor is a passkey, so its proof is a recovery code.
    Scan {
        secret: NewSecret,
        replacing: bool,
        passkey_only: bool,
    },
    /// Enrolled: the recovery codes, until the operator says they are kept.
    Codes(Vec<String>),
}

/// `changed` counts the page's sign-in changes (a password, an app): each is asked again.
#[component]
pub fn TwoStep(changed: RwSignal<u32>) -> impl IntoView {
    let api = use_api();
    let session = use_session();
    let toasts = use_toasts();
    let step = RwSignal::new(Step::Status);
    let factors = Loader::new(move || {
        changed.track();
        api.get::<Factors>("/admin/auth/me")
    });
    let start = Mutation::new();
    let set_up = move |replacing: bool, passkey_only: bool| {
        start.run(
            api.json::<NewSecret>(Method::POST, "/admin/auth/totp/secret", None),
            move |secret| {
                step.set(Step::Scan {
                    secret,
                    replacing,
                    passkey_only,
                })
            },
        );
    };
    // A factor changed (added, replaced, removed): the operator is offered to end the other
    // sessions, which may be a device they no longer trust.
    let offer = RwSignal::new(false);
    let factor_changed = Callback::new(move |_| {
        changed.update(|n| *n += 1);
        offer.set(true);
    });
    let ending = Mutation::new();
    let end_others = move |_| {
        ending.run(
            api.empty(Method::POST, "/admin/auth/sessions/end-others", None),
            move |_| {
                toasts.success("Your other sessions ended");
                offer.set(false);
                focus::by_id("two-step");
                changed.update(|n| *n += 1);
            },
        );
    };
    let retry = Callback::new(move |_| factors.refetch());
    let status = move || {
        render(factors.get(), "your two-step sign-in", retry, move |f| {
            let factor = match (f.totp, f.passkeys) {
                (true, 0) => Some("a code of your authenticator app".to_owned()),
                (true, 1) => Some("a code of your authenticator app or your passkey".to_owned()),
                (true, n) => Some(format!(
                    "a code of your authenticator app or one of your {n} passkeys"
                )),
                (false, 1) => Some("your passkey".to_owned()),
                (false, 0) => None,
                (false, n) => Some(format!("one of your {n} passkeys")),
            };
            let said = if let Some(factor) = factor {
                format!(
                    "On: signing in takes your password and {factor}. {} of 10 recovery codes left.",
                    f.recovery_codes_left
                )
            } else if f.required {
                "Off, and your role requires it: set up an authenticator app or a passkey now."
                    .to_owned()
            } else {
                "Off: signing in takes only your password. An authenticator app keeps a stolen password from being enough.".to_owned()
            };
            let label = if f.totp {
                "Replace the authenticator app"
            } else {
                "Set up an authenticator app"
            };
            view! {
                <p data-testid="two-step-status">{said}</p>
                {move || start.message().get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <div class="action-bar">
                    <button type="button" class="button" disabled=start.busy() on:click=move |_| set_up(f.totp, !f.totp && f.passkeys > 0)>{label}</button>
                </div>
            }
            .into_any()
        })
    };
    // Made once, outside the steps' closure: an add still on its way when the status reloads
    // must find it alive.
    let enrolled = Callback::new(move |codes| step.set(Step::Codes(codes)));
    let keep_sessions = move |_| {
        offer.set(false);
        focus::by_id("two-step");
    };
    view! {
        <h2 id="two-step" tabindex="-1">"Two-step sign-in"</h2>
        <Show when=move || offer.get()>
            <div class="notice offer" role="status" data-testid="end-others-offer">
                <p>"Your second factor changed. If another device signed in as you is not one you trust any more, end your other sessions."</p>
                {move || ending.message().get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <div class="form-actions action-bar">
                    <button type="button" class="button" disabled=ending.busy() on:click=end_others>"End all other sessions"</button>
                    <button type="button" class="button" on:click=keep_sessions>"Keep them"</button>
                </div>
            </div>
        </Show>
        {move || match step.get() {
            // The status is a child of its own: its reloads rebuild neither the passkeys nor
            // what is typed there.
            Step::Status => view! { {status} <Passkeys changed factor_changed enrolled /> }.into_any(),
            Step::Scan { secret, replacing, passkey_only } => {
                let cancel = Callback::new(move |_| step.set(Step::Status));
                view! { <Enrol secret replacing passkey_only enrolled cancel /> }.into_any()
            }
            Step::Codes(codes) => {
                let kept = Callback::new(move |_| {
                    step.set(Step::Status);
                    factor_changed.run(());
                    // A session that had to set one up is now a full one.
                    session.set_must_enrol(false);
                    session.ask_role_again();
                });
                view! { <RecoveryCodes codes kept /> }.into_any()
            }
        }}
    }
}

/// Every page, for a session whose role requires a second factor it does not have yet:
/// the gateway refuses it everything else until one is set up.
#[component]
pub fn EnrolPage() -> impl IntoView {
    crate::infra::polling::set_title("Set up two-step sign-in");
    let changed = RwSignal::new(0_u32);
    view! {
        <section class="page">
            <h1>"Set up two-step sign-in"</h1>
            <p>"Your role signs in with a second factor. Set up an authenticator app or a passkey to carry on: the console opens once it is set up."</p>
            <TwoStep changed />
        </section>
    }
}

/// The app's set-up: scan (or type) the key, type the code the app then shows, and
/// prove it is the owner: the password for a first app, a code of the current app (or a
/// recovery code) to replace it, so a stolen session alone can do neither.
#[component]
fn Enrol(
    secret: NewSecret,
    replacing: bool,
    passkey_only: bool,
    enrolled: Callback<Vec<String>>,
    cancel: Callback<()>,
) -> impl IntoView {
    let api = use_api();
    let session = use_session();
    let toasts = use_toasts();
    let code = RwSignal::new(String::new());
    let proof = RwSignal::new(String::new());
    let save = Mutation::new();
    let key = secret.secret.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = proof.get_untracked();
        let (field, typed) = if replacing {
            match code_kind(&typed) {
                "code" => ("current_code", typed.trim().to_owned()),
                _ => ("current_recovery_code", typed.trim().to_owned()),
            }
        } else if passkey_only {
            ("current_recovery_code", typed.trim().to_owned())
        } else {
            ("current_password", typed)
        };
        let body = object([
            ("secret", key.as_str().into()),
            ("code", code.get_untracked().trim().into()),
            (field, typed.into()),
        ]);
        save.run(
            api.json::<Enrolled>(Method::PUT, "/admin/auth/totp", Some(body)),
            move |answer| {
                // The enrolment's proof replaced this tab's session with a new one.
                if let Some(active) = session.active() {
                    session.begin(active.username, answer.session.expires_in);
                }
                toasts.success("Authenticator app set up");
                enrolled.run(answer.recovery_codes);
            },
        );
    };
    view! {
        <form class="stacked-form enrol" on:submit=submit novalidate>
            <p>"1. Scan this QR code with your authenticator app, or enter the key by hand."</p>
            <div class="qr" inner_html=qr_svg(secret.qr_size, &secret.qr_modules)></div>
            <p>"Key: " <code class="secret" data-testid="totp-secret">{grouped(&secret.secret)}</code></p>
            <label for="enrol-code">"2. Code the app now shows"</label>
            <input
                id="enrol-code"
                autocomplete="one-time-code"
                inputmode="numeric"
                required
                prop:value=code
                on:input=move |ev| code.set(event_target_value(&ev))
            />
            {if replacing || passkey_only {
                let label = if replacing {
                    "3. A code of your current app, or one of your recovery codes"
                } else {
                    "3. One of your recovery codes, to show it is you"
                };
                view! {
                    <label for="enrol-current">{label}</label>
                    <input
                        id="enrol-current"
                        autocomplete="off"
                        autocapitalize="none"
                        spellcheck="false"
                        required
                        prop:value=proof
                        on:input=move |ev| proof.set(event_target_value(&ev))
                    />
                }
                .into_any()
            } else {
                password_field("enrol-password", "3. Your password, to show it is you", proof).into_any()
            }}
            {move || save.message().get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <div class="form-actions action-bar">
                <button type="button" class="button" disabled=save.busy() on:click=move |_| cancel.run(())>"Cancel"</button>
                <button type="submit" class="button primary" disabled=save.busy()>
                    {if replacing { "Replace the app" } else { "Turn on two-step sign-in" }}
                </button>
            </div>
        </form>
    }
}

/// The ten recovery codes, shown this once: each signs in once when the phone is lost.
#[component]
fn RecoveryCodes(codes: Vec<String>, kept: Callback<()>) -> impl IntoView {
    let text = codes.join("\n");
    // The form that was focused is gone: the codes take the focus, so they are read next.
    focus::next_frame("recovery-codes-region");
    view! {
        <div class="recovery-codes" id="recovery-codes-region" tabindex="-1" role="region" aria-labelledby="recovery-codes">
            <h3 id="recovery-codes">"Your recovery codes"</h3>
            <p>"Keep them somewhere safe, apart from your phone: each signs you in once if the app is lost. They are shown only now, and any earlier ones no longer work."</p>
            <ol class="codes" data-testid="recovery-codes">
                {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
            </ol>
            <div class="form-actions action-bar">
                <a
                    class="button"
                    download="galaxy-admin-recovery-codes.txt"
                    href=format!("data:text/plain;charset=utf-8,{}", js_sys::encode_uri_component(&text))
                >"Download"</a>
                <button type="button" class="button primary" on:click=move |_| kept.run(())>"I have kept them"</button>
            </div>
        </div>
    }
}

/// The key in groups of four, as apps show it and people type it.
fn grouped(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The QR code as SVG: a dark square per `1`, on a light quiet zone of four modules that
/// stays light in the dark theme (scanners need dark on light).
fn qr_svg(size: usize, modules: &str) -> String {
    let side = size + 8;
    let mut path = String::new();
    for (i, module) in modules.bytes().enumerate() {
        if module == b'1' {
            let _ = write!(path, "M{} {}h1v1h-1z", i % size, i / size);
        }
    }
    format!(
        "<svg viewBox=\"-4 -4 {side} {side}\" width=\"{px}\" height=\"{px}\" shape-rendering=\"crispEdges\" \
         role=\"img\" aria-label=\"QR code of the key for your authenticator app\">\
         <rect x=\"-4\" y=\"-4\" width=\"{side}\" height=\"{side}\" fill=\"#fff\"/><path fill=\"#000\" d=\"{path}\"/></svg>",
        px = side * 5,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_reads_in_groups_of_four() {
        assert_eq!(grouped("ABCDEFGHIJ"), "ABCD EFGH IJ");
    }

    #[test]
    fn each_dark_module_is_one_square_at_its_place() {
        let svg = qr_svg(2, "1001");
        assert!(svg.contains("d=\"M0 0h1v1h-1zM1 1h1v1h-1z\""), "{svg}");
        assert!(svg.contains("viewBox=\"-4 -4 10 10\""), "{svg}");
    }
}

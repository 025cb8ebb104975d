//! "Your sessions": every place the operator is signed in, and ending one they do not
//! recognise (a stolen laptop's) or all the others. The gateway refuses an ended session at
//! its next request, on every replica.

use gloo_net::http::Method;
use leptos::prelude::*;

use crate::infra::api::types::{Items, OwnSession};
use crate::infra::api::use_api;
use crate::infra::loader::Loader;
use crate::infra::mutation::Mutation;
use crate::ui::format;
use crate::ui::load::render;
use crate::ui::toast::use_toasts;

/// `password_changed` counts the page's password changes: each ends the other sessions and
/// replaces this one, so the list is asked again.
#[component]
pub fn YourSessions(password_changed: RwSignal<u32>) -> impl IntoView {
    let api = use_api();
    let toasts = use_toasts();
    let list = Loader::new(move || {
        password_changed.track();
        api.get::<Items<OwnSession>>("/admin/auth/sessions")
    });
    let action = Mutation::new();
    // Both ends share one call: the list is asked again, and it shows what is left.
    let end = move |method: Method, path: String, done: &'static str| {
        action.run(api.empty(method, path, None), move |_| {
            toasts.success(done);
            list.refetch();
        });
    };
    let retry = Callback::new(move |_| list.refetch());
    view! {
        <h2 id="your-sessions">"Your sessions"</h2>
        <p class="hint">"Every place you are signed in. End one you do not recognise: it is refused at its next request."</p>
        {move || action.message().get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        {move || render(list.get(), "your sessions", retry, move |sessions| {
            let others = sessions.items.iter().any(|s| !s.current);
            view! {
                <table class="data" aria-labelledby="your-sessions" data-testid="sessions">
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
                            let path = format!("/admin/auth/sessions/{}", s.id);
                            let label = format!("End the session of {} from {}", s.device, s.address);
                            view! {
                                <tr>
                                    <td class="wrap">{s.device}</td>
                                    <td>{s.address}</td>
                                    <td>{format::timestamp(&s.created_at)}</td>
                                    <td>{format::timestamp(&s.last_seen_at)}</td>
                                    <td class="actions">
                                        {s.current.then(|| view! { <span class="pill ok">"This session"</span> })}
                                        {(!s.current).then(|| view! {
                                            <button type="button" class="button" aria-label=label disabled=action.busy() on:click=move |_| end(Method::DELETE, path.clone(), "Session ended")>"End"</button>
                                        })}
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                {others.then(|| view! {
                    <div class="action-bar">
                        <button type="button" class="button" disabled=action.busy() on:click=move |_| end(Method::POST, "/admin/auth/sessions/end-others".to_owned(), "Your other sessions ended")>"End all other sessions"</button>
                    </div>
                })}
            }.into_any()
        })}
    }
}

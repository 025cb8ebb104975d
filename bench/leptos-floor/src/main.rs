//! What the framework alone costs: a login form under the same router base.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

#[component]
fn Login() -> impl IntoView {
    let name = RwSignal::new(String::new());
    view! {
        <main class="login">
            <form class="login-card" on:submit=|ev| ev.prevent_default()>
                <label for="username">"Username"</label>
                <input id="username" name="username" autocomplete="username" prop:value=name
                    on:input=move |ev| name.set(event_target_value(&ev)) />
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" />
                <button type="submit">"Log in"</button>
            </form>
        </main>
    }
}

fn main() {
    leptos::mount::mount_to_body(|| {
        view! {
            <Router base="/admin">
                <Routes fallback=|| "Not found">
                    <Route path=path!("/login") view=Login />
                </Routes>
            </Router>
        }
    });
}

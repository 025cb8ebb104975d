use leptos::prelude::*;

use crate::infra::settings::ConfigError;
use crate::routes::CONFIG_JS as CONFIG_FILE;

/// Shown instead of the app when `config.js` is missing or wrong, naming the key and the file.
#[component]
pub fn ConfigErrorPage(error: ConfigError) -> impl IntoView {
    crate::infra::polling::set_title("Configuration error");
    let what = match &error.key {
        Some(key) => format!("{key} {}", error.message),
        None => error.message.clone(),
    };
    view! {
        <main class="fatal" role="alert">
            <h1>"The dashboard is not configured"</h1>
            <p class="config-error">{what}</p>
            <p>
                "Fix " <code>{CONFIG_FILE}</code> " (in Kubernetes, the " <code>"config.js"</code>
                " entry of the dashboard's ConfigMap) and reload. It must define "
                <code>"window.GALAXY_CONFIG"</code> " with at least " <code>"API_BASE_URL"</code> "."
            </p>
        </main>
    }
}

//! A panic must never leave a blank page: replace the page with a message
//! that says what happened and offers a reload.

fn show(message: &str) -> Option<()> {
    let document = web_sys::window()?.document()?;
    let body = document.body()?;
    // The reload is a plain link to this same page: after a panic the wasm
    // instance may be unusable, so nothing here may depend on it; rel="external"
    // keeps the router's click handler from treating it as an in-app link.
    body.set_inner_html(
        r#"<main class="fatal" role="alert"><h1>The dashboard stopped</h1>
<p>Something went wrong inside the dashboard. Nothing more was sent to the game; reloading starts the dashboard again.</p>
<pre class="fatal-detail"></pre><a class="button primary" href="" rel="external">Reload</a></main>"#,
    );
    // Panic text can contain anything: set it as text, never as HTML.
    body.query_selector(".fatal-detail")
        .ok()??
        .set_text_content(Some(message));
    Some(())
}

pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        web_sys::console::error_1(&message.as_str().into());
        show(&message);
    }));
}

/// Lets an operator (from the browser console) or a test check that a crash
/// shows the crash screen rather than a blank page.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn crash_for_diagnostics() {
    panic!("crash requested for diagnostics");
}

//! A panic must never leave a blank page: replace the page with a message
//! that says what happened and offers a reload.

use wasm_bindgen::JsCast;

fn show(message: &str) -> Option<()> {
    let document = web_sys::window()?.document()?;
    let body = document.body()?;
    body.set_inner_html(
        r#"<main class="fatal" role="alert"><h1>The dashboard stopped</h1>
<p>Something went wrong inside the dashboard. Nothing was sent to the game; reloading starts it again.</p>
<pre class="fatal-detail"></pre><button type="button" class="button primary fatal-reload">Reload</button></main>"#,
    );
    // Panic text can contain anything: set it as text, never as HTML.
    body.query_selector(".fatal-detail")
        .ok()??
        .set_text_content(Some(message));
    let button = body.query_selector(".fatal-reload").ok()??;
    let reload = wasm_bindgen::closure::Closure::<dyn Fn()>::new(|| {
        if let Some(w) = web_sys::window() {
            let _ = w.location().reload();
        }
    });
    button
        .add_event_listener_with_callback("click", reload.as_ref().unchecked_ref())
        .ok()?;
    reload.forget();
    Some(())
}

pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        web_sys::console::error_1(&message.as_str().into());
        show(&message);
    }));
}

//! Saving text the dashboard fetched (an export) as a file, as if the
//! browser had downloaded it: the gateway wants the bearer token, which a plain
//! link cannot send.

use std::time::Duration;

use leptos::prelude::set_timeout;
use wasm_bindgen::{JsCast, JsValue};

use crate::infra::time::iso;
use crate::ui::toast::Toasts;

pub fn save(file_name: &str, mime: &str, text: &str) -> Result<(), JsValue> {
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("no document"))?;
    let link = document.create_element("a")?;
    link.set_attribute("href", &url)?;
    link.set_attribute("download", file_name)?;
    link.unchecked_ref::<web_sys::HtmlElement>().click();
    // The download has started from the URL by now; a minute is ample to let it go.
    set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        Duration::from_secs(60),
    );
    Ok(())
}

/// Saves an export's CSV as `galaxy-<what>-<UTC time>.csv` and says how many `rows`
/// it holds, or that the browser refused it.
pub fn save_csv(toasts: Toasts, what: &str, rows: &str, csv: &str) {
    let stamp = iso((js_sys::Date::now() / 1000.0) as i64).replace(':', "-");
    match save(
        &format!("galaxy-{what}-{stamp}.csv"),
        "text/csv;charset=utf-8",
        csv,
    ) {
        Ok(()) => toasts.success(format!(
            "Exported {} {rows}",
            csv.lines().count().saturating_sub(1)
        )),
        Err(_) => toasts.info(
            "The browser refused to save the export.",
            Duration::from_secs(8),
        ),
    }
}

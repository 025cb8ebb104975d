//! Moving the focus to where the operator acts next.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Focuses the element `id`, if the document has it.
pub fn by_id(id: &str) {
    if let Some(element) = document().get_element_by_id(id) {
        let _ = element.unchecked_ref::<web_sys::HtmlElement>().focus();
    }
}

/// Focuses the element `id` in the next frame: a view built now is in the document by then
/// (a form that arrives after its dialog opened, a step that replaces the focused form).
pub fn next_frame(id: &'static str) {
    request_animation_frame(move || by_id(id));
}

//! Markup written as text, for views that are mostly many small repeated
//! elements redrawn together (a chart's paths, a long table's rows): one string
//! and one `inner_html` cost far less in the bundle than a typed view per
//! element. Everything that came from outside goes through `escape`.

use std::fmt::Write;

/// `text` safe inside an element or a double-quoted attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Appends `<tag attrs>text</tag>`, the text escaped; `attrs` are the caller's own.
pub fn element(out: &mut String, tag: &str, attrs: &str, text: &str) {
    let _ = write!(out, "<{tag}{attrs}>{}</{tag}>", escape(text));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_from_outside_becomes_markup() {
        assert_eq!(
            escape(r#"<img src=x onerror="alert('1')"> & co"#),
            "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt; &amp; co"
        );
        let mut out = String::new();
        element(&mut out, "td", r#" class="wrap""#, "</td><script>");
        assert_eq!(out, r#"<td class="wrap">&lt;/td&gt;&lt;script&gt;</td>"#);
    }
}

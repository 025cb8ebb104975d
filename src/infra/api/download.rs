//! Exports saved as files, as if the browser had downloaded them (the gateway
//! wants the session's `X-Galaxy-Session` header, which a plain link cannot send). The response's
//! chunks become the file's parts as they stream in, never one string in
//! between; the file is named as the gateway's `Content-Disposition` says, and
//! its CSV records are counted on the way (a quoted field may hold a newline).

use std::time::Duration;

use leptos::prelude::set_timeout;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// An export gathered from the response, ready to save.
pub struct Saved {
    /// The gateway's file name ("" when it sent none).
    pub name: String,
    pub blob: web_sys::Blob,
    /// Data records: CSV records after the header line.
    pub rows: u64,
}

/// Reads `response`'s body chunk by chunk into a file.
pub async fn gather(response: gloo_net::http::Response) -> Result<Saved, JsValue> {
    let name = response
        .headers()
        .get("content-disposition")
        .and_then(|h| file_name(&h))
        .unwrap_or_default();
    let mime = response
        .headers()
        .get("content-type")
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    let parts = js_sys::Array::new();
    let mut records = CsvRecords::default();
    if let Some(stream) = response.body() {
        let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
        loop {
            let read = JsFuture::from(reader.read()).await?;
            if js_sys::Reflect::get(&read, &"done".into())?.is_truthy() {
                break;
            }
            let chunk: js_sys::Uint8Array =
                js_sys::Reflect::get(&read, &"value".into())?.unchecked_into();
            records.feed(&chunk.to_vec());
            parts.push(&chunk);
        }
    }
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(&mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)?;
    Ok(Saved {
        name,
        blob,
        rows: records.total().saturating_sub(1),
    })
}

/// Hands the file to the browser's downloads.
pub fn save(saved: &Saved) -> Result<(), JsValue> {
    let url = web_sys::Url::create_object_url_with_blob(&saved.blob)?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("no document"))?;
    let link = document.create_element("a")?;
    link.set_attribute("href", &url)?;
    link.set_attribute("download", &saved.name)?;
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

/// The file name of a `Content-Disposition: attachment; filename="…"` header,
/// reduced to a plain name (no path, no quotes).
pub fn file_name(header: &str) -> Option<String> {
    let value = header.split(';').map(str::trim).find_map(|part| {
        let (key, value) = part.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("filename")
            .then(|| value.trim())
    })?;
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    let name = value.rsplit(['/', '\\']).next().unwrap_or_default();
    (!name.is_empty() && !name.starts_with('.')).then(|| name.to_owned())
}

/// Counts RFC 4180 records in text fed in chunks: a line break inside quotes
/// is part of a field, not the end of a record.
#[derive(Default)]
pub struct CsvRecords {
    quoted: bool,
    complete: u64,
    /// The current record has begun (bytes since the last record's end).
    open: bool,
}

impl CsvRecords {
    pub fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            match b {
                b'"' => {
                    self.quoted = !self.quoted;
                    self.open = true;
                }
                b'\n' if !self.quoted => {
                    self.complete += 1;
                    self.open = false;
                }
                b'\r' if !self.quoted => {}
                _ => self.open = true,
            }
        }
    }

    /// Records so far, counting one without a final line break.
    pub fn total(&self) -> u64 {
        self.complete + u64::from(self.open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_counted_across_quoted_line_breaks_and_chunks() {
        let csv = "id,reason\r\n1,\"spam\r\nand \"\"more\"\"\"\r\n2,plain\r\n";
        let mut whole = CsvRecords::default();
        whole.feed(csv.as_bytes());
        assert_eq!(whole.total(), 3);
        // Any split into chunks counts the same.
        for at in 0..csv.len() {
            let mut split = CsvRecords::default();
            split.feed(&csv.as_bytes()[..at]);
            split.feed(&csv.as_bytes()[at..]);
            assert_eq!(split.total(), 3, "split at {at}");
        }
        let mut unterminated = CsvRecords::default();
        unterminated.feed(b"id\n1\n2");
        assert_eq!(unterminated.total(), 3);
        assert_eq!(CsvRecords::default().total(), 0);
    }

    #[test]
    fn the_file_is_named_as_the_gateway_says() {
        assert_eq!(
            file_name("attachment; filename=\"galaxy-audit-20261206T010203Z.csv\"").as_deref(),
            Some("galaxy-audit-20261206T010203Z.csv")
        );
        assert_eq!(
            file_name("attachment;FILENAME=players.csv").as_deref(),
            Some("players.csv")
        );
        assert_eq!(
            file_name("attachment; filename=\"../../etc/passwd\"").as_deref(),
            Some("passwd")
        );
        for none in [
            "attachment",
            "inline; filename=\"\"",
            "attachment; filename=\".hidden\"",
        ] {
            assert_eq!(file_name(none), None, "{none}");
        }
    }
}

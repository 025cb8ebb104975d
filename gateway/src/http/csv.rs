//! CSV downloads: what makes an answer a file to save.

use axum::http::{header, HeaderValue};
use axum::response::Response;
use time::OffsetDateTime;

/// Makes `response` a CSV download named `<prefix>-<YYYYMMDDTHHMMSSZ>.csv` (UTC, now).
pub fn csv_attachment(response: &mut Response, prefix: &str) {
    let stamp = OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .expect("UTC times always format");
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{prefix}-{stamp}.csv\""))
            .expect("ASCII"),
    );
}

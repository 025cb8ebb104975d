//! The audit log's filters, kept in the URL so a question asked of the log
//! ("who changed tick_rate yesterday?") is a link another operator can open.
//! Times travel in UTC (RFC 3339).

use crate::infra::api::url::encode;

/// The URL's (and the gateway's) names for the filters, in the form's order.
pub const KEYS: [&str; 5] = ["actor", "action", "target", "from", "to"];

/// The query string for these filter values (empty ones left out), in `KEYS`' order.
pub fn query(values: &[String; 5]) -> String {
    KEYS.iter()
        .zip(values)
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v.trim())))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_filters_stay_out_of_the_url_and_values_are_encoded() {
        let values = [
            "alice".to_owned(),
            String::new(),
            "tick rate&more".to_owned(),
            "2026-11-24T00:00:00Z".to_owned(),
            " ".to_owned(),
        ];
        assert_eq!(
            query(&values),
            "actor=alice&target=tick%20rate%26more&from=2026-11-24T00%3A00%3A00Z"
        );
        assert_eq!(query(&Default::default()), "");
    }
}

//! Exports: a row cap stated in the contract, refused before any row; the audit export
//! streamed in chunks, every entry once, newest first.

mod common;

use common::{validation_loc, Gateway};
use galaxy_gateway::Settings;
use reqwest::Method;
use serde_json::{json, Value};

fn capped(rows: usize) -> Settings {
    let mut settings = Settings::for_tests(40);
    settings.export_max_rows = rows;
    settings
}

async fn export(gw: &Gateway, token: &str, path: &str) -> (u16, String) {
    let response = gw.call(token, Method::GET, path, None).await;
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn an_export_of_more_rows_than_the_cap_is_refused_before_any_row() {
    let gw = Gateway::start_with(capped(5)).await;
    let token = gw.login().await;
    let (status, text) = export(&gw, &token, "/admin/players/export").await;
    assert_eq!(status, 422, "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(validation_loc(&body), [json!("query")]);
    assert_eq!(body["detail"][0]["type"], "export_too_large");
    assert_eq!(
        body["detail"][0]["msg"],
        "More than 5 players match; an export holds at most 5: narrow the filters"
    );
    // Narrowed to the cap or fewer, it is a file.
    let few = gw.get(&token, "/admin/players?search=nova&limit=200").await["total"]
        .as_u64()
        .unwrap();
    assert!(few <= 5, "the seed has few nova players: {few}");
    let (status, text) = export(&gw, &token, "/admin/players/export?search=nova").await;
    assert_eq!(status, 200);
    assert_eq!(text.trim_end().lines().count() as u64, few + 1);

    for _ in 0..6 {
        gw.send(&token, Method::POST, "/admin/snapshots", None)
            .await;
    }
    let (status, text) = export(&gw, &token, "/admin/audit/export").await;
    assert_eq!(status, 422, "{text}");
    assert!(
        text.contains("entries match; an export holds at most 5"),
        "{text}"
    );
    let (status, text) = export(&gw, &token, "/admin/audit/export?action=auth.login").await;
    assert_eq!(
        (status, text.trim_end().lines().count()),
        (200, 2),
        "{text}"
    );
}

#[tokio::test]
async fn the_audit_export_streams_every_entry_once_newest_first_across_chunks() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    for i in 0..2100 {
        let (code, _) = gw
            .send(
                &token,
                Method::PUT,
                "/admin/config/motd",
                Some(json!({ "value": format!("m{i}") })),
            )
            .await;
        assert_eq!(code, 200);
    }
    let (status, text) = export(&gw, &token, "/admin/audit/export").await;
    assert_eq!(status, 200);
    let ids: Vec<u64> = text
        .split("\r\n")
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(ids.len(), 2101, "every change and the login");
    assert!(
        ids.windows(2).all(|w| w[0] == w[1] + 1),
        "newest first, none twice, none left out"
    );
    // Filtered, the chunks keep to the filter.
    let (_, only_login) = export(&gw, &token, "/admin/audit/export?action=auth").await;
    assert_eq!(only_login.trim_end().lines().count(), 2);
}

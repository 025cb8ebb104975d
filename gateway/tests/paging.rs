//! Keyset paging of the players list and the audit log (api/openapi.yaml, `cursor`): every
//! row once, forward and backward, from either end, with the total counted only up to 10 000.

mod common;

use common::{validation_loc, Gateway};
use galaxy_gateway::Settings;
use reqwest::Method;
use serde_json::{json, Value};

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].to_string())
        .collect()
}

fn with_cursor(path: &str, cursor: &Value) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}cursor={}", cursor.as_str().unwrap())
}

/// Every row of `path`, following `next_cursor` from the first page.
async fn forward(gw: &Gateway, token: &str, path: &str) -> Vec<Vec<String>> {
    let mut pages = vec![];
    let mut page = gw.get(token, path).await;
    assert_eq!(
        page["prev_cursor"],
        Value::Null,
        "the first page has none before it"
    );
    loop {
        pages.push(ids(&page));
        assert_eq!(page["has_more"], page["next_cursor"].is_string(), "{page}");
        if page["has_more"] == false {
            return pages;
        }
        page = gw
            .get(token, &with_cursor(path, &page["next_cursor"]))
            .await;
        assert!(
            page["prev_cursor"].is_string(),
            "a later page has one before it"
        );
    }
}

/// Every row of `path`, following `prev_cursor` from the last page, pages in list order.
async fn backward(gw: &Gateway, token: &str, path: &str) -> Vec<Vec<String>> {
    let mut pages = vec![];
    let mut page = gw.get(token, &format!("{path}&cursor=last")).await;
    assert_eq!(page["has_more"], false, "nothing after the last page");
    loop {
        pages.push(ids(&page));
        if page["prev_cursor"].is_null() {
            pages.reverse();
            return pages;
        }
        page = gw
            .get(token, &with_cursor(path, &page["prev_cursor"]))
            .await;
    }
}

/// The whole list in one offset-paged answer of at most 200 rows.
async fn all_by_offset(gw: &Gateway, token: &str, path: &str) -> Vec<String> {
    let mut all = vec![];
    loop {
        let page = gw
            .get(token, &format!("{path}&limit=200&offset={}", all.len()))
            .await;
        let got = ids(&page);
        if got.is_empty() {
            return all;
        }
        all.extend(got);
    }
}

#[tokio::test]
async fn players_page_by_cursor_in_every_order_forward_and_back() {
    let gw = Gateway::start_with(Settings::for_tests(250)).await;
    let token = gw.login().await;
    for query in [
        "sort=username&order=asc",
        "sort=username&order=desc",
        "sort=created_at&order=asc",
        "sort=created_at&order=desc",
        "sort=username&search=a",
    ] {
        let path = format!("/admin/players?{query}&limit=40");
        let expected = all_by_offset(&gw, &token, &format!("/admin/players?{query}")).await;
        let pages = forward(&gw, &token, &path).await;
        assert!(
            pages[..pages.len() - 1].iter().all(|p| p.len() == 40),
            "{query}"
        );
        assert_eq!(pages.concat(), expected, "{query}: forward");
        let back = backward(&gw, &token, &path).await;
        assert_eq!(back.concat(), expected, "{query}: backward");
        // From the end, the last page is full; the first page (back) holds the rest.
        assert_eq!(
            back.last().unwrap().len(),
            40.min(expected.len()),
            "{query}"
        );
        let first = gw.get(&token, &path).await;
        assert_eq!(
            (first["total"].as_u64(), first["total_exact"].as_bool()),
            (Some(expected.len() as u64), Some(true))
        );
    }
}

#[tokio::test]
async fn a_cursor_holds_its_place_when_rows_around_it_change() {
    let gw = Gateway::start_with(Settings::for_tests(100)).await;
    let token = gw.login().await;
    let path = "/admin/players?limit=10";
    let first = gw.get(&token, path).await;
    let second = gw
        .get(&token, &with_cursor(path, &first["next_cursor"]))
        .await;
    // The boundary row itself and a row before it go: the next page is still the next one.
    let firsts = first["items"].as_array().unwrap();
    for gone in [&firsts[9]["id"], &firsts[0]["id"]] {
        let (code, _) = gw
            .delete(
                &token,
                &format!("/admin/players/{}", gone.as_str().unwrap()),
                None,
            )
            .await;
        assert_eq!(code, 204);
    }
    let again = gw
        .get(&token, &with_cursor(path, &first["next_cursor"]))
        .await;
    assert_eq!(ids(&again), ids(&second));
    // And back from the second page: the first page without the two.
    let back = gw
        .get(&token, &with_cursor(path, &second["prev_cursor"]))
        .await;
    assert_eq!(ids(&back).len(), 8);
    assert_eq!(back["prev_cursor"], Value::Null);
}

#[tokio::test]
async fn past_the_end_a_cursor_gives_an_empty_page_that_leads_back() {
    let gw = Gateway::start_with(Settings::for_tests(30)).await;
    let token = gw.login().await;
    let path = "/admin/players?limit=10";
    let last = gw.get(&token, &format!("{path}&cursor=last")).await;
    let tail = last["items"].as_array().unwrap().last().unwrap()["id"].clone();
    let before_last = gw
        .get(&token, &with_cursor(path, &last["prev_cursor"]))
        .await;
    let onto_last = gw
        .get(&token, &with_cursor(path, &before_last["next_cursor"]))
        .await;
    assert_eq!(ids(&onto_last), ids(&last));
    // Everything from the last page on goes; its cursor now points past the end.
    for p in last["items"].as_array().unwrap() {
        gw.delete(
            &token,
            &format!("/admin/players/{}", p["id"].as_str().unwrap()),
            None,
        )
        .await;
    }
    let past = gw
        .get(&token, &with_cursor(path, &before_last["next_cursor"]))
        .await;
    assert_eq!(past["items"], json!([]));
    assert_eq!(
        (past["has_more"].clone(), past["next_cursor"].clone()),
        (json!(false), Value::Null)
    );
    let back = gw
        .get(&token, &with_cursor(path, &past["prev_cursor"]))
        .await;
    assert_eq!(ids(&back), ids(&before_last));
    assert!(!ids(&back).contains(&tail.to_string()));
}

#[tokio::test]
async fn totals_stop_at_ten_thousand_and_say_so() {
    let gw = Gateway::start_with(Settings::for_tests(10_050)).await;
    let token = gw.login().await;
    let page = gw.get(&token, "/admin/players?limit=5").await;
    assert_eq!(
        (page["total"].as_u64(), page["total_exact"].as_bool()),
        (Some(10_000), Some(false))
    );
    let last = gw.get(&token, "/admin/players?limit=5&cursor=last").await;
    assert_eq!(ids(&last).len(), 5);
    assert_eq!(last["has_more"], false);
    let few = gw
        .get(&token, "/admin/players?limit=5&search=player_1000")
        .await;
    assert_eq!(few["total_exact"], true);
}

#[tokio::test]
async fn cursors_are_refused_across_orders_with_offsets_and_when_forged() {
    let gw = Gateway::start_with(Settings::for_tests(50)).await;
    let token = gw.login().await;
    let page = gw.get(&token, "/admin/players?limit=5").await;
    let cursor = page["next_cursor"].as_str().unwrap();
    for (path, field) in [
        (
            format!("/admin/players?limit=5&order=desc&cursor={cursor}"),
            "cursor",
        ),
        (
            format!("/admin/players?limit=5&sort=created_at&cursor={cursor}"),
            "cursor",
        ),
        (
            format!("/admin/players?limit=5&offset=5&cursor={cursor}"),
            "offset",
        ),
        (
            "/admin/players?cursor=bm90IGEgY3Vyc29y".to_owned(),
            "cursor",
        ),
        ("/admin/audit?cursor=bm90IGEgY3Vyc29y".to_owned(), "cursor"),
        (format!("/admin/audit?cursor={cursor}"), "cursor"),
    ] {
        let (code, body) = gw.send(&token, Method::GET, &path, None).await;
        assert_eq!(code, 422, "{path}: {body}");
        assert_eq!(
            validation_loc(&body),
            [json!("query"), json!(field)],
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_audit_log_pages_by_cursor_while_new_entries_arrive() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    for _ in 0..23 {
        gw.send(&token, Method::POST, "/admin/snapshots", None)
            .await;
    }
    let path = "/admin/audit?limit=5&action=snapshot.create";
    let expected = all_by_offset(&gw, &token, "/admin/audit?action=snapshot.create").await;
    assert_eq!(expected.len(), 23);
    let first = gw.get(&token, path).await;
    // New entries arrive while the operator pages: the pages do not shift.
    gw.send(&token, Method::POST, "/admin/snapshots", None)
        .await;
    let mut pages = vec![ids(&first)];
    let mut page = first;
    while page["has_more"] == true {
        page = gw
            .get(&token, &with_cursor(path, &page["next_cursor"]))
            .await;
        pages.push(ids(&page));
    }
    assert_eq!(pages.concat(), expected);
    let back = backward(&gw, &token, path).await;
    assert_eq!(
        back.concat().len(),
        24,
        "from the end, the new entry is on the first page"
    );
}

#[tokio::test]
async fn snapshots_page_by_cursor_newest_first() {
    let gw = Gateway::start().await;
    let token = gw.login().await;
    for _ in 0..12 {
        gw.send(&token, Method::POST, "/admin/snapshots", None)
            .await;
    }
    let path = "/admin/snapshots?limit=4";
    let expected = all_by_offset(&gw, &token, "/admin/snapshots?").await;
    assert!(expected.len() >= 8, "{expected:?}");
    assert_eq!(forward(&gw, &token, path).await.concat(), expected);
    assert_eq!(backward(&gw, &token, path).await.concat(), expected);
    let page = gw.get(&token, path).await;
    let (code, body) = gw
        .send(
            &token,
            Method::GET,
            &format!(
                "/admin/players?cursor={}",
                page["next_cursor"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(code, 422, "a snapshot cursor is no players cursor: {body}");
    let (code, body) = gw
        .send(
            &token,
            Method::GET,
            &format!(
                "/admin/audit?cursor={}",
                page["next_cursor"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(
        code, 422,
        "nor an audit cursor, though both go by id: {body}"
    );
}

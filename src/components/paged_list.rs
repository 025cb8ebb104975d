//! A list the gateway pages with `limit` and `offset`, shown a page at a time.
//! The page number lives in the URL (`?page=`), so a reload or a shared link
//! keeps it, and the list loads again when the gateway comes back.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use serde::de::DeserializeOwned;

use crate::api::types::Page;
use crate::api::{use_api, ApiError};
use crate::components::load::{render, Empty};
use crate::components::pagination::Pagination;
use crate::query::page_param;
use crate::status::use_game_status;

pub struct PagedList<T: 'static> {
    page: Memo<u32>,
    list: LocalResource<Result<Page<T>, ApiError>>,
    go_to_page: Callback<u32>,
    size: u32,
}

impl<T> Clone for PagedList<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for PagedList<T> {}

impl<T: DeserializeOwned + Clone + 'static> PagedList<T> {
    /// `endpoint` is the API's path (`/admin/audit`), `route` the page's own (`/audit`).
    pub fn new(endpoint: &'static str, route: &'static str, size: u32) -> Self {
        let api = use_api();
        let game = use_game_status();
        let navigate = use_navigate();
        let query = use_query_map();
        let page = Memo::new(move |_| page_param(query.read().get("page").as_deref()));
        let list = LocalResource::new(move || {
            let offset = (page.get() - 1) * size;
            game.recoveries();
            async move {
                api.get::<Page<T>>(format!("{endpoint}?limit={size}&offset={offset}"))
                    .await
            }
        });
        let go_to_page =
            Callback::new(move |p: u32| navigate(&format!("{route}?page={p}"), Default::default()));
        Self {
            page,
            list,
            go_to_page,
            size,
        }
    }

    pub fn refetch(&self) {
        self.list.refetch();
    }

    /// Loading, the error with a retry, `empty` when there is nothing at all, or
    /// the page's `table` with the pagination under it.
    pub fn view(
        self,
        what: &'static str,
        empty: &'static str,
        table: impl Fn(Vec<T>) -> AnyView + Send + Sync + 'static,
    ) -> impl IntoView {
        let retry = Callback::new(move |_| self.refetch());
        let (page, size, on_page) = (self.page, self.size, self.go_to_page);
        move || {
            render(self.list.get(), what, retry, |data| {
                let total = data.total;
                let rows = (total > 0).then(|| table(data.items));
                with_pagination(rows, empty, page.get_untracked(), size, total, on_page)
            })
        }
    }
}

/// Not generic, so each list's page shares this code.
fn with_pagination(
    table: Option<AnyView>,
    empty: &'static str,
    page: u32,
    size: u32,
    total: u64,
    on_page: Callback<u32>,
) -> AnyView {
    match table {
        None => view! { <Empty message=empty /> }.into_any(),
        Some(table) => view! {
            {table}
            <Pagination page size total on_page />
        }
        .into_any(),
    }
}

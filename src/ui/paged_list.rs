//! A list the gateway pages with `limit` and `offset`, shown a page at a time.
//! The page number lives in the URL (`?page=`), so a reload or a shared link
//! keeps it. A page past the end (an old link, or the last row of the last
//! page deleted) is replaced by the last page, and the operator is told.
//! Reloading keeps the rows on screen until the new ones arrive.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;
use serde::de::DeserializeOwned;

use crate::infra::api::types::Page;
use crate::infra::api::{use_api, ApiError};
use crate::routes::Route;
use crate::ui::load::{render, Empty, Loading};
use crate::ui::pagination::{clamp, offset, page_param, Pagination};

pub struct PagedList<T: 'static> {
    page: Memo<u32>,
    list: LocalResource<Result<Page<T>, ApiError>>,
    go_to_page: Callback<(u32, bool)>,
    size: u32,
    /// Set when a page past the end was replaced by the last one.
    clamped: RwSignal<Option<(u32, u32)>>,
    refreshing: RwSignal<bool>,
}

impl<T> Clone for PagedList<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for PagedList<T> {}

impl<T: DeserializeOwned + Clone + 'static> PagedList<T> {
    /// `endpoint` is the API's path (`/admin/audit`), `route` the page's own; the
    /// list loads again whenever `reload` changes.
    pub fn new(endpoint: &'static str, route: Route, size: u32, reload: Signal<u32>) -> Self {
        let api = use_api();
        let navigate = use_navigate();
        let query = use_query_map();
        let page = Memo::new(move |_| page_param(query.read().get("page").as_deref()));
        let list = LocalResource::new(move || {
            let offset = offset(page.get(), size);
            reload.track();
            async move {
                api.get::<Page<T>>(format!("{endpoint}?limit={size}&offset={offset}"))
                    .await
            }
        });
        let path = route.path();
        let go_to_page = Callback::new(move |(p, replace): (u32, bool)| {
            navigate(
                &format!("{path}?page={p}"),
                NavigateOptions {
                    replace,
                    ..Default::default()
                },
            )
        });
        let clamped = RwSignal::new(None);
        let refreshing = RwSignal::new(false);
        Effect::new(move |_| {
            let Some(Ok(data)) = list.get() else {
                refreshing.set(false);
                return;
            };
            refreshing.set(false);
            let asked = page.get_untracked();
            match clamp(asked, size, data.total) {
                Some(last) => {
                    clamped.set(Some((asked, last)));
                    go_to_page.run((last, true));
                }
                None if clamped.with_untracked(|c| c.is_some_and(|(_, to)| to != asked)) => {
                    clamped.set(None);
                }
                None => {}
            }
        });
        Self {
            page,
            list,
            go_to_page,
            size,
            clamped,
            refreshing,
        }
    }

    pub fn refetch(&self) {
        self.refreshing.set(true);
        self.list.refetch();
    }

    /// A Refresh button that shows its progress.
    pub fn refresh_button(self) -> impl IntoView {
        view! {
            <button type="button" class="button" disabled=move || self.refreshing.get() on:click=move |_| self.refetch()>
                {move || if self.refreshing.get() { "Refreshing…" } else { "Refresh" }}
            </button>
        }
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
        let (page, size, go_to_page) = (self.page, self.size, self.go_to_page);
        let on_page = Callback::new(move |p| go_to_page.run((p, false)));
        let notice = move || {
            self.clamped.get().map(|(asked, last)| {
                view! {
                    <p class="notice" role="status">
                        {format!("There is no page {asked}; showing the last page, {last}.")}
                    </p>
                }
            })
        };
        view! {
            {notice}
            {move || {
                render(self.list.get(), what, retry, |data| {
                    let total = data.total;
                    if clamp(page.get_untracked(), size, total).is_some() {
                        // Past the end: the last page is on its way.
                        return view! { <Loading what /> }.into_any();
                    }
                    let rows = (total > 0).then(|| table(data.items));
                    with_pagination(rows, empty, page.get_untracked(), size, total, on_page)
                })
            }}
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

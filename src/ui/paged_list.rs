//! A list the gateway pages with `limit` and `offset`, shown a page at a time.
//! The page number lives in the URL (`?page=`), so a reload or a shared link
//! keeps it. A page past the end (an old link, or the last row of the last
//! page deleted) is replaced by the last page, and the operator is told.
//! Reloading keeps the rows on screen until the new ones arrive. Filters in the
//! URL that the list names are passed on to the gateway and kept while paging;
//! a list that grows at the top (the audit log) is paged up to the newest
//! entry its first page counted, so later pages do not shift under the operator.

use leptos::prelude::*;

use crate::infra::loader::Loader;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use crate::infra::api::types::{FromJson, Page};
use crate::infra::api::url::encode;
use crate::infra::api::use_api;
use crate::routes::Route;
use crate::ui::load::{render, Empty, Loading};
use crate::ui::pagination::{clamp, clamp_notice, offset, page_param, settle, Clamped, Pagination};

pub struct PagedList<T: 'static> {
    page: Memo<u32>,
    list: Loader<Page<T>>,
    go_to_page: Callback<(u32, bool)>,
    size: u32,
    /// Set when a page past the end was replaced by the last one.
    clamped: Clamped,
    refreshing: RwSignal<bool>,
}

impl<T> Clone for PagedList<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for PagedList<T> {}

impl<T: FromJson + Clone + Send + Sync + 'static> PagedList<T> {
    /// `endpoint` is the API's path (`/admin/audit`), `route` the page's own,
    /// `filters` the URL's query keys the gateway filters by; the list loads
    /// again whenever `reload` changes.
    pub fn new(
        endpoint: &'static str,
        route: Route,
        size: u32,
        reload: Signal<u32>,
        filters: &'static [&'static str],
    ) -> Self {
        let api = use_api();
        let navigate = use_navigate();
        let query = use_query_map();
        let page = Memo::new(move |_| page_param(query.read().get("page").as_deref()));
        let filtered = Memo::new(move |_| {
            let q = query.read();
            filters
                .iter()
                .filter_map(|&k| {
                    q.get_str(k)
                        .filter(|v| !v.is_empty())
                        .map(|v| format!("&{k}={}", encode(v)))
                })
                .collect::<String>()
        });
        let until = StoredValue::new(None::<u64>);
        let clamped = RwSignal::new(None);
        let refreshing = RwSignal::new(false);
        let path = route.path();
        let go_to_page = Callback::new(move |(p, replace): (u32, bool)| {
            navigate(
                &format!("{path}?page={p}{}", filtered.get_untracked()),
                NavigateOptions {
                    replace,
                    ..Default::default()
                },
            )
        });
        let replace_with = Callback::new(move |p| go_to_page.run((p, true)));
        let list = Loader::new(move || {
            let asked = page.get();
            let offset = offset(asked, size);
            let filters = filtered.get();
            reload.track();
            // The first page sets the newest entry counted; later pages keep to it.
            let until_id = match until.get_value() {
                Some(id) if asked > 1 => format!("&until_id={id}"),
                _ => String::new(),
            };
            async move {
                let result = api
                    .get::<Page<T>>(format!(
                        "{endpoint}?limit={size}&offset={offset}{filters}{until_id}"
                    ))
                    .await;
                refreshing.try_set(false);
                if let Ok(data) = &result {
                    if asked == 1 || until.try_get_value().flatten().is_none() {
                        until.try_set_value(data.until_id);
                    }
                    settle(asked, size, data.total, page.into(), clamped, replace_with);
                }
                result
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

    /// Loads the page again, keeping it on screen until the new one arrives (and
    /// if that fails); the Refresh button says so meanwhile.
    pub fn refetch(&self) {
        self.refreshing.set(true);
        self.list.refetch();
    }

    /// Loads the page again without a word, as a timer does.
    pub fn refetch_quietly(&self) {
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
        let list = self.list;
        let busy = Signal::derive(move || list.loading());
        let on_page = Callback::new(move |p| go_to_page.run((p, false)));
        view! {
            {clamp_notice(self.clamped)}
            {move || self.list.failed().map(|e| view! {
                <p class="form-error" role="alert">{format!("Could not refresh: {}", e.message())}</p>
            })}
            {move || {
                render(self.list.get(), what, retry, |data| {
                    let total = data.total;
                    if clamp(page.get_untracked(), size, total).is_some() {
                        // Past the end: the last page is on its way.
                        return view! { <Loading what /> }.into_any();
                    }
                    let rows = (total > 0).then(|| table(data.items));
                    with_pagination(rows, empty, page.get_untracked(), size, total, on_page, busy)
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
    busy: Signal<bool>,
) -> AnyView {
    match table {
        None => view! { <Empty message=empty /> }.into_any(),
        Some(table) => view! {
            {stale_while(busy, table)}
            <Pagination page size total on_page />
        }
        .into_any(),
    }
}

/// Rows that are about to be replaced: marked busy for assistive technology,
/// dimmed, and inert, so nothing on them can be clicked, selected or acted on.
pub fn stale_while(busy: Signal<bool>, rows: AnyView) -> impl IntoView {
    view! {
        <div class="rows" class:stale=busy aria-busy=move || busy.get().to_string() inert=busy>
            {rows}
        </div>
    }
}

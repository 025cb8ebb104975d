//! A list the gateway pages by cursor (`?cursor=`, see `cursor_paging`), shown
//! a page at a time. A reload or a shared link keeps the page. A page past the
//! end (an old link, or the last row of the last page deleted) is replaced by
//! the last page, and the operator is told.
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
use crate::ui::cursor_paging::{moved, CursorPagination, Mover, Place};
use crate::ui::load::{render, Empty, Loading};

pub struct PagedList<T: 'static> {
    place: Memo<Place>,
    list: Loader<Page<T>>,
    go_to_place: Callback<(Place, bool)>,
    size: u32,
    /// Why a page was replaced by another, until the operator moves on.
    mover: Mover,
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
        let place = Memo::new(move |_| query.with(|q| Place::from_pairs(|k| q.get_str(k))));
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
        let mover = Mover::new();
        let refreshing = RwSignal::new(false);
        let path = route.path();
        let navigate_to = Callback::new(move |(position, replace): (String, bool)| {
            let filters = filtered.get_untracked();
            let query = match (position.is_empty(), filters.strip_prefix('&')) {
                (true, None) => String::new(),
                (true, Some(filters)) => format!("?{filters}"),
                (false, _) => format!("?{position}{filters}"),
            };
            navigate(
                &format!("{path}{query}"),
                NavigateOptions {
                    replace,
                    ..Default::default()
                },
            )
        });
        let go_to_place = Callback::new(move |(p, replace): (Place, bool)| {
            navigate_to.run((p.url_parts().join("&"), replace))
        });
        let list = Loader::new(move || {
            let at = place.get();
            let position = at.api_part();
            let first = at.cursor.is_none();
            let filters = filtered.get();
            reload.track();
            // The first page sets the newest entry counted; later pages keep to it.
            let until_id = match until.get_value() {
                Some(id) if !first => format!("&until_id={id}"),
                _ => String::new(),
            };
            async move {
                let result = api
                    .get::<Page<T>>(format!(
                        "{endpoint}?limit={size}{position}{filters}{until_id}"
                    ))
                    .await;
                refreshing.try_set(false);
                if let Ok(data) = &result {
                    if first || until.try_get_value().flatten().is_none() {
                        until.try_set_value(data.until_id);
                    }
                }
                // Only for the page still asked for: an answer the operator left changes nothing.
                if place.try_get_untracked().as_ref() == Some(&at) {
                    if let Some(to) = mover.settle(&at, &result) {
                        go_to_place.run((to, true));
                    }
                }
                result
            }
        });
        Self {
            place,
            list,
            go_to_place,
            size,
            mover,
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
        let (size, place, go_to_place) = (self.size, self.place, self.go_to_place);
        let list = self.list;
        let busy = Signal::derive(move || list.loading());
        let go = Callback::new(move |p| go_to_place.run((p, false)));
        view! {
            {self.mover.notice()}
            {move || self.list.failed().map(|e| view! {
                <p class="form-error" role="alert">{format!("Could not refresh: {}", e.message())}</p>
            })}
            {move || {
                render(self.list.get(), what, retry, |data| {
                    if moved(&data).is_some() {
                        // Past the end: the last page is on its way.
                        return view! { <Loading what /> }.into_any();
                    }
                    let at = place.get_untracked();
                    let nav = view! {
                        <CursorPagination
                            first=at.first_row(&data)
                            shown=data.items.len()
                            size
                            total=data.total
                            exact=data.total_exact
                            previous=at.previous(&data, size)
                            next=at.next(&data)
                            place=at
                            go
                        />
                    }
                    .into_any();
                    let rows = (!data.items.is_empty()).then(|| table(data.items));
                    with_navigation(rows, empty, nav, busy)
                })
            }}
        }
    }
}

/// Not generic, so each list's page shares this code.
fn with_navigation(
    table: Option<AnyView>,
    empty: &'static str,
    nav: AnyView,
    busy: Signal<bool>,
) -> AnyView {
    match table {
        None => view! { <Empty message=empty /> }.into_any(),
        Some(table) => view! {
            {stale_while(busy, table)}
            {nav}
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

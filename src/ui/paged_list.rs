//! A list the gateway pages, shown a page at a time: by number (`limit` and
//! `offset`, `?page=` in the URL) for short lists, by cursor (`?cursor=`, see
//! `cursor_paging`) for long ones. A reload or a shared link keeps the page. A
//! page past the end (an old link, or the last row of the last page deleted)
//! is replaced by the last page, and the operator is told.
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
use crate::ui::pagination::{clamp, clamp_notice, offset, page_param, settle, Clamped, Pagination};

/// How a list is paged: the gateway's contract decides, per list.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    Numbers,
    Cursors,
}

pub struct PagedList<T: 'static> {
    paging: Paging,
    page: Memo<u32>,
    place: Memo<Place>,
    list: Loader<Page<T>>,
    go_to_page: Callback<(u32, bool)>,
    go_to_place: Callback<(Place, bool)>,
    size: u32,
    /// Set when a page past the end was replaced by the last one.
    clamped: Clamped,
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
        paging: Paging,
        size: u32,
        reload: Signal<u32>,
        filters: &'static [&'static str],
    ) -> Self {
        let api = use_api();
        let navigate = use_navigate();
        let query = use_query_map();
        let page = Memo::new(move |_| match paging {
            Paging::Numbers => page_param(query.read().get("page").as_deref()),
            Paging::Cursors => 1,
        });
        let place = Memo::new(move |_| match paging {
            Paging::Numbers => Place::default(),
            Paging::Cursors => query.with(|q| Place::from_pairs(|k| q.get_str(k))),
        });
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
        let go_to_page = Callback::new(move |(p, replace): (u32, bool)| {
            navigate_to.run((format!("page={p}"), replace))
        });
        let go_to_place = Callback::new(move |(p, replace): (Place, bool)| {
            navigate_to.run((p.url_parts().join("&"), replace))
        });
        let replace_with = Callback::new(move |p| go_to_page.run((p, true)));
        let list = Loader::new(move || {
            let asked = page.get();
            let at = place.get();
            let position = match paging {
                Paging::Numbers => format!("&offset={}", offset(asked, size)),
                Paging::Cursors => at.api_part(),
            };
            let first = at.cursor.is_none() && asked == 1;
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
                match paging {
                    Paging::Numbers => {
                        if let Ok(data) = &result {
                            settle(asked, size, data.total, page.into(), clamped, replace_with);
                        }
                    }
                    // Only for the page still asked for: an answer the operator left changes nothing.
                    Paging::Cursors if place.try_get_untracked().as_ref() == Some(&at) => {
                        if let Some(to) = mover.settle(&at, &result) {
                            go_to_place.run((to, true));
                        }
                    }
                    Paging::Cursors => {}
                }
                result
            }
        });
        Self {
            paging,
            page,
            place,
            list,
            go_to_page,
            go_to_place,
            size,
            clamped,
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
        let (page, size, go_to_page) = (self.page, self.size, self.go_to_page);
        let (paging, place, go_to_place) = (self.paging, self.place, self.go_to_place);
        let list = self.list;
        let busy = Signal::derive(move || list.loading());
        let on_page = Callback::new(move |p| go_to_page.run((p, false)));
        let go = Callback::new(move |p| go_to_place.run((p, false)));
        view! {
            {clamp_notice(self.clamped)}
            {self.mover.notice()}
            {move || self.list.failed().map(|e| view! {
                <p class="form-error" role="alert">{format!("Could not refresh: {}", e.message())}</p>
            })}
            {move || {
                render(self.list.get(), what, retry, |data| {
                    let total = data.total;
                    let past_the_end = match paging {
                        Paging::Numbers => clamp(page.get_untracked(), size, total).is_some(),
                        Paging::Cursors => moved(&data).is_some(),
                    };
                    if past_the_end {
                        // The last page is on its way.
                        return view! { <Loading what /> }.into_any();
                    }
                    if paging == Paging::Cursors {
                        let at = place.get_untracked();
                        let nav = view! {
                            <CursorPagination
                                first=at.first_row(&data)
                                shown=data.items.len()
                                size
                                total
                                exact=data.total_exact
                                previous=at.previous(&data, size)
                                next=at.next(&data)
                                place=at
                                go
                            />
                        }
                        .into_any();
                        let rows = (!data.items.is_empty()).then(|| table(data.items));
                        return with_navigation(rows, empty, nav, busy);
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
    let nav = view! { <Pagination page size total on_page /> }.into_any();
    with_navigation(table, empty, nav, busy)
}

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

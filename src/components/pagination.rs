use leptos::prelude::*;

use crate::query::page_count;

/// Previous/next with "page X of Y"; `on_page` gets the 1-based page to show.
#[component]
pub fn Pagination(page: u32, size: u32, total: u64, on_page: Callback<u32>) -> impl IntoView {
    let pages = page_count(total, size);
    let first = if total == 0 {
        0
    } else {
        (page as u64 - 1) * size as u64 + 1
    };
    let last = (page as u64 * size as u64).min(total);
    view! {
        <nav class="pagination" aria-label="Pagination">
            <button type="button" class="button" disabled={page <= 1} on:click=move |_| on_page.run(page - 1)>
                "Previous"
            </button>
            <span class="page-info">{format!("{first}–{last} of {total} · page {page} of {pages}")}</span>
            <button type="button" class="button" disabled={page >= pages} on:click=move |_| on_page.run(page + 1)>
                "Next"
            </button>
        </nav>
    }
}

//! Page arithmetic and the previous/next control. Pages are 1-based; every
//! computation saturates, so no `?page=` value can overflow or panic.

use leptos::prelude::*;

/// A `?page=N` parameter: digits give N (saturating, so an absurd number is
/// simply past the end and gets clamped), anything else is page 1.
pub fn page_param(raw: Option<&str>) -> u32 {
    match raw {
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p
            .bytes()
            .fold(0u32, |n, b| {
                n.saturating_mul(10).saturating_add(u32::from(b - b'0'))
            })
            .max(1),
        _ => 1,
    }
}

/// Number of pages for `total` items, at least 1.
pub fn page_count(total: u64, size: u32) -> u32 {
    total
        .div_ceil(u64::from(size.max(1)))
        .clamp(1, u64::from(u32::MAX)) as u32
}

/// The offset of `page`'s first item.
pub fn offset(page: u32, size: u32) -> u64 {
    u64::from(page.saturating_sub(1)) * u64::from(size)
}

/// The page to show instead of `page` when it is past the end, if it is.
pub fn clamp(page: u32, size: u32, total: u64) -> Option<u32> {
    let last = page_count(total, size);
    (page > last).then_some(last)
}

/// "41–50 of 120 · page 5 of 12", or "0 of 0" when empty.
pub fn describe(page: u32, size: u32, total: u64) -> String {
    let pages = page_count(total, size);
    let page = page.clamp(1, pages);
    let first = (offset(page, size) + 1).min(total);
    let last = (offset(page, size) + u64::from(size)).min(total);
    format!("{first}–{last} of {total} · page {page} of {pages}")
}

/// Where a page past the end went: (the page asked for, the last page shown instead).
pub type Clamped = RwSignal<Option<(u32, u32)>>;

/// Called when `asked`'s page of a `total`-item list has loaded: past the end, it
/// goes to the last page (`replace_with` replaces the URL) and remembers why; once
/// the operator moves on to another page, the reason is forgotten. An answer for a
/// page the operator has already left (`showing` is another page, or the list is
/// gone) changes nothing.
pub fn settle(
    asked: u32,
    size: u32,
    total: u64,
    showing: Signal<u32>,
    clamped: Clamped,
    replace_with: Callback<u32>,
) {
    if showing.try_get_untracked() != Some(asked) {
        return;
    }
    match clamp(asked, size, total) {
        Some(last) => {
            clamped.try_set(Some((asked, last)));
            replace_with.try_run(last);
        }
        None => {
            if clamped
                .try_get_untracked()
                .flatten()
                .is_some_and(|(_, to)| to != asked)
            {
                clamped.try_set(None);
            }
        }
    }
}

/// Tells the operator their page did not exist.
pub fn clamp_notice(clamped: Clamped) -> impl IntoView {
    move || {
        clamped.get().map(|(asked, last)| {
            view! {
                <p class="notice" role="status">
                    {format!("There is no page {asked}; showing the last page, {last}.")}
                </p>
            }
        })
    }
}

/// Previous/next with "page X of Y"; `on_page` gets the 1-based page to show.
#[component]
pub fn Pagination(page: u32, size: u32, total: u64, on_page: Callback<u32>) -> impl IntoView {
    let pages = page_count(total, size);
    view! {
        <nav class="pagination" aria-label="Pagination">
            <button type="button" class="button" disabled={page <= 1} on:click=move |_| on_page.run(page.saturating_sub(1).max(1))>
                "Previous"
            </button>
            <span class="page-info">{describe(page, size, total)}</span>
            <button type="button" class="button" disabled={page >= pages} on:click=move |_| on_page.run(page.saturating_add(1))>
                "Next"
            </button>
        </nav>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_param_takes_digits_and_saturates() {
        assert_eq!(page_param(Some("3")), 3);
        for bad in [
            None,
            Some(""),
            Some("0"),
            Some("-1"),
            Some("x"),
            Some("2x"),
            Some("1.5"),
        ] {
            assert_eq!(page_param(bad), 1, "{bad:?}");
        }
        assert_eq!(page_param(Some("99999999999999999999999")), u32::MAX);
    }

    #[test]
    fn pages_and_offsets_never_overflow() {
        assert_eq!(page_count(0, 25), 1);
        assert_eq!(page_count(251, 25), 11);
        assert_eq!(page_count(u64::MAX, 1), u32::MAX);
        assert_eq!(page_count(10, 0), 10, "a zero size counts as one");
        assert_eq!(offset(3, 50), 100);
        assert_eq!(offset(u32::MAX, 200), (u64::from(u32::MAX) - 1) * 200);
        assert_eq!(offset(0, 50), 0);
    }

    #[test]
    fn past_the_end_clamps_to_the_last_page() {
        assert_eq!(clamp(999, 20, 40), Some(2));
        assert_eq!(
            clamp(3, 20, 40),
            Some(2),
            "the last row of page 3 was deleted"
        );
        assert_eq!(clamp(2, 20, 40), None);
        assert_eq!(clamp(u32::MAX, 20, 40), Some(2));
        assert_eq!(clamp(5, 20, 0), Some(1), "an empty list has one page");
    }

    #[test]
    fn the_range_is_always_sane() {
        assert_eq!(describe(5, 10, 120), "41–50 of 120 · page 5 of 12");
        assert_eq!(describe(12, 10, 115), "111–115 of 115 · page 12 of 12");
        assert_eq!(
            describe(3, 20, 40),
            "21–40 of 40 · page 2 of 2",
            "never 41–40"
        );
        assert_eq!(describe(1, 25, 0), "0–0 of 0 · page 1 of 1");
    }
}

//! The audit log's tamper check, as the page states it: up to which entry the hash chain is
//! verified, or where it breaks. A broken chain is said plainly and first, never softened.

use leptos::prelude::*;

use crate::infra::api::types::ChainCheck;
use crate::infra::api::use_api;
use crate::infra::loader::Loader;

/// The class and the sentence for what a check found.
pub fn summary(check: &ChainCheck) -> (&'static str, String) {
    let range = |from: Option<u64>, through: u64| match from {
        Some(from) if from < through => format!("entries #{from}–#{through}"),
        _ => format!("entry #{through}"),
    };
    if let Some(broken) = check.broken_at {
        let held = match check.verified_through {
            Some(through) => format!(
                " Verified before it: {}.",
                range(check.verified_from, through)
            ),
            None => String::new(),
        };
        return (
            "chain-check broken",
            format!(
                "Tamper check failed at entry #{broken}: it does not follow from the entry before \
                 it. One of the two was changed, removed or inserted after it was written.{held}"
            ),
        );
    }
    match check.verified_through {
        Some(through) => (
            "chain-check intact",
            format!(
                "Tamper check passed: {} verified, the hash chain is intact.",
                range(check.verified_from, through)
            ),
        ),
        None => (
            "chain-check",
            "Tamper check: no entry to verify yet.".to_owned(),
        ),
    }
}

/// The check's line on the audit page, with a button to run it again.
#[component]
pub fn ChainStatus() -> impl IntoView {
    let api = use_api();
    let check =
        Loader::new(move || async move { api.get::<ChainCheck>("/admin/audit/verify").await });
    view! {
        <div class="chain-status" data-testid="audit-chain">
            {move || match check.get() {
                None => view! { <p class="chain-check" aria-busy="true">"Checking the log's hash chain…"</p> }.into_any(),
                Some(Err(e)) => view! {
                    <p class="chain-check broken" role="alert">{format!("The tamper check could not run: {}", e.message())}</p>
                }.into_any(),
                Some(Ok(found)) => {
                    let (class, text) = summary(&found);
                    let broken = found.broken_at.is_some();
                    view! {
                        <p class=class role=broken.then_some("alert")>{text}</p>
                        {found.head.map(|head| view! {
                            <p class="chain-head">"Newest hash: "<code>{head}</code></p>
                        })}
                    }.into_any()
                }
            }}
            <div class="action-bar">
                <button type="button" class="button" on:click=move |_| check.refetch()>"Check again"</button>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(from: Option<u64>, through: Option<u64>, broken: Option<u64>) -> ChainCheck {
        ChainCheck {
            verified_from: from,
            verified_through: through,
            checked: 0,
            broken_at: broken,
            head: None,
        }
    }

    #[test]
    fn an_intact_chain_names_the_range_verified() {
        let (class, text) = summary(&check(Some(1), Some(1204), None));
        assert_eq!(class, "chain-check intact");
        assert_eq!(
            text,
            "Tamper check passed: entries #1–#1204 verified, the hash chain is intact."
        );
        let (_, one) = summary(&check(Some(7), Some(7), None));
        assert!(one.contains("entry #7 verified"), "{one}");
    }

    #[test]
    fn a_broken_chain_says_where_first_and_what_held_before_it() {
        let (class, text) = summary(&check(Some(1), Some(41), Some(42)));
        assert_eq!(class, "chain-check broken");
        assert!(
            text.starts_with("Tamper check failed at entry #42:"),
            "{text}"
        );
        assert!(
            text.ends_with("Verified before it: entries #1–#41."),
            "{text}"
        );
        let (_, first) = summary(&check(None, None, Some(1)));
        assert!(!first.contains("Verified before"), "{first}");
    }

    #[test]
    fn an_empty_log_is_not_called_verified() {
        let (class, text) = summary(&check(None, None, None));
        assert_eq!(class, "chain-check");
        assert!(!text.contains("passed"), "{text}");
    }
}

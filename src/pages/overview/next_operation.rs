//! The next scheduled operation, counting down, so an operator opening the console sees
//! what is planned before it happens.

use leptos::prelude::*;

use crate::pages::schedules::watch::use_schedules;
use crate::routes::Route;
use crate::ui::format;

#[component]
pub fn NextOperation() -> impl IntoView {
    let schedules = use_schedules();
    let next = schedules.next();
    let loaded = Memo::new(move |_| schedules.latest.with(Option::is_some));
    move || {
        loaded.get().then(|| match next.get() {
            Some(step) => {
                let left = schedules.until_ms(step.due_at);
                view! {
                    <section class="next-operation" aria-labelledby="next-operation-heading" data-testid="next-operation">
                        <h2 id="next-operation-heading">"Next scheduled"</h2>
                        <p>
                            <strong>{step.description.clone()}</strong>
                            {format!(" · “{}” at {}", step.schedule_name, format::local_time(step.due_at))}
                        </p>
                        <p class="countdown" aria-live="off">
                            {move || {
                                let ms = left.try_get().unwrap_or_default();
                                if ms > 0.0 {
                                    format!("in {}", format::remaining(ms))
                                } else {
                                    "due now".to_owned()
                                }
                            }}
                        </p>
                        <a href=Route::Schedules.href()>"All schedules"</a>
                    </section>
                }
                .into_any()
            }
            None => view! {
                <section class="next-operation" aria-labelledby="next-operation-heading" data-testid="next-operation">
                    <h2 id="next-operation-heading">"Next scheduled"</h2>
                    <p>"Nothing is scheduled. "<a href=Route::Schedules.href()>"Plan maintenance"</a></p>
                </section>
            }
            .into_any(),
        })
    }
}

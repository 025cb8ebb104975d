use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    crate::infra::polling::set_title("Not found");
    view! {
        <section class="page not-found">
            <h1>"Page not found"</h1>
            <p>"There is no such page in the Galaxy admin dashboard."</p>
            <a href=crate::routes::Route::Overview.href()>"Go to the overview"</a>
        </section>
    }
}

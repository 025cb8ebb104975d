//! Galaxy admin dashboard: a client-side Leptos app served at `/admin/`.
//!
//! Three kinds of module, each in its folder, each depending only on the ones before it:
//! `infra` (the gateway client, session, settings, timers), `ui` (building blocks with no
//! knowledge of Galaxy), `pages` (one folder per area, owning that area's logic). `app` wires
//! them into the router and the shell; `routes` is the single source of every path.

mod app;
mod infra;
mod pages;
mod routes;
mod ui;

fn main() {
    infra::panic::install();
    app::start();
}

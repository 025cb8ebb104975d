//! Galaxy admin dashboard: a client-side Leptos app served at `/admin/`.
//!
//! Modules by kind, each depending only on the ones listed before it: `infra`
//! (the gateway client, session, settings, loading, timers), `routes` (the single
//! source of every path), `ui` (building blocks with no knowledge of Galaxy),
//! `pages` (one module or folder per area, owning that area's logic), and `app`,
//! which wires them into the router and the shell.

mod app;
mod infra;
mod pages;
mod routes;
mod ui;

fn main() {
    infra::panic::install();
    app::start();
}

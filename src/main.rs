//! Galaxy admin dashboard: a client-side Leptos app served at `/admin/`.

mod api;
mod app;
mod components;
mod config;
mod config_rules;
mod format;
mod jwt;
mod mutation;
mod pages;
mod panic;
mod polling;
mod query;
mod semver;
mod session;
mod status;
mod theme;
mod toast;
mod versions;

fn main() {
    panic::install();
    app::start();
}

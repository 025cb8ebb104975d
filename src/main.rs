//! Galaxy admin dashboard: a client-side Leptos app served at `/admin/`.

mod api;
mod app;
mod components;
mod config;
mod format;
mod jwt;
mod pages;
mod panic;
mod polling;
mod session;
mod status;

fn main() {
    panic::install();
    app::start();
}

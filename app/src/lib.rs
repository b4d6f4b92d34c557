//! Terminal Fleet's Leptos application: one module per feature (wire types, server functions,
//! pages, and its server half in `<feature>::ssr`), and the server-only layer they share in
//! `ssr`. Server-only code sits behind `#[cfg(feature = "ssr")]` so it never reaches the wasm.

#![recursion_limit = "256"]

pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod components;
pub mod configurations;
pub mod connections;
pub mod dashboard;
pub mod error;
pub mod fleet;
pub mod frame;
pub mod groups;
pub mod live;
pub mod members;
pub mod model;
pub mod money;
pub mod notifications;
pub mod pages;
pub mod payments;
pub mod shell;
pub mod stores;
pub mod support;
pub mod time_fmt;
pub mod topic;
pub mod validate;

#[cfg(feature = "ssr")]
pub mod ssr;

pub use shell::{shell, App};

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Leptos' script hydrates each island after this returns, in microtasks; a timer runs after
    // all of them.
    leptos::mount::hydrate_islands();
    leptos::prelude::set_timeout(mark_hydrated, std::time::Duration::ZERO);
}

/// When the page started answering to clicks (ms since navigation start), on `<html>`, for the
/// first-load benchmark and for tests that must act only on a hydrated page.
#[cfg(feature = "hydrate")]
fn mark_hydrated() {
    if let (Some(root), Some(performance)) = (
        leptos::prelude::document().document_element(),
        leptos::prelude::window().performance(),
    ) {
        let _ = root.set_attribute("data-hydrated", &format!("{:.0}", performance.now()));
    }
}

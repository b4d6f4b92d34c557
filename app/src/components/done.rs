//! Whether a form's action succeeded, also on the page the server renders right after the form
//! was posted without the app's JavaScript (before hydration, or with islands): the server
//! leaves a cookie naming the server function for that one page (`server/src/middleware/
//! done_flash.rs`).

use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// The cookie naming the server function that just succeeded.
pub const COOKIE: &str = "fleet_done";

/// Where every server function is served, before its name.
pub const SF_PREFIX: &str = "/sf/";

/// Whether `action`'s last attempt succeeded: its value once it ran in this page, else whether
/// the form post this page answers succeeded.
pub fn succeeded<S>(action: ServerAction<S>) -> Signal<bool>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    // Read on the server and handed to the browser with the page, so both render the same.
    // With islands the page is the server's alone.
    #[cfg(not(feature = "islands"))]
    let flashed = leptos::server::SharedValue::new(|| flashed(S::PATH)).into_inner();
    #[cfg(feature = "islands")]
    let flashed = flashed(S::PATH);
    Signal::derive(move || match action.value().get() {
        Some(result) => result.is_ok(),
        None => flashed,
    })
}

#[cfg(feature = "ssr")]
fn flashed(path: &str) -> bool {
    let Some(name) = path.strip_prefix(SF_PREFIX) else {
        return false;
    };
    let Some(parts) = use_context::<http::request::Parts>() else {
        return false;
    };
    parts
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .any(|(k, v)| k == COOKIE && v == name)
}

#[cfg(not(feature = "ssr"))]
fn flashed(_: &str) -> bool {
    false
}

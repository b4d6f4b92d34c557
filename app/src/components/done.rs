//! Whether a form's action succeeded, on the page the server renders right after the form was
//! posted (as plain HTML, or in the background by `live/forms.rs`): the server leaves a cookie
//! naming the server function for that one page (`server/src/middleware/
//! done_flash.rs`).

use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// The cookie naming the server function that just succeeded.
pub const COOKIE: &str = "fleet_done";

/// Where every server function is served, before its name.
pub const SF_PREFIX: &str = "/sf/";

/// Sent by the app's own background form post (islands): answer where the form leads in
/// [`LOCATION_HEADER`] instead of redirecting there. A `fetch` that follows a redirect cannot
/// tell "the post failed" from "its next page could not be loaded" (one on Stripe's site), and
/// posting again would do the action twice.
pub const FORM_HEADER: &str = "x-fleet-form";

/// Where the form leads, in the answer to a post marked with [`FORM_HEADER`].
pub const LOCATION_HEADER: &str = "x-fleet-location";

/// Whether `action`'s last attempt succeeded: its value once it ran, else whether the form post
/// the page answers was `S` and succeeded.
pub fn succeeded<S>(action: ServerAction<S>) -> Signal<bool>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let flashed = just_done::<S>();
    Signal::derive(move || match action.value().get() {
        Some(result) => result.is_ok(),
        None => flashed,
    })
}

/// Whether the page is rendered right after a form post to `S` succeeded. Pages are rendered
/// on the server alone (islands), so only the server reads it.
pub fn just_done<S: ServerFn>() -> bool {
    #[cfg(feature = "ssr")]
    return S::PATH
        .strip_prefix(SF_PREFIX)
        .is_some_and(|name| flashed_name().as_deref() == Some(name));
    #[cfg(not(feature = "ssr"))]
    false
}

/// The server function named by the request's flash cookie.
#[cfg(feature = "ssr")]
fn flashed_name() -> Option<String> {
    let parts = use_context::<http::request::Parts>()?;
    parts
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

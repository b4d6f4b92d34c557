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

/// Sent by the app's own background form post (islands): answer where the form leads in
/// [`LOCATION_HEADER`] instead of redirecting there. A `fetch` that follows a redirect cannot
/// tell "the post failed" from "its next page could not be loaded" (one on Stripe's site), and
/// posting again would do the action twice.
pub const FORM_HEADER: &str = "x-fleet-form";

/// Where the form leads, in the answer to a post marked with [`FORM_HEADER`].
pub const LOCATION_HEADER: &str = "x-fleet-location";

/// Whether `action`'s last attempt succeeded: its value once it ran in this page, else whether
/// the form post this page answers succeeded.
pub fn succeeded<S>(action: ServerAction<S>) -> Signal<bool>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let flashed = flashed(S::PATH);
    Signal::derive(move || match action.value().get() {
        Some(result) => result.is_ok(),
        None => flashed,
    })
}

/// The server function the page answers, in the page's head, where the hydrating browser reads
/// it (the cookie is gone by then): the server and the browser then render the same.
pub fn head_marker() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        let path = use_context::<http::request::Parts>().map(|p| p.uri.path().to_string());
        flashed_name().map(|name| view! { <meta name=MARKER content=name data-path=path/> })
    }
}

/// The `name` of the head's marker.
const MARKER: &str = "fleet-done";

fn flashed(path: &str) -> bool {
    let Some(name) = path.strip_prefix(SF_PREFIX) else {
        return false;
    };
    #[cfg(feature = "ssr")]
    return flashed_name().as_deref() == Some(name);
    // Only on the page it was rendered for: after moving on in the app, the head is the same
    // but the answer is not.
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    return document()
        .query_selector(&format!("meta[name={MARKER}]"))
        .ok()
        .flatten()
        .is_some_and(|meta| {
            meta.get_attribute("content").as_deref() == Some(name)
                && meta.get_attribute("data-path") == window().location().pathname().ok()
        });
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        let _ = name;
        false
    }
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

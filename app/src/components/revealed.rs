//! A secret handed to a page after a form sent before hydration: the server keeps it behind a
//! one-time token in the redirect's URL (see `crate::ssr::reveal`), and the page asks for it once.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The query parameter that carries the token.
pub const PARAM: &str = "reveal";

/// The page's one-time token ("" when it has none), for a resource's source.
pub fn token() -> impl Fn() -> String + Send + Sync + Copy + 'static {
    let query = use_query_map();
    move || query.read().get(PARAM).unwrap_or_default()
}

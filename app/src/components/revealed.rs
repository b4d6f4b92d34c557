//! A secret handed to a page after a form sent before hydration: the server keeps it behind a
//! one-time token in the redirect's URL (see `crate::ssr::reveal`), and the page asks for it once.

use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{de::DeserializeOwned, Serialize};
use std::future::Future;

/// The query parameter that carries the token.
pub const PARAM: &str = "reveal";

/// The page's one-time token ("" when it has none), for a resource's source.
fn token() -> impl Fn() -> String + Send + Sync + Copy + 'static {
    let query = use_query_map();
    move || query.read().get(PARAM).unwrap_or_default()
}

/// The secret behind the page's token, asked for once with `fetch` (the page's server
/// function); nothing when the page has no token or the secret was already taken. Make it once
/// per page, outside anything that may render twice: a second ask finds nothing.
pub fn kept<T, F, Fut>(fetch: F) -> Resource<Option<T>>
where
    T: Clone + Serialize + DeserializeOwned + Send + Sync + 'static,
    F: Fn(String) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Result<Option<T>, AppError>> + Send + 'static,
{
    Resource::new(token(), move |token| async move {
        if token.is_empty() {
            return None;
        }
        fetch(token).await.ok().flatten()
    })
}

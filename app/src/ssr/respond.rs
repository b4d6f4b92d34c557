//! Turns a service result into a server function's answer with the right HTTP status.

use crate::error::AppError;

/// Sets the response status from the error. Plain HTML form posts (no JavaScript yet) are left
/// alone: Leptos answers them with a redirect carrying the error, and a 4xx would stop the
/// browser from following it.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(err) = &result {
        let accepts_html = leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|parts| {
                parts
                    .headers
                    .get(http::header::ACCEPT)
                    .and_then(|v| v.to_str().ok())
                    .map(|v| v.contains("text/html"))
            })
            .unwrap_or(false);
        if !accepts_html {
            if let (Some(options), Ok(status)) = (
                leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
                http::StatusCode::from_u16(err.status()),
            ) {
                options.set_status(status);
            }
        }
    }
    result
}

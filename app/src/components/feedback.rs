//! Error panels, flash messages and empty states.

use crate::error::AppError;
use leptos::prelude::*;

/// Shows an error in place of a page's content. On the server it also sets the HTTP status, so a
/// forbidden or missing page answers 403/404 rather than 200; a redirect already chosen (the
/// frame sending a signed-out visitor to sign in) stands.
#[component]
pub fn ErrorView(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let (Some(options), Ok(status)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            http::StatusCode::from_u16(error.status()),
        ) {
            let redirecting = options
                .0
                .read()
                .is_ok_and(|parts| parts.status.is_some_and(|s| s.is_redirection()));
            if !redirecting {
                options.set_status(status);
            }
        }
    }
    let (title, hint) = match &error {
        AppError::Unauthenticated => (
            "Signed out",
            Some(view! { <a href="/login">"Sign in again"</a> }.into_any()),
        ),
        AppError::Forbidden(_) => (
            "Not allowed",
            Some(view! { <a href="/">"Back to the overview"</a> }.into_any()),
        ),
        AppError::NotFound(_) => (
            "Not found",
            Some(view! { <a href="/">"Back to the overview"</a> }.into_any()),
        ),
        _ => ("Something went wrong", None),
    };
    view! {
        <section class="panel error-panel" role="alert">
            <h2>{title}</h2>
            <p>{error.to_string()}</p>
            {hint.map(|h| view! { <p>{h}</p> })}
        </section>
    }
}

/// The message of a failed action, shown above a form (`role=alert` so screen readers say it).
#[component]
pub fn ActionError<T, S>(value: S) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    move || {
        value.get().and_then(|r| r.err()).map(|err| {
            view! { <div class="flash flash-error" role="alert">{err.to_string()}</div> }
        })
    }
}

/// The error for one form field, if the last attempt failed on that field.
pub fn field_error<T, S>(
    value: S,
    field: &'static str,
) -> impl Fn() -> Option<String> + Send + Sync + Copy + 'static
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + Copy + 'static,
{
    move || match value.get() {
        Some(Err(err)) => err.field_message(field),
        _ => None,
    }
}

/// What to do when a list is empty: a sentence and, when useful, the next step.
#[component]
pub fn EmptyState(
    title: &'static str,
    #[prop(into)] text: String,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="empty-state">
            <div class="empty-icon" aria-hidden="true">"◌"</div>
            <h3>{title}</h3>
            <p>{text}</p>
            {children.map(|c| c())}
        </div>
    }
}

#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="loading" aria-live="polite">"Loading…"</p> }
}

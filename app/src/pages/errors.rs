use crate::components::feedback::ErrorView;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <Title text="Not found"/>
        <main class="auth-page">
            <div class="auth-card">
                <h1>"Page not found"</h1>
                <ErrorView error=AppError::NotFound("There is no page at this address.".into())/>
            </div>
        </main>
    }
}

#[component]
pub fn ForbiddenPage() -> impl IntoView {
    view! {
        <Title text="Not allowed"/>
        <ErrorView error=AppError::forbidden()/>
    }
}

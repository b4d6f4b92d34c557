//! The tabs of Settings, shared by every settings page (each feature owns its own tab's page).

use leptos::prelude::*;

#[component]
pub fn SettingsTabs(current: &'static str) -> impl IntoView {
    let tab = move |href: &'static str, label: &'static str| {
        view! { <a href=href aria-current=(current == href).then_some("page")>{label}</a> }
    };
    view! {
        <div class="page-header"><h1>"Settings"</h1></div>
        <div class="tabs" role="navigation" aria-label="Settings sections">
            {tab("/settings", "Account")}
            {tab("/settings/members", "Members")}
            {tab("/settings/stripe", "Stripe")}
            {tab("/settings/configurations", "Reader configurations")}
            {tab("/settings/api-keys", "API keys")}
            {tab("/settings/support", "Support access")}
            {tab("/settings/notifications", "Notifications")}
        </div>
    }
}

//! The HTML document, the router and the signed-in frame (header, navigation).

use crate::audit::AuditPage;
use crate::auth::{LoginPage, SettingsPage, SignupPage};
use crate::connections::StripeSettingsPage;
use crate::dashboard::{OverviewPage, ReaderPage};
use crate::fleet::{LocationPage, LocationsPage, ReadersPage};
use crate::frame::Frame;
use crate::members::{InvitePage, MembersPage};
use crate::pages::{ForbiddenPage, NotFound};
use crate::payments::{EventsPage, TransactionPage, TransactionsPage};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, SsrMode};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                // Named with its content hash in a release build, so browsers keep it for good.
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        // Sends the page's forms in the background once it has hydrated.
        <crate::live::FormSender/>
        <Title formatter=|text: String| {
            if text.is_empty() { "Terminal Fleet".to_string() } else { format!("{text} · Terminal Fleet") }
        }/>
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                <Route path=path!("/signup") view=SignupPage ssr=SsrMode::Async/>
                <Route path=path!("/invite/:token") view=InvitePage ssr=SsrMode::Async/>
                <ParentRoute path=path!("") view=Frame ssr=SsrMode::Async>
                    <Route path=path!("") view=OverviewPage ssr=SsrMode::Async/>
                    <Route path=path!("/stores") view=crate::stores::StoresPage ssr=SsrMode::Async/>
                    <Route path=path!("/locations") view=LocationsPage ssr=SsrMode::Async/>
                    <Route path=path!("/locations/groups") view=crate::groups::StoreGroupsPage ssr=SsrMode::Async/>
                    <Route path=path!("/locations/:id") view=LocationPage ssr=SsrMode::Async/>
                    <Route path=path!("/readers") view=ReadersPage ssr=SsrMode::Async/>
                    <Route path=path!("/readers/register-many") view=crate::fleet::RegisterManyPage ssr=SsrMode::Async/>
                    <Route path=path!("/readers/bulk") view=crate::fleet::BulkConfirmPage ssr=SsrMode::Async/>
                    <Route path=path!("/readers/jobs/:id") view=crate::fleet::BulkJobPage ssr=SsrMode::Async/>
                    <Route path=path!("/readers/:id") view=ReaderPage ssr=SsrMode::Async/>
                    <Route path=path!("/transactions") view=TransactionsPage ssr=SsrMode::Async/>
                    <Route path=path!("/transactions/:id") view=TransactionPage ssr=SsrMode::Async/>
                    <Route path=path!("/audit") view=AuditPage ssr=SsrMode::Async/>
                    <Route path=path!("/webhook-events") view=EventsPage ssr=SsrMode::Async/>
                    <Route path=path!("/settings") view=SettingsPage ssr=SsrMode::Async/>
                    <Route path=path!("/settings/members") view=MembersPage ssr=SsrMode::Async/>
                    <Route path=path!("/settings/stripe") view=StripeSettingsPage ssr=SsrMode::Async/>
                    <Route path=path!("/settings/configurations") view=crate::configurations::ConfigurationsPage ssr=SsrMode::Async/>
                    <Route path=path!("/settings/api-keys") view=crate::api_keys::ApiKeysPage ssr=SsrMode::Async/>
                    <Route path=path!("/settings/support") view=crate::support::SupportPage ssr=SsrMode::Async/>
                    <Route path=path!("/settings/notifications") view=crate::notifications::NotificationsPage ssr=SsrMode::Async/>
                    <Route path=path!("/forbidden") view=ForbiddenPage ssr=SsrMode::Async/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

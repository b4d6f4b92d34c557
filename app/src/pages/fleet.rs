//! Locations, readers and transactions: their lists arrive with the fleet and payments work;
//! until then each page says what it will hold and what to do first.

use crate::components::feedback::EmptyState;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn LocationsPage() -> impl IntoView {
    view! {
        <Title text="Locations"/>
        <div class="page-header"><h1>"Locations"</h1></div>
        <section class="panel">
            <EmptyState title="No locations yet"
                text="A location is a store or site where readers are installed. Connect Stripe first; locations are created in your Stripe account."/>
        </section>
    }
}

#[component]
pub fn ReadersPage() -> impl IntoView {
    view! {
        <Title text="Readers"/>
        <div class="page-header"><h1>"Readers"</h1></div>
        <section class="panel">
            <EmptyState title="No readers yet"
                text="Readers are registered at a location with the code shown on the device. Add a location first."/>
        </section>
    }
}

#[component]
pub fn TransactionsPage() -> impl IntoView {
    view! {
        <Title text="Transactions"/>
        <div class="page-header"><h1>"Transactions"</h1></div>
        <section class="panel">
            <EmptyState title="No transactions yet"
                text="Payments taken on your readers appear here as soon as Stripe reports them."/>
        </section>
    }
}

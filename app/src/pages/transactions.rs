//! Transactions: the list arrives with the payments work; until then the page says what it
//! will hold.

use crate::components::feedback::EmptyState;
use leptos::prelude::*;
use leptos_meta::Title;

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

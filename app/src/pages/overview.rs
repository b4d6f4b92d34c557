use crate::components::feedback::EmptyState;
use crate::model::{Me, Permission};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn OverviewPage() -> impl IntoView {
    let me = use_context::<Me>();
    let name = me
        .as_ref()
        .map(|m| m.tenant.name.clone())
        .unwrap_or_default();
    let can_manage = me.as_ref().is_some_and(|m| m.can(Permission::ManageFleet));
    view! {
        <Title text="Overview"/>
        <div class="page-header">
            <h1>"Overview"</h1>
            <p class="muted">{name}</p>
        </div>
        <section class="panel">
            <EmptyState
                title="No readers yet"
                text=if can_manage {
                    "Get started in three steps: connect Stripe (or use the built-in simulator), add a location, then register a reader."
                } else {
                    "An admin of this organisation has not set up any readers yet."
                }
            >
                {can_manage.then(|| view! {
                    <ol class="steps">
                        <li><a href="/settings">"Connect Stripe"</a>" — the simulator needs no Stripe account."</li>
                        <li><a href="/locations">"Add a location"</a>" — where your readers are."</li>
                        <li><a href="/readers">"Register a reader"</a>" — try the code "<code>"simulated-wpe"</code>"."</li>
                    </ol>
                })}
            </EmptyState>
        </section>
    }
}

use super::api::{
    list_connections, ConnectSimulator, ConnectStripeKey, RemoveConnection, RotateStripeKey,
    SetWebhookSecret,
};
use crate::components::feedback::{field_error, ActionError, EmptyState, ErrorView, Loading};
use crate::model::{ConnectionKind, ConnectionView, ConnectionsView};
use crate::time_fmt::datetime;
use leptos::prelude::*;
use leptos_meta::Title;

#[derive(Clone, Copy)]
struct Actions {
    simulator: ServerAction<ConnectSimulator>,
    key: ServerAction<ConnectStripeKey>,
    rotate: ServerAction<RotateStripeKey>,
    webhook: ServerAction<SetWebhookSecret>,
    remove: ServerAction<RemoveConnection>,
}

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
        </div>
    }
}

#[component]
pub fn StripeSettingsPage() -> impl IntoView {
    let actions = Actions {
        simulator: ServerAction::<ConnectSimulator>::new(),
        key: ServerAction::<ConnectStripeKey>::new(),
        rotate: ServerAction::<RotateStripeKey>::new(),
        webhook: ServerAction::<SetWebhookSecret>::new(),
        remove: ServerAction::<RemoveConnection>::new(),
    };
    let live = use_context::<crate::live::Live>().map(|l| l.topic("connections"));
    let data = Resource::new(
        move || {
            (
                live.map(|t| t.get()),
                actions.simulator.version().get(),
                actions.key.version().get(),
                actions.rotate.version().get(),
                actions.webhook.version().get(),
                actions.remove.version().get(),
            )
        },
        |_| list_connections(),
    );
    view! {
        <Title text="Stripe"/>
        <SettingsTabs current="/settings/stripe"/>
        <ActionError value=actions.rotate.value()/>
        <ActionError value=actions.webhook.value()/>
        <ActionError value=actions.remove.value()/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <Connections view actions/> }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Connections(view: ConnectionsView, actions: Actions) -> impl IntoView {
    let can_manage = view.can_manage;
    let simulator = view.simulator_available;
    let empty = view.connections.is_empty();
    view! {
        {empty.then(|| view! {
            <section class="panel">
                <EmptyState title="Not connected to Stripe"
                    text="Connect the built-in simulator to try everything with no Stripe account, or your own Stripe account to take real payments."/>
            </section>
        })}
        {view.connections.into_iter().map(|c| view! { <ConnectionCard c can_manage actions/> }).collect_view()}
        {can_manage.then(|| view! { <AddConnection simulator actions/> })}
    }
}

fn mode_badge(c: &ConnectionView) -> (&'static str, &'static str) {
    match (c.kind, c.livemode) {
        (ConnectionKind::Simulator, _) => ("badge mode-sim", "Simulated — no real money"),
        (_, true) => ("badge mode-live", "Live mode — real money"),
        (_, false) => ("badge mode-test", "Test mode"),
    }
}

#[component]
fn ConnectionCard(c: ConnectionView, can_manage: bool, actions: Actions) -> impl IntoView {
    let (badge_class, badge_text) = mode_badge(&c);
    let id = c.id.clone();
    let url_id = format!("webhook-url-{}", c.id);
    let is_key = c.kind == ConnectionKind::Key;
    view! {
        <section class="panel connection" aria-label=format!("Stripe connection {}", c.name)>
            <div class="row-between">
                <h2>{c.name.clone()}</h2>
                <span class=badge_class>{badge_text}</span>
            </div>
            <dl class="facts">
                <dt>"Account"</dt>
                <dd>{c.account_name.clone().unwrap_or_default()} " " <code class="id">{c.account_id.clone()}</code></dd>
                {c.key_hint.clone().filter(|_| is_key).map(|hint| view! { <dt>"Key"</dt><dd><code>{hint}</code></dd> })}
                <dt>"Connected"</dt>
                <dd>{datetime(c.created_at)}</dd>
                <dt>"Webhooks"</dt>
                <dd>{if c.webhook_configured { "Signing secret saved" } else { "No signing secret yet — events will not be verified" }}</dd>
            </dl>
            <label for=url_id.clone()>"Webhook endpoint URL to give Stripe"</label>
            <input id=url_id class="copy-field" type="text" readonly value=c.webhook_url.clone()/>
            {(can_manage && is_key).then(|| {
                let (rid, wid) = (id.clone(), id.clone());
                let rotate_field = format!("rotate-{id}");
                let secret_field = format!("whsec-{id}");
                view! {
                    <div class="grid-form connection-forms">
                        <ActionForm action=actions.rotate attr:class="stack">
                            <input type="hidden" name="connection_id" value=rid/>
                            <label for=rotate_field.clone()>"New secret key (rotate)"</label>
                            <input id=rotate_field type="password" name="secret_key" autocomplete="off" required/>
                            <button type="submit" class="button small">"Rotate key"</button>
                        </ActionForm>
                        <ActionForm action=actions.webhook attr:class="stack">
                            <input type="hidden" name="connection_id" value=wid/>
                            <label for=secret_field.clone()>"Webhook signing secret (whsec_…)"</label>
                            <input id=secret_field type="password" name="webhook_secret" autocomplete="off" required/>
                            <button type="submit" class="button small">"Save signing secret"</button>
                        </ActionForm>
                    </div>
                }
            })}
            {can_manage.then(|| view! {
                <ActionForm action=actions.remove attr:class="inline-form end-form">
                    <input type="hidden" name="connection_id" value=id.clone()/>
                    <button type="submit" class="button small danger">"Disconnect"</button>
                </ActionForm>
            })}
        </section>
    }
}

#[component]
fn AddConnection(simulator: bool, actions: Actions) -> impl IntoView {
    let key_error = field_error(actions.key.value(), "secret_key");
    let added = move || matches!(actions.key.value().get(), Some(Ok(_)));
    view! {
        <section class="panel">
            <h2>"Add a connection"</h2>
            <p class="muted">"A franchise can hold several: each store's locations and readers belong to one connection."</p>
            {simulator.then(|| view! {
                <ActionError value=actions.simulator.value()/>
                <ActionForm action=actions.simulator attr:class="grid-form">
                    <div class="field">
                        <label for="sim-name">"Name"</label>
                        <input id="sim-name" type="text" name="name" placeholder="Simulator"/>
                    </div>
                    <div class="field end">
                        <button type="submit" class="button">"Use the built-in simulator"</button>
                    </div>
                </ActionForm>
            })}
            <h3>"Your Stripe account"</h3>
            <p class="help">"Paste a secret key (sk_…) or a restricted key (rk_…) from Dashboard → Developers → API keys. We check it with Stripe before saving, keep it encrypted, and never show it again."</p>
            <Show when=added>
                <div class="flash flash-ok" role="status">"Connected. Stripe accepted the key."</div>
            </Show>
            <div class="flash flash-error" role="alert" hidden=move || key_error().is_none()>{key_error}</div>
            <ActionForm action=actions.key attr:class="grid-form">
                <div class="field">
                    <label for="key-name">"Name"</label>
                    <input id="key-name" type="text" name="name" placeholder="e.g. Downtown store"/>
                </div>
                <div class="field">
                    <label for="secret-key">"Secret key"</label>
                    <input id="secret-key" type="password" name="secret_key" autocomplete="off" required
                        aria-invalid=move || key_error().is_some().to_string()/>
                </div>
                <div class="field end">
                    <button type="submit" class="button primary">"Connect"</button>
                </div>
            </ActionForm>
        </section>
    }
}

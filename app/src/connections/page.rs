use super::api::{
    list_connections, ConnectSimulator, ConnectStripeKey, ConnectWithStripe, ContinueOnboarding,
    CreateStripeAccount, RemoveConnection, RotateStripeKey, SetAlertThreshold, SetRefundRule,
    SetStuckThreshold, SetWebhookSecret,
};
use super::types::{ConnectionView, ConnectionsView};
use crate::components::done::succeeded;
use crate::components::feedback::{field_error, ActionError, EmptyState, ErrorView, Loading};
use crate::model::ConnectionKind;
use crate::time_fmt::datetime;
use crate::time_fmt::datetime_seconds;
use crate::topic::Topic;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[derive(Clone, Copy)]
struct Actions {
    simulator: ServerAction<ConnectSimulator>,
    key: ServerAction<ConnectStripeKey>,
    rotate: ServerAction<RotateStripeKey>,
    webhook: ServerAction<SetWebhookSecret>,
    remove: ServerAction<RemoveConnection>,
    create_account: ServerAction<CreateStripeAccount>,
    oauth: ServerAction<ConnectWithStripe>,
    onboarding: ServerAction<ContinueOnboarding>,
    threshold: ServerAction<SetAlertThreshold>,
    stuck: ServerAction<SetStuckThreshold>,
    refund_rule: ServerAction<SetRefundRule>,
}

pub use crate::components::settings_tabs::SettingsTabs;

#[component]
pub fn StripeSettingsPage() -> impl IntoView {
    let actions = Actions {
        simulator: ServerAction::<ConnectSimulator>::new(),
        key: ServerAction::<ConnectStripeKey>::new(),
        rotate: ServerAction::<RotateStripeKey>::new(),
        webhook: ServerAction::<SetWebhookSecret>::new(),
        remove: ServerAction::<RemoveConnection>::new(),
        create_account: ServerAction::<CreateStripeAccount>::new(),
        oauth: ServerAction::<ConnectWithStripe>::new(),
        onboarding: ServerAction::<ContinueOnboarding>::new(),
        threshold: ServerAction::<SetAlertThreshold>::new(),
        stuck: ServerAction::<SetStuckThreshold>::new(),
        refund_rule: ServerAction::<SetRefundRule>::new(),
    };
    // What Stripe's pages came back with, named by the URL (`?notice=…`), kept by the session.
    let query = use_query_map();
    let notice = move || query.read().get("notice");
    let data = Resource::new(notice, list_connections);
    view! {
        <Title text="Stripe"/>
        <SettingsTabs current="/settings/stripe"/>
        <ActionError value=actions.rotate.value()/>
        <ActionError value=actions.webhook.value()/>
        <ActionError value=actions.remove.value()/>
        <ActionError value=actions.oauth.value()/>
        <ActionError value=actions.onboarding.value()/>
        <crate::live::LiveRegion id="connections" topics=&[Topic::Connections]>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) => view! { <Connections view actions/> }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Suspense>
        </crate::live::LiveRegion>
    }
}

#[component]
fn Connections(view: ConnectionsView, actions: Actions) -> impl IntoView {
    let can_manage = view.can_manage;
    let simulator = view.simulator_available;
    let empty = view.connections.is_empty();
    view! {
        {view.notice.map(|n| {
            let (class, role) = if n.ok { ("flash flash-ok", "status") } else { ("flash flash-error", "alert") };
            view! { <div class=class role=role>{n.text}</div> }
        })}
        {empty.then(|| view! {
            <section class="panel">
                <EmptyState title="Not connected to Stripe"
                    text="Connect the built-in simulator to try everything with no Stripe account, or your own Stripe account to take real payments."/>
            </section>
        })}
        {view.connections.into_iter().map(|c| view! { <ConnectionCard c can_manage actions/> }).collect_view()}
        {can_manage.then(|| view! { <AddConnection simulator platform=view.platform_available oauth=view.oauth_available actions/> })}
        {can_manage.then(|| view! { <AlertSettings minutes=view.alert_minutes stuck_minutes=view.stuck_minutes actions/> })}
        {can_manage.then(|| view! { <RefundRule allowed=view.operators_may_refund actions/> })}
    }
}

fn proof_text(proof: Option<&str>) -> &'static str {
    match proof {
        Some("onboarding") => "Created for this organisation and onboarded through Terminal Fleet",
        Some("oauth") => "Its holder signed in with Stripe and granted access",
        Some("operator") => "Assigned by the platform operator",
        _ => "Unverified, so not in use: it was claimed by typing its id before proof was required. Connect it again with Stripe, or ask the platform operator to assign it.",
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
    let is_connect = c.kind == ConnectionKind::Connect;
    let needs_onboarding = is_connect && !c.onboarded;
    let onboarding_id = c.id.clone();
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
                {is_connect.then(|| view! {
                    <dt>"Proof of control"</dt>
                    <dd>{proof_text(c.proof.as_deref())}</dd>
                    <dt>"Onboarding"</dt>
                    <dd>{if c.onboarded { "Finished" } else { "Not finished — Stripe still needs details before this account can take payments" }}</dd>
                })}
                <dt>"Connected"</dt>
                <dd>{datetime(c.created_at)}</dd>
                <dt>"Reader sync"</dt>
                <dd>{match (c.synced_at, c.sync_error.clone()) {
                    (_, Some(error)) => format!("Failing: {error}"),
                    (Some(at), None) => format!("Last synced {}", datetime_seconds(at)),
                    (None, None) => "Waiting for the first sync".to_string(),
                }}</dd>
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
            {(can_manage && needs_onboarding).then(|| view! {
                <ActionForm action=actions.onboarding attr:class="inline-form">
                    <input type="hidden" name="connection_id" value=onboarding_id/>
                    <button type="submit" class="button small primary">"Continue onboarding at Stripe"</button>
                </ActionForm>
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
fn AddConnection(simulator: bool, platform: bool, oauth: bool, actions: Actions) -> impl IntoView {
    let key_error = field_error(actions.key.value(), "secret_key");
    let added = succeeded(actions.key);
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
            <Show when=move || added.get()>
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
            {platform.then(|| view! { <ConnectedAccountForms oauth actions/> })}
        </section>
    }
}

/// Connected accounts are added only with proof of control: a new account onboarded through
/// us, or an existing one whose holder signs in at Stripe.
#[component]
fn ConnectedAccountForms(oauth: bool, actions: Actions) -> impl IntoView {
    view! {
        <h3>"A Stripe account through this platform (Connect)"</h3>
        <p class="help">"Create a Stripe account for a store: Stripe asks its holder for the business details on its own pages, then sends them back here. Calls use the platform key; the store shares no key."</p>
        <ActionError value=actions.create_account.value()/>
        <ActionForm action=actions.create_account attr:class="grid-form">
            <div class="field">
                <label for="new-acct-name">"Business name"</label>
                <input id="new-acct-name" type="text" name="name" required placeholder="e.g. Airport store"/>
            </div>
            <div class="field">
                <label for="new-acct-country">"Country (two letters)"</label>
                <input id="new-acct-country" type="text" name="country" required value="US" maxlength="2" autocomplete="country"/>
            </div>
            <div class="field end">
                <button type="submit" class="button">"Create and onboard at Stripe"</button>
            </div>
        </ActionForm>
        {oauth.then(|| view! {
            <p class="help">"A store that already has a Stripe account signs in at Stripe and grants this platform access; Stripe then tells us which account it is."</p>
            <ActionForm action=actions.oauth attr:class="grid-form">
                <div class="field">
                    <label for="oauth-name">"Name"</label>
                    <input id="oauth-name" type="text" name="name" placeholder="e.g. Harbour store"/>
                </div>
                <div class="field end">
                    <button type="submit" class="button">"Connect an existing account with Stripe"</button>
                </div>
            </ActionForm>
        })}
    }
}

#[component]
fn AlertSettings(minutes: i64, stuck_minutes: i64, actions: Actions) -> impl IntoView {
    let error = field_error(actions.threshold.value(), "minutes");
    let saved = succeeded(actions.threshold);
    let stuck_error = field_error(actions.stuck.value(), "minutes");
    let stuck_saved = succeeded(actions.stuck);
    view! {
        <section class="panel" aria-labelledby="alerts-heading">
            <h2 id="alerts-heading">"Offline alerts"</h2>
            <p class="help">"A reader offline for longer than this raises an alert on the overview and an entry in the audit log; it clears when the reader is back."</p>
            <Show when=move || saved.get()><div class="flash flash-ok" role="status">"Saved."</div></Show>
            <div class="flash flash-error" role="alert" hidden=move || error().is_none()>{error}</div>
            <ActionForm action=actions.threshold attr:class="grid-form">
                <div class="field">
                    <label for="alert-minutes">"Alert after (minutes)"</label>
                    <input id="alert-minutes" type="number" name="minutes" min="1" max="1440" value=minutes.to_string() required/>
                </div>
                <div class="field end"><button type="submit" class="button">"Save"</button></div>
            </ActionForm>
            <h3 id="stuck-heading">"Stuck actions"</h3>
            <p class="help">"A reader action (a payment waiting for a card, a cart on screen) still in progress after this long raises an alert on the overview and the reader's page, with a button to cancel it."</p>
            <Show when=move || stuck_saved.get()><div class="flash flash-ok" role="status">"Saved."</div></Show>
            <div class="flash flash-error" role="alert" hidden=move || stuck_error().is_none()>{stuck_error}</div>
            <ActionForm action=actions.stuck attr:class="grid-form">
                <div class="field">
                    <label for="stuck-minutes">"Action stuck after (minutes)"</label>
                    <input id="stuck-minutes" type="number" name="minutes" min="1" max="1440" value=stuck_minutes.to_string() required/>
                </div>
                <div class="field end"><button type="submit" class="button">"Save"</button></div>
            </ActionForm>
        </section>
    }
}

#[component]
fn RefundRule(allowed: bool, actions: Actions) -> impl IntoView {
    let saved = succeeded(actions.refund_rule);
    view! {
        <section class="panel" aria-labelledby="refund-rule-heading">
            <h2 id="refund-rule-heading">"Captures and refunds"</h2>
            <p class="help">"Capturing and refunding move money, so they are for owners and admins. API keys need the Payments scope. Operators always start, cancel and take test charges."</p>
            <Show when=move || saved.get()><div class="flash flash-ok" role="status">"Saved."</div></Show>
            <ActionError value=actions.refund_rule.value()/>
            <ActionForm action=actions.refund_rule attr:class="grid-form">
                <div class="field checkbox">
                    <input id="operators-may-refund" type="checkbox" name="operators_may" value="yes" checked=allowed/>
                    <label for="operators-may-refund">"Operators may capture and refund too"</label>
                </div>
                <div class="field end"><button type="submit" class="button">"Save"</button></div>
            </ActionForm>
        </section>
    }
}

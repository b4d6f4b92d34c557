//! Settings → Notifications: endpoints (add, switch on or off, choose events, rotate the
//! secret, delete, send a test) and the delivery log with redelivery. Every button is a form,
//! so the page works before it hydrates; after, it follows deliveries live.

use super::api::{
    notification_settings, revealed_notification_secret, CreateNotificationEndpoint,
    DeleteNotificationEndpoint, RedeliverNotification, RotateNotificationSecret,
    SendTestNotification, UpdateNotificationEndpoint,
};
use super::types::{
    DeliveryView, EndpointSecret, EndpointView, NotificationsView, DECLINES_AT_LEAST,
    DECLINE_WINDOW_MINUTES, DECLINE_WINDOW_PAYMENTS, EVENT_GROUPS,
};
use crate::components::feedback::{field_error, ActionError, EmptyState, ErrorView, Loading};
use crate::components::revealed;
use crate::error::AppError;
use crate::time_fmt::{ago, datetime_seconds};
use crate::topic::Topic;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[derive(Clone, Copy)]
struct Actions {
    create: ServerAction<CreateNotificationEndpoint>,
    update: ServerAction<UpdateNotificationEndpoint>,
    rotate: ServerAction<RotateNotificationSecret>,
    delete: ServerAction<DeleteNotificationEndpoint>,
    test: ServerAction<SendTestNotification>,
    redeliver: ServerAction<RedeliverNotification>,
}

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let actions = Actions {
        create: ServerAction::new(),
        update: ServerAction::new(),
        rotate: ServerAction::new(),
        delete: ServerAction::new(),
        test: ServerAction::new(),
        redeliver: ServerAction::new(),
    };
    let query = use_query_map();
    let endpoint = move || query.read().get("endpoint").unwrap_or_default();
    let data = Resource::new(endpoint, notification_settings);
    view! {
        <Title text="Notifications"/>
        <crate::connections::SettingsTabs current="/settings/notifications"/>
        <ActionError value=actions.update.value()/>
        <ActionError value=actions.delete.value()/>
        <ActionError value=actions.test.value()/>
        <ActionError value=actions.redeliver.value()/>
        <ActionError value=actions.rotate.value()/>
        <SecretShown value=actions.rotate.value()/>
        <Revealed/>
        <crate::live::LiveRegion id="endpoints" topics=&[Topic::Notifications]>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) => view! { <Body view actions/> }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Transition>
        </crate::live::LiveRegion>
    }
}

/// A new signing secret, shown once.
#[component]
fn SecretShown<S>(value: S) -> impl IntoView
where
    S: Get<Value = Option<Result<EndpointSecret, AppError>>> + Send + Sync + 'static,
{
    move || value.get().and_then(Result::ok).map(secret_flash)
}

/// A secret made by a form sent before hydration (created or rotated), shown once.
#[component]
fn Revealed() -> impl IntoView {
    let kept = revealed::kept(revealed_notification_secret);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move { kept.await.map(secret_flash) })}
        </Suspense>
    }
}

fn secret_flash(shown: EndpointSecret) -> impl IntoView {
    let field = format!("secret-{}", shown.endpoint_id);
    view! {
        <div class="flash flash-ok" role="status">
            <p>"Copy the signing secret now: it will not be shown again. Check each notification's "<code>"Terminal-Fleet-Signature"</code>" header with it, as you would Stripe's."</p>
            <label for=field.clone()>"Signing secret"</label>
            <input id=field class="copy-field" type="text" readonly value=shown.secret/>
        </div>
    }
}

#[component]
fn Body(view: NotificationsView, actions: Actions) -> impl IntoView {
    let can_manage = view.can_manage;
    let empty = view.endpoints.is_empty();
    let now = view.now;
    view! {
        {can_manage.then(|| view! { <AddEndpoint actions allows_http=view.allows_http/> })}
        <section class="panel" aria-labelledby="endpoints-heading">
            <h2 id="endpoints-heading">"Endpoints"</h2>
            <p class="help">{format!(
                "Each notification is a JSON POST signed like Stripe's webhooks (timestamp and HMAC-SHA256). Failed deliveries are retried with growing waits for a day. Declines are reported when {DECLINES_AT_LEAST} of a location's last {DECLINE_WINDOW_PAYMENTS} payments within {DECLINE_WINDOW_MINUTES} minutes were declined."
            )}</p>
            {empty.then(|| view! {
                <EmptyState title="No notification endpoints"
                    text="Add a URL above to hear about offline readers, stuck actions, declines and failing webhooks."/>
            })}
            {view.endpoints.into_iter().map(|e| view! { <Endpoint e can_manage actions/> }).collect_view()}
        </section>
        <section class="panel" aria-labelledby="deliveries-heading">
            <div class="row-between">
                <h2 id="deliveries-heading">"Delivery log"</h2>
                <a class="button small" href="/settings/notifications">"All endpoints"</a>
            </div>
            {if view.deliveries.is_empty() {
                view! { <p class="muted">"Nothing sent yet."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table>
                            <thead><tr>
                                <th scope="col">"Event"</th>
                                <th scope="col">"Endpoint"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col">"Attempts"</th>
                                <th scope="col">"Last answer"</th>
                                <th scope="col">"Created"</th>
                                {can_manage.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}
                            </tr></thead>
                            <tbody>
                                {view.deliveries.into_iter().map(|d| view! { <Delivery d now can_manage actions/> }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn AddEndpoint(actions: Actions, allows_http: bool) -> impl IntoView {
    let url_error = field_error(actions.create.value(), "url");
    let events_error = field_error(actions.create.value(), "events");
    view! {
        <section class="panel" aria-labelledby="add-endpoint-heading">
            <h2 id="add-endpoint-heading">"Add an endpoint"</h2>
            <SecretShown value=actions.create.value()/>
            <ActionError value=actions.create.value()/>
            <ActionForm action=actions.create attr:class="stack">
                <div class="field">
                    <label for="endpoint-url">"URL"</label>
                    <input id="endpoint-url" name="url" type="url" required maxlength="2048"
                        placeholder="https://example.com/fleet-alerts"
                        aria-invalid=move || url_error().is_some().to_string()
                        aria-describedby="endpoint-url-help endpoint-url-error"/>
                    <span id="endpoint-url-help" class="help">{if allows_http {
                        "https:// (http:// is accepted in development)."
                    } else {
                        "An https:// URL on the public internet."
                    }}</span>
                    <span id="endpoint-url-error" class="field-error" role="alert">{url_error}</span>
                </div>
                <fieldset aria-describedby="endpoint-events-error">
                    <legend>"Send"</legend>
                    {EVENT_GROUPS.iter().map(|(name, label, _)| {
                        let id = format!("new-endpoint-{name}");
                        view! {
                            <div class="field checkbox">
                                <input id=id.clone() type="checkbox" name=*name value="yes" checked=true/>
                                <label for=id>{*label}</label>
                            </div>
                        }
                    }).collect_view()}
                    <span id="endpoint-events-error" class="field-error" role="alert">{events_error}</span>
                </fieldset>
                <div><button type="submit" class="button primary">"Add endpoint"</button></div>
            </ActionForm>
        </section>
    }
}

#[component]
fn Endpoint(e: EndpointView, can_manage: bool, actions: Actions) -> impl IntoView {
    let heading = format!("endpoint-{}", e.id);
    let labelled_by = heading.clone();
    let log = format!("/settings/notifications?endpoint={}", e.id);
    let state = if e.enabled { "On" } else { "Off" };
    let kinds = EVENT_GROUPS
        .iter()
        .filter(|(name, _, _)| e.has_group(name))
        .map(|(_, label, _)| *label)
        .collect::<Vec<_>>()
        .join(" · ");
    view! {
        <article class="endpoint" aria-labelledby=labelled_by>
            <div class="row-between">
                <h3 id=heading><code>{e.url.clone()}</code></h3>
                <span class=if e.enabled { "badge status-online" } else { "badge status-offline" }>{state}</span>
            </div>
            <p class="muted small">{kinds}{format!(" · {} waiting · {} failed · ", e.pending, e.failed)}<a href=log>"Its deliveries"</a></p>
            {can_manage.then(|| view! { <EndpointForms e actions/> })}
        </article>
    }
}

#[component]
fn EndpointForms(e: EndpointView, actions: Actions) -> impl IntoView {
    let id = e.id.clone();
    let field = move |name: &str| format!("endpoint-{}-{name}", id);
    let groups: Vec<(&str, &str, bool)> = EVENT_GROUPS
        .iter()
        .map(|(name, label, _)| (*name, *label, e.has_group(name)))
        .collect();
    let (enabled, url) = (e.enabled, e.url.clone());
    let (test_id, rotate_id, delete_id) = (e.id.clone(), e.id.clone(), e.id.clone());
    let (test_label, rotate_label, delete_label) = (
        format!("Send a test to {url}"),
        format!("Rotate the secret of {url}"),
        format!("Delete {url}"),
    );
    view! {
        <ActionForm action=actions.update attr:class="grid-form">
            <input type="hidden" name="id" value=e.id/>
            <div class="field checkbox">
                <input id=field("enabled") type="checkbox" name="enabled" value="yes" checked=enabled/>
                <label for=field("enabled")>"On"</label>
            </div>
            {groups.into_iter().map(|(name, label, on)| view! {
                <div class="field checkbox">
                    <input id=field(name) type="checkbox" name=name value="yes" checked=on/>
                    <label for=field(name)>{label}</label>
                </div>
            }).collect_view()}
            <div class="field end"><button type="submit" class="button" aria-label=format!("Save {url}")>"Save"</button></div>
        </ActionForm>
        <div class="row">
            <ActionForm action=actions.test attr:class="inline-form">
                <input type="hidden" name="id" value=test_id/>
                <button type="submit" class="button small" aria-label=test_label>"Send test"</button>
            </ActionForm>
            <ActionForm action=actions.rotate attr:class="inline-form">
                <input type="hidden" name="id" value=rotate_id/>
                <button type="submit" class="button small" aria-label=rotate_label>"Rotate secret"</button>
            </ActionForm>
            <ActionForm action=actions.delete attr:class="inline-form">
                <input type="hidden" name="id" value=delete_id/>
                <button type="submit" class="button small danger" aria-label=delete_label>"Delete"</button>
            </ActionForm>
        </div>
    }
}

#[component]
fn Delivery(d: DeliveryView, now: i64, can_manage: bool, actions: Actions) -> impl IntoView {
    let badge = match d.status.as_str() {
        "delivered" => "badge status-online",
        "failed" => "badge status-alert",
        _ => "badge status-busy",
    };
    let answer = match (d.last_status, d.last_error.clone()) {
        (Some(code), _) => format!("HTTP {code}"),
        (None, Some(error)) => error,
        (None, None) => "—".into(),
    };
    let next = d.next_attempt_at.map(|at| {
        format!(
            "next try {}",
            if at <= now {
                "now".into()
            } else {
                datetime_seconds(at)
            }
        )
    });
    let redeliver_id = d.id.clone();
    let redeliver_label = format!("Redeliver {} {}", d.event_type, d.event_id);
    view! {
        <tr data-delivery=d.id.clone()>
            <td><code>{d.event_type.clone()}</code><div class="muted small"><code>{d.event_id.clone()}</code></div></td>
            <td class="small">{d.endpoint_url.clone()}</td>
            <td><span class=badge>{d.status.clone()}</span>{next.map(|n| view! { <div class="muted small">{n}</div> })}</td>
            <td class="num">{d.attempts}</td>
            <td>{answer}</td>
            <td>{ago(d.created_at, now)}</td>
            {can_manage.then(|| view! {
                <td class="actions">
                    <ActionForm action=actions.redeliver attr:class="inline-form">
                        <input type="hidden" name="delivery_id" value=redeliver_id/>
                        <button type="submit" class="button small" aria-label=redeliver_label>"Redeliver"</button>
                    </ActionForm>
                </td>
            })}
        </tr>
    }
}

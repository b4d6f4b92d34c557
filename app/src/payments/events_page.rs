use super::api::{list_webhook_events, ReapplyWebhookEvent};
use super::types::{EventsQuery, EventsView};
use crate::components::feedback::{ActionError, EmptyState, ErrorView, Loading};
use crate::components::list::{plural, use_list_query, CursorPager, QueryString};
use crate::time_fmt::datetime_seconds;
use crate::topic::Topic;
use leptos::prelude::*;
use leptos_meta::Title;

/// Every webhook event Stripe sent this organisation: what it was, when it arrived and was
/// applied, with what outcome, and its raw JSON.
#[component]
pub fn EventsPage() -> impl IntoView {
    let query = use_list_query::<EventsQuery>();
    let reapply = ServerAction::<ReapplyWebhookEvent>::new();
    let data = Resource::new(query, |q| list_webhook_events(q.kind, q.before));
    view! {
        <Title text="Events"/>
        <div class="page-header">
            <h1>"Events"</h1>
            <p class="muted">"Every webhook Stripe sent: verified, stored once, then applied. Unapplied events are retried on their own."</p>
        </div>
        <ActionError value=reapply.value()/>
        <crate::live::LiveRegion id="events" topics=&[Topic::Payments, Topic::Readers, Topic::Events]>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    let q = query();
                    match data.await {
                        Ok(view) => view! { <Body view q reapply/> }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Transition>
        </crate::live::LiveRegion>
    }
}

#[component]
fn Body(
    view: EventsView,
    q: EventsQuery,
    reapply: ServerAction<ReapplyWebhookEvent>,
) -> impl IntoView {
    let can_reapply = view.can_reapply;
    view! {
        <form class="filters" method="get" action="/webhook-events">
            <div class="field">
                <label for="event-kind">"Type"</label>
                <input id="event-kind" name="kind" type="text" placeholder="payment_intent.succeeded" value=q.kind.clone().unwrap_or_default()/>
            </div>
            <div class="field end">
                <button type="submit" class="button">"Filter"</button>
                <a class="button subtle" href="/webhook-events">"Clear"</a>
            </div>
        </form>
        {if view.events.is_empty() {
            view! { <section class="panel"><EmptyState title="No events yet" text="Stripe's webhooks appear here as they arrive."/></section> }.into_any()
        } else {
            view! {
                <ul class="plain-list event-list">
                    {view.events.into_iter().map(|e| {
                        let outcome = e.outcome.clone().unwrap_or_else(|| "pending".into());
                        let class = if outcome == "applied" { "badge status-online" } else if outcome.starts_with("failed") || outcome == "pending" { "badge status-alert" } else { "badge status-offline" };
                        let (connection, id) = (e.connection_id.clone(), e.id.clone());
                        view! {
                            <li class="panel event">
                                <div class="row-between">
                                    <span><code>{e.kind.clone()}</code>" "{e.object_id.clone().map(|o| view! { <code class="id">{o}</code> })}</span>
                                    <span class=class>{outcome.clone()}</span>
                                </div>
                                <p class="muted small">{format!("{} · {} · received {}", e.id, e.connection_name, datetime_seconds(e.received_at))}
                                    {e.processed_at.map(|t| format!(" · applied {}", datetime_seconds(t)))}
                                    {format!(" · {}", plural(e.attempts, "attempt", "attempts"))}</p>
                                <details>
                                    <summary>"Raw JSON"</summary>
                                    <pre class="json">{e.payload.clone()}</pre>
                                </details>
                                {can_reapply.then(|| view! {
                                    <ActionForm action=reapply attr:class="inline-form">
                                        <input type="hidden" name="connection_id" value=connection/>
                                        <input type="hidden" name="event_id" value=id/>
                                        <button type="submit" class="button small">"Apply again"</button>
                                    </ActionForm>
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
                <CursorPager
                    newest=QueryString::new("/webhook-events").with("kind", q.kind.as_ref())
                    older_page=q.before.is_some()
                    next=view.next
                />
            }.into_any()
        }}
    }
}

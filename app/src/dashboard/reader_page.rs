use super::api::load_reader;
use super::types::ReaderDetail;
use crate::components::feedback::{ActionError, EmptyState, ErrorView, Loading};
use crate::fleet::api::{CancelReaderAction, DeleteReader, RelabelReader};
use crate::fleet::widgets::StatusBadge;
use crate::payments::api::{PresentTestCard, StartTestCharge};
use crate::payments::{ChargePanel, ChargeTarget, PaymentList};
use crate::time_fmt::{ago, datetime_seconds};
use crate::topic::Topic;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[derive(Clone, Copy)]
struct Actions {
    relabel: ServerAction<RelabelReader>,
    delete: ServerAction<DeleteReader>,
    cancel: ServerAction<CancelReaderAction>,
    charge: ServerAction<StartTestCharge>,
    present: ServerAction<PresentTestCard>,
}

#[component]
pub fn ReaderPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let actions = Actions {
        relabel: ServerAction::new(),
        delete: ServerAction::new(),
        cancel: ServerAction::new(),
        charge: ServerAction::new(),
        present: ServerAction::new(),
    };
    let data = Resource::new(id, load_reader);
    view! {
        <Title text="Reader"/>
        <p class="breadcrumb"><a href="/readers">"← Readers"</a></p>
        <ActionError value=actions.cancel.value()/>
        <ActionError value=actions.delete.value()/>
        <crate::live::LiveRegion id="reader" topics=&[Topic::Readers, Topic::Payments]>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(detail) => view! { <Detail detail actions/> }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Transition>
        </crate::live::LiveRegion>
    }
}

#[component]
fn Detail(detail: ReaderDetail, actions: Actions) -> impl IntoView {
    let r = detail.reader.clone();
    let now = detail.now;
    let name = if r.label.is_empty() {
        r.id.clone()
    } else {
        r.label.clone()
    };
    let payments_link = format!("/transactions?reader={}", r.id);
    let (relabel_id, delete_id, rlabel) = (r.id.clone(), r.id.clone(), r.label.clone());
    let relabel_error = move || {
        actions
            .relabel
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    view! {
        <Title text=name.clone()/>
        <div class="page-header row-between">
            <div>
                <h1>{name}</h1>
                <p class="muted">{r.device_name().to_string()}{r.location_name.clone().map(|l| format!(" at {l}"))}</p>
            </div>
            <StatusBadge reader=r.clone()/>
        </div>
        {r.alert_since.map(|since| view! {
            <div class="flash flash-error" role="alert">{format!("Offline alert raised {}: this reader has been offline longer than the organisation's threshold.", ago(since, now))}</div>
        })}
        {r.stuck_since.map(|since| {
            let what = r.action.as_ref().map(|a| a.label()).unwrap_or_default();
            let stuck_id = r.id.clone();
            view! {
                <div class="flash flash-error" role="alert">
                    <p>{format!("Action stuck: “{what}” has been running longer than the organisation's threshold (alert raised {}).", ago(since, now))}</p>
                    {detail.can_operate.then(|| view! {
                        <ActionForm action=actions.cancel>
                            <input type="hidden" name="id" value=stuck_id/>
                            <button type="submit" class="button danger">"Cancel the stuck action"</button>
                        </ActionForm>
                    })}
                </div>
            }
        })}
        <div class="columns">
            <section class="panel" aria-labelledby="reader-facts">
                <h2 id="reader-facts">"Details"</h2>
                <dl class="facts">
                    <dt>"Status"</dt><dd>{if r.online { "Online".to_string() } else { format!("Offline since {}", ago(r.status_since, now)) }}</dd>
                    <dt>"Last seen"</dt><dd>{if r.online { "Now".to_string() } else { r.last_seen_at.map(|t| format!("{} ({})", ago(t, now), datetime_seconds(t))).unwrap_or_else(|| "—".into()) }}</dd>
                    <dt>"Reader id"</dt><dd><code class="id">{r.id.clone()}</code></dd>
                    <dt>"Device"</dt><dd>{r.device_name().to_string()} " " <code class="small">{r.device_type.clone()}</code></dd>
                    <dt>"Serial number"</dt><dd><code>{r.serial_number.clone()}</code></dd>
                    <dt>"Software"</dt><dd>{r.sw_version.clone().unwrap_or_else(|| "—".into())}</dd>
                    <dt>"IP address"</dt><dd><code>{r.ip_address.clone().unwrap_or_else(|| "—".into())}</code></dd>
                    <dt>"Location"</dt><dd>{match (r.location_id.clone(), r.location_name.clone()) {
                        (Some(id), Some(name)) => view! { <a href=format!("/locations/{id}")>{name}</a> }.into_any(),
                        _ => "—".into_any(),
                    }}</dd>
                    <dt>"Synced"</dt><dd>{ago(r.synced_at, now)}</dd>
                    {detail.simulated.then(|| view! { <dt>"Mode"</dt><dd><span class="badge mode-sim">"Simulated — no real money"</span></dd> })}
                </dl>
            </section>
            <section class="panel" aria-labelledby="reader-action">
                <h2 id="reader-action">"Current action"</h2>
                {match r.action.clone() {
                    None => view! { <p class="muted">"Idle: the reader is not doing anything."</p> }.into_any(),
                    Some(a) => {
                        let running = a.in_progress();
                        view! {
                            <p><strong>{a.label()}</strong></p>
                            {a.detail.clone().map(|d| view! { <p class="muted small">{d}</p> })}
                            {(running && detail.can_operate).then(|| view! {
                                <ActionForm action=actions.cancel>
                                    <input type="hidden" name="id" value=r.id.clone()/>
                                    <button type="submit" class="button danger">"Cancel action"</button>
                                </ActionForm>
                            })}
                        }.into_any()
                    }
                }}
            </section>
        </div>
        <crate::configurations::InForcePanel in_force=detail.configuration.clone() can_manage=detail.can_manage/>
        {detail.can_operate.then(|| view! { <ChargePanel target=charge_target(&detail) charge=actions.charge present=actions.present/> })}
        <section class="panel" aria-labelledby="reader-payments">
            <div class="row-between">
                <h2 id="reader-payments">"Recent payments"</h2>
                <a class="button small" href=payments_link>"All of this reader's payments"</a>
            </div>
            {if detail.payments.is_empty() {
                view! { <EmptyState title="No payments on this reader yet" text="Payments taken on this reader appear here as Stripe reports them."/> }.into_any()
            } else {
                view! { <PaymentList payments=detail.payments.clone() now/> }.into_any()
            }}
        </section>
        <section class="panel" aria-labelledby="reader-history">
            <h2 id="reader-history">"Status history"</h2>
            {if detail.history.is_empty() {
                view! { <p class="muted">"No changes recorded yet."</p> }.into_any()
            } else {
                view! {
                    <ol class="plain-list history">
                        {detail.history.into_iter().map(|h| view! {
                            <li class="row-between">
                                <span class=if h.online { "badge status-online" } else { "badge status-offline" }>{if h.online { "Online" } else { "Offline" }}</span>
                                <span class="muted small">{datetime_seconds(h.at)}" · "{ago(h.at, now)}</span>
                            </li>
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
        </section>
        {detail.can_manage.then(|| view! {
            <section class="panel" aria-labelledby="reader-manage">
                <h2 id="reader-manage">"Manage"</h2>
                <div class="flash flash-error" role="alert" hidden=move || relabel_error().is_none()>{relabel_error}</div>
                <ActionForm action=actions.relabel attr:class="grid-form">
                    <input type="hidden" name="id" value=relabel_id/>
                    <div class="field">
                        <label for="relabel">"Label"</label>
                        <input id="relabel" name="label" type="text" value=rlabel/>
                    </div>
                    <div class="field end"><button type="submit" class="button">"Save label"</button></div>
                </ActionForm>
                <ActionForm action=actions.delete attr:class="stack end-form">
                    <input type="hidden" name="id" value=delete_id/>
                    <p class="help">"Deleting removes the reader from Stripe; it stops taking payments until it is registered again."</p>
                    <div><button type="submit" class="button danger">"Delete reader"</button></div>
                </ActionForm>
            </section>
        })}
    }
}

/// The currency of the payment the reader is collecting, else the account's.
fn waiting_currency(detail: &ReaderDetail) -> String {
    detail
        .reader
        .action
        .as_ref()
        .and_then(|a| a.payment.as_ref())
        .and_then(|pi| detail.payments.iter().find(|p| &p.id == pi))
        .map(|p| p.currency.clone())
        .unwrap_or_else(|| detail.currency.clone())
}

fn charge_target(detail: &ReaderDetail) -> ChargeTarget {
    let r = &detail.reader;
    ChargeTarget {
        reader_id: r.id.clone(),
        online: r.online,
        waiting_for_card: r.busy()
            && r.action
                .as_ref()
                .is_some_and(|a| a.kind == "process_payment_intent"),
        simulated: detail.simulated,
        op: detail.op.clone(),
        currency: detail.currency.clone(),
        test_cards: detail.test_cards.clone(),
        may_tip: detail.configuration.may_tip(&waiting_currency(detail)),
    }
}

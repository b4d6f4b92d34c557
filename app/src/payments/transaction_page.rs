use super::api::{load_payment, CancelPayment, CapturePayment, RefundPayment};
use super::types::{format_amount, PaymentDetail};
use crate::components::feedback::{ActionError, ErrorView, Loading};
use crate::time_fmt::{ago, datetime_seconds};
use crate::topic::Topic;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[derive(Clone, Copy)]
struct Actions {
    capture: ServerAction<CapturePayment>,
    cancel: ServerAction<CancelPayment>,
    refund: ServerAction<RefundPayment>,
}

#[component]
pub fn TransactionPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let actions = Actions {
        capture: ServerAction::new(),
        cancel: ServerAction::new(),
        refund: ServerAction::new(),
    };
    let data = Resource::new(id, load_payment);
    view! {
        <Title text="Transaction"/>
        <p class="breadcrumb"><a href="/transactions">"← Transactions"</a></p>
        <ActionError value=actions.capture.value()/>
        <ActionError value=actions.cancel.value()/>
        <ActionError value=actions.refund.value()/>
        <crate::live::LiveRegion id="transaction" topics=&[Topic::Payments]>
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
fn Detail(detail: PaymentDetail, actions: Actions) -> impl IntoView {
    let p = detail.payment.clone();
    let now = detail.now;
    let currency = p.currency.clone();
    let money = move |minor: i64| format_amount(minor, &currency);
    let (id1, id2, id3) = (p.id.clone(), p.id.clone(), p.id.clone());
    let (op1, op2, op3) = (detail.op.clone(), detail.op.clone(), detail.op.clone());
    let refundable = p.refundable();
    // Capturing and refunding move money: only for those the organisation lets.
    let (can_capture, can_cancel) = (p.can_capture() && detail.can_refund, p.can_cancel());
    let refundable = if detail.can_refund { refundable } else { 0 };
    let capture_label = format!(
        "Capture {}",
        format_amount(p.amount_capturable, &p.currency)
    );
    let refund_label = format!(
        "Refund amount (up to {})",
        format_amount(refundable, &p.currency)
    );
    view! {
        <Title text=p.amount_text()/>
        <div class="page-header row-between">
            <div>
                <h1>{p.amount_text()}</h1>
                <p class="muted">{p.description.clone().unwrap_or_else(|| "In-person payment".into())}" · "{ago(p.created_at, now)}</p>
            </div>
            <span class=p.status_class()>{p.status_label()}</span>
        </div>
        {p.failure_message.clone().filter(|_| p.status_label() == "Declined").map(|m| view! {
            <div class="flash flash-error" role="alert">{format!("Declined: {m}")}{p.failure_code.clone().map(|c| format!(" ({c})"))}</div>
        })}
        {p.gave_up.clone().filter(|_| p.status_label() == "Reader gave up").map(|m| view! {
            <div class="flash flash-error" role="alert">{format!("Not paid: {m}")}</div>
        })}
        <div class="columns">
            <section class="panel" aria-labelledby="payment-amounts">
                <h2 id="payment-amounts">"Amounts"</h2>
                <dl class="facts">
                    <dt>"Amount"</dt><dd>{money(p.amount)}</dd>
                    <dt>"Authorised, not captured"</dt><dd>{money(p.amount_capturable)}</dd>
                    <dt>"Captured"</dt><dd>{money(p.amount_received)}</dd>
                    <dt>"Refunded"</dt><dd>{money(p.amount_refunded)}</dd>
                    <dt>"Capture"</dt><dd>{p.capture_method.clone()}</dd>
                </dl>
            </section>
            <section class="panel" aria-labelledby="payment-where">
                <h2 id="payment-where">"Card and reader"</h2>
                <dl class="facts">
                    <dt>"Card"</dt><dd>{p.card_text().unwrap_or_else(|| "—".into())}</dd>
                    <dt>"Read by"</dt><dd>{p.read_method.clone().map(|m| m.replace('_', " ")).unwrap_or_else(|| "—".into())}</dd>
                    <dt>"Reader"</dt><dd>{match p.reader_id.clone() {
                        Some(id) => view! { <a href=format!("/readers/{id}")>{p.reader_label.clone().unwrap_or(id.clone())}</a> }.into_any(),
                        None => "—".into_any(),
                    }}</dd>
                    <dt>"Location"</dt><dd>{p.location_name.clone().unwrap_or_else(|| "—".into())}</dd>
                    <dt>"Started by"</dt><dd>{p.started_by.clone().unwrap_or_else(|| "Outside the dashboard".into())}</dd>
                    <dt>"PaymentIntent"</dt><dd><code class="id">{p.id.clone()}</code></dd>
                </dl>
            </section>
        </div>
        {detail.can_charge.then(|| view! {
            <section class="panel" aria-labelledby="payment-actions">
                <h2 id="payment-actions">"Actions"</h2>
                <div class="button-row">
                    {can_capture.then(|| view! {
                        <ActionForm action=actions.capture attr:class="inline-form">
                            <input type="hidden" name="id" value=id1/>
                            <input type="hidden" name="op" value=op1/>
                            <button type="submit" class="button primary">{capture_label}</button>
                        </ActionForm>
                    })}
                    {can_cancel.then(|| view! {
                        <ActionForm action=actions.cancel attr:class="inline-form">
                            <input type="hidden" name="id" value=id2/>
                            <input type="hidden" name="op" value=op2/>
                            <button type="submit" class="button danger">"Cancel payment"</button>
                        </ActionForm>
                    })}
                </div>
                {(refundable > 0).then(|| view! {
                    <ActionForm action=actions.refund attr:class="grid-form end-form">
                        <input type="hidden" name="id" value=id3/>
                        <input type="hidden" name="op" value=op3/>
                        <div class="field">
                            <label for="refund-amount">{refund_label}</label>
                            <input id="refund-amount" name="amount" type="text" inputmode="decimal" placeholder="All of it"/>
                        </div>
                        <div class="field end"><button type="submit" class="button">"Refund"</button></div>
                    </ActionForm>
                })}
                {(!can_capture && !can_cancel && refundable == 0).then(|| view! {
                    <p class="muted">"Nothing left to do: this payment is final."</p>
                })}
            </section>
        })}
        <section class="panel" aria-labelledby="payment-timeline">
            <h2 id="payment-timeline">"Timeline"</h2>
            <ol class="plain-list timeline">
                {detail.timeline.into_iter().map(|t| view! {
                    <li class="row-between">
                        <span><span class=format!("badge source-{}", t.source)>{t.source.clone()}</span>" "{t.what.clone()}
                            {t.detail.clone().map(|d| view! { <span class="muted small">" — "{d}</span> })}</span>
                        <span class="muted small nowrap">{datetime_seconds(t.at)}</span>
                    </li>
                }).collect_view()}
            </ol>
        </section>
    }
}

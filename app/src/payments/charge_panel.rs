//! The test-charge and test-card panels of a reader's page, and a short list of payments.

use super::api::{PresentTestCard, StartTestCharge};
use super::types::{PaymentView, CURRENCIES};
use crate::time_fmt::ago;
use leptos::prelude::*;

/// What the charge panels need to know of a reader and its account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeTarget {
    pub reader_id: String,
    pub online: bool,
    /// The reader is collecting a card for a PaymentIntent, so a test card can be presented.
    pub waiting_for_card: bool,
    /// On the simulator, where test cards complete a charge and no real money moves.
    pub simulated: bool,
    /// The page's operation id (double clicks reuse it).
    pub op: String,
    /// The account's currency, preselected.
    pub currency: String,
    /// Stripe's test cards (number, what it does); empty on real readers.
    pub test_cards: Vec<(String, String)>,
    /// The reader's configuration shows a tipping screen in the payment's currency, so the
    /// customer may add a tip.
    pub may_tip: bool,
}

#[component]
pub fn ChargePanel(
    target: ChargeTarget,
    charge: ServerAction<StartTestCharge>,
    present: ServerAction<PresentTestCard>,
) -> impl IntoView {
    let waiting = target.waiting_for_card;
    let charge_error = move || {
        charge
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    let present_error = move || {
        present
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    let (rid, rid2, op, op2) = (
        target.reader_id.clone(),
        target.reader_id,
        target.op.clone(),
        target.op,
    );
    let currency = target.currency;
    let cards = target.test_cards;
    let online = target.online;
    let may_tip = target.may_tip;
    view! {
        <section class="panel" aria-labelledby="test-charge">
            <h2 id="test-charge">"Test charge"</h2>
            <p class="help">{if target.simulated {
                "Creates an in-person PaymentIntent and sends it to this reader; present a test card below to complete it. No real money moves."
            } else {
                "Creates an in-person PaymentIntent and sends it to this reader: tap or insert a card on the reader to complete it."
            }}</p>
            <div class="flash flash-error" role="alert" hidden=move || charge_error().is_none()>{charge_error}</div>
            <ActionForm action=charge attr:class="grid-form">
                <input type="hidden" name="reader_id" value=rid/>
                <input type="hidden" name="op" value=op/>
                <div class="field">
                    <label for="charge-amount">"Amount"</label>
                    <input id="charge-amount" name="amount" type="text" inputmode="decimal" required placeholder="12.50"/>
                </div>
                <div class="field">
                    <label for="charge-currency">"Currency"</label>
                    <select id="charge-currency" name="currency">
                        {CURRENCIES.iter().map(|c| view! {
                            <option value=*c selected=*c == currency.as_str()>{c.to_uppercase()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="charge-description">"Description" <span class="muted">" (optional)"</span></label>
                    <input id="charge-description" name="description" type="text" placeholder="Test charge"/>
                </div>
                <div class="field">
                    <label for="charge-capture">"Capture"</label>
                    <select id="charge-capture" name="capture">
                        <option value="automatic">"Automatic"</option>
                        <option value="manual">"Manual (authorise now, capture later)"</option>
                    </select>
                </div>
                <div class="field end">
                    <button type="submit" class="button primary" disabled=!online>"Charge on this reader"</button>
                </div>
            </ActionForm>
            {(!online).then(|| view! { <p class="help">"The reader is offline: bring it back online to charge."</p> })}
        </section>
        {(!cards.is_empty()).then(|| view! {
            <section class="panel" aria-labelledby="present-card">
                <h2 id="present-card">"Present a test card"</h2>
                <p class="help">{if waiting {
                    "The reader is waiting for a card. Choose what the customer taps."
                } else {
                    "Start a test charge first: the reader then waits for a card."
                }}</p>
                <div class="flash flash-error" role="alert" hidden=move || present_error().is_none()>{present_error}</div>
                <ActionForm action=present attr:class="grid-form">
                    <input type="hidden" name="reader_id" value=rid2/>
                    <input type="hidden" name="op" value=op2/>
                    <div class="field">
                        <label for="present-card-number">"Card"</label>
                        <select id="present-card-number" name="card">
                            {cards.iter().map(|(number, label)| view! {
                                <option value=number.clone()>{label.clone()}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    {may_tip.then(|| view! {
                        <div class="field">
                            <label for="present-tip">"Tip" <span class="muted">" (optional)"</span></label>
                            <input id="present-tip" name="tip" type="text" inputmode="decimal" placeholder="2.00"/>
                        </div>
                    })}
                    <div class="field end">
                        <button type="submit" class="button" disabled=!waiting>"Present card"</button>
                    </div>
                </ActionForm>
            </section>
        })}
    }
}

/// A short list of payments (newest first), each linking to its page.
#[component]
pub fn PaymentList(payments: Vec<PaymentView>, now: i64) -> impl IntoView {
    view! {
        <ul class="plain-list payment-list">
            {payments.into_iter().map(|p| view! {
                <li class="row-between">
                    <span>
                        <a href=format!("/transactions/{}", p.id)>{p.amount_text()}</a>
                        " " <span class="muted small">{p.card_text().unwrap_or_default()}</span>
                        {p.failure_message.clone().filter(|_| p.status_label() == "Declined").map(|m| view! { <span class="small failure">" — "{m}</span> })}
                        {p.gave_up.clone().filter(|_| p.status_label() == "Reader gave up").map(|m| view! { <span class="small failure">" — "{m}</span> })}
                    </span>
                    <span>
                        <span class="muted small">{ago(p.created_at, now)}" "</span>
                        <span class=p.status_class()>{p.status_label()}</span>
                    </span>
                </li>
            }).collect_view()}
        </ul>
    }
}

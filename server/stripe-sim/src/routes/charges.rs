//! Charges: the record of an authorisation, created when a reader reads a card, and the
//! authorisation itself (test cards decide), which moves the PaymentIntent on.

use super::test_cards::{self, Decline};
use super::{find_or_404, list as page, CreatedFilter};
use crate::ctx::Ctx;
use crate::errors::SimResult;
use crate::params::Params;
use serde_json::{json, Value};

/// A card as a reader read it.
#[derive(Debug, Clone)]
pub struct CardRead {
    /// `card_present` or `interac_present`.
    pub kind: String,
    pub number: String,
    /// The tip chosen on the reader's tipping screen (0 for "No tip"); `None` when the reader
    /// showed no tipping screen.
    pub tip: Option<i64>,
    pub reader: String,
    pub location: Value,
}

pub fn retrieve(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&[])?;
    find_or_404(&mut ctx.acct().charges, id, "charge").map(|c| c.clone())
}

pub fn list(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
    p.allow(&[
        "limit",
        "starting_after",
        "ending_before",
        "payment_intent",
        "customer",
        "created",
        "transfer_group",
    ])?;
    let pi = p.str("payment_intent")?;
    let created = CreatedFilter::parse(p)?;
    let items = ctx
        .acct()
        .charges
        .iter()
        .filter(|c| {
            pi.as_ref()
                .is_none_or(|v| c["payment_intent"] == v.as_str())
                && created.matches(c)
        })
        .cloned()
        .collect();
    page(items, p, "/v1/charges")
}

/// `payment_method_details.card_present` (or `interac_present`) for a read card.
fn card_details(card: &CardRead, amount: i64, declined: bool) -> Value {
    let brand = test_cards::brand(&card.number);
    let last4 = &card.number[card.number.len().saturating_sub(4)..];
    json!({
        "amount_authorized": if declined { None } else { Some(amount) },
        "brand": brand,
        "cardholder_name": null,
        "country": "US",
        "emv_auth_data": "8A023030",
        "exp_month": 12,
        "exp_year": 2030,
        "fingerprint": format!("fp{}", &card.number[card.number.len().saturating_sub(14)..]),
        "funding": if card.kind == "interac_present" { "debit" } else { "credit" },
        "generated_card": null,
        "incremental_authorization_supported": false,
        "last4": last4,
        "network": brand,
        "overcapture_supported": false,
        "read_method": "contactless_emv",
        "receipt": {
            "account_type": if card.kind == "interac_present" { "checking" } else { "credit" },
            "application_cryptogram": "0123456789ABCDEF",
            "application_preferred_name": brand.to_uppercase(),
            "authorization_code": if declined { None } else { Some("123456") },
            "authorization_response_code": if declined { "3035" } else { "3030" },
            "cardholder_verification_method": "none",
            "dedicated_file_name": "A0000000031010",
            "terminal_verification_results": "0000000000",
            "transaction_status_information": "0000",
        },
    })
}

/// The PaymentMethod object a read card becomes (as `last_payment_error.payment_method`).
pub fn payment_method(ctx: &Ctx<'_>, id: &str, card: &CardRead) -> Value {
    let brand = test_cards::brand(&card.number);
    let mut pm = json!({
        "id": id,
        "object": "payment_method",
        "billing_details": { "address": { "city": null, "country": null, "line1": null, "line2": null, "postal_code": null, "state": null }, "email": null, "name": null, "phone": null },
        "created": ctx.now(),
        "customer": null,
        "livemode": false,
        "metadata": {},
        "type": card.kind,
    });
    pm[card.kind.as_str()] = json!({
        "brand": brand, "cardholder_name": null, "country": "US", "exp_month": 12, "exp_year": 2030,
        "fingerprint": format!("fp{}", &card.number[card.number.len().saturating_sub(14)..]),
        "funding": "credit", "last4": &card.number[card.number.len().saturating_sub(4)..],
        "networks": { "available": [brand], "preferred": null }, "read_method": "contactless_emv",
    });
    pm
}

/// Authorises the PaymentIntent `pi` with `card`: records the charge, moves the intent to
/// `requires_capture` / `succeeded` (or back to `requires_payment_method` with
/// `last_payment_error`), and emits the charge and intent events. Returns the decline, if any.
pub fn authorise(ctx: &mut Ctx<'_>, pi: &str, card: &CardRead) -> SimResult<Option<Decline>> {
    let now = ctx.now();
    let intent = find_or_404(&mut ctx.acct().payment_intents, pi, "payment_intent")?.clone();
    let amount = intent["amount"].as_i64().unwrap_or(0) + card.tip.unwrap_or(0);
    let manual = intent["capture_method"] == "manual";
    let result = test_cards::outcome(&card.number, amount);
    let approved = result.is_none();
    let charge_id = ctx.new_id("ch");
    let pm_id = ctx.new_id("pm");
    let mut details = json!({ "type": card.kind });
    let mut present = card_details(card, amount, !approved);
    if approved && manual {
        // Uncaptured card_present authorisations lapse after two days.
        present["capture_before"] = json!(now + 2 * 86_400);
    }
    // 2026 API versions name the reader and its location on the charge.
    present["reader"] = json!(card.reader);
    present["location"] = card.location.clone();
    details[card.kind.as_str()] = present;
    let charge = json!({
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": if approved && !manual { amount } else { 0 },
        "amount_refunded": 0,
        "application": null,
        "application_fee": null,
        "application_fee_amount": null,
        "balance_transaction": null,
        "billing_details": { "address": { "city": null, "country": null, "line1": null, "line2": null, "postal_code": null, "state": null }, "email": null, "name": null, "phone": null },
        "calculated_statement_descriptor": "TERMINAL FLEET",
        "captured": approved && !manual,
        "created": now,
        "currency": intent["currency"],
        "customer": intent["customer"],
        "description": intent["description"],
        "disputed": false,
        "failure_balance_transaction": null,
        "failure_code": result.map(|r| r.code),
        "failure_message": result.map(|r| r.message),
        "fraud_details": {},
        "livemode": false,
        "metadata": intent["metadata"],
        "on_behalf_of": intent["on_behalf_of"],
        "outcome": {
            "network_status": if approved { "approved_by_network" } else { "declined_by_network" },
            "reason": result.map(|r| r.decline_code),
            "risk_level": "not_assessed",
            "seller_message": if approved { "Payment complete." } else { "The bank did not return any further details with this decline." },
            "type": if approved { "authorized" } else { "issuer_declined" },
        },
        "paid": approved,
        "payment_intent": pi,
        "payment_method": pm_id,
        "payment_method_details": details,
        "receipt_email": intent["receipt_email"],
        "receipt_number": null,
        "receipt_url": format!("https://pay.stripe.com/receipts/payment/{}", ctx.sim.ids().alphanumeric(40)),
        "refunded": false,
        "review": null,
        "shipping": null,
        "source_transfer": null,
        "statement_descriptor": intent["statement_descriptor"],
        "statement_descriptor_suffix": intent["statement_descriptor_suffix"],
        "status": if approved { "succeeded" } else { "failed" },
        "transfer_data": null,
        "transfer_group": null,
    });
    let pm = payment_method(ctx, &pm_id, card);
    let acct = ctx.acct();
    acct.charges.push(charge.clone());
    acct.cards.insert(charge_id.clone(), card.number.clone());
    let previous_status = intent["status"].clone();
    let updated = {
        let intent = find_or_404(&mut ctx.acct().payment_intents, pi, "payment_intent")?;
        intent["latest_charge"] = json!(charge_id);
        // The confirmed amount includes the tip, as on Stripe.
        if let Some(tip) = card.tip {
            intent["amount"] = json!(amount);
            intent["amount_details"] = json!({ "tip": { "amount": tip } });
        }
        match result {
            None => {
                intent["payment_method"] = json!(pm_id);
                intent["last_payment_error"] = Value::Null;
                if manual {
                    intent["status"] = json!("requires_capture");
                    intent["amount_capturable"] = json!(amount);
                } else {
                    intent["status"] = json!("succeeded");
                    intent["amount_received"] = json!(amount);
                }
            }
            Some(d) => {
                intent["payment_method"] = Value::Null;
                intent["last_payment_error"] = json!({
                    "type": "card_error", "code": d.code, "decline_code": d.decline_code,
                    "message": d.message, "charge": charge_id, "payment_method": pm,
                    "doc_url": format!("https://stripe.com/docs/error-codes/{}", d.code.replace('_', "-")),
                });
            }
        }
        intent.clone()
    };
    match result {
        None => {
            ctx.emit("charge.succeeded", &charge, None);
            if manual {
                ctx.emit(
                    "payment_intent.amount_capturable_updated",
                    &updated,
                    Some(json!({ "amount_capturable": 0, "status": previous_status })),
                );
            } else {
                ctx.emit(
                    "payment_intent.succeeded",
                    &updated,
                    Some(json!({ "amount_received": 0, "status": previous_status })),
                );
            }
        }
        Some(_) => {
            ctx.emit("charge.failed", &charge, None);
            ctx.emit("payment_intent.payment_failed", &updated, None);
        }
    }
    Ok(result)
}

//! PaymentIntents for `card_present`, their charges, and refunds.

use super::{find, list};
use crate::dispatch::Ctx;
use crate::error::{SimError, SimResult};
use crate::ids::{new_id, random_digits};
use crate::params::Params;
use serde_json::{json, Value};

const INTENT_FIELDS: &[&str] = &[
    "amount",
    "currency",
    "payment_method_types",
    "capture_method",
    "description",
    "metadata",
    "statement_descriptor",
    "statement_descriptor_suffix",
    "receipt_email",
    "customer",
    "on_behalf_of",
    "application_fee_amount",
    "transfer_data",
    "payment_method_options",
    "setup_future_usage",
    "confirm",
];

fn expand_charge(ctx: &mut Ctx<'_>, mut intent: Value, p: &Params) -> Value {
    if p.expand().iter().any(|e| e == "latest_charge") {
        if let Some(id) = intent["latest_charge"].as_str().map(str::to_string) {
            if let Some(charge) = ctx.acct().charges.iter().find(|c| c["id"] == id.as_str()) {
                intent["latest_charge"] = charge.clone();
            }
        }
    }
    intent
}

pub fn create_intent(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
    p.allow(INTENT_FIELDS)?;
    let amount = p.req_int("amount")?;
    if amount < 1 {
        return Err(SimError::invalid(
            "parameter_invalid_integer",
            "This value must be greater than or equal to 1.",
        )
        .param("amount"));
    }
    if amount > 99_999_999 {
        return Err(SimError::invalid(
            "amount_too_large",
            "Amount must be no more than $999,999.99",
        )
        .param("amount"));
    }
    let currency = p.req_str("currency")?.to_lowercase();
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(SimError::invalid(
            "parameter_invalid_string",
            format!("Invalid currency: {currency}."),
        )
        .param("currency"));
    }
    let methods = p
        .strings("payment_method_types")?
        .unwrap_or_else(|| vec!["card_present".into()]);
    let capture = p
        .str("capture_method")?
        .unwrap_or_else(|| "automatic".into());
    if !["automatic", "automatic_async", "manual"].contains(&capture.as_str()) {
        return Err(SimError::invalid(
            "parameter_invalid_string",
            "Invalid capture_method: must be one of automatic, automatic_async, or manual",
        )
        .param("capture_method"));
    }
    let id = new_id("pi");
    let mut intent = json!({
        "id": id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": { "tip": {} },
        "amount_received": 0,
        "application": null,
        "application_fee_amount": null,
        "automatic_payment_methods": null,
        "canceled_at": null,
        "cancellation_reason": null,
        "capture_method": capture,
        "client_secret": format!("{id}_secret_{}", random_digits(20)),
        "confirmation_method": "automatic",
        "created": ctx.now(),
        "currency": currency,
        "customer": p.str("customer")?,
        "description": p.str("description")?,
        "last_payment_error": null,
        "latest_charge": null,
        "livemode": false,
        "metadata": {},
        "next_action": null,
        "on_behalf_of": null,
        "payment_method": null,
        "payment_method_options": {},
        "payment_method_types": methods,
        "processing": null,
        "receipt_email": p.str("receipt_email")?,
        "setup_future_usage": null,
        "shipping": null,
        "statement_descriptor": null,
        "statement_descriptor_suffix": null,
        "status": "requires_payment_method",
        "transfer_data": null,
        "transfer_group": null,
    });
    p.apply_metadata(&mut intent)?;
    ctx.acct().payment_intents.push(intent.clone());
    ctx.emit("payment_intent.created", &intent, None);
    Ok(expand_charge(ctx, intent, p))
}

pub fn list_intents(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
    p.allow(&[
        "limit",
        "starting_after",
        "ending_before",
        "created",
        "customer",
    ])?;
    let created = p.get("created").cloned();
    let bound = |op: &str| -> SimResult<Option<i64>> {
        match created.as_ref().and_then(|c| c.get(op)) {
            None => Ok(None),
            Some(v) => v
                .as_str()
                .and_then(|s| s.parse().ok())
                .map(Some)
                .ok_or_else(|| {
                    SimError::invalid("parameter_invalid_integer", "Invalid integer")
                        .param(format!("created[{op}]"))
                }),
        }
    };
    let exact = created
        .as_ref()
        .and_then(|c| c.as_str())
        .and_then(|s| s.parse::<i64>().ok());
    let (gte, lte, gt, lt) = (bound("gte")?, bound("lte")?, bound("gt")?, bound("lt")?);
    let customer = p.str("customer")?;
    let items = ctx
        .acct()
        .payment_intents
        .iter()
        .filter(|pi| {
            let c = pi["created"].as_i64().unwrap_or(0);
            exact.is_none_or(|e| c == e)
                && gte.is_none_or(|v| c >= v)
                && lte.is_none_or(|v| c <= v)
                && gt.is_none_or(|v| c > v)
                && lt.is_none_or(|v| c < v)
                && customer
                    .as_ref()
                    .is_none_or(|cu| pi["customer"] == cu.as_str())
        })
        .cloned()
        .collect();
    let mut page = list(items, p, "/v1/payment_intents")?;
    if let Some(data) = page["data"].as_array().cloned() {
        page["data"] = Value::Array(
            data.into_iter()
                .map(|pi| expand_charge(ctx, pi, p))
                .collect(),
        );
    }
    Ok(page)
}

pub fn retrieve_intent(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&["client_secret"])?;
    let intent = find(&mut ctx.acct().payment_intents, id, "payment_intent")?.clone();
    Ok(expand_charge(ctx, intent, p))
}

pub fn update_intent(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&[
        "amount",
        "currency",
        "description",
        "metadata",
        "payment_method_types",
        "capture_method",
        "receipt_email",
        "statement_descriptor",
        "statement_descriptor_suffix",
    ])?;
    let amount = p.int("amount")?;
    let description = p.str("description")?;
    let capture = p.str("capture_method")?;
    let intent = find(&mut ctx.acct().payment_intents, id, "payment_intent")?;
    let status = intent["status"].as_str().unwrap_or_default().to_string();
    if (amount.is_some() || capture.is_some())
        && !["requires_payment_method", "requires_confirmation"].contains(&status.as_str())
    {
        return Err(unexpected_state(id, &status, "update the amount of"));
    }
    if let Some(a) = amount {
        intent["amount"] = json!(a);
    }
    if let Some(d) = description {
        intent["description"] = json!(d);
    }
    if let Some(c) = capture {
        intent["capture_method"] = json!(c);
    }
    p.apply_metadata(intent)?;
    let intent = intent.clone();
    Ok(expand_charge(ctx, intent, p))
}

fn unexpected_state(id: &str, status: &str, doing: &str) -> SimError {
    SimError::invalid(
        "payment_intent_unexpected_state",
        format!("You cannot {doing} this PaymentIntent because it has a status of {status}."),
    )
    .with(
        "payment_intent",
        json!({ "id": id, "object": "payment_intent", "status": status }),
    )
}

pub fn capture_intent(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&[
        "amount_to_capture",
        "metadata",
        "application_fee_amount",
        "statement_descriptor",
        "statement_descriptor_suffix",
        "final_capture",
    ])?;
    let to_capture = p.int("amount_to_capture")?;
    let intent = find(&mut ctx.acct().payment_intents, id, "payment_intent")?;
    let status = intent["status"].as_str().unwrap_or_default().to_string();
    if status != "requires_capture" {
        return Err(unexpected_state(id, &status, "capture"));
    }
    let capturable = intent["amount_capturable"].as_i64().unwrap_or(0);
    let amount = to_capture.unwrap_or(capturable);
    if amount < 1 || amount > capturable {
        return Err(SimError::invalid("amount_too_large", format!("The amount to capture ({amount}) must be between 1 and the amount capturable ({capturable}).")).param("amount_to_capture"));
    }
    let previous = json!({ "status": "requires_capture", "amount_capturable": capturable, "amount_received": 0 });
    intent["status"] = json!("succeeded");
    intent["amount_capturable"] = json!(0);
    intent["amount_received"] = json!(amount);
    p.apply_metadata(intent)?;
    let intent = intent.clone();
    let charge_id = intent["latest_charge"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let charge = {
        let c = find(&mut ctx.acct().charges, &charge_id, "charge")?;
        c["captured"] = json!(true);
        c["amount_captured"] = json!(amount);
        // An uncaptured remainder is released, as Stripe reports it: refunded.
        c["amount_refunded"] = json!(c["amount"].as_i64().unwrap_or(0) - amount);
        c.clone()
    };
    ctx.emit(
        "charge.captured",
        &charge,
        Some(json!({ "captured": false, "amount_captured": 0 })),
    );
    ctx.emit("payment_intent.succeeded", &intent, Some(previous));
    Ok(expand_charge(ctx, intent, p))
}

pub fn cancel_intent(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&["cancellation_reason"])?;
    let reason = p.str("cancellation_reason")?;
    if let Some(r) = &reason {
        if ![
            "duplicate",
            "fraudulent",
            "requested_by_customer",
            "abandoned",
        ]
        .contains(&r.as_str())
        {
            return Err(SimError::invalid("parameter_invalid_string", "Invalid cancellation_reason: must be one of duplicate, fraudulent, requested_by_customer, or abandoned").param("cancellation_reason"));
        }
    }
    let now = ctx.now();
    let intent = find(&mut ctx.acct().payment_intents, id, "payment_intent")?;
    let status = intent["status"].as_str().unwrap_or_default().to_string();
    if ![
        "requires_payment_method",
        "requires_capture",
        "requires_confirmation",
        "requires_action",
    ]
    .contains(&status.as_str())
    {
        return Err(unexpected_state(id, &status, "cancel"));
    }
    intent["status"] = json!("canceled");
    intent["canceled_at"] = json!(now);
    intent["cancellation_reason"] = json!(reason);
    intent["amount_capturable"] = json!(0);
    let intent = intent.clone();
    // An authorisation that is cancelled is released: its charge shows as refunded.
    if status == "requires_capture" {
        if let Some(charge_id) = intent["latest_charge"].as_str().map(str::to_string) {
            if let Ok(c) = find(&mut ctx.acct().charges, &charge_id, "charge") {
                c["refunded"] = json!(true);
                c["amount_refunded"] = c["amount"].clone();
            }
        }
    }
    ctx.emit(
        "payment_intent.canceled",
        &intent,
        Some(json!({ "status": status })),
    );
    Ok(intent)
}

/// The outcome of a presented card: Stripe's test card numbers, then the amount's last two digits.
fn outcome(
    number: Option<&str>,
    amount: i64,
) -> Option<(&'static str, &'static str, &'static str)> {
    match number.unwrap_or("4242424242424242") {
        "4000000000000002" => {
            return Some((
                "card_declined",
                "generic_decline",
                "Your card was declined.",
            ))
        }
        "4000000000009995" => {
            return Some((
                "card_declined",
                "insufficient_funds",
                "Your card has insufficient funds.",
            ))
        }
        "4000000000009987" => {
            return Some(("card_declined", "lost_card", "Your card was declined."))
        }
        "4000000000009979" => {
            return Some(("card_declined", "stolen_card", "Your card was declined."))
        }
        "4000000000000069" => {
            return Some(("expired_card", "expired_card", "Your card has expired."))
        }
        "4000000000000119" => {
            return Some((
                "processing_error",
                "processing_error",
                "An error occurred while processing your card. Try again in a little bit.",
            ))
        }
        _ => {}
    }
    match amount % 100 {
        1 => Some(("card_declined", "call_issuer", "Your card was declined.")),
        5 => Some((
            "card_declined",
            "generic_decline",
            "Your card was declined.",
        )),
        55 => Some((
            "incorrect_pin",
            "incorrect_pin",
            "The PIN you entered is incorrect.",
        )),
        65 => Some((
            "card_declined",
            "withdrawal_count_limit_exceeded",
            "Your card was declined.",
        )),
        75 => Some((
            "card_declined",
            "pin_try_exceeded",
            "The allowable number of PIN tries has been exceeded.",
        )),
        _ => None,
    }
}

fn brand(number: &str) -> &'static str {
    match number.chars().next() {
        Some('4') => "visa",
        Some('5') | Some('2') => "mastercard",
        Some('3') => "amex",
        Some('6') => "discover",
        _ => "unknown",
    }
}

pub fn present_card(
    ctx: &mut Ctx<'_>,
    reader_id: &str,
    pi: &str,
    kind: &str,
    number: Option<&str>,
    tip: i64,
) -> SimResult<Value> {
    let now = ctx.now();
    let card = number.unwrap_or("4242424242424242").to_string();
    let intent = find(&mut ctx.acct().payment_intents, pi, "payment_intent")?.clone();
    let amount = intent["amount"].as_i64().unwrap_or(0) + tip;
    let capture = intent["capture_method"]
        .as_str()
        .unwrap_or("automatic")
        .to_string();
    let result = outcome(Some(&card), amount);
    let charge_id = new_id("ch");
    let charge = json!({
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": if result.is_none() && capture != "manual" { amount } else { 0 },
        "amount_refunded": 0,
        "balance_transaction": null,
        "billing_details": { "address": { "city": null, "country": null, "line1": null, "line2": null, "postal_code": null, "state": null }, "email": null, "name": null, "phone": null },
        "calculated_statement_descriptor": "TERMINAL FLEET",
        "captured": result.is_none() && capture != "manual",
        "created": now,
        "currency": intent["currency"],
        "description": intent["description"],
        "disputed": false,
        "failure_code": result.map(|r| r.0),
        "failure_message": result.map(|r| r.2),
        "livemode": false,
        "metadata": {},
        "outcome": {
            "network_status": if result.is_none() { "approved_by_network" } else { "declined_by_network" },
            "reason": result.map(|r| r.1),
            "type": if result.is_none() { "authorized" } else { "issuer_declined" },
            "seller_message": if result.is_none() { "Payment complete." } else { "The bank did not return any further details with this decline." },
        },
        "paid": result.is_none(),
        "payment_intent": pi,
        "payment_method": new_id("pm"),
        "payment_method_details": null,
        "refunded": false,
        "refunds": { "object": "list", "data": [], "has_more": false, "url": format!("/v1/charges/{charge_id}/refunds") },
        "status": if result.is_none() { "succeeded" } else { "failed" },
    });
    let mut charge = charge;
    let mut details = serde_json::Map::new();
    details.insert("type".into(), json!(kind));
    details.insert(
        kind.to_string(),
        json!({
            "brand": brand(&card),
            "last4": &card[card.len().saturating_sub(4)..],
            "exp_month": 12,
            "exp_year": 2030,
            "funding": "credit",
            "country": "US",
            "read_method": "contactless_emv",
            "network": brand(&card),
            "cardholder_name": null,
            "emv_auth_data": "8A023030",
            "fingerprint": format!("fp{}", &card[card.len().saturating_sub(8)..]),
            "generated_card": null,
            "incremental_authorization_supported": false,
            "overcapture_supported": false,
            "receipt": {
                "account_type": "credit",
                "application_cryptogram": "0123456789ABCDEF",
                "application_preferred_name": brand(&card).to_uppercase(),
                "authorization_code": if result.is_none() { Some("123456") } else { None },
                "authorization_response_code": if result.is_none() { "3030" } else { "3035" },
                "cardholder_verification_method": "none",
                "dedicated_file_name": "A0000000031010",
                "terminal_verification_results": "0000000000",
                "transaction_status_information": "0000",
            },
            "amount_authorized": if result.is_none() { Some(amount) } else { None },
        }),
    );
    charge["payment_method_details"] = Value::Object(details);
    ctx.acct().charges.push(charge.clone());
    let previous_status = intent["status"].clone();
    let updated = {
        let intent = find(&mut ctx.acct().payment_intents, pi, "payment_intent")?;
        intent["latest_charge"] = json!(charge_id);
        intent["payment_method"] = charge["payment_method"].clone();
        if tip > 0 {
            intent["amount"] = json!(amount);
            intent["amount_details"] = json!({ "tip": { "amount": tip } });
        }
        match result {
            None if capture == "manual" => {
                intent["status"] = json!("requires_capture");
                intent["amount_capturable"] = json!(amount);
            }
            None => {
                intent["status"] = json!("succeeded");
                intent["amount_received"] = json!(amount);
            }
            Some((code, decline, message)) => {
                intent["last_payment_error"] = json!({
                    "type": "card_error", "code": code, "decline_code": decline, "message": message,
                    "charge": charge_id, "payment_method": charge["payment_method"],
                });
            }
        }
        intent.clone()
    };
    let reader = {
        let reader = ctx
            .acct()
            .readers
            .iter_mut()
            .find(|r| r.json["id"] == reader_id)
            .ok_or_else(|| SimError::not_found("terminal.reader", reader_id))?;
        reader.action_started = None;
        match result {
            None => reader.json["action"]["status"] = json!("succeeded"),
            Some((code, _, message)) => {
                reader.json["action"]["status"] = json!("failed");
                reader.json["action"]["failure_code"] = json!(code);
                reader.json["action"]["failure_message"] = json!(message);
            }
        }
        reader.json.clone()
    };
    match result {
        None => {
            ctx.emit("charge.succeeded", &charge, None);
            if capture == "manual" {
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
            ctx.emit("terminal.reader.action_succeeded", &reader, None);
        }
        Some(_) => {
            ctx.emit("charge.failed", &charge, None);
            ctx.emit("payment_intent.payment_failed", &updated, None);
            ctx.emit("terminal.reader.action_failed", &reader, None);
        }
    }
    Ok(reader)
}

pub fn retrieve_charge(ctx: &mut Ctx<'_>, id: &str) -> SimResult<Value> {
    find(&mut ctx.acct().charges, id, "charge").map(|c| c.clone())
}

pub fn create_refund(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
    p.allow(&[
        "payment_intent",
        "charge",
        "amount",
        "reason",
        "metadata",
        "refund_application_fee",
        "reverse_transfer",
        "instructions_email",
    ])?;
    let pi = p.str("payment_intent")?;
    let charge_param = p.str("charge")?;
    let amount = p.int("amount")?;
    let reason = p.str("reason")?;
    let charge_id = match (&pi, &charge_param) {
        (None, None) => return Err(SimError::missing("charge")),
        (Some(_), Some(_)) => {
            return Err(SimError::invalid(
                "parameter_invalid_string",
                "You cannot specify both a charge and a payment_intent.",
            )
            .param("payment_intent"))
        }
        (Some(pi), None) => {
            let intent = find(&mut ctx.acct().payment_intents, pi, "payment_intent")
                .map_err(|e| e.param("payment_intent"))?;
            if intent["status"] != "succeeded" {
                return Err(SimError::invalid(
                    "charge_not_refundable",
                    format!(
                        "This PaymentIntent ({pi}) does not have a successful charge to refund."
                    ),
                )
                .param("payment_intent"));
            }
            intent["latest_charge"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        }
        (None, Some(c)) => c.clone(),
    };
    let now = ctx.now();
    let (charge, refund) = {
        let charge =
            find(&mut ctx.acct().charges, &charge_id, "charge").map_err(|e| e.param("charge"))?;
        let captured = charge["amount_captured"].as_i64().unwrap_or(0);
        let refunded = charge["amount_refunded"].as_i64().unwrap_or(0);
        let left = captured - refunded;
        if charge["status"] != "succeeded" || left <= 0 {
            return Err(SimError::invalid(
                "charge_already_refunded",
                format!("Charge {charge_id} has already been refunded."),
            ));
        }
        let amount = amount.unwrap_or(left);
        if amount < 1 || amount > left {
            return Err(SimError::invalid(
                "amount_too_large",
                format!(
                    "Refund amount ({amount}) is greater than unrefunded amount on charge ({left})"
                ),
            )
            .param("amount"));
        }
        charge["amount_refunded"] = json!(refunded + amount);
        charge["refunded"] = json!(refunded + amount >= captured);
        let refund = json!({
            "id": new_id("re"),
            "object": "refund",
            "amount": amount,
            "balance_transaction": null,
            "charge": charge_id,
            "created": now,
            "currency": charge["currency"],
            "metadata": {},
            "payment_intent": charge["payment_intent"],
            "reason": reason,
            "receipt_number": null,
            "source_transfer_reversal": null,
            "status": "succeeded",
            "transfer_reversal": null,
        });
        (charge.clone(), refund)
    };
    let mut refund = refund;
    p.apply_metadata(&mut refund)?;
    ctx.acct().refunds.push(refund.clone());
    ctx.emit("refund.created", &refund, None);
    ctx.emit("charge.refunded", &charge, None);
    Ok(refund)
}

pub fn list_refunds(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
    p.allow(&[
        "limit",
        "starting_after",
        "ending_before",
        "payment_intent",
        "charge",
        "created",
    ])?;
    let pi = p.str("payment_intent")?;
    let charge = p.str("charge")?;
    let items = ctx
        .acct()
        .refunds
        .iter()
        .filter(|r| {
            pi.as_ref()
                .is_none_or(|v| r["payment_intent"] == v.as_str())
        })
        .filter(|r| charge.as_ref().is_none_or(|v| r["charge"] == v.as_str()))
        .cloned()
        .collect();
    list(items, p, "/v1/refunds")
}

pub fn retrieve_refund(ctx: &mut Ctx<'_>, id: &str) -> SimResult<Value> {
    find(&mut ctx.acct().refunds, id, "refund").map(|r| r.clone())
}

//! PaymentIntents for in-person (`card_present`) payments: create, retrieve, update, list,
//! capture and cancel, with Stripe's state checks.

use super::{find_or_404, list as page, CreatedFilter};
use crate::ctx::Ctx;
use crate::errors::{SimError, SimResult};
use crate::params::Params;
use serde_json::{json, Value};

const CREATE_FIELDS: &[&str] = &[
    "amount",
    "currency",
    "payment_method_types",
    "capture_method",
    "confirmation_method",
    "description",
    "metadata",
    "statement_descriptor",
    "statement_descriptor_suffix",
    "receipt_email",
    "customer",
    "on_behalf_of",
    "application_fee_amount",
    "transfer_data",
    "transfer_group",
    "payment_method_options",
    "setup_future_usage",
    "confirm",
    // Accepted and ignored: newer SDK parameters without meaning for in-person payments.
    "allowed_payment_method_types",
    "amount_details",
    "automatic_payment_methods",
    "confirmation_token",
    "customer_account",
    "error_on_requires_action",
    "excluded_payment_method_types",
    "hooks",
    "mandate",
    "mandate_data",
    "off_session",
    "payment_details",
    "payment_method",
    "payment_method_configuration",
    "payment_method_data",
    "radar_options",
    "return_url",
    "shipping",
    "use_stripe_sdk",
];

/// States in which the amount and payment method types may change.
const UPDATABLE: &[&str] = &[
    "requires_payment_method",
    "requires_confirmation",
    "requires_action",
];

/// Cancellable states: anything not yet captured, processing or finished.
const CANCELLABLE: &[&str] = &[
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
];

fn unexpected_state(status: &str, done: &str, allowed: &[&str], intent: &Value) -> SimError {
    SimError::invalid(
        "payment_intent_unexpected_state",
        format!("This PaymentIntent could not be {done} because it has a status of {status}. Only a PaymentIntent with one of the following statuses may be {done}: {}.", allowed.join(", ")),
    )
    .with("payment_intent", intent.clone())
}

fn amount(p: &Params, name: &str) -> SimResult<Option<i64>> {
    let Some(a) = p.int(name)? else {
        return Ok(None);
    };
    if a < 1 {
        return Err(SimError::invalid(
            "parameter_invalid_integer",
            "This value must be greater than or equal to 1.",
        )
        .param(name));
    }
    if a > 99_999_999 {
        return Err(SimError::invalid(
            "amount_too_large",
            "Amount must be no more than $999,999.99",
        )
        .param(name));
    }
    Ok(Some(a))
}

fn currency(p: &Params) -> SimResult<Option<String>> {
    let Some(c) = p.str("currency")? else {
        return Ok(None);
    };
    let c = c.to_lowercase();
    if c.len() != 3 || !c.chars().all(|ch| ch.is_ascii_alphabetic()) {
        return Err(SimError::invalid_string(
            "currency",
            format!("Invalid currency: {c}."),
        ));
    }
    Ok(Some(c))
}

pub fn create(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
    p.allow(CREATE_FIELDS)?;
    let amount = amount(p, "amount")?.ok_or_else(|| SimError::missing("amount"))?;
    let currency = currency(p)?.ok_or_else(|| SimError::missing("currency"))?;
    let methods = p
        .strings("payment_method_types")?
        .unwrap_or_else(|| vec!["card_present".into()]);
    let capture = p
        .one_of(
            "capture_method",
            &["automatic", "automatic_async", "manual"],
        )?
        .unwrap_or_else(|| "automatic".into());
    if p.bool("confirm")? == Some(true) {
        return Err(SimError::invalid(
            "payment_intent_unexpected_state",
            "A card_present PaymentIntent is confirmed by a reader: omit confirm and call process_payment_intent.",
        )
        .param("confirm"));
    }
    let id = ctx.new_id("pi");
    let secret = ctx.sim.ids().alphanumeric(25);
    let mut intent = json!({
        "id": id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": { "tip": {} },
        "amount_received": 0,
        "application": null,
        "application_fee_amount": p.int("application_fee_amount")?,
        "automatic_payment_methods": null,
        "canceled_at": null,
        "cancellation_reason": null,
        "capture_method": capture,
        "client_secret": format!("{id}_secret_{secret}"),
        "confirmation_method": p.one_of("confirmation_method", &["automatic", "manual"])?.unwrap_or_else(|| "automatic".into()),
        "created": ctx.now(),
        "currency": currency,
        "customer": p.str("customer")?,
        "description": p.str("description")?,
        "last_payment_error": null,
        "latest_charge": null,
        "livemode": false,
        "metadata": {},
        "next_action": null,
        "on_behalf_of": p.str("on_behalf_of")?,
        "payment_method": null,
        "payment_method_options": {},
        "payment_method_types": methods,
        "processing": null,
        "receipt_email": p.str("receipt_email")?,
        "review": null,
        "setup_future_usage": null,
        "shipping": null,
        "statement_descriptor": p.str("statement_descriptor")?,
        "statement_descriptor_suffix": p.str("statement_descriptor_suffix")?,
        "status": "requires_payment_method",
        "transfer_data": null,
        "transfer_group": p.str("transfer_group")?,
    });
    if let Some(dest) = p.get("transfer_data").and_then(|t| t.get("destination")) {
        intent["transfer_data"] = json!({ "destination": dest });
    }
    p.apply_metadata(&mut intent)?;
    ctx.acct().payment_intents.push(intent.clone());
    ctx.emit("payment_intent.created", &intent, None);
    Ok(intent)
}

pub fn list(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
    p.allow(&[
        "limit",
        "starting_after",
        "ending_before",
        "created",
        "customer",
        "customer_account",
    ])?;
    let created = CreatedFilter::parse(p)?;
    let customer = p.str("customer")?;
    let items = ctx
        .acct()
        .payment_intents
        .iter()
        .filter(|pi| {
            created.matches(pi)
                && customer
                    .as_ref()
                    .is_none_or(|cu| pi["customer"] == cu.as_str())
        })
        .cloned()
        .collect();
    page(items, p, "/v1/payment_intents")
}

pub fn retrieve(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&["client_secret"])?;
    find_or_404(&mut ctx.acct().payment_intents, id, "payment_intent").map(|v| v.clone())
}

pub fn update(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
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
        "application_fee_amount",
        "transfer_group",
        "setup_future_usage",
    ])?;
    let new_amount = amount(p, "amount")?;
    let new_currency = currency(p)?;
    let capture = p.one_of(
        "capture_method",
        &["automatic", "automatic_async", "manual"],
    )?;
    let methods = p.strings("payment_method_types")?;
    let strings: Vec<(&str, Option<String>)> = [
        "description",
        "receipt_email",
        "statement_descriptor",
        "statement_descriptor_suffix",
        "transfer_group",
    ]
    .iter()
    .map(|f| p.str(f).map(|v| (*f, v)))
    .collect::<SimResult<_>>()?;
    let intent = find_or_404(&mut ctx.acct().payment_intents, id, "payment_intent")?;
    let status = intent["status"].as_str().unwrap_or_default().to_string();
    let changes_payment =
        new_amount.is_some() || new_currency.is_some() || capture.is_some() || methods.is_some();
    if changes_payment && !UPDATABLE.contains(&status.as_str()) {
        return Err(unexpected_state(&status, "updated", UPDATABLE, intent));
    }
    if status == "canceled" && strings.iter().any(|(_, v)| v.is_some()) {
        return Err(unexpected_state(&status, "updated", UPDATABLE, intent));
    }
    if let Some(a) = new_amount {
        intent["amount"] = json!(a);
    }
    if let Some(c) = new_currency {
        intent["currency"] = json!(c);
    }
    if let Some(c) = capture {
        intent["capture_method"] = json!(c);
    }
    if let Some(m) = methods {
        intent["payment_method_types"] = json!(m);
    }
    for (field, value) in strings {
        if let Some(v) = value {
            intent[field] = if v.is_empty() { Value::Null } else { json!(v) };
        }
    }
    p.apply_metadata(intent)?;
    Ok(intent.clone())
}

pub fn capture(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&[
        "amount_to_capture",
        "metadata",
        "application_fee_amount",
        "statement_descriptor",
        "statement_descriptor_suffix",
        "final_capture",
        "transfer_data",
        "amount_details",
        "hooks",
        "payment_details",
    ])?;
    let to_capture = p.int("amount_to_capture")?;
    let intent = find_or_404(&mut ctx.acct().payment_intents, id, "payment_intent")?;
    let status = intent["status"].as_str().unwrap_or_default().to_string();
    if status != "requires_capture" {
        return Err(unexpected_state(
            &status,
            "captured",
            &["requires_capture"],
            intent,
        ));
    }
    let capturable = intent["amount_capturable"].as_i64().unwrap_or(0);
    let amount = to_capture.unwrap_or(capturable);
    if amount > capturable {
        return Err(SimError::invalid("amount_too_large", format!("The amount to capture ({amount}) is greater than the amount capturable ({capturable}).")).param("amount_to_capture"));
    }
    if amount < 1 {
        return Err(SimError::invalid(
            "amount_too_small",
            "The amount to capture must be at least 1.",
        )
        .param("amount_to_capture"));
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
        let c = find_or_404(&mut ctx.acct().charges, &charge_id, "charge")?;
        c["captured"] = json!(true);
        c["amount_captured"] = json!(amount);
        // The uncaptured remainder is released, which Stripe reports as refunded.
        c["amount_refunded"] = json!(c["amount"].as_i64().unwrap_or(0) - amount);
        c.clone()
    };
    ctx.emit(
        "charge.captured",
        &charge,
        Some(json!({ "captured": false, "amount_captured": 0 })),
    );
    ctx.emit("payment_intent.succeeded", &intent, Some(previous));
    Ok(intent)
}

pub fn cancel(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&["cancellation_reason"])?;
    let reason = p.one_of(
        "cancellation_reason",
        &[
            "abandoned",
            "duplicate",
            "fraudulent",
            "requested_by_customer",
        ],
    )?;
    let now = ctx.now();
    let intent = find_or_404(&mut ctx.acct().payment_intents, id, "payment_intent")?;
    let status = intent["status"].as_str().unwrap_or_default().to_string();
    if !CANCELLABLE.contains(&status.as_str()) {
        return Err(unexpected_state(&status, "canceled", CANCELLABLE, intent));
    }
    let capturable = intent["amount_capturable"].clone();
    intent["status"] = json!("canceled");
    intent["canceled_at"] = json!(now);
    intent["cancellation_reason"] = json!(reason);
    intent["amount_capturable"] = json!(0);
    let intent = intent.clone();
    // A cancelled authorisation is released: its charge shows as refunded.
    if status == "requires_capture" {
        if let Some(charge_id) = intent["latest_charge"].as_str() {
            if let Some(c) = crate::store::find_mut(&mut ctx.acct().charges, charge_id) {
                c["refunded"] = json!(true);
                c["amount_refunded"] = c["amount"].clone();
                let charge = c.clone();
                ctx.emit(
                    "charge.refunded",
                    &charge,
                    Some(json!({ "refunded": false, "amount_refunded": 0 })),
                );
            }
        }
    }
    ctx.emit(
        "payment_intent.canceled",
        &intent,
        Some(json!({ "status": status, "amount_capturable": capturable, "canceled_at": null, "cancellation_reason": null })),
    );
    // A reader still waiting to collect this intent stops waiting.
    for r in &mut ctx.acct().readers {
        if r.waiting_action()
            .is_some_and(|a| a["process_payment_intent"]["payment_intent"] == id)
        {
            r.set_action(Value::Null, None);
        }
    }
    Ok(intent)
}

//! Reader commands (`POST /v1/terminal/readers/{id}/{action}`), following Stripe's rules: a
//! reader runs one payment at a time; a command while a payment waits for a card replaces
//! it; a reader authorising a card is `terminal_reader_busy`; an offline reader is
//! `terminal_reader_offline`; `cancel_action` resets the reader without a webhook.

use super::charges::{self, CardRead};
use super::find_or_404;
use super::readers::{busy, reader_mut, ready, view};
use super::refunds;
use crate::ctx::Ctx;
use crate::errors::{SimError, SimResult};
use crate::params::Params;
use serde_json::{json, Map, Value};

pub fn run(ctx: &mut Ctx<'_>, id: &str, kind: &str, p: &Params) -> SimResult<Value> {
    match kind {
        "process_payment_intent" => process_payment_intent(ctx, id, p),
        "collect_payment_method" => collect_payment_method(ctx, id, p),
        "confirm_payment_intent" => confirm_payment_intent(ctx, id, p),
        "process_setup_intent" => process_setup_intent(ctx, id, p),
        "set_reader_display" => set_reader_display(ctx, id, p),
        "refund_payment" => refund_payment(ctx, id, p),
        "cancel_action" => cancel_action(ctx, id, p),
        "collect_inputs" => super::collect_inputs::start_collection(ctx, id, p),
        other => Err(SimError::unrecognized(
            "POST",
            &format!("/v1/terminal/readers/{id}/{other}"),
        )),
    }
}

pub(super) fn in_progress(kind: &str, body: Value) -> Value {
    let mut a = json!({ "type": kind, "status": "in_progress", "failure_code": null, "failure_message": null });
    a[kind] = body;
    a
}

/// The reader, ready for a command.
fn ready_reader(ctx: &mut Ctx<'_>, id: &str) -> SimResult<()> {
    ready(reader_mut(ctx, id)?)
}

/// Starts `action` on the reader, replacing one that still waits for a card.
pub(super) fn start(ctx: &mut Ctx<'_>, id: &str, action: Value) -> SimResult<Value> {
    release_collected(ctx, id)?;
    let now = ctx.now();
    let now_ms = ctx.now_ms();
    let reader = reader_mut(ctx, id)?;
    reader.set_action(action, Some(now));
    Ok(reader.view(now_ms))
}

/// A PaymentIntent a reader may collect: it exists, waits for a payment method and accepts
/// in-person cards.
fn collectable_intent(ctx: &mut Ctx<'_>, pi: &str) -> SimResult<()> {
    let intent = find_or_404(&mut ctx.acct().payment_intents, pi, "payment_intent")
        .map_err(|e| e.param("payment_intent"))?;
    if intent["status"] != "requires_payment_method" {
        return Err(SimError::invalid(
            "intent_invalid_state",
            "Payment intent must be in the requires_payment_method state to be processed by a reader.",
        )
        .param("payment_intent")
        .with("payment_intent", intent.clone()));
    }
    let in_person = intent["payment_method_types"].as_array().is_some_and(|t| {
        t.iter()
            .any(|v| v == "card_present" || v == "interac_present")
    });
    if !in_person {
        return Err(SimError::invalid(
            "intent_invalid_state",
            "This PaymentIntent cannot be processed by a reader: its payment_method_types must include card_present.",
        )
        .param("payment_intent"));
    }
    Ok(())
}

/// `process_config`/`collect_config` as given, with booleans and integers typed.
fn typed(v: Option<&Value>) -> Value {
    fn walk(v: &Value) -> Value {
        match v {
            Value::String(s) if s == "true" => json!(true),
            Value::String(s) if s == "false" => json!(false),
            Value::String(s) if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) => s
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| v.clone()),
            Value::Object(o) => {
                Value::Object(o.iter().map(|(k, v)| (k.clone(), walk(v))).collect())
            }
            other => other.clone(),
        }
    }
    v.map(walk).unwrap_or_else(|| Value::Object(Map::new()))
}

/// Checks `process_config` / `collect_config`: known keys, booleans, and a tip-eligible
/// amount that is a non-negative integer.
fn check_config(p: &Params, name: &str, known: &[&str]) -> SimResult<()> {
    let Some(given) = p.get(name) else {
        return Ok(());
    };
    let Some(config) = given.as_object() else {
        return if given.as_str() == Some("") {
            Ok(())
        } else {
            Err(SimError::bad_request("Invalid hash").param(name))
        };
    };
    let mut keys: Vec<&String> = config.keys().collect();
    keys.sort();
    if let Some(k) = keys.into_iter().find(|k| !known.contains(&k.as_str())) {
        return Err(SimError::unknown(&format!("{name}[{k}]")));
    }
    for flag in ["skip_tipping", "enable_customer_cancellation"] {
        if let Some(v) = config.get(flag) {
            if !matches!(v.as_str(), Some("true" | "false")) {
                return Err(SimError::invalid(
                    "parameter_invalid_boolean",
                    format!("Invalid boolean: {}", v.as_str().unwrap_or_default()),
                )
                .param(format!("{name}[{flag}]")));
            }
        }
    }
    if let Some(tipping) = config.get("tipping") {
        let param = format!("{name}[tipping]");
        let tipping = tipping
            .as_object()
            .ok_or_else(|| SimError::bad_request("Invalid hash").param(param.clone()))?;
        if let Some(k) = tipping.keys().find(|k| *k != "amount_eligible") {
            return Err(SimError::unknown(&format!("{param}[{k}]")));
        }
        if let Some(v) = tipping.get("amount_eligible") {
            let field = format!("{param}[amount_eligible]");
            let s = v.as_str().unwrap_or_default();
            match s.parse::<i64>() {
                Ok(n) if n >= 0 => {}
                Ok(_) => {
                    return Err(SimError::invalid(
                        "parameter_invalid_integer",
                        "This value must be greater than or equal to 0.",
                    )
                    .param(field))
                }
                Err(_) => return Err(SimError::invalid_integer(&field, s)),
            }
        }
    }
    Ok(())
}

fn process_payment_intent(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&["payment_intent", "process_config"])?;
    check_config(
        p,
        "process_config",
        &[
            "skip_tipping",
            "tipping",
            "enable_customer_cancellation",
            "return_url",
            "allow_redisplay",
        ],
    )?;
    let pi = p.req_str("payment_intent")?;
    ready_reader(ctx, id)?;
    collectable_intent(ctx, &pi)?;
    let action = in_progress(
        "process_payment_intent",
        json!({ "payment_intent": pi, "process_config": typed(p.get("process_config")) }),
    );
    start(ctx, id, action)
}

fn collect_payment_method(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&["payment_intent", "collect_config"])?;
    check_config(
        p,
        "collect_config",
        &[
            "skip_tipping",
            "tipping",
            "enable_customer_cancellation",
            "allow_redisplay",
        ],
    )?;
    let pi = p.req_str("payment_intent")?;
    ready_reader(ctx, id)?;
    collectable_intent(ctx, &pi)?;
    let action = in_progress(
        "collect_payment_method",
        json!({ "payment_intent": pi, "collect_config": typed(p.get("collect_config")) }),
    );
    start(ctx, id, action)
}

fn confirm_payment_intent(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&["payment_intent", "confirm_config"])?;
    let pi = p.req_str("payment_intent")?;
    ready_reader(ctx, id)?;
    let now_ms = ctx.now_ms();
    let reader = reader_mut(ctx, id)?;
    let collected = reader.raw()["action"]["collect_payment_method"].clone();
    let location = reader.raw()["location"].clone();
    if collected["payment_intent"] != pi.as_str() || !collected["payment_method"].is_string() {
        return Err(SimError::invalid(
            "intent_invalid_state",
            "This reader has not collected a payment method for this PaymentIntent: call collect_payment_method and present a card first.",
        )
        .param("payment_intent"));
    }
    let pm = collected["payment_method"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let card = ctx.acct().collected.remove(&pm).ok_or_else(|| {
        SimError::invalid(
            "intent_invalid_state",
            "The collected payment method has expired.",
        )
        .param("payment_intent")
    })?;
    let read = CardRead {
        kind: card.kind,
        number: card.number,
        tip: card.tip,
        reader: id.to_string(),
        location,
    };
    let result = charges::authorise(ctx, &pi, &read)?;
    let mut action = json!({ "type": "confirm_payment_intent", "confirm_payment_intent": { "payment_intent": pi, "confirm_config": typed(p.get("confirm_config")) } });
    finish(&mut action, result.map(|d| (d.code, d.message)));
    let reader = reader_mut(ctx, id)?;
    reader.set_action(action, None);
    let shown = reader.view(now_ms);
    let kind = if result.is_none() {
        "terminal.reader.action_succeeded"
    } else {
        "terminal.reader.action_failed"
    };
    ctx.emit(kind, &shown, None);
    Ok(shown)
}

/// Marks an action succeeded, or failed with `failure`.
pub fn finish(action: &mut Value, failure: Option<(&str, &str)>) {
    match failure {
        None => {
            action["status"] = json!("succeeded");
            action["failure_code"] = Value::Null;
            action["failure_message"] = Value::Null;
        }
        Some((code, message)) => {
            action["status"] = json!("failed");
            action["failure_code"] = json!(code);
            action["failure_message"] = json!(message);
        }
    }
}

fn process_setup_intent(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&[
        "setup_intent",
        "process_config",
        "allow_redisplay",
        "customer_consent_collected",
    ])?;
    let si = p.req_str("setup_intent")?;
    // The 2026 SDKs require `allow_redisplay`; the 2023 API required
    // `customer_consent_collected` instead. Either is accepted.
    if p.get("customer_consent_collected").is_none() {
        p.one_of("allow_redisplay", &["always", "limited", "unspecified"])?
            .ok_or_else(|| SimError::missing("allow_redisplay"))?;
    }
    ready_reader(ctx, id)?;
    let mut body = json!({ "setup_intent": si });
    if let Some(config) = p.get("process_config") {
        body["process_config"] = typed(Some(config));
    }
    start(ctx, id, in_progress("process_setup_intent", body))
}

fn set_reader_display(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&["type", "cart"])?;
    let kind = p.req_str("type")?;
    if kind != "cart" {
        return Err(SimError::invalid_string(
            "type",
            "Invalid type: must be cart",
        ));
    }
    let cart = cart(p)?;
    let now_ms = ctx.now_ms();
    let reader = reader_mut(ctx, id)?;
    ready(reader)?;
    // A payment on screen is not replaced by a cart display (SIMULATOR.md).
    if reader.waiting_action().is_some() {
        return Err(busy());
    }
    let mut action = json!({ "type": "set_reader_display", "set_reader_display": { "type": "cart", "cart": cart } });
    finish(&mut action, None);
    reader.set_action(action, None);
    // Stripe sends no webhook for a display.
    Ok(reader.view(now_ms))
}

fn int_field(v: &Value, name: &str) -> SimResult<i64> {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| v.as_i64())
        .ok_or_else(|| SimError::invalid_integer(name, &v.to_string()))
}

/// `cart{currency, line_items[]{amount, description, quantity}, tax, total}`, typed.
fn cart(p: &Params) -> SimResult<Value> {
    let cart = p.get("cart").ok_or_else(|| SimError::missing("cart"))?;
    if let Some(fields) = cart.as_object() {
        let mut keys: Vec<&String> = fields.keys().collect();
        keys.sort();
        if let Some(k) = keys
            .into_iter()
            .find(|k| !["currency", "line_items", "tax", "total"].contains(&k.as_str()))
        {
            return Err(SimError::unknown(&format!("cart[{k}]")));
        }
    } else {
        return Err(SimError::bad_request("Invalid hash").param("cart"));
    }
    let currency = cart
        .get("currency")
        .and_then(Value::as_str)
        .ok_or_else(|| SimError::missing("cart[currency]"))?;
    let total = int_field(
        cart.get("total")
            .ok_or_else(|| SimError::missing("cart[total]"))?,
        "cart[total]",
    )?;
    let tax = match cart.get("tax") {
        Some(t) => Some(int_field(t, "cart[tax]")?),
        None => None,
    };
    let given = match cart.get("line_items") {
        None => return Err(SimError::missing("cart[line_items]")),
        Some(Value::Array(items)) => items.clone(),
        Some(_) => {
            return Err(
                SimError::invalid("parameter_invalid_array", "Invalid array")
                    .param("cart[line_items]"),
            )
        }
    };
    let mut items = Vec::new();
    for (i, item) in given.iter().enumerate() {
        let field = |f: &str| format!("cart[line_items][{i}][{f}]");
        if let Some(k) = item.as_object().and_then(|o| {
            o.keys()
                .find(|k| !["amount", "description", "quantity"].contains(&k.as_str()))
        }) {
            return Err(SimError::unknown(&field(k)));
        }
        let need = |f: &str| item.get(f).ok_or_else(|| SimError::missing(&field(f)));
        let amount = int_field(need("amount")?, &field("amount"))?;
        let quantity = int_field(need("quantity")?, &field("quantity"))?;
        let description = need("description")?
            .as_str()
            .ok_or_else(|| SimError::invalid_string(&field("description"), "Invalid string"))?;
        items.push(json!({ "amount": amount, "description": description, "quantity": quantity }));
    }
    Ok(
        json!({ "currency": currency.to_lowercase(), "line_items": items, "tax": tax, "total": total }),
    )
}

fn refund_payment(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&[
        "payment_intent",
        "charge",
        "amount",
        "reason",
        "metadata",
        "refund_application_fee",
        "reverse_transfer",
        "refund_payment_config",
    ])?;
    let pi = p.str("payment_intent")?;
    let charge = p.str("charge")?;
    let amount = p.int("amount")?;
    let reason = p.one_of("reason", refunds::REASONS)?;
    if pi.is_none() && charge.is_none() {
        return Err(SimError::missing("payment_intent"));
    }
    ready_reader(ctx, id)?;
    let charge_id = refunds::charge_to_refund(ctx, pi.as_deref(), charge.as_deref())?;
    let amount = refunds::refundable(ctx, &charge_id, amount)?;
    let mut body = json!({ "amount": amount, "charge": charge_id, "metadata": {} });
    if let Some(pi) = pi {
        body["payment_intent"] = json!(pi);
    }
    if let Some(reason) = reason {
        body["reason"] = json!(reason);
    }
    for flag in ["refund_application_fee", "reverse_transfer"] {
        if let Some(v) = p.bool(flag)? {
            body[flag] = json!(v);
        }
    }
    if let Some(config) = p.get("refund_payment_config") {
        body["refund_payment_config"] = typed(Some(config));
    }
    p.apply_metadata(&mut body)?;
    start(ctx, id, in_progress("refund_payment", body))
}

/// Releases a card collected but not confirmed on the reader: the intent waits for another.
fn release_collected(ctx: &mut Ctx<'_>, id: &str) -> SimResult<()> {
    let collected = reader_mut(ctx, id)?.raw()["action"]["collect_payment_method"].clone();
    let (Some(pm), Some(pi)) = (
        collected["payment_method"].as_str(),
        collected["payment_intent"].as_str(),
    ) else {
        return Ok(());
    };
    ctx.acct().collected.remove(pm);
    if let Some(intent) = crate::store::find_mut(&mut ctx.acct().payment_intents, pi) {
        if intent["status"] == "requires_confirmation" {
            intent["status"] = json!("requires_payment_method");
            intent["payment_method"] = Value::Null;
        }
    }
    Ok(())
}

fn cancel_action(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&[])?;
    // A reader authorising a card cannot be interrupted: `ready` answers busy.
    ready_reader(ctx, id)?;
    release_collected(ctx, id)?;
    reader_mut(ctx, id)?.set_action(Value::Null, None);
    // Stripe sends no webhook for a cancelled action.
    view(ctx, id)
}

//! Terminal locations, readers, reader actions and the present-card test helper.

use super::{find, list};
use crate::dispatch::Ctx;
use crate::error::{SimError, SimResult};
use crate::ids::{new_id, random_digits};
use crate::params::Params;
use crate::store::SimReader;
use serde_json::{json, Value};

/// Countries whose addresses need a state or province, as Stripe validates them.
const NEEDS_STATE: &[&str] = &["US", "CA", "AU", "MX", "BR", "IN", "JP", "MY"];

fn address(p: &Params, required: bool) -> SimResult<Option<Value>> {
    let Some(given) = p.get("address") else {
        return if required {
            Err(SimError::missing("address"))
        } else {
            Ok(None)
        };
    };
    let Some(a) = given.as_object() else {
        return Err(
            SimError::invalid("parameter_invalid_string", "Invalid address").param("address"),
        );
    };
    for key in a.keys() {
        if !["line1", "line2", "city", "state", "postal_code", "country"].contains(&key.as_str()) {
            return Err(SimError::unknown(&format!("address[{key}]")));
        }
    }
    let get = |k: &str| {
        a.get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let country = get("country")
        .ok_or_else(|| SimError::missing("address[country]"))?
        .to_uppercase();
    if country.len() != 2 {
        return Err(SimError::invalid("parameter_invalid_string", format!("Country '{country}' is unknown. Try using a 2-character alphanumeric country code instead, such as 'US', 'EG', or 'GB'.")).param("address[country]"));
    }
    let line1 = get("line1").ok_or_else(|| SimError::missing("address[line1]"))?;
    let city = get("city");
    let postal = get("postal_code");
    let state = get("state");
    if city.is_none() {
        return Err(SimError::missing("address[city]"));
    }
    if postal.is_none() && !["HK", "AE", "IE"].contains(&country.as_str()) {
        return Err(SimError::missing("address[postal_code]"));
    }
    if state.is_none() && NEEDS_STATE.contains(&country.as_str()) {
        return Err(SimError::missing("address[state]"));
    }
    Ok(Some(
        json!({ "line1": line1, "line2": get("line2"), "city": city, "state": state, "postal_code": postal, "country": country }),
    ))
}

pub fn create_location(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
    p.allow(&[
        "display_name",
        "address",
        "metadata",
        "configuration_overrides",
        "phone",
    ])?;
    let display_name = p.req_str("display_name")?;
    let address = address(p, true)?;
    let mut location = json!({
        "id": new_id("tml"),
        "object": "terminal.location",
        "address": address,
        "display_name": display_name,
        "livemode": false,
        "metadata": {},
    });
    // Stripe leaves these out rather than sending null when they are not set.
    for field in ["configuration_overrides", "phone"] {
        if let Some(v) = p.str(field)? {
            location[field] = json!(v);
        }
    }
    p.apply_metadata(&mut location)?;
    ctx.acct().locations.push(location.clone());
    Ok(location)
}

pub fn list_locations(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
    p.allow(&["limit", "starting_after", "ending_before"])?;
    list(ctx.acct().locations.clone(), p, "/v1/terminal/locations")
}

pub fn retrieve_location(ctx: &mut Ctx<'_>, id: &str) -> SimResult<Value> {
    find(&mut ctx.acct().locations, id, "terminal.location").map(|v| v.clone())
}

pub fn update_location(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&[
        "display_name",
        "address",
        "metadata",
        "configuration_overrides",
        "phone",
    ])?;
    let display_name = p.str("display_name")?;
    let address = address(p, false)?;
    let location = find(&mut ctx.acct().locations, id, "terminal.location")?;
    if let Some(name) = display_name {
        location["display_name"] = json!(name);
    }
    if let Some(address) = address {
        location["address"] = address;
    }
    p.apply_metadata(location)?;
    Ok(location.clone())
}

pub fn delete_location(ctx: &mut Ctx<'_>, id: &str) -> SimResult<Value> {
    let acct = ctx.acct();
    find(&mut acct.locations, id, "terminal.location")?;
    acct.locations.retain(|l| l["id"] != id);
    // Stripe deletes a location's readers with it.
    acct.readers.retain(|r| r.json["location"] != id);
    Ok(json!({ "id": id, "object": "terminal.location", "deleted": true }))
}

fn device_for_code(ctx: &mut Ctx<'_>, code: &str) -> SimResult<String> {
    match code {
        "simulated-wpe" => Ok("simulated_wisepos_e".into()),
        "simulated-s700" => Ok("simulated_stripe_s700".into()),
        _ => match ctx.store.codes.get(code) {
            Some(issued) if issued.account == ctx.account => {
                let device = issued.device_type.clone();
                ctx.store.codes.remove(code);
                Ok(device)
            }
            _ => Err(SimError::invalid(
                "terminal_reader_registration_code_invalid",
                "The registration code is invalid or has expired. Generate a new code on the reader and try again.",
            )
            .param("registration_code")),
        },
    }
}

pub fn create_reader(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
    p.allow(&["registration_code", "label", "location", "metadata"])?;
    let code = p.req_str("registration_code")?;
    let location = p.str("location")?;
    if let Some(loc) = &location {
        if !ctx.acct().locations.iter().any(|l| l["id"] == loc.as_str()) {
            return Err(SimError::not_found("terminal.location", loc).param("location"));
        }
    }
    let device_type = device_for_code(ctx, &code)?;
    let simulated = device_type.starts_with("simulated");
    let serial = if device_type.contains("s700") {
        format!("STRM{}", random_digits(11))
    } else {
        format!("WSC{}", random_digits(12))
    };
    let now = ctx.now();
    let mut reader = json!({
        "id": new_id("tmr"),
        "object": "terminal.reader",
        "action": null,
        "device_sw_version": if simulated { "2.37.2.0" } else { "2.36.1.0" },
        "device_type": device_type,
        "ip_address": format!("192.168.{}.{}", rand::random::<u8>() % 250 + 1, rand::random::<u8>() % 250 + 1),
        "label": p.str("label")?.unwrap_or_else(|| "Simulated reader".into()),
        "last_seen_at": now * 1000,
        "livemode": false,
        "location": location,
        "metadata": {},
        "serial_number": serial,
        "status": "online",
    });
    p.apply_metadata(&mut reader)?;
    ctx.acct().readers.push(SimReader {
        json: reader.clone(),
        online: true,
        busy: false,
        action_started: None,
    });
    Ok(reader)
}

pub fn list_readers(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
    p.allow(&[
        "limit",
        "starting_after",
        "ending_before",
        "location",
        "status",
        "device_type",
        "serial_number",
    ])?;
    let location = p.str("location")?;
    let status = p.str("status")?;
    if let Some(s) = &status {
        if s != "online" && s != "offline" {
            return Err(SimError::invalid(
                "parameter_invalid_string",
                "Invalid status: must be one of offline or online",
            )
            .param("status"));
        }
    }
    let device = p.str("device_type")?;
    let serial = p.str("serial_number")?;
    let items = ctx
        .acct()
        .readers
        .iter()
        .map(|r| r.json.clone())
        .filter(|r| {
            location
                .as_ref()
                .is_none_or(|l| r["location"] == l.as_str())
        })
        .filter(|r| status.as_ref().is_none_or(|s| r["status"] == s.as_str()))
        .filter(|r| {
            device
                .as_ref()
                .is_none_or(|d| r["device_type"] == d.as_str())
        })
        .filter(|r| {
            serial
                .as_ref()
                .is_none_or(|s| r["serial_number"] == s.as_str())
        })
        .collect();
    list(items, p, "/v1/terminal/readers")
}

fn reader_mut<'a>(ctx: &'a mut Ctx<'_>, id: &str) -> SimResult<&'a mut SimReader> {
    ctx.acct()
        .readers
        .iter_mut()
        .find(|r| r.json["id"] == id)
        .ok_or_else(|| SimError::not_found("terminal.reader", id))
}

pub fn retrieve_reader(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    let expand = p.expand();
    let mut reader = reader_mut(ctx, id)?.json.clone();
    if expand
        .iter()
        .any(|e| e == "action.process_payment_intent.payment_intent")
    {
        if let Some(pi) = reader["action"]["process_payment_intent"]["payment_intent"]
            .as_str()
            .map(str::to_string)
        {
            if let Some(intent) = ctx
                .acct()
                .payment_intents
                .iter()
                .find(|v| v["id"] == pi.as_str())
            {
                reader["action"]["process_payment_intent"]["payment_intent"] = intent.clone();
            }
        }
    }
    Ok(reader)
}

pub fn update_reader(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&["label", "metadata"])?;
    let label = p.str("label")?;
    let reader = reader_mut(ctx, id)?;
    if let Some(label) = label {
        reader.json["label"] = json!(label);
    }
    p.apply_metadata(&mut reader.json)?;
    Ok(reader.json.clone())
}

pub fn delete_reader(ctx: &mut Ctx<'_>, id: &str) -> SimResult<Value> {
    reader_mut(ctx, id)?;
    ctx.acct().readers.retain(|r| r.json["id"] != id);
    Ok(json!({ "id": id, "object": "terminal.reader", "deleted": true }))
}

fn offline() -> SimError {
    SimError::invalid(
        "terminal_reader_offline",
        "Reader is currently offline, please ensure the reader is powered on and connected to the internet before retrying your request.",
    )
}

fn busy() -> SimError {
    SimError::invalid(
        "terminal_reader_busy",
        "Reader is currently busy processing another request. Please reference the integration guide at https://stripe.com/docs/terminal/payments/collect-payment?terminal-sdk-platform=server-driven#handle-errors for details on how to handle this error.",
    )
}

/// Refuses a command to a reader that cannot take one now.
fn ready(reader: &SimReader) -> SimResult<()> {
    if !reader.online {
        return Err(offline());
    }
    if reader.busy {
        return Err(busy());
    }
    Ok(())
}

fn int_field(v: &Value, name: &str) -> SimResult<i64> {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| v.as_i64())
        .ok_or_else(|| {
            SimError::invalid("parameter_invalid_integer", format!("Invalid integer: {v}"))
                .param(name)
        })
}

/// `cart{currency, line_items[]{amount, description, quantity}, tax, total}` with integers typed.
fn cart(p: &Params) -> SimResult<Value> {
    let cart = p.get("cart").ok_or_else(|| SimError::missing("cart"))?;
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
    let mut items = Vec::new();
    for (i, item) in cart
        .get("line_items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let field = |f: &str| format!("cart[line_items][{i}][{f}]");
        let amount = int_field(
            item.get("amount")
                .ok_or_else(|| SimError::missing(&field("amount")))?,
            &field("amount"),
        )?;
        let quantity = int_field(
            item.get("quantity")
                .ok_or_else(|| SimError::missing(&field("quantity")))?,
            &field("quantity"),
        )?;
        let description = item
            .get("description")
            .and_then(Value::as_str)
            .ok_or_else(|| SimError::missing(&field("description")))?;
        items.push(json!({ "amount": amount, "description": description, "quantity": quantity }));
    }
    Ok(
        json!({ "currency": currency.to_lowercase(), "line_items": items, "tax": tax, "total": total }),
    )
}

fn action(kind: &str, body: Value) -> Value {
    let mut a = json!({ "type": kind, "status": "in_progress", "failure_code": null, "failure_message": null });
    a[kind] = body;
    a
}

pub fn reader_action(ctx: &mut Ctx<'_>, id: &str, kind: &str, p: &Params) -> SimResult<Value> {
    match kind {
        "process_payment_intent" => {
            p.allow(&["payment_intent", "process_config"])?;
            let pi = p.req_str("payment_intent")?;
            ready(reader_mut(ctx, id)?)?;
            let intent = find(&mut ctx.acct().payment_intents, &pi, "payment_intent")
                .map_err(|e| e.param("payment_intent"))?;
            if intent["status"] != "requires_payment_method" {
                return Err(SimError::invalid(
                    "intent_invalid_state",
                    format!("PaymentIntent {pi} has a status of {}. Only a PaymentIntent with status requires_payment_method can be processed.", intent["status"].as_str().unwrap_or("unknown")),
                )
                .param("payment_intent"));
            }
            if !intent["payment_method_types"].as_array().is_some_and(|t| {
                t.iter()
                    .any(|v| v == "card_present" || v == "interac_present")
            }) {
                return Err(SimError::invalid("intent_invalid_state", "This PaymentIntent does not accept card_present payments: add card_present to payment_method_types.").param("payment_intent"));
            }
            let config = p.get("process_config").cloned().unwrap_or(json!({}));
            let now = ctx.now();
            let reader = reader_mut(ctx, id)?;
            // A payment still waiting for a card is replaced by the new one.
            reader.json["action"] = action(
                "process_payment_intent",
                json!({ "payment_intent": pi, "process_config": config }),
            );
            reader.action_started = Some(now);
            Ok(reader.json.clone())
        }
        "process_setup_intent" => {
            p.allow(&[
                "setup_intent",
                "process_config",
                "allow_redisplay",
                "customer_consent_collected",
            ])?;
            let si = p.req_str("setup_intent")?;
            let now = ctx.now();
            let reader = reader_mut(ctx, id)?;
            ready(reader)?;
            reader.json["action"] = action("process_setup_intent", json!({ "setup_intent": si }));
            reader.action_started = Some(now);
            Ok(reader.json.clone())
        }
        "set_reader_display" => {
            p.allow(&["type", "cart"])?;
            let kind = p.req_str("type")?;
            if kind != "cart" {
                return Err(SimError::invalid(
                    "parameter_invalid_string",
                    "Invalid type: must be cart",
                )
                .param("type"));
            }
            let cart = cart(p)?;
            let reader = reader_mut(ctx, id)?;
            ready(reader)?;
            let mut a = action(
                "set_reader_display",
                json!({ "type": "cart", "cart": cart }),
            );
            a["status"] = json!("succeeded");
            reader.json["action"] = a;
            reader.action_started = None;
            let snapshot = reader.json.clone();
            ctx.emit("terminal.reader.action_succeeded", &snapshot, None);
            Ok(snapshot)
        }
        "refund_payment" => {
            p.allow(&[
                "payment_intent",
                "charge",
                "amount",
                "metadata",
                "refund_application_fee",
                "reverse_transfer",
                "refund_payment_config",
            ])?;
            if p.get("payment_intent").is_none() && p.get("charge").is_none() {
                return Err(SimError::missing("payment_intent"));
            }
            let body = json!({ "payment_intent": p.str("payment_intent")?, "charge": p.str("charge")?, "amount": p.int("amount")? });
            let now = ctx.now();
            let reader = reader_mut(ctx, id)?;
            ready(reader)?;
            reader.json["action"] = action("refund_payment", body);
            reader.action_started = Some(now);
            Ok(reader.json.clone())
        }
        "cancel_action" => {
            p.allow(&[])?;
            let reader = reader_mut(ctx, id)?;
            ready(reader)?;
            // Stripe sends no webhook for a cancelled action.
            reader.json["action"] = Value::Null;
            reader.action_started = None;
            Ok(reader.json.clone())
        }
        other => Err(SimError::unrecognized(
            "POST",
            &format!("/v1/terminal/readers/{id}/{other}"),
        )),
    }
}

pub fn connection_token(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
    p.allow(&["location"])?;
    let location = p.str("location")?;
    if let Some(loc) = &location {
        find(&mut ctx.acct().locations, loc, "terminal.location")
            .map_err(|e| e.param("location"))?;
    }
    let mut token = json!({ "object": "terminal.connection_token", "secret": format!("pst_test_{}", random_digits(24)) });
    if let Some(loc) = location {
        token["location"] = json!(loc);
    }
    Ok(token)
}

pub fn present_payment_method(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&[
        "type",
        "card_present",
        "interac_present",
        "amount_tip",
        "card",
    ])?;
    let kind = p.str("type")?.unwrap_or_else(|| "card_present".into());
    let number = p
        .get(&kind)
        .and_then(|c| c.get("number"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let tip = p.int("amount_tip")?.unwrap_or(0);
    let reader = reader_mut(ctx, id)?;
    if !reader.json["device_type"]
        .as_str()
        .unwrap_or_default()
        .starts_with("simulated")
    {
        return Err(SimError::invalid(
            "terminal_reader_hardware_fault",
            "This test helper only works with simulated readers.",
        ));
    }
    ready(reader)?;
    let action = reader.json["action"].clone();
    if action["status"] != "in_progress" {
        return Err(SimError::invalid(
            "terminal_reader_action_not_in_progress",
            "The reader has no action in progress that can accept a payment method.",
        ));
    }
    match action["type"].as_str() {
        Some("process_payment_intent") => {
            let pi = action["process_payment_intent"]["payment_intent"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            super::payments::present_card(ctx, id, &pi, &kind, number.as_deref(), tip)
        }
        Some("process_setup_intent") | Some("refund_payment") => {
            let reader = reader_mut(ctx, id)?;
            reader.json["action"]["status"] = json!("succeeded");
            reader.action_started = None;
            let snapshot = reader.json.clone();
            ctx.emit("terminal.reader.action_succeeded", &snapshot, None);
            Ok(snapshot)
        }
        _ => Err(SimError::invalid(
            "terminal_reader_action_not_in_progress",
            "The reader's current action does not take a payment method.",
        )),
    }
}

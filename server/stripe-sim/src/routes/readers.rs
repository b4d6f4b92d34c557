//! Terminal readers: registration by code, retrieval, label/metadata, deletion, listing, and
//! the readiness rules every reader command shares (offline, busy).

use super::list as page;
use crate::ctx::Ctx;
use crate::errors::{SimError, SimResult};
use crate::params::Params;
use crate::store::Reader;
use serde_json::{json, Value};

pub fn reader_mut<'a>(ctx: &'a mut Ctx<'_>, id: &str) -> SimResult<&'a mut Reader> {
    ctx.acct()
        .readers
        .iter_mut()
        .find(|r| r.id() == id)
        .ok_or_else(|| SimError::not_found("terminal.reader", id))
}

/// The reader as Stripe shows it now.
pub fn view(ctx: &mut Ctx<'_>, id: &str) -> SimResult<Value> {
    let now_ms = ctx.now_ms();
    reader_mut(ctx, id).map(|r| r.view(now_ms))
}

pub fn offline() -> SimError {
    SimError::invalid(
        "terminal_reader_offline",
        "Reader is currently offline, please ensure the reader is powered on and connected to the internet before retrying your request. Reference the integration guide at https://stripe.com/docs/terminal/payments/collect-payment?terminal-sdk-platform=server-driven#handle-errors for details on how to handle this error.",
    )
}

pub fn busy() -> SimError {
    SimError::invalid(
        "terminal_reader_busy",
        "Reader is currently busy processing another request. Please reference the integration guide at https://stripe.com/docs/terminal/payments/collect-payment?terminal-sdk-platform=server-driven#handle-errors for details on how to handle this error.",
    )
}

/// Refuses a command to a reader that cannot take one now: offline, or authorising a card.
pub fn ready(reader: &Reader) -> SimResult<()> {
    if !reader.online {
        return Err(offline());
    }
    if reader.busy {
        return Err(busy());
    }
    Ok(())
}

/// What a registration code registers: Stripe's simulated codes, or a code the control API
/// issued for a "physical" reader of this account (used once).
fn device_for_code(ctx: &mut Ctx<'_>, code: &str) -> SimResult<String> {
    match code {
        "simulated-wpe" => Ok("simulated_wisepos_e".into()),
        "simulated-s700" => Ok("simulated_stripe_s700".into()),
        "simulated-s710" => Ok("simulated_stripe_s710".into()),
        _ => match ctx.store.codes.get(code) {
            Some(issued) if issued.account == ctx.account => {
                let device = issued.device_type.clone();
                ctx.store.codes.remove(code);
                Ok(device)
            }
            // Stripe's exact wording is unconfirmed (REFERENCE.md §15.2); see SIMULATOR.md.
            _ => Err(SimError::bad_request(format!(
                "The registration code '{code}' is invalid or has expired. Generate a new code on the reader and try again."
            ))
            .param("registration_code")),
        },
    }
}

pub fn create(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
    p.allow(&["registration_code", "label", "location", "metadata"])?;
    let code = p.req_str("registration_code")?;
    let location = p.str("location")?;
    if let Some(loc) = &location {
        if !ctx.acct().locations.iter().any(|l| l["id"] == loc.as_str()) {
            return Err(SimError::not_found("terminal.location", loc).param("location"));
        }
    }
    let device_type = device_for_code(ctx, &code)?;
    let ids = ctx.sim.ids();
    let serial = match device_type.as_str() {
        d if d.starts_with("simulated") => format!(
            "{code}-{}-{}-{}",
            ids.digits(3),
            ids.digits(3),
            ids.digits(4)
        ),
        "stripe_s700" => format!("STRM2{}", ids.digits(10)),
        _ => format!("WSC513{}", ids.digits(9)),
    };
    let ip = format!("192.168.{}.{}", 1 + ids.below(250), 2 + ids.below(250));
    let now_ms = ctx.now_ms();
    let mut json = json!({
        "id": ctx.new_id("tmr"),
        "object": "terminal.reader",
        "action": null,
        "device_sw_version": if device_type.starts_with("simulated") { "2.37.2.0" } else { "2.36.1.0" },
        "device_type": device_type,
        "ip_address": ip,
        "label": p.str("label")?.filter(|l| !l.is_empty()).unwrap_or_else(|| serial.clone()),
        "last_seen_at": now_ms,
        "livemode": false,
        "location": location,
        "metadata": {},
        "serial_number": serial,
        "status": "online",
    });
    p.apply_metadata(&mut json)?;
    let reader = Reader::new(json, now_ms);
    let shown = reader.view(now_ms);
    ctx.acct().readers.push(reader);
    Ok(shown)
}

pub fn list(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
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
    let status = p.one_of("status", &["offline", "online"])?;
    let device = p.str("device_type")?;
    let serial = p.str("serial_number")?;
    let now_ms = ctx.now_ms();
    let items = ctx
        .acct()
        .readers
        .iter()
        .map(|r| r.view(now_ms))
        .filter(|r| {
            location
                .as_ref()
                .is_none_or(|l| r["location"] == l.as_str())
                && status.as_ref().is_none_or(|s| r["status"] == s.as_str())
                && device
                    .as_ref()
                    .is_none_or(|d| r["device_type"] == d.as_str())
                && serial
                    .as_ref()
                    .is_none_or(|s| r["serial_number"] == s.as_str())
        })
        .collect();
    page(items, p, "/v1/terminal/readers")
}

pub fn retrieve(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&[])?;
    view(ctx, id)
}

pub fn update(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&["label", "metadata"])?;
    let label = p.str("label")?;
    let now_ms = ctx.now_ms();
    let reader = reader_mut(ctx, id)?;
    if let Some(label) = label {
        // An empty label unsets it; Stripe then shows the serial number.
        let label = if label.is_empty() {
            reader.raw()["serial_number"].clone()
        } else {
            json!(label)
        };
        reader.json_mut()["label"] = label;
    }
    p.apply_metadata(reader.json_mut())?;
    Ok(reader.view(now_ms))
}

pub fn delete(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&[])?;
    reader_mut(ctx, id)?;
    ctx.acct().readers.retain(|r| r.id() != id);
    Ok(json!({ "id": id, "object": "terminal.reader", "deleted": true }))
}

/// Fails actions that waited for a card longer than the configured timeout.
pub fn expire_actions(ctx: &mut Ctx<'_>) {
    let now = ctx.now();
    let now_ms = ctx.now_ms();
    let timeout = i64::try_from(ctx.sim.config().action_timeout.as_secs()).unwrap_or(i64::MAX);
    let Some(acct) = ctx.store.accounts.get_mut(&ctx.account) else {
        return;
    };
    let mut expired = Vec::new();
    for r in &mut acct.readers {
        let Some(started) = r.action_started else {
            continue;
        };
        if now - started < timeout || r.waiting_action().is_none() {
            continue;
        }
        let action = &mut r.json_mut()["action"];
        action["status"] = json!("failed");
        action["failure_code"] = json!("terminal_reader_timeout");
        action["failure_message"] = json!(if action["type"] == "collect_inputs" {
            "The reader timed out waiting for the customer to complete the inputs."
        } else {
            "The reader timed out waiting for a payment method to be presented."
        });
        r.action_started = None;
        expired.push(r.view(now_ms));
    }
    for reader in expired {
        ctx.emit("terminal.reader.action_failed", &reader, None);
    }
}

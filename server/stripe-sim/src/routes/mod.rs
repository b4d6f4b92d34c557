//! `/v1` routes, by object.

pub mod payments;
pub mod platform;
pub mod terminal;

use crate::dispatch::Ctx;
use crate::error::{SimError, SimResult};
use crate::params::Params;
use axum::http::Method;
use serde_json::{json, Value};

pub fn route(ctx: &mut Ctx<'_>, method: &Method, seg: &[&str], p: &Params) -> SimResult<Value> {
    let m = method.as_str();
    match (m, seg) {
        ("GET", ["account"]) => platform::own_account(ctx),
        ("POST", ["accounts"]) => platform::create_account(ctx, p),
        ("GET", ["accounts", id]) => platform::retrieve_account(ctx, id),
        ("POST", ["webhook_endpoints"]) => platform::create_endpoint(ctx, p),
        ("GET", ["webhook_endpoints"]) => platform::list_endpoints(ctx, p),
        ("GET", ["webhook_endpoints", id]) => platform::retrieve_endpoint(ctx, id),
        ("DELETE", ["webhook_endpoints", id]) => platform::delete_endpoint(ctx, id),
        ("GET", ["events"]) => platform::list_events(ctx, p),
        ("GET", ["events", id]) => platform::retrieve_event(ctx, id),

        ("POST", ["terminal", "locations"]) => terminal::create_location(ctx, p),
        ("GET", ["terminal", "locations"]) => terminal::list_locations(ctx, p),
        ("GET", ["terminal", "locations", id]) => terminal::retrieve_location(ctx, id),
        ("POST", ["terminal", "locations", id]) => terminal::update_location(ctx, id, p),
        ("DELETE", ["terminal", "locations", id]) => terminal::delete_location(ctx, id),
        ("POST", ["terminal", "readers"]) => terminal::create_reader(ctx, p),
        ("GET", ["terminal", "readers"]) => terminal::list_readers(ctx, p),
        ("GET", ["terminal", "readers", id]) => terminal::retrieve_reader(ctx, id, p),
        ("POST", ["terminal", "readers", id]) => terminal::update_reader(ctx, id, p),
        ("DELETE", ["terminal", "readers", id]) => terminal::delete_reader(ctx, id),
        ("POST", ["terminal", "readers", id, action]) => {
            terminal::reader_action(ctx, id, action, p)
        }
        ("POST", ["test_helpers", "terminal", "readers", id, "present_payment_method"]) => {
            terminal::present_payment_method(ctx, id, p)
        }
        ("POST", ["terminal", "connection_tokens"]) => terminal::connection_token(ctx, p),

        ("POST", ["payment_intents"]) => payments::create_intent(ctx, p),
        ("GET", ["payment_intents"]) => payments::list_intents(ctx, p),
        ("GET", ["payment_intents", id]) => payments::retrieve_intent(ctx, id, p),
        ("POST", ["payment_intents", id]) => payments::update_intent(ctx, id, p),
        ("POST", ["payment_intents", id, "capture"]) => payments::capture_intent(ctx, id, p),
        ("POST", ["payment_intents", id, "cancel"]) => payments::cancel_intent(ctx, id, p),
        ("GET", ["charges", id]) => payments::retrieve_charge(ctx, id),
        ("POST", ["refunds"]) => payments::create_refund(ctx, p),
        ("GET", ["refunds"]) => payments::list_refunds(ctx, p),
        ("GET", ["refunds", id]) => payments::retrieve_refund(ctx, id),
        _ => Err(SimError::unrecognized(m, &format!("/v1/{}", seg.join("/")))),
    }
}

/// Stripe's list answer over `items` (oldest first as stored), newest first, with `limit`,
/// `starting_after` and `ending_before`.
pub fn list(items: Vec<Value>, p: &Params, url: &str) -> SimResult<Value> {
    let limit = p.int("limit")?.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(SimError::invalid(
            "parameter_invalid_integer",
            "This value must be greater than or equal to 1 and less than or equal to 100.",
        )
        .param("limit"));
    }
    let limit = usize::try_from(limit).unwrap_or(10);
    let newest_first: Vec<Value> = items.into_iter().rev().collect();
    let position = |id: &str, param: &str| {
        newest_first
            .iter()
            .position(|v| v["id"] == id)
            .ok_or_else(|| {
                SimError::invalid("resource_missing", format!("No such object: '{id}'"))
                    .param(param)
            })
    };
    let (page, has_more) = if let Some(after) = p.str("starting_after")? {
        let start = position(&after, "starting_after")? + 1;
        let rest = &newest_first[start.min(newest_first.len())..];
        (
            rest.iter().take(limit).cloned().collect::<Vec<_>>(),
            rest.len() > limit,
        )
    } else if let Some(before) = p.str("ending_before")? {
        let end = position(&before, "ending_before")?;
        let head = &newest_first[..end];
        let start = head.len().saturating_sub(limit);
        (head[start..].to_vec(), start > 0)
    } else {
        (
            newest_first.iter().take(limit).cloned().collect(),
            newest_first.len() > limit,
        )
    };
    Ok(json!({ "object": "list", "data": page, "has_more": has_more, "url": url }))
}

/// Fails reader actions that waited for a card longer than the timeout (the clock can be
/// advanced through the control API).
pub fn expire_actions(ctx: &mut Ctx<'_>) {
    let now = ctx.now();
    let timeout = ctx.action_timeout;
    let account = ctx.account.clone();
    let Some(acct) = ctx.store.accounts.get_mut(&account) else {
        return;
    };
    let mut expired = Vec::new();
    for r in &mut acct.readers {
        if let Some(started) = r.action_started {
            if now - started >= timeout && r.json["action"]["status"] == "in_progress" {
                r.json["action"]["status"] = json!("failed");
                r.json["action"]["failure_code"] = json!("terminal_reader_timeout");
                r.json["action"]["failure_message"] =
                    json!("The reader did not receive a payment method in time.");
                r.action_started = None;
                expired.push(r.json.clone());
            }
        }
    }
    for reader in expired {
        ctx.emit("terminal.reader.action_failed", &reader, None);
    }
}

pub fn find<'a>(items: &'a mut [Value], id: &str, object: &str) -> SimResult<&'a mut Value> {
    items
        .iter_mut()
        .find(|v| v["id"] == id)
        .ok_or_else(|| SimError::not_found(object, id))
}

//! `/v1` routes, one module per Stripe object.

pub mod account_links;
pub mod accounts;
mod charges;
mod collect_inputs;
pub mod configurations;
mod connection_tokens;
mod events;
pub mod files;
mod locations;
mod payment_intents;
mod reader_actions;
pub mod readers;
pub mod refunds;
mod test_cards;
mod test_helpers;
mod webhook_endpoints;

use crate::ctx::Ctx;
use crate::errors::{SimError, SimResult};
use crate::params::Params;
use axum::http::Method;
use serde_json::{json, Value};

pub fn route(ctx: &mut Ctx<'_>, method: &Method, seg: &[&str], p: &Params) -> SimResult<Value> {
    let m = method.as_str();
    let mut value = match (m, seg) {
        ("GET", ["account"]) => accounts::own(ctx, p),
        ("POST", ["accounts"]) => accounts::create(ctx, p),
        ("GET", ["accounts", id]) => accounts::retrieve(ctx, id, p),
        ("POST", ["account_links"]) => account_links::create(ctx, p),

        ("POST", ["webhook_endpoints"]) => webhook_endpoints::create(ctx, p),
        ("GET", ["webhook_endpoints"]) => webhook_endpoints::list(ctx, p),
        ("GET", ["webhook_endpoints", id]) => webhook_endpoints::retrieve(ctx, id, p),
        ("POST", ["webhook_endpoints", id]) => webhook_endpoints::update(ctx, id, p),
        ("DELETE", ["webhook_endpoints", id]) => webhook_endpoints::delete(ctx, id, p),
        ("GET", ["events"]) => events::list(ctx, p),
        ("GET", ["events", id]) => events::retrieve(ctx, id, p),

        ("POST", ["terminal", "locations"]) => locations::create(ctx, p),
        ("GET", ["terminal", "locations"]) => locations::list(ctx, p),
        ("GET", ["terminal", "locations", id]) => locations::retrieve(ctx, id, p),
        ("POST", ["terminal", "locations", id]) => locations::update(ctx, id, p),
        ("DELETE", ["terminal", "locations", id]) => locations::delete(ctx, id, p),

        ("POST", ["terminal", "configurations"]) => configurations::create(ctx, p),
        ("GET", ["terminal", "configurations"]) => configurations::list(ctx, p),
        ("GET", ["terminal", "configurations", id]) => configurations::retrieve(ctx, id, p),
        ("POST", ["terminal", "configurations", id]) => configurations::update(ctx, id, p),
        ("DELETE", ["terminal", "configurations", id]) => configurations::delete(ctx, id, p),
        ("POST", ["files"]) => files::create(ctx, p),
        ("GET", ["files"]) => files::list(ctx, p),
        ("GET", ["files", id]) => files::retrieve(ctx, id, p),

        ("POST", ["terminal", "readers"]) => readers::create(ctx, p),
        ("GET", ["terminal", "readers"]) => readers::list(ctx, p),
        ("GET", ["terminal", "readers", id]) => readers::retrieve(ctx, id, p),
        ("POST", ["terminal", "readers", id]) => readers::update(ctx, id, p),
        ("DELETE", ["terminal", "readers", id]) => readers::delete(ctx, id, p),
        ("POST", ["terminal", "readers", id, action]) => reader_actions::run(ctx, id, action, p),
        ("POST", ["test_helpers", "terminal", "readers", id, "present_payment_method"]) => {
            test_helpers::present_payment_method(ctx, id, p)
        }
        ("POST", ["test_helpers", "terminal", "readers", id, "succeed_input_collection"]) => {
            collect_inputs::succeed(ctx, id, p)
        }
        ("POST", ["test_helpers", "terminal", "readers", id, "timeout_input_collection"]) => {
            collect_inputs::time_out(ctx, id, p)
        }
        ("POST", ["terminal", "connection_tokens"]) => connection_tokens::create(ctx, p),

        ("POST", ["payment_intents"]) => payment_intents::create(ctx, p),
        ("GET", ["payment_intents"]) => payment_intents::list(ctx, p),
        ("GET", ["payment_intents", id]) => payment_intents::retrieve(ctx, id, p),
        ("POST", ["payment_intents", id]) => payment_intents::update(ctx, id, p),
        ("POST", ["payment_intents", id, "capture"]) => payment_intents::capture(ctx, id, p),
        ("POST", ["payment_intents", id, "cancel"]) => payment_intents::cancel(ctx, id, p),
        ("GET", ["charges"]) => charges::list(ctx, p),
        ("GET", ["charges", id]) => charges::retrieve(ctx, id, p),
        ("POST", ["refunds"]) => refunds::create(ctx, p),
        ("GET", ["refunds"]) => refunds::list(ctx, p),
        ("GET", ["refunds", id]) => refunds::retrieve(ctx, id, p),
        _ => Err(SimError::unrecognized(m, &format!("/v1/{}", seg.join("/")))),
    }?;
    let expand = p.expand();
    if !expand.is_empty() {
        let now_ms = ctx.now_ms();
        crate::expand::apply(ctx.acct(), now_ms, &mut value, &expand)?;
    }
    Ok(value)
}

/// Stripe's list answer over `items` (stored oldest first), newest first, with `limit`,
/// `starting_after` and `ending_before`. Objects created in the same second keep their
/// creation order, so pages never skip or repeat.
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

/// `created` as an integer or a range (`created[gte]=…`), as list filters take it.
pub struct CreatedFilter {
    exact: Option<i64>,
    gte: Option<i64>,
    lte: Option<i64>,
    gt: Option<i64>,
    lt: Option<i64>,
}

impl CreatedFilter {
    pub fn parse(p: &Params) -> SimResult<Self> {
        let created = p.get("created");
        let bound = |op: &str| -> SimResult<Option<i64>> {
            match created.and_then(|c| c.get(op)) {
                None => Ok(None),
                Some(v) => {
                    let s = v.as_str().unwrap_or_default();
                    s.parse()
                        .map(Some)
                        .map_err(|_| SimError::invalid_integer(&format!("created[{op}]"), s))
                }
            }
        };
        let exact = match created.and_then(Value::as_str) {
            None => None,
            Some(s) => Some(
                s.parse::<i64>()
                    .map_err(|_| SimError::invalid_integer("created", s))?,
            ),
        };
        Ok(CreatedFilter {
            exact,
            gte: bound("gte")?,
            lte: bound("lte")?,
            gt: bound("gt")?,
            lt: bound("lt")?,
        })
    }

    pub fn matches(&self, object: &Value) -> bool {
        let c = object["created"].as_i64().unwrap_or(0);
        self.exact.is_none_or(|e| c == e)
            && self.gte.is_none_or(|v| c >= v)
            && self.lte.is_none_or(|v| c <= v)
            && self.gt.is_none_or(|v| c > v)
            && self.lt.is_none_or(|v| c < v)
    }
}

/// The object `id` of the kind `object` (e.g. `payment_intent`) in `items`, or Stripe's 404.
pub fn find_or_404<'a>(items: &'a mut [Value], id: &str, object: &str) -> SimResult<&'a mut Value> {
    crate::store::find_mut(items, id).ok_or_else(|| SimError::not_found(object, id))
}

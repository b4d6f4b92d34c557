//! Webhook endpoints: where events are POSTed. The signing secret is shown once, at creation.

use super::list as page;
use crate::ctx::Ctx;
use crate::errors::{SimError, SimResult};
use crate::params::Params;
use crate::store::Endpoint;
use serde_json::{json, Value};

const FIELDS: &[&str] = &[
    "url",
    "enabled_events",
    "connect",
    "description",
    "metadata",
    "api_version",
];

fn url_param(p: &Params) -> SimResult<Option<String>> {
    let Some(url) = p.str("url")? else {
        return Ok(None);
    };
    // Stripe wants https in live mode; test mode (and a local dashboard) may use http.
    let ok = url::Url::parse(&url)
        .map(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .unwrap_or(false);
    if !ok {
        return Err(SimError::invalid("url_invalid", format!("Invalid URL: {url}")).param("url"));
    }
    Ok(Some(url))
}

fn events_param(p: &Params) -> SimResult<Option<Vec<String>>> {
    match p.strings("enabled_events")? {
        Some(events) if events.is_empty() => Err(SimError::invalid(
            "parameter_invalid_empty",
            "You must specify at least one event type in enabled_events.",
        )
        .param("enabled_events")),
        other => Ok(other),
    }
}

pub fn create(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
    p.allow(FIELDS)?;
    let url = url_param(p)?.ok_or_else(|| SimError::missing("url"))?;
    let events = events_param(p)?.ok_or_else(|| SimError::missing("enabled_events"))?;
    let secret = format!("whsec_{}", ctx.sim.ids().alphanumeric(32));
    let mut json = json!({
        "id": ctx.new_id("we"),
        "object": "webhook_endpoint",
        "api_version": p.str("api_version")?,
        "application": null,
        "created": ctx.now(),
        "description": p.str("description")?,
        "enabled_events": events,
        "livemode": false,
        "metadata": {},
        "status": "enabled",
        "url": url,
    });
    p.apply_metadata(&mut json)?;
    let connect = p.bool("connect")?.unwrap_or(false);
    let mut stored = json.clone();
    stored["connect"] = json!(connect);
    ctx.acct().endpoints.push(Endpoint {
        json: stored,
        secret: secret.clone(),
    });
    json["secret"] = json!(secret);
    Ok(json)
}

/// The endpoint as Stripe shows it after creation: no secret, and `connect` is not a field
/// of the object.
fn shown(e: &Endpoint) -> Value {
    let mut v = e.json.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("connect");
    }
    v
}

pub fn list(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
    p.allow(&["limit", "starting_after", "ending_before"])?;
    let items = ctx.acct().endpoints.iter().map(shown).collect();
    page(items, p, "/v1/webhook_endpoints")
}

fn endpoint_mut<'a>(ctx: &'a mut Ctx<'_>, id: &str) -> SimResult<&'a mut Endpoint> {
    ctx.acct()
        .endpoints
        .iter_mut()
        .find(|e| e.json["id"] == id)
        .ok_or_else(|| SimError::not_found("webhook_endpoint", id))
}

pub fn retrieve(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&[])?;
    endpoint_mut(ctx, id).map(|e| shown(e))
}

pub fn update(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&[
        "url",
        "enabled_events",
        "description",
        "metadata",
        "disabled",
    ])?;
    let url = url_param(p)?;
    let events = events_param(p)?;
    let description = p.str("description")?;
    let disabled = p.bool("disabled")?;
    let e = endpoint_mut(ctx, id)?;
    if let Some(url) = url {
        e.json["url"] = json!(url);
    }
    if let Some(events) = events {
        e.json["enabled_events"] = json!(events);
    }
    if let Some(d) = description {
        e.json["description"] = json!(d);
    }
    if let Some(disabled) = disabled {
        e.json["status"] = json!(if disabled { "disabled" } else { "enabled" });
    }
    p.apply_metadata(&mut e.json)?;
    Ok(shown(e))
}

pub fn delete(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&[])?;
    endpoint_mut(ctx, id)?;
    ctx.acct().endpoints.retain(|e| e.json["id"] != id);
    Ok(json!({ "id": id, "object": "webhook_endpoint", "deleted": true }))
}

//! Accounts (Connect), webhook endpoints and events.

use super::{find, list};
use crate::dispatch::Ctx;
use crate::error::{SimError, SimResult};
use crate::ids::new_id;
use crate::params::Params;
use crate::store::{Account, Endpoint};
use serde_json::{json, Value};

pub fn account_json(id: &str, country: Option<&str>, email: Option<&str>, created: i64) -> Value {
    json!({
        "id": id,
        "object": "account",
        "business_profile": { "name": "Simulated business", "url": null, "mcc": null, "support_email": null, "support_phone": null, "support_url": null, "product_description": null, "support_address": null },
        "business_type": null,
        "capabilities": { "card_payments": "active", "transfers": "active" },
        "charges_enabled": true,
        "payouts_enabled": true,
        "details_submitted": true,
        "country": country.unwrap_or("US"),
        "created": created,
        "default_currency": if country == Some("CA") { "cad" } else if country == Some("GB") { "gbp" } else { "usd" },
        "email": email,
        "metadata": {},
        "settings": { "dashboard": { "display_name": "Simulated business", "timezone": "Etc/UTC" } },
        "type": "standard",
        "livemode": false
    })
}

pub fn own_account(ctx: &mut Ctx<'_>) -> SimResult<Value> {
    Ok(ctx.acct().json.clone())
}

pub fn create_account(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
    p.allow(&[
        "type",
        "country",
        "email",
        "business_profile",
        "metadata",
        "capabilities",
        "business_type",
        "controller",
    ])?;
    if ctx
        .store
        .accounts
        .get(&ctx.account)
        .and_then(|a| a.parent.as_ref())
        .is_some()
    {
        return Err(SimError::permission(
            "Connected accounts cannot create accounts.",
        ));
    }
    let id = new_id("acct");
    let country = p.str("country")?;
    let email = p.str("email")?;
    let mut json = account_json(&id, country.as_deref(), email.as_deref(), ctx.now());
    if let Some(kind) = p.str("type")? {
        if !["standard", "express", "custom"].contains(&kind.as_str()) {
            return Err(SimError::invalid(
                "parameter_invalid_string",
                "Invalid type: must be one of standard, express, or custom",
            )
            .param("type"));
        }
        json["type"] = json!(kind);
    }
    if let Some(name) = p
        .get("business_profile")
        .and_then(|b| b.get("name"))
        .and_then(Value::as_str)
    {
        json["business_profile"]["name"] = json!(name);
        json["settings"]["dashboard"]["display_name"] = json!(name);
    }
    p.apply_metadata(&mut json)?;
    ctx.store.accounts.insert(
        id.clone(),
        Account {
            id: id.clone(),
            parent: Some(ctx.account.clone()),
            json: json.clone(),
            ..Account::default()
        },
    );
    Ok(json)
}

pub fn retrieve_account(ctx: &mut Ctx<'_>, id: &str) -> SimResult<Value> {
    if id == ctx.account {
        return Ok(ctx.acct().json.clone());
    }
    match ctx.store.accounts.get(id) {
        Some(a) if a.parent.as_deref() == Some(ctx.account.as_str()) => Ok(a.json.clone()),
        _ => Err(SimError::not_found("account", id)),
    }
}

pub fn create_endpoint(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
    p.allow(&[
        "url",
        "enabled_events",
        "connect",
        "description",
        "metadata",
        "api_version",
    ])?;
    let url = p.req_str("url")?;
    if url::Url::parse(&url)
        .map(|u| !matches!(u.scheme(), "http" | "https"))
        .unwrap_or(true)
    {
        return Err(SimError::invalid("url_invalid", format!("Invalid URL: {url}")).param("url"));
    }
    let events = p
        .strings("enabled_events")?
        .ok_or_else(|| SimError::missing("enabled_events"))?;
    if events.is_empty() {
        return Err(SimError::missing("enabled_events"));
    }
    let secret = format!("whsec_{}", crate::ids::new_id("x").trim_start_matches("x_"));
    let mut json = json!({
        "id": new_id("we"),
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
        "connect": p.bool("connect")?.unwrap_or(false),
    });
    p.apply_metadata(&mut json)?;
    ctx.acct().endpoints.push(Endpoint {
        json: json.clone(),
        secret: secret.clone(),
    });
    json["secret"] = json!(secret);
    Ok(json)
}

pub fn list_endpoints(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
    p.allow(&["limit", "starting_after", "ending_before"])?;
    let items = ctx
        .acct()
        .endpoints
        .iter()
        .map(|e| e.json.clone())
        .collect();
    list(items, p, "/v1/webhook_endpoints")
}

pub fn retrieve_endpoint(ctx: &mut Ctx<'_>, id: &str) -> SimResult<Value> {
    ctx.acct()
        .endpoints
        .iter()
        .find(|e| e.json["id"] == id)
        .map(|e| e.json.clone())
        .ok_or_else(|| SimError::not_found("webhook_endpoint", id))
}

pub fn delete_endpoint(ctx: &mut Ctx<'_>, id: &str) -> SimResult<Value> {
    let acct = ctx.acct();
    let before = acct.endpoints.len();
    acct.endpoints.retain(|e| e.json["id"] != id);
    if acct.endpoints.len() == before {
        return Err(SimError::not_found("webhook_endpoint", id));
    }
    Ok(json!({ "id": id, "object": "webhook_endpoint", "deleted": true }))
}

pub fn list_events(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
    p.allow(&[
        "limit",
        "starting_after",
        "ending_before",
        "type",
        "types",
        "created",
        "delivery_success",
    ])?;
    let kind = p.str("type")?;
    let items = ctx
        .acct()
        .events
        .iter()
        .filter(|e| {
            kind.as_ref().is_none_or(|k| {
                // `type` accepts a trailing wildcard, e.g. `payment_intent.*`.
                let t = e["type"].as_str().unwrap_or_default();
                k.strip_suffix('*')
                    .map_or(t == k, |prefix| t.starts_with(prefix))
            })
        })
        .cloned()
        .collect();
    list(items, p, "/v1/events")
}

pub fn retrieve_event(ctx: &mut Ctx<'_>, id: &str) -> SimResult<Value> {
    find(&mut ctx.acct().events, id, "event").map(|v| v.clone())
}

//! Accounts: the key's own (`GET /v1/account`) and the connected accounts a platform creates.

use crate::ctx::Ctx;
use crate::errors::{SimError, SimResult};
use crate::params::Params;
use crate::store::Account;
use serde_json::{json, Value};

pub fn account_json(id: &str, country: Option<&str>, email: Option<&str>, created: i64) -> Value {
    let country = country.unwrap_or("US").to_uppercase();
    let currency = match country.as_str() {
        "CA" => "cad",
        "GB" => "gbp",
        "AU" => "aud",
        "IE" | "FR" | "DE" | "NL" | "ES" | "IT" => "eur",
        _ => "usd",
    };
    json!({
        "id": id,
        "object": "account",
        "business_profile": { "name": "Simulated business", "url": null, "mcc": null, "support_email": null, "support_phone": null, "support_url": null, "product_description": null, "support_address": null },
        "business_type": null,
        "capabilities": { "card_payments": "active", "transfers": "active" },
        "charges_enabled": true,
        "payouts_enabled": true,
        "details_submitted": true,
        "country": country,
        "created": created,
        "default_currency": currency,
        "email": email,
        "metadata": {},
        "settings": { "dashboard": { "display_name": "Simulated business", "timezone": "Etc/UTC" } },
        "type": "standard",
        "livemode": false
    })
}

pub fn own(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
    p.allow(&[])?;
    Ok(ctx.acct().json.clone())
}

pub fn create(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
    p.allow(&[
        "type",
        "country",
        "email",
        "business_profile",
        "business_type",
        "capabilities",
        "controller",
        "default_currency",
        "metadata",
        "settings",
        "tos_acceptance",
        "company",
        "individual",
        "external_account",
        "account_token",
        "documents",
        "groups",
        "bank_account",
    ])?;
    if ctx.is_connected() {
        return Err(SimError::permission(
            "This application does not have the required permissions for this endpoint on account. Connected accounts cannot create accounts.",
        ));
    }
    let kind = p.one_of("type", &["standard", "express", "custom"])?;
    let id = ctx.new_id("acct");
    let country = p.str("country")?;
    let email = p.str("email")?;
    let mut json = account_json(&id, country.as_deref(), email.as_deref(), ctx.now());
    if let Some(kind) = kind {
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
    if let Some(currency) = p.str("default_currency")? {
        json["default_currency"] = json!(currency.to_lowercase());
    }
    p.apply_metadata(&mut json)?;
    ctx.store.accounts.insert(
        id.clone(),
        Account {
            parent: Some(ctx.account.clone()),
            json: json.clone(),
            ..Account::default()
        },
    );
    Ok(json)
}

pub fn retrieve(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&[])?;
    if id == ctx.account {
        return Ok(ctx.acct().json.clone());
    }
    match ctx.store.accounts.get(id) {
        Some(a) if a.parent.as_deref() == Some(ctx.account.as_str()) => Ok(a.json.clone()),
        _ => Err(SimError::not_found("account", id).param("account")),
    }
}

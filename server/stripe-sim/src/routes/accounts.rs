//! Accounts: the key's own (`GET /v1/account`) and the connected accounts a platform creates.

use crate::ctx::Ctx;
use crate::errors::{SimError, SimResult};
use crate::params::Params;
use crate::store::Account;
use serde_json::{json, Value};

/// What a new connected account must still provide before it can take payments.
const ONBOARDING_DUE: &[&str] = &[
    "business_profile.mcc",
    "business_profile.url",
    "external_account",
    "tos_acceptance.date",
    "tos_acceptance.ip",
];

fn requirements(due: &[&str]) -> Value {
    json!({
        "alternatives": [],
        "current_deadline": null,
        "currently_due": due,
        "disabled_reason": if due.is_empty() { Value::Null } else { json!("requirements.past_due") },
        "errors": [],
        "eventually_due": due,
        "past_due": due,
        "pending_verification": []
    })
}

/// An account as Stripe returns it. A key's own account is `onboarded`; a connected account a
/// platform creates is not until its holder completes the hosted onboarding.
pub fn account_json(
    id: &str,
    country: Option<&str>,
    email: Option<&str>,
    created: i64,
    onboarded: bool,
) -> Value {
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
        "charges_enabled": onboarded,
        "payouts_enabled": onboarded,
        "details_submitted": onboarded,
        "requirements": requirements(if onboarded { &[] } else { ONBOARDING_DUE }),
        "country": country,
        "created": created,
        "default_currency": currency,
        "email": email,
        "metadata": {},
        "settings": { "dashboard": { "display_name": "Simulated business", "timezone": "Etc/UTC" } },
        "type": "standard"
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
    let mut json = account_json(&id, country.as_deref(), email.as_deref(), ctx.now(), false);
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

/// Completes onboarding as the hosted form does: details submitted, charges and payouts
/// enabled, nothing due. Returns the `previous_attributes` of the `account.updated` event.
pub fn complete_onboarding(json: &mut Value, business_name: Option<&str>) -> Value {
    let previous = json!({
        "charges_enabled": json["charges_enabled"],
        "payouts_enabled": json["payouts_enabled"],
        "details_submitted": json["details_submitted"],
        "requirements": json["requirements"],
    });
    json["charges_enabled"] = json!(true);
    json["payouts_enabled"] = json!(true);
    json["details_submitted"] = json!(true);
    json["requirements"] = requirements(&[]);
    if let Some(name) = business_name.map(str::trim).filter(|n| !n.is_empty()) {
        json["business_profile"]["name"] = json!(name);
        json["settings"]["dashboard"]["display_name"] = json!(name);
    }
    previous
}

/// The Connect client id (`ca_…`) of a platform account, as the simulator derives it.
pub fn client_id(account: &str) -> String {
    format!("ca_{}", account.trim_start_matches("acct_"))
}

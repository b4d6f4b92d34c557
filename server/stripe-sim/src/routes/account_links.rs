//! Account Links: single-use URLs into the Stripe-hosted onboarding of a connected account
//! (served by `hosted::onboarding`). A link expires after five minutes or once visited; either
//! way the holder is sent to `refresh_url`, where the platform makes a new one.

use crate::ctx::Ctx;
use crate::errors::{SimError, SimResult};
use crate::params::Params;
use crate::store::AccountLink;
use serde_json::{json, Value};

/// How long a link stays valid, in seconds (Stripe: a few minutes).
pub const LIFETIME: i64 = 300;

fn url_param(p: &Params, name: &str) -> SimResult<Option<String>> {
    let Some(raw) = p.str(name)? else {
        return Ok(None);
    };
    match url::Url::parse(&raw) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(Some(raw)),
        _ => Err(SimError::invalid("url_invalid", "Not a valid URL").param(name)),
    }
}

pub fn create(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
    p.allow(&[
        "account",
        "type",
        "refresh_url",
        "return_url",
        "collect",
        "collection_options",
    ])?;
    if ctx.is_connected() {
        return Err(SimError::permission(
            "This application does not have the required permissions for this endpoint on account. Connected accounts cannot create account links.",
        ));
    }
    let account = p.req_str("account")?;
    let kind = p.req_str("type")?;
    if !matches!(kind.as_str(), "account_onboarding" | "account_update") {
        return Err(SimError::invalid_string(
            "type",
            "Invalid type: must be one of account_onboarding or account_update",
        ));
    }
    p.one_of("collect", &["currently_due", "eventually_due"])?;
    let refresh_url = url_param(p, "refresh_url")?;
    let return_url = url_param(p, "return_url")?;
    let platform = ctx.account.clone();
    let Some(acct) = ctx
        .store
        .accounts
        .get(&account)
        .filter(|a| a.parent.as_deref() == Some(platform.as_str()))
    else {
        return Err(SimError::account_invalid(format!(
            "The provided key does not have access to account '{account}' (or that account does not exist). Application access may have been revoked."
        ))
        .param("account"));
    };
    if kind == "account_update" && acct.json["type"] == "standard" {
        return Err(SimError::invalid_string(
            "type",
            "You cannot create `account_update` type Account Links for Standard accounts.",
        ));
    }
    let token = ctx.sim.ids().alphanumeric(12);
    let now = ctx.now();
    let url = format!("{}/setup/s/{account}/{token}", ctx.origin);
    ctx.store.account_links.insert(
        token,
        AccountLink {
            account,
            refresh_url,
            return_url,
            expires_at: now + LIFETIME,
            visited: false,
            completed: false,
        },
    );
    Ok(json!({
        "object": "account_link",
        "created": now,
        "expires_at": now + LIFETIME,
        "url": url,
    }))
}

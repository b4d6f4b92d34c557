//! Terminal locations: where readers are, with an address Stripe validates by country.

use super::{find_or_404, list as page};
use crate::ctx::Ctx;
use crate::errors::{SimError, SimResult};
use crate::params::Params;
use serde_json::{json, Map, Value};

/// Countries whose addresses need a state or province, as Stripe validates them.
const NEEDS_STATE: &[&str] = &["US", "CA", "AU", "MX", "BR", "IN", "JP", "MY"];
/// Countries without postal codes.
const NO_POSTAL_CODE: &[&str] = &["HK", "AE", "IE"];
const ADDRESS_FIELDS: &[&str] = &["line1", "line2", "city", "state", "postal_code", "country"];
const FIELDS: &[&str] = &[
    "display_name",
    "address",
    "metadata",
    "configuration_overrides",
    "phone",
    "address_kana",
    "address_kanji",
    "display_name_kana",
    "display_name_kanji",
];

fn address_fields(p: &Params) -> SimResult<Option<Map<String, Value>>> {
    let Some(given) = p.get("address") else {
        return Ok(None);
    };
    let Some(a) = given.as_object() else {
        return Err(SimError::invalid_string("address", "Invalid address"));
    };
    for key in a.keys() {
        if !ADDRESS_FIELDS.contains(&key.as_str()) {
            return Err(SimError::unknown(&format!("address[{key}]")));
        }
    }
    Ok(Some(a.clone()))
}

fn text(a: &Map<String, Value>, k: &str) -> Option<String> {
    a.get(k)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A complete address: country and line1 always; city, postal code and state as the country
/// requires.
fn validated(a: &Map<String, Value>) -> SimResult<Value> {
    let country = text(a, "country")
        .ok_or_else(|| SimError::missing("address[country]"))?
        .to_uppercase();
    if country.len() != 2 || !country.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(SimError::invalid_string("address[country]", format!("Country '{country}' is unknown. Try using a 2-character alphanumeric country code instead, such as 'US', 'EG', or 'GB'.")));
    }
    let line1 = text(a, "line1").ok_or_else(|| SimError::missing("address[line1]"))?;
    let city = text(a, "city").ok_or_else(|| SimError::missing("address[city]"))?;
    let postal = text(a, "postal_code");
    if postal.is_none() && !NO_POSTAL_CODE.contains(&country.as_str()) {
        return Err(SimError::missing("address[postal_code]"));
    }
    let state = text(a, "state");
    if state.is_none() && NEEDS_STATE.contains(&country.as_str()) {
        return Err(SimError::missing("address[state]"));
    }
    Ok(json!({
        "city": city, "country": country, "line1": line1, "line2": text(a, "line2"),
        "postal_code": postal, "state": state,
    }))
}

/// `configuration_overrides` must name a configuration of this account (empty unsets it).
fn check_override(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<()> {
    match p.str("configuration_overrides")? {
        Some(id) if !id.is_empty() => super::configurations::check_override(ctx, &id),
        _ => Ok(()),
    }
}

pub fn create(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
    p.allow(FIELDS)?;
    let display_name = p.req_str("display_name")?;
    let address = validated(&address_fields(p)?.ok_or_else(|| SimError::missing("address"))?)?;
    check_override(ctx, p)?;
    let mut location = json!({
        "id": ctx.new_id("tml"),
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

pub fn list(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
    p.allow(&["limit", "starting_after", "ending_before"])?;
    page(ctx.acct().locations.clone(), p, "/v1/terminal/locations")
}

pub fn retrieve(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&[])?;
    find_or_404(&mut ctx.acct().locations, id, "terminal.location").map(|v| v.clone())
}

pub fn update(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(FIELDS)?;
    let display_name = p.str("display_name")?;
    let changes = address_fields(p)?;
    find_or_404(&mut ctx.acct().locations, id, "terminal.location")?;
    check_override(ctx, p)?;
    let location = find_or_404(&mut ctx.acct().locations, id, "terminal.location")?;
    if let Some(changes) = changes {
        // An address update merges into the current one; the country cannot change.
        let mut merged = location["address"].as_object().cloned().unwrap_or_default();
        if let Some(c) = text(&changes, "country") {
            if merged.get("country").and_then(Value::as_str) != Some(c.to_uppercase().as_str()) {
                return Err(SimError::invalid_string(
                    "address[country]",
                    "You cannot change the country of a location's address.",
                ));
            }
        }
        merged.extend(changes);
        location["address"] = validated(&merged)?;
    }
    if let Some(name) = display_name {
        if name.is_empty() {
            return Err(SimError::invalid("parameter_invalid_empty", "You passed an empty string for 'display_name'. We assume empty values are an attempt to unset a parameter; however 'display_name' cannot be unset. You should remove 'display_name' from your request or supply a non-empty value.").param("display_name"));
        }
        location["display_name"] = json!(name);
    }
    for field in ["configuration_overrides", "phone"] {
        if let Some(v) = p.str(field)? {
            if let Some(o) = location.as_object_mut() {
                // An empty value unsets the field, which Stripe then leaves out.
                if v.is_empty() {
                    o.remove(field);
                } else {
                    o.insert(field.into(), json!(v));
                }
            }
        }
    }
    p.apply_metadata(location)?;
    Ok(location.clone())
}

pub fn delete(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&[])?;
    let acct = ctx.acct();
    find_or_404(&mut acct.locations, id, "terminal.location")?;
    acct.locations.retain(|l| l["id"] != id);
    // Readers registered to a deleted location are deleted with it (SIMULATOR.md).
    acct.readers.retain(|r| r.raw()["location"] != id);
    Ok(json!({ "id": id, "object": "terminal.location", "deleted": true }))
}

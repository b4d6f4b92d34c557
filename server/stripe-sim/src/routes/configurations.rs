//! Terminal configurations (`tmc_…`): splash screens per device type, tipping per currency,
//! the reboot window, offline mode, Wi-Fi. Every account has a default configuration that
//! Stripe provisions itself (`is_account_default`, never deleted); a location's
//! `configuration_overrides` names another one for the readers there.

use super::{find_or_404, list as page};
use crate::ctx::Ctx;
use crate::errors::{SimError, SimResult};
use crate::params::Params;
use crate::store::Account;
use serde_json::{json, Map, Value};

/// Device types that take a splash screen, as the 2026 SDKs list them.
const DEVICES: &[&str] = &[
    "bbpos_wisepad3",
    "bbpos_wisepos_e",
    "stripe_s700",
    "stripe_s710",
    "stripe_t600",
    "verifone_m425",
    "verifone_p400",
    "verifone_p630",
    "verifone_ux700",
    "verifone_v660p",
];

/// Currencies on-reader tipping can be configured for.
const TIP_CURRENCIES: &[&str] = &[
    "aed", "aud", "cad", "chf", "czk", "dkk", "eur", "gbp", "gip", "hkd", "huf", "jpy", "mxn",
    "myr", "nok", "nzd", "pln", "ron", "sek", "sgd", "usd",
];

const SETTINGS: &[&str] = &[
    "name",
    "offline",
    "reboot_window",
    "tipping",
    "cellular",
    "reader_security",
    "wifi",
];

/// A reader shows three tip suggestions, so a list holds at most three.
const MAX_SUGGESTIONS: usize = 3;

fn fields() -> Vec<&'static str> {
    SETTINGS.iter().chain(DEVICES).copied().collect()
}

/// Stripe's answer when a form value that must be a hash is not one.
fn invalid_hash(param: &str) -> SimError {
    SimError::bad_request("Invalid hash").param(param)
}

fn hash<'a>(v: &'a Value, param: &str) -> SimResult<&'a Map<String, Value>> {
    v.as_object().ok_or_else(|| invalid_hash(param))
}

/// Refuses keys of `map` outside `known`, naming the first as Stripe does (`a[b]`).
fn only(map: &Map<String, Value>, known: &[&str], param: &str) -> SimResult<()> {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    match keys.into_iter().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(SimError::unknown(&format!("{param}[{k}]"))),
        None => Ok(()),
    }
}

fn integer(v: &Value, param: &str) -> SimResult<i64> {
    let s = v.as_str().unwrap_or_default();
    s.trim()
        .parse()
        .map_err(|_| SimError::invalid_integer(param, s))
}

fn integer_in(v: &Value, param: &str, min: i64, max: i64) -> SimResult<i64> {
    let n = integer(v, param)?;
    if (min..=max).contains(&n) {
        Ok(n)
    } else {
        Err(SimError::invalid(
            "parameter_invalid_integer",
            format!("This value must be greater than or equal to {min} and less than or equal to {max}."),
        )
        .param(param))
    }
}

fn boolean(v: &Value, param: &str) -> SimResult<bool> {
    match v.as_str() {
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        other => Err(SimError::invalid(
            "parameter_invalid_boolean",
            format!("Invalid boolean: {}", other.unwrap_or_default()),
        )
        .param(param)),
    }
}

fn text(v: &Value, param: &str) -> SimResult<String> {
    match v.as_str() {
        Some("") => Err(SimError::invalid(
            "parameter_invalid_empty",
            format!("You passed an empty string for '{param}'. We assume empty values are an attempt to unset a parameter; however '{param}' cannot be unset. You should remove '{param}' from your request or supply a non-empty value."),
        )
        .param(param)),
        Some(s) => Ok(s.to_string()),
        None => Err(SimError::invalid_string(param, format!("Invalid string: {param}"))),
    }
}

fn required<'a>(map: &'a Map<String, Value>, key: &str, param: &str) -> SimResult<&'a Value> {
    map.get(key)
        .ok_or_else(|| SimError::missing(&format!("{param}[{key}]")))
}

/// `tipping[cur][percentages|fixed_amounts]`: up to three suggestions.
fn suggestions(v: &Value, param: &str, min: i64, max: i64) -> SimResult<Value> {
    let items = match v {
        Value::Array(items) => items.clone(),
        Value::String(s) if s.is_empty() => Vec::new(),
        _ => {
            return Err(SimError::invalid("parameter_invalid_array", "Invalid array").param(param))
        }
    };
    if items.len() > MAX_SUGGESTIONS {
        return Err(SimError::bad_request(format!(
            "A reader shows at most {MAX_SUGGESTIONS} tip suggestions: {param} has {}.",
            items.len()
        ))
        .param(param));
    }
    let values = items
        .iter()
        .enumerate()
        .map(|(i, item)| integer_in(item, &format!("{param}[{i}]"), min, max))
        .collect::<SimResult<Vec<i64>>>()?;
    Ok(json!(values))
}

fn tipping(v: &Value) -> SimResult<Value> {
    let given = hash(v, "tipping")?;
    only(given, TIP_CURRENCIES, "tipping")?;
    let mut out = Map::new();
    for (currency, config) in given {
        let param = format!("tipping[{currency}]");
        let config = hash(config, &param)?;
        only(
            config,
            &["percentages", "fixed_amounts", "smart_tip_threshold"],
            &param,
        )?;
        let field = |k: &str| format!("{param}[{k}]");
        let percentages = match config.get("percentages") {
            Some(p) => suggestions(p, &field("percentages"), 0, 100)?,
            None => Value::Null,
        };
        let fixed = match config.get("fixed_amounts") {
            Some(f) => suggestions(f, &field("fixed_amounts"), 1, 99_999_999)?,
            None => Value::Null,
        };
        let threshold = match config.get("smart_tip_threshold") {
            Some(t) => json!(integer_in(t, &field("smart_tip_threshold"), 0, 99_999_999)?),
            None => Value::Null,
        };
        out.insert(
            currency.clone(),
            json!({ "fixed_amounts": fixed, "percentages": percentages, "smart_tip_threshold": threshold }),
        );
    }
    Ok(Value::Object(out))
}

fn reboot_window(v: &Value) -> SimResult<Value> {
    let given = hash(v, "reboot_window")?;
    only(given, &["start_hour", "end_hour"], "reboot_window")?;
    let hour = |k: &str| -> SimResult<i64> {
        let param = format!("reboot_window[{k}]");
        integer_in(required(given, k, "reboot_window")?, &param, 0, 23)
    };
    Ok(json!({ "end_hour": hour("end_hour")?, "start_hour": hour("start_hour")? }))
}

/// `offline[enabled]` and `cellular[enabled]`.
fn enabled(v: &Value, param: &str) -> SimResult<Value> {
    let given = hash(v, param)?;
    only(given, &["enabled"], param)?;
    let flag = boolean(
        required(given, "enabled", param)?,
        &format!("{param}[enabled]"),
    )?;
    Ok(json!({ "enabled": flag }))
}

fn reader_security(v: &Value) -> SimResult<Value> {
    let given = hash(v, "reader_security")?;
    only(given, &["admin_menu_passcode"], "reader_security")?;
    let passcode = text(
        required(given, "admin_menu_passcode", "reader_security")?,
        "reader_security[admin_menu_passcode]",
    )?;
    Ok(json!({ "admin_menu_passcode": passcode }))
}

fn wifi(v: &Value) -> SimResult<Value> {
    let given = hash(v, "wifi")?;
    let kinds = ["enterprise_eap_peap", "enterprise_eap_tls", "personal_psk"];
    let mut known = vec!["type"];
    known.extend(kinds);
    only(given, &known, "wifi")?;
    let kind = text(required(given, "type", "wifi")?, "wifi[type]")?;
    if !kinds.contains(&kind.as_str()) {
        return Err(SimError::invalid_string(
            "wifi[type]",
            format!("Invalid wifi[type]: must be one of {}", kinds.join(", ")),
        ));
    }
    let (needed, optional): (&[&str], &[&str]) = match kind.as_str() {
        "personal_psk" => (&["ssid", "password"], &[]),
        "enterprise_eap_peap" => (&["ssid", "username", "password"], &["ca_certificate_file"]),
        _ => (
            &["ssid", "client_certificate_file", "private_key_file"],
            &["ca_certificate_file", "private_key_file_password"],
        ),
    };
    let param = format!("wifi[{kind}]");
    let settings = hash(
        given.get(&kind).ok_or_else(|| SimError::missing(&param))?,
        &param,
    )?;
    let all: Vec<&str> = needed.iter().chain(optional).copied().collect();
    only(settings, &all, &param)?;
    let mut out = Map::new();
    for k in needed {
        let v = text(required(settings, k, &param)?, &format!("{param}[{k}]"))?;
        out.insert((*k).to_string(), json!(v));
    }
    for k in optional {
        let v = match settings.get(*k) {
            Some(v) => json!(text(v, &format!("{param}[{k}]"))?),
            None => Value::Null,
        };
        out.insert((*k).to_string(), v);
    }
    let mut w = json!({ "type": kind });
    w[kind.as_str()] = Value::Object(out);
    Ok(w)
}

/// `{device}[splashscreen]`: a file of this account uploaded for splash screens, in a format
/// the device shows.
fn device(acct: &Account, device: &str, v: &Value) -> SimResult<Value> {
    let given = hash(v, device)?;
    only(given, &["splashscreen"], device)?;
    let param = format!("{device}[splashscreen]");
    let Some(file) = given.get("splashscreen") else {
        return Ok(json!({ "splashscreen": null }));
    };
    let id = file
        .as_str()
        .ok_or_else(|| SimError::invalid_string(&param, format!("Invalid string: {param}")))?;
    if id.is_empty() {
        return Ok(json!({ "splashscreen": null }));
    }
    let stored = acct
        .files
        .iter()
        .find(|f| f.json["id"] == id)
        .ok_or_else(|| {
            SimError::invalid("resource_missing", format!("No such file upload: '{id}'"))
                .param(param.clone())
        })?;
    if stored.json["purpose"] != "terminal_reader_splashscreen" {
        return Err(SimError::bad_request(format!(
            "The file {id} has purpose '{}'; a splash screen must be uploaded with purpose 'terminal_reader_splashscreen'.",
            stored.json["purpose"].as_str().unwrap_or_default()
        ))
        .param(param));
    }
    let kind = stored.json["type"].as_str().unwrap_or_default();
    // Stripe's guide: the P400 shows no GIFs, the WisePad 3 only PNGs.
    let shows = match device {
        "bbpos_wisepad3" => kind == "png",
        "verifone_p400" => kind != "gif",
        _ => true,
    };
    if !shows {
        return Err(SimError::bad_request(format!(
            "A {device} cannot show a {kind} splash screen."
        ))
        .param(param));
    }
    Ok(json!({ "splashscreen": id }))
}

/// Applies the given settings to `config`: each replaces the whole setting, and an empty
/// string removes it.
fn apply(acct: &Account, config: &mut Value, p: &Params) -> SimResult<()> {
    let Some(target) = config.as_object_mut() else {
        return Ok(());
    };
    if let Some(name) = p.str("name")? {
        target.insert("name".into(), json!(name));
    }
    for field in fields() {
        if field == "name" {
            continue;
        }
        let Some(given) = p.get(field) else { continue };
        if given.as_str() == Some("") {
            target.remove(field);
            continue;
        }
        let value = match field {
            "tipping" => tipping(given)?,
            "reboot_window" => reboot_window(given)?,
            "offline" | "cellular" => enabled(given, field)?,
            "reader_security" => reader_security(given)?,
            "wifi" => wifi(given)?,
            d => device(acct, d, given)?,
        };
        target.insert(field.into(), value);
    }
    Ok(())
}

/// The account's default configuration, provisioned on first need as Stripe does.
pub fn ensure_default(ctx: &mut Ctx<'_>) -> String {
    if let Some(id) = default_id(ctx.acct()) {
        return id;
    }
    let id = ctx.new_id("tmc");
    let config = json!({
        "id": id,
        "object": "terminal.configuration",
        "is_account_default": true,
        "livemode": false,
        "name": null,
    });
    // Oldest first in the store: the default was there before anything the caller made.
    ctx.acct().configurations.insert(0, config);
    id
}

fn default_id(acct: &Account) -> Option<String> {
    acct.configurations
        .iter()
        .find(|c| c["is_account_default"] == true)
        .and_then(|c| c["id"].as_str())
        .map(str::to_string)
}

pub fn create(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
    p.allow(&fields())?;
    ensure_default(ctx);
    let mut config = json!({
        "id": ctx.new_id("tmc"),
        "object": "terminal.configuration",
        "is_account_default": false,
        "livemode": false,
        "name": null,
    });
    apply(ctx.acct(), &mut config, p)?;
    ctx.acct().configurations.push(config.clone());
    Ok(config)
}

pub fn list(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
    p.allow(&[
        "limit",
        "starting_after",
        "ending_before",
        "is_account_default",
    ])?;
    let default = p.bool("is_account_default")?;
    ensure_default(ctx);
    let items = ctx
        .acct()
        .configurations
        .iter()
        .filter(|c| default.is_none_or(|d| c["is_account_default"] == d))
        .cloned()
        .collect();
    page(items, p, "/v1/terminal/configurations")
}

pub fn retrieve(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&[])?;
    ensure_default(ctx);
    find_or_404(&mut ctx.acct().configurations, id, "terminal.configuration").map(|c| c.clone())
}

pub fn update(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&fields())?;
    ensure_default(ctx);
    let acct = ctx.acct();
    let mut config = find_or_404(&mut acct.configurations, id, "terminal.configuration")?.clone();
    apply(acct, &mut config, p)?;
    if let Some(stored) = crate::store::find_mut(&mut acct.configurations, id) {
        *stored = config.clone();
    }
    Ok(config)
}

pub fn delete(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&[])?;
    ensure_default(ctx);
    let acct = ctx.acct();
    let config = find_or_404(&mut acct.configurations, id, "terminal.configuration")?;
    if config["is_account_default"] == true {
        return Err(SimError::bad_request(
            "You cannot delete the account's default configuration. Update it instead.",
        ));
    }
    // A location would be left naming a configuration that no longer exists (SIMULATOR.md).
    if let Some(location) = acct
        .locations
        .iter()
        .find(|l| l["configuration_overrides"] == id)
    {
        return Err(SimError::bad_request(format!(
            "This configuration is used by location {}: remove it from the location's configuration_overrides first.",
            location["id"].as_str().unwrap_or_default()
        )));
    }
    acct.configurations.retain(|c| c["id"] != id);
    Ok(json!({ "id": id, "object": "terminal.configuration", "deleted": true }))
}

/// Refuses a location's `configuration_overrides` that names no configuration of the account.
pub fn check_override(ctx: &mut Ctx<'_>, id: &str) -> SimResult<()> {
    ensure_default(ctx);
    if ctx.acct().configurations.iter().any(|c| c["id"] == id) {
        Ok(())
    } else {
        Err(SimError::invalid(
            "resource_missing",
            format!("No such terminal.configuration: '{id}'"),
        )
        .param("configuration_overrides"))
    }
}

/// The configuration in force for `reader`: its location's override, else the account
/// default. `None` when the account has no such reader.
pub fn in_force(ctx: &mut Ctx<'_>, reader: &str) -> Option<Value> {
    let default = ensure_default(ctx);
    let acct = ctx.acct();
    let location = acct.readers.iter().find(|r| r.id() == reader)?.raw()["location"]
        .as_str()
        .map(str::to_string);
    let chosen = location
        .and_then(|l| crate::store::find(&acct.locations, &l).cloned())
        .and_then(|l| l["configuration_overrides"].as_str().map(str::to_string))
        .unwrap_or(default);
    crate::store::find(&acct.configurations, &chosen).cloned()
}

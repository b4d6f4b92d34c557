//! `expand[]`: replaces an id with the object it names, along dotted paths
//! (`latest_charge`, `action.process_payment_intent.payment_intent`, `data.latest_charge` on
//! lists, `latest_charge.payment_intent` through an expanded object).

use crate::errors::{SimError, SimResult};
use crate::store::{find, Account};
use serde_json::Value;

pub fn apply(acct: &Account, now_ms: i64, value: &mut Value, paths: &[String]) -> SimResult<()> {
    for path in paths {
        let parts: Vec<&str> = path.split('.').collect();
        if !expand_path(acct, now_ms, value, &parts) {
            return Err(SimError::bad_request(format!(
                "This property cannot be expanded ({path})."
            )));
        }
    }
    Ok(())
}

fn expand_path(acct: &Account, now_ms: i64, value: &mut Value, parts: &[&str]) -> bool {
    let Some((first, rest)) = parts.split_first() else {
        return true;
    };
    if value["object"] == "list" && *first == "data" {
        return match value.get_mut("data").and_then(Value::as_array_mut) {
            Some(items) => items
                .iter_mut()
                .all(|item| expand_path(acct, now_ms, item, rest)),
            None => false,
        };
    }
    let Some(field) = value.as_object_mut().and_then(|o| o.get_mut(*first)) else {
        return false;
    };
    if let Some(id) = field.as_str() {
        match lookup(acct, now_ms, id) {
            Some(object) => *field = object,
            None => return false,
        }
    }
    match field {
        Value::Null => true,
        Value::Object(_) => expand_path(acct, now_ms, field, rest),
        _ => false,
    }
}

/// The object an id names, by its prefix.
fn lookup(acct: &Account, now_ms: i64, id: &str) -> Option<Value> {
    let (prefix, _) = id.split_once('_')?;
    match prefix {
        "pi" => find(&acct.payment_intents, id).cloned(),
        "ch" => find(&acct.charges, id).cloned(),
        "re" => find(&acct.refunds, id).cloned(),
        "tml" => find(&acct.locations, id).cloned(),
        "tmc" => find(&acct.configurations, id).cloned(),
        "file" => acct
            .files
            .iter()
            .find(|f| f.json["id"] == id)
            .map(|f| f.json.clone()),
        "tmr" => acct
            .readers
            .iter()
            .find(|r| r.id() == id)
            .map(|r| r.view(now_ms)),
        _ => None,
    }
}

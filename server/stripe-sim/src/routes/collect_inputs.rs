//! `POST /v1/terminal/readers/{id}/collect_inputs`: the reader asks the customer for an email,
//! phone number, text, number, signature or a choice, with toggles; and the test helpers that
//! answer for a simulated customer (`succeed_input_collection`, `timeout_input_collection`).

use super::files;
use super::reader_actions::{finish, in_progress, start};
use super::readers::{reader_mut, ready};
use crate::ctx::Ctx;
use crate::errors::{SimError, SimResult};
use crate::params::Params;
use base64::Engine;
use serde_json::{json, Map, Value};

const TYPES: &[&str] = &[
    "email",
    "numeric",
    "phone",
    "selection",
    "signature",
    "text",
];
/// Stripe's limit on inputs in one action (REFERENCE.md §5).
const MAX_INPUTS: usize = 5;
const SUBMIT_BUTTON_CHARS: usize = 30;
const SKIP_BUTTON_CHARS: usize = 14;
/// A 1×1 PNG standing for the signature a simulated customer draws.
const SIGNATURE_PNG: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

fn hash<'a>(v: &'a Value, param: &str) -> SimResult<&'a Map<String, Value>> {
    v.as_object()
        .ok_or_else(|| SimError::bad_request("Invalid hash").param(param))
}

fn array<'a>(v: &'a Value, param: &str) -> SimResult<&'a Vec<Value>> {
    v.as_array()
        .ok_or_else(|| SimError::invalid("parameter_invalid_array", "Invalid array").param(param))
}

fn only(map: &Map<String, Value>, known: &[&str], param: &str) -> SimResult<()> {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    match keys.into_iter().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(SimError::unknown(&format!("{param}[{k}]"))),
        None => Ok(()),
    }
}

/// An optional string of at most `max` characters.
fn short_text(
    map: &Map<String, Value>,
    key: &str,
    param: &str,
    max: Option<usize>,
) -> SimResult<Value> {
    let Some(v) = map.get(key) else {
        return Ok(Value::Null);
    };
    let field = format!("{param}[{key}]");
    let s = v
        .as_str()
        .ok_or_else(|| SimError::invalid_string(&field, format!("Invalid string: {field}")))?;
    if let Some(max) = max {
        if s.chars().count() > max {
            return Err(SimError::invalid_string(
                &field,
                format!("{field} must be at most {max} characters long."),
            ));
        }
    }
    Ok(json!(s))
}

fn one_of(map: &Map<String, Value>, key: &str, param: &str, allowed: &[&str]) -> SimResult<Value> {
    let Some(v) = map.get(key) else {
        return Ok(Value::Null);
    };
    let field = format!("{param}[{key}]");
    match v.as_str() {
        Some(s) if allowed.contains(&s) => Ok(json!(s)),
        _ => Err(SimError::invalid_string(
            &field,
            format!("Invalid {field}: must be one of {}", allowed.join(", ")),
        )),
    }
}

fn input(v: &Value, i: usize) -> SimResult<Value> {
    let param = format!("inputs[{i}]");
    let given = hash(v, &param)?;
    only(
        given,
        &["type", "custom_text", "required", "selection", "toggles"],
        &param,
    )?;
    let kind = match given.get("type").and_then(Value::as_str) {
        None => return Err(SimError::missing(&format!("{param}[type]"))),
        Some(k) if TYPES.contains(&k) => k.to_string(),
        Some(_) => {
            return Err(SimError::invalid_string(
                &format!("{param}[type]"),
                format!("Invalid {param}[type]: must be one of {}", TYPES.join(", ")),
            ))
        }
    };
    let text_param = format!("{param}[custom_text]");
    let custom = hash(
        given
            .get("custom_text")
            .ok_or_else(|| SimError::missing(&text_param))?,
        &text_param,
    )?;
    only(
        custom,
        &["title", "description", "submit_button", "skip_button"],
        &text_param,
    )?;
    let title = short_text(custom, "title", &text_param, None)?;
    if title.as_str().is_none_or(str::is_empty) {
        return Err(SimError::missing(&format!("{text_param}[title]")));
    }
    let custom_text = json!({
        "description": short_text(custom, "description", &text_param, None)?,
        "skip_button": short_text(custom, "skip_button", &text_param, Some(SKIP_BUTTON_CHARS))?,
        "submit_button": short_text(custom, "submit_button", &text_param, Some(SUBMIT_BUTTON_CHARS))?,
        "title": title,
    });
    let required = match given.get("required").and_then(Value::as_str) {
        None => false,
        Some("true") => true,
        Some("false") => false,
        Some(other) => {
            return Err(SimError::invalid(
                "parameter_invalid_boolean",
                format!("Invalid boolean: {other}"),
            )
            .param(format!("{param}[required]")))
        }
    };
    let mut out = json!({
        "custom_text": custom_text,
        "required": required,
        "skipped": false,
        "type": kind,
    });
    let selection_param = format!("{param}[selection]");
    match (kind.as_str(), given.get("selection")) {
        ("selection", None) => return Err(SimError::missing(&selection_param)),
        ("selection", Some(s)) => {
            let s = hash(s, &selection_param)?;
            only(s, &["choices"], &selection_param)?;
            let choices_param = format!("{selection_param}[choices]");
            let given_choices = array(
                s.get("choices")
                    .ok_or_else(|| SimError::missing(&choices_param))?,
                &choices_param,
            )?;
            if given_choices.is_empty() {
                return Err(SimError::missing(&choices_param));
            }
            let mut choices = Vec::new();
            for (j, c) in given_choices.iter().enumerate() {
                let cp = format!("{choices_param}[{j}]");
                let c = hash(c, &cp)?;
                only(c, &["id", "text", "style"], &cp)?;
                let id = short_text(c, "id", &cp, None)?;
                let text = short_text(c, "text", &cp, None)?;
                if id.is_null() {
                    return Err(SimError::missing(&format!("{cp}[id]")));
                }
                if text.is_null() {
                    return Err(SimError::missing(&format!("{cp}[text]")));
                }
                let style = one_of(c, "style", &cp, &["primary", "secondary"])?;
                choices.push(json!({ "id": id, "style": style, "text": text }));
            }
            out["selection"] = json!({ "choices": choices, "id": null, "text": null });
        }
        (_, Some(_)) => {
            return Err(SimError::bad_request(format!(
                "{selection_param} is only for inputs of type selection."
            ))
            .param(selection_param))
        }
        (_, None) => {}
    }
    if let Some(t) = given.get("toggles") {
        let toggles_param = format!("{param}[toggles]");
        let mut toggles = Vec::new();
        for (j, toggle) in array(t, &toggles_param)?.iter().enumerate() {
            let tp = format!("{toggles_param}[{j}]");
            let toggle = hash(toggle, &tp)?;
            only(toggle, &["title", "description", "default_value"], &tp)?;
            toggles.push(json!({
                "default_value": one_of(toggle, "default_value", &tp, &["enabled", "disabled"])?,
                "description": short_text(toggle, "description", &tp, None)?,
                "title": short_text(toggle, "title", &tp, None)?,
                "value": null,
            }));
        }
        out["toggles"] = json!(toggles);
    }
    Ok(out)
}

/// Starts a `collect_inputs` action, replacing one that still waits for the customer.
pub fn start_collection(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&["inputs", "metadata"])?;
    let given = p.get("inputs").ok_or_else(|| SimError::missing("inputs"))?;
    let given = array(given, "inputs")?;
    if given.is_empty() {
        return Err(SimError::missing("inputs"));
    }
    if given.len() > MAX_INPUTS {
        return Err(SimError::bad_request(format!(
            "A reader collects at most {MAX_INPUTS} inputs at a time; {} were given.",
            given.len()
        ))
        .param("inputs"));
    }
    let inputs = given
        .iter()
        .enumerate()
        .map(|(i, v)| input(v, i))
        .collect::<SimResult<Vec<Value>>>()?;
    let mut body = json!({ "inputs": inputs, "metadata": {} });
    p.apply_metadata(&mut body)?;
    ready(reader_mut(ctx, id)?)?;
    start(ctx, id, in_progress("collect_inputs", body))
}

/// The simulated reader `id` with a `collect_inputs` action waiting for the customer.
fn waiting_collection(ctx: &mut Ctx<'_>, id: &str) -> SimResult<Value> {
    let reader = reader_mut(ctx, id)?;
    let device = reader.raw()["device_type"].as_str().unwrap_or_default();
    if !device.starts_with("simulated") {
        return Err(SimError::bad_request(format!(
            "This test helper only works with simulated readers; {id} is a {device}."
        )));
    }
    ready(reader)?;
    let action = reader.raw()["action"].clone();
    if action["type"] != "collect_inputs" || action["status"] != "in_progress" {
        return Err(SimError::bad_request(
            "This reader has no collect_inputs action in progress. Call collect_inputs first.",
        ));
    }
    Ok(action)
}

/// Ends the collection with `action` and emits its event.
fn conclude(ctx: &mut Ctx<'_>, id: &str, action: Value, succeeded: bool) -> SimResult<Value> {
    let now_ms = ctx.now_ms();
    let reader = reader_mut(ctx, id)?;
    reader.set_action(action, None);
    let shown = reader.view(now_ms);
    let event = if succeeded {
        "terminal.reader.action_succeeded"
    } else {
        "terminal.reader.action_failed"
    };
    ctx.emit(event, &shown, None);
    Ok(shown)
}

/// The customer answers every input (or skips the optional ones with
/// `skip_non_required_inputs=all`).
pub fn succeed(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&["skip_non_required_inputs"])?;
    let skip_optional = p
        .one_of("skip_non_required_inputs", &["all", "none"])?
        .is_some_and(|s| s == "all");
    let mut action = waiting_collection(ctx, id)?;
    let inputs = action["collect_inputs"]["inputs"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut answered = Vec::new();
    for mut input in inputs {
        if skip_optional && input["required"] != true {
            input["skipped"] = json!(true);
            answered.push(input);
            continue;
        }
        let kind = input["type"].as_str().unwrap_or_default().to_string();
        match kind.as_str() {
            "email" => input["email"] = json!({ "value": "jenny.rosen@example.com" }),
            "phone" => input["phone"] = json!({ "value": "+15555550123" }),
            "text" => input["text"] = json!({ "value": "Simulated customer input" }),
            "numeric" => input["numeric"] = json!({ "value": "4242" }),
            "signature" => {
                let png = base64::engine::general_purpose::STANDARD
                    .decode(SIGNATURE_PNG)
                    .unwrap_or_default();
                let file = files::record(ctx, "customer_signature", "signature.png", png);
                input["signature"] = json!({ "value": file });
            }
            "selection" => {
                let first = input["selection"]["choices"][0].clone();
                input["selection"]["id"] = first["id"].clone();
                input["selection"]["text"] = first["text"].clone();
            }
            _ => {}
        }
        if let Some(toggles) = input["toggles"].as_array_mut() {
            for t in toggles {
                t["value"] = match t["default_value"].as_str() {
                    Some(v) => json!(v),
                    None => json!("disabled"),
                };
            }
        }
        answered.push(input);
    }
    action["collect_inputs"]["inputs"] = json!(answered);
    finish(&mut action, None);
    conclude(ctx, id, action, true)
}

/// The customer walks away: the action fails as a timeout.
pub fn time_out(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&[])?;
    let mut action = waiting_collection(ctx, id)?;
    finish(
        &mut action,
        Some((
            "terminal_reader_timeout",
            "The reader timed out waiting for the customer to complete the inputs.",
        )),
    );
    conclude(ctx, id, action, false)
}

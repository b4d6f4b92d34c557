//! `POST /v1/test_helpers/terminal/readers/{id}/present_payment_method`: the customer taps a
//! card on a simulated reader, completing the action that waits for one.

use super::charges::{self, CardRead};
use super::configurations;
use super::reader_actions::finish;
use super::readers::{reader_mut, ready};
use super::refunds;
use super::test_cards::{INTERAC, VISA};
use crate::ctx::Ctx;
use crate::errors::{SimError, SimResult};
use crate::params::Params;
use crate::store::CollectedCard;
use serde_json::{json, Value};

pub fn present_payment_method(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&[
        "type",
        "card_present",
        "interac_present",
        "card",
        "amount_tip",
    ])?;
    let kind = p
        .one_of("type", &["card", "card_present", "interac_present"])?
        .unwrap_or_else(|| "card_present".into());
    let number = p
        .get(&kind)
        .and_then(|c| c.get("number"))
        .and_then(Value::as_str)
        .map(|n| n.replace([' ', '-'], ""));
    if number
        .as_ref()
        .is_some_and(|n| n.len() < 12 || !n.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(
            SimError::invalid("incorrect_number", "Your card number is incorrect.")
                .param(format!("{kind}[number]")),
        );
    }
    let amount_tip = p.int("amount_tip")?;
    if amount_tip.is_some_and(|t| t < 0) {
        return Err(SimError::invalid(
            "parameter_invalid_integer",
            "This value must be greater than or equal to 0.",
        )
        .param("amount_tip"));
    }
    let now_ms = ctx.now_ms();
    let reader = reader_mut(ctx, id)?;
    let device = reader.raw()["device_type"].as_str().unwrap_or_default();
    if !device.starts_with("simulated") {
        return Err(SimError::bad_request(format!(
            "This test helper only works with simulated readers; {id} is a {device}."
        )));
    }
    ready(reader)?;
    let action = reader.raw()["action"].clone();
    let awaiting = action["status"] == "in_progress"
        && !(action["type"] == "collect_payment_method"
            && action["collect_payment_method"]["payment_method"].is_string());
    if !awaiting {
        return Err(SimError::bad_request(
            "This reader has no action in progress that accepts a payment method. Call process_payment_intent (or another card-collecting action) first.",
        ));
    }
    let tip = tip(ctx, id, &action, amount_tip)?;
    let reader = reader_mut(ctx, id)?;
    let default = if kind == "interac_present" {
        INTERAC
    } else {
        VISA
    };
    let card = CardRead {
        kind: if kind == "card" {
            "card_present".into()
        } else {
            kind.clone()
        },
        number: number.unwrap_or_else(|| default.to_string()),
        tip,
        reader: id.to_string(),
        location: reader.raw()["location"].clone(),
    };
    let mut action = action;
    let failure = match action["type"].as_str().unwrap_or_default() {
        "process_payment_intent" => {
            let pi = action["process_payment_intent"]["payment_intent"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            charges::authorise(ctx, &pi, &card)?.map(|d| (d.code, d.message))
        }
        "collect_payment_method" => {
            // The card is only read: the intent waits for confirm_payment_intent.
            let pi = action["collect_payment_method"]["payment_intent"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let pm = ctx.new_id("pm");
            ctx.acct().collected.insert(
                pm.clone(),
                CollectedCard {
                    kind: card.kind.clone(),
                    number: card.number.clone(),
                    tip,
                },
            );
            if let Some(intent) = crate::store::find_mut(&mut ctx.acct().payment_intents, &pi) {
                intent["status"] = json!("requires_confirmation");
                intent["payment_method"] = json!(pm);
            }
            action["collect_payment_method"]["payment_method"] = json!(pm);
            let reader = reader_mut(ctx, id)?;
            reader.json_mut()["action"] = action;
            let shown = reader.view(now_ms);
            ctx.emit("terminal.reader.action_updated", &shown, None);
            return Ok(shown);
        }
        "process_setup_intent" => {
            action["process_setup_intent"]["generated_card"] = json!(ctx.new_id("pm"));
            None
        }
        "refund_payment" => {
            let body = action["refund_payment"].clone();
            let charge = body["charge"].as_str().unwrap_or_default().to_string();
            let amount = refunds::refundable(ctx, &charge, body["amount"].as_i64())?;
            let refund = refunds::refund_charge(
                ctx,
                &charge,
                amount,
                body["reason"].as_str().map(str::to_string),
                body["metadata"].clone(),
            )?;
            action["refund_payment"]["refund"] = refund["id"].clone();
            None
        }
        other => {
            return Err(SimError::bad_request(format!(
                "A {other} action does not take a payment method."
            )))
        }
    };
    finish(&mut action, failure);
    let reader = reader_mut(ctx, id)?;
    reader.set_action(action, None);
    let shown = reader.view(now_ms);
    let event = if failure.is_none() {
        "terminal.reader.action_succeeded"
    } else {
        "terminal.reader.action_failed"
    };
    ctx.emit(event, &shown, None);
    Ok(shown)
}

/// Why the reader shows no tipping screen for the payment of `action`, if it shows none:
/// tipping skipped by the command, nothing eligible, or no tipping for the currency in the
/// configuration in force.
fn no_tipping_screen(ctx: &mut Ctx<'_>, reader: &str, action: &Value) -> Option<String> {
    let (pi, config, config_name) = match action["type"].as_str() {
        Some("process_payment_intent") => (
            &action["process_payment_intent"]["payment_intent"],
            &action["process_payment_intent"]["process_config"],
            "process_config",
        ),
        Some("collect_payment_method") => (
            &action["collect_payment_method"]["payment_intent"],
            &action["collect_payment_method"]["collect_config"],
            "collect_config",
        ),
        _ => return Some("the action collects no payment".into()),
    };
    if config["skip_tipping"] == true {
        return Some(format!("{config_name}[skip_tipping] is true"));
    }
    if config["tipping"]["amount_eligible"] == 0 {
        return Some(format!("{config_name}[tipping][amount_eligible] is 0"));
    }
    let pi = pi.as_str().unwrap_or_default().to_string();
    let currency = crate::store::find(&ctx.acct().payment_intents, &pi)
        .and_then(|i| i["currency"].as_str())
        .unwrap_or_default()
        .to_string();
    let config = configurations::in_force(ctx, reader)?;
    if config["tipping"][currency.as_str()].is_object() {
        None
    } else {
        Some(format!(
            "the reader's configuration {} has no tipping for {currency}",
            config["id"].as_str().unwrap_or_default()
        ))
    }
}

/// The tip of this presentation: `amount_tip` (0, "No tip", by default) when the reader shows
/// a tipping screen; none otherwise, where a tip is refused rather than silently dropped.
fn tip(
    ctx: &mut Ctx<'_>,
    reader: &str,
    action: &Value,
    amount_tip: Option<i64>,
) -> SimResult<Option<i64>> {
    match no_tipping_screen(ctx, reader, action) {
        None => Ok(Some(amount_tip.unwrap_or(0))),
        Some(_) if amount_tip.is_none_or(|t| t == 0) => Ok(None),
        Some(why) => Err(SimError::bad_request(format!(
            "amount_tip needs the reader to show a tipping screen, and it shows none for this payment: {why}."
        ))
        .param("amount_tip")),
    }
}

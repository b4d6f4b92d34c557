//! Refunds of captured charges (online, `POST /v1/refunds`, or in person through a reader's
//! `refund_payment`), and the later status changes of Stripe's refund test cards.

use super::test_cards::{REFUND_FAILS, REFUND_PENDING};
use super::{find_or_404, list as page, CreatedFilter};
use crate::ctx::Ctx;
use crate::errors::{SimError, SimResult};
use crate::params::Params;
use crate::store::RefundTimer;
use serde_json::{json, Value};

pub const REASONS: &[&str] = &["duplicate", "fraudulent", "requested_by_customer"];

/// What to refund: a charge, named directly or through its PaymentIntent.
pub fn charge_to_refund(
    ctx: &mut Ctx<'_>,
    pi: Option<&str>,
    charge: Option<&str>,
) -> SimResult<String> {
    match (pi, charge) {
        (None, None) => Err(SimError::missing("charge")),
        (Some(_), Some(_)) => Err(SimError::invalid_string(
            "payment_intent",
            "You can only specify one of these parameters: charge, payment_intent.",
        )),
        (Some(pi), None) => {
            let intent = find_or_404(&mut ctx.acct().payment_intents, pi, "payment_intent")
                .map_err(|e| e.param("payment_intent"))?;
            if intent["status"] != "succeeded" {
                return Err(SimError::invalid(
                    "charge_not_refundable",
                    format!(
                        "This PaymentIntent ({pi}) does not have a successful charge to refund."
                    ),
                )
                .param("payment_intent"));
            }
            Ok(intent["latest_charge"]
                .as_str()
                .unwrap_or_default()
                .to_string())
        }
        (None, Some(c)) => {
            find_or_404(&mut ctx.acct().charges, c, "charge").map_err(|e| e.param("charge"))?;
            Ok(c.to_string())
        }
    }
}

/// How much of `charge_id` can still be refunded, checking `amount` against it.
pub fn refundable(ctx: &mut Ctx<'_>, charge_id: &str, amount: Option<i64>) -> SimResult<i64> {
    let charge =
        find_or_404(&mut ctx.acct().charges, charge_id, "charge").map_err(|e| e.param("charge"))?;
    if charge["status"] != "succeeded" || charge["captured"] != true {
        return Err(SimError::invalid(
            "charge_not_refundable",
            format!("Charge {charge_id} has not been captured and cannot be refunded; cancel its PaymentIntent instead."),
        ));
    }
    let left = charge["amount_captured"].as_i64().unwrap_or(0) - refunded_so_far(ctx, charge_id);
    if left <= 0 {
        return Err(SimError::invalid(
            "charge_already_refunded",
            format!("Charge {charge_id} has already been refunded."),
        ));
    }
    let amount = amount.unwrap_or(left);
    if amount < 1 {
        return Err(
            SimError::invalid("amount_too_small", "Refund amount must be at least 1.")
                .param("amount"),
        );
    }
    if amount > left {
        return Err(SimError::invalid(
            "amount_too_large",
            format!(
                "Refund amount ({amount}) is greater than unrefunded amount on charge ({left})"
            ),
        )
        .param("amount"));
    }
    Ok(amount)
}

/// Refunds counted against a charge: all but failed and canceled ones.
fn refunded_so_far(ctx: &mut Ctx<'_>, charge_id: &str) -> i64 {
    ctx.acct()
        .refunds
        .iter()
        .filter(|r| {
            r["charge"] == charge_id && r["status"] != "failed" && r["status"] != "canceled"
        })
        .map(|r| r["amount"].as_i64().unwrap_or(0))
        .sum()
}

/// Creates a refund of `amount` (already checked) on `charge_id` and emits its events.
pub fn refund_charge(
    ctx: &mut Ctx<'_>,
    charge_id: &str,
    amount: i64,
    reason: Option<String>,
    metadata: Value,
) -> SimResult<Value> {
    let now = ctx.now();
    let card = ctx.acct().cards.get(charge_id).cloned().unwrap_or_default();
    let status = if card == REFUND_PENDING {
        "pending"
    } else {
        "succeeded"
    };
    let id = ctx.new_id("re");
    let charge = find_or_404(&mut ctx.acct().charges, charge_id, "charge")?.clone();
    let refund = json!({
        "id": id,
        "object": "refund",
        "amount": amount,
        "balance_transaction": null,
        "charge": charge_id,
        "created": now,
        "currency": charge["currency"],
        "failure_balance_transaction": null,
        "metadata": metadata,
        "payment_intent": charge["payment_intent"],
        "reason": reason,
        "receipt_number": null,
        "source_transfer_reversal": null,
        "status": status,
        "transfer_reversal": null,
    });
    ctx.acct().refunds.push(refund.clone());
    let settle = i64::try_from(ctx.sim.config().refund_settle.as_secs()).unwrap_or(5);
    if card == REFUND_PENDING {
        ctx.acct().refund_timers.push(RefundTimer {
            refund: id.clone(),
            at: now + settle,
            to: "succeeded",
        });
    } else if card == REFUND_FAILS {
        ctx.acct().refund_timers.push(RefundTimer {
            refund: id.clone(),
            at: now + settle,
            to: "failed",
        });
    }
    let charge = update_charge_refunded(ctx, charge_id)?;
    ctx.emit("refund.created", &refund, None);
    ctx.emit(
        "charge.refunded",
        &charge.0,
        Some(json!({ "amount_refunded": charge.1, "refunded": false })),
    );
    Ok(refund)
}

/// Recomputes a charge's `amount_refunded`/`refunded` from its refunds; returns the charge
/// and its previous `amount_refunded`.
fn update_charge_refunded(ctx: &mut Ctx<'_>, charge_id: &str) -> SimResult<(Value, Value)> {
    let total = refunded_so_far(ctx, charge_id);
    let c = find_or_404(&mut ctx.acct().charges, charge_id, "charge")?;
    let previous = c["amount_refunded"].clone();
    // Released (uncaptured) amounts count as refunded too.
    let released = c["amount"].as_i64().unwrap_or(0) - c["amount_captured"].as_i64().unwrap_or(0);
    c["amount_refunded"] = json!(total + released);
    c["refunded"] = json!(total >= c["amount_captured"].as_i64().unwrap_or(0));
    Ok((c.clone(), previous))
}

pub fn create(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
    p.allow(&[
        "payment_intent",
        "charge",
        "amount",
        "reason",
        "metadata",
        "refund_application_fee",
        "reverse_transfer",
        "instructions_email",
        "currency",
        "customer",
        "origin",
    ])?;
    let pi = p.str("payment_intent")?;
    let charge = p.str("charge")?;
    let amount = p.int("amount")?;
    let reason = p.one_of("reason", REASONS)?;
    let charge_id = charge_to_refund(ctx, pi.as_deref(), charge.as_deref())?;
    let amount = refundable(ctx, &charge_id, amount)?;
    let mut holder = json!({ "metadata": {} });
    p.apply_metadata(&mut holder)?;
    refund_charge(ctx, &charge_id, amount, reason, holder["metadata"].take())
}

pub fn list(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
    p.allow(&[
        "limit",
        "starting_after",
        "ending_before",
        "payment_intent",
        "charge",
        "created",
    ])?;
    let pi = p.str("payment_intent")?;
    let charge = p.str("charge")?;
    let created = CreatedFilter::parse(p)?;
    let items = ctx
        .acct()
        .refunds
        .iter()
        .filter(|r| {
            pi.as_ref()
                .is_none_or(|v| r["payment_intent"] == v.as_str())
                && charge.as_ref().is_none_or(|v| r["charge"] == v.as_str())
                && created.matches(r)
        })
        .cloned()
        .collect();
    page(items, p, "/v1/refunds")
}

pub fn retrieve(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&[])?;
    find_or_404(&mut ctx.acct().refunds, id, "refund").map(|r| r.clone())
}

/// Moves refunds of the refund test cards to their final status once their time has come.
pub fn settle(ctx: &mut Ctx<'_>) {
    let now = ctx.now();
    let Some(acct) = ctx.store.accounts.get_mut(&ctx.account) else {
        return;
    };
    let (due, later): (Vec<RefundTimer>, Vec<RefundTimer>) =
        std::mem::take(&mut acct.refund_timers)
            .into_iter()
            .partition(|t| t.at <= now);
    acct.refund_timers = later;
    for timer in due {
        let Some(refund) = crate::store::find_mut(&mut ctx.acct().refunds, &timer.refund) else {
            continue;
        };
        let previous = refund["status"].clone();
        refund["status"] = json!(timer.to);
        if timer.to == "failed" {
            refund["failure_reason"] = json!("expired_or_canceled_card");
        }
        let refund = refund.clone();
        ctx.emit(
            "refund.updated",
            &refund,
            Some(json!({ "status": previous })),
        );
        if timer.to == "failed" {
            ctx.emit("refund.failed", &refund, None);
            if let Some(charge_id) = refund["charge"].as_str() {
                if let Ok((charge, previous)) = update_charge_refunded(ctx, charge_id) {
                    ctx.emit("charge.refund.updated", &refund, None);
                    ctx.emit(
                        "charge.updated",
                        &charge,
                        Some(json!({ "amount_refunded": previous })),
                    );
                }
            }
        }
    }
}

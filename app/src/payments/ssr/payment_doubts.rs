//! Settling a doubt about a payment with Stripe. A reader signal (its action on the payment
//! failed, or a newer view of the reader no longer names it) may mean the reader gave up, or
//! may be a stale view, or a decline whose PaymentIntent we have not heard of yet. Before
//! anyone is told the payment failed, the reader and then the PaymentIntent are read back
//! from Stripe: the reader gave up only when, after Stripe's reader no longer collects this
//! payment, its PaymentIntent still waits for a payment method with no decline.

use super::deferred::Deferred;
use super::payment_figures::{self, PaymentFacts, FACTS};
use super::payment_rows::{self, Context};
use crate::error::AppResult;
use crate::fleet::ssr::reader_rows;
use crate::ssr::ids::now_ms;
use crate::ssr::state::AppState;
use crate::ssr::stripe_access::{from_stripe, Access, Asked};
use crate::topic::Topic;
use fleet_stripe::{PaymentIntent, Reader};

/// What Stripe's reader, read after the doubt arose, says about the payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Still collecting it, or the PaymentIntent itself says how it ended: no failure.
    NoFailure,
    /// The reader gave up on it (why, in words): final.
    GaveUp(String),
}

/// The reader of the payment as Stripe shows it now.
#[derive(Debug)]
pub enum ReaderNow<'a> {
    Shown(&'a Reader),
    /// Deleted at Stripe.
    Gone,
    /// The payment names no reader: nothing to tell it by.
    Unknown,
}

/// Decides from Stripe's reader (read first) and PaymentIntent (read second) of one payment.
pub fn verdict(payment_id: &str, reader: &ReaderNow<'_>, pi: &PaymentIntent) -> Verdict {
    let waiting =
        pi.status.as_str() == "requires_payment_method" && pi.last_payment_error.is_none();
    if !waiting {
        return Verdict::NoFailure;
    }
    let reader = match reader {
        ReaderNow::Shown(reader) => reader,
        ReaderNow::Gone => {
            return Verdict::GaveUp("The reader was deleted before a card was presented.".into())
        }
        ReaderNow::Unknown => return Verdict::NoFailure,
    };
    let action = reader.action.as_ref();
    let names = action
        .and_then(|a| a.process_payment_intent.as_ref())
        .map(|p| p.payment_intent.id().to_string());
    match (action, names) {
        (Some(action), Some(named)) if named == payment_id => match action.status.as_str() {
            "failed" => Verdict::GaveUp(
                action
                    .failure_message
                    .clone()
                    .unwrap_or_else(|| "The reader could not collect this payment.".into()),
            ),
            _ => Verdict::NoFailure,
        },
        (_, Some(other)) => Verdict::GaveUp(format!(
            "The reader moved on to another payment ({other}) before a card was presented."
        )),
        _ => Verdict::GaveUp(
            "The reader is no longer collecting this payment (its action was canceled or the reader was reset) and no card was presented.".into(),
        ),
    }
}

/// Asks Stripe about one doubtful payment and stores the answer: the reader's and the
/// PaymentIntent's views, and either a confirmed reader failure or the doubt cleared.
pub async fn settle(
    state: &AppState,
    access: &Access,
    payment_id: &str,
    reader_id: Option<&str>,
) -> AppResult<Verdict> {
    let observed_at = now_ms();
    let reader = match reader_id {
        Some(id) => match access.client.retrieve_reader(&access.creds, id).await {
            Ok(reader) => Some(reader),
            Err(err) if err.is_not_found() => None,
            Err(err) => return Err(from_stripe(err, Asked::Field("payment"))),
        },
        None => None,
    };
    let pi = access
        .client
        .retrieve_payment_intent(&access.creds, payment_id, &Default::default())
        .await
        .map_err(|e| from_stripe(e, Asked::Field("payment")))?;
    let now = match (&reader, reader_id) {
        (Some(reader), _) => ReaderNow::Shown(reader),
        (None, Some(_)) => ReaderNow::Gone,
        (None, None) => ReaderNow::Unknown,
    };
    let verdict = verdict(payment_id, &now, &pi);
    let (tenant_id, connection_id) = (&access.tenant_id, &access.connection_id);
    let mut tx = state.db.begin_write().await?;
    // Reader before payment: the lock order of every writer.
    if let Some(reader) = &reader {
        reader_rows::apply_view(&mut tx, tenant_id, connection_id, reader, observed_at).await?;
    }
    let mut deferred = Deferred::new();
    payment_rows::apply_intent(
        &mut tx,
        &mut deferred,
        tenant_id,
        connection_id,
        &pi,
        &Context::default(),
    )
    .await?;
    match &verdict {
        Verdict::NoFailure => {
            sqlx::query(
                "UPDATE payments SET reader_doubt_at = NULL WHERE connection_id = $1 AND id = $2",
            )
            .bind(connection_id)
            .bind(payment_id)
            .execute(&mut *tx)
            .await?;
        }
        Verdict::GaveUp(why) => {
            let watch = payment_figures::watch_payment(&mut tx, connection_id, payment_id).await?;
            let marked: Option<PaymentFacts> = sqlx::query_as(&format!(
                "UPDATE payments SET gave_up = $3, reader_doubt_at = NULL
                 WHERE connection_id = $1 AND id = $2 AND gave_up IS NULL
                   AND status = 'requires_payment_method' AND failure_code IS NULL
                 RETURNING {FACTS}"
            ))
            .bind(connection_id)
            .bind(payment_id)
            .bind(why)
            .fetch_optional(&mut *tx)
            .await?;
            if marked.is_some() {
                watch.settle_as(marked, &mut deferred.figures);
                deferred.timeline(
                    tenant_id,
                    payment_id,
                    "stripe",
                    "Reader gave up (confirmed with Stripe)",
                    Some(why),
                );
            }
        }
    }
    deferred.flush(&mut tx).await?;
    tx.commit().await?;
    state
        .bus
        .publish(tenant_id, Topic::Payments, Some(payment_id))
        .await;
    if let Some(reader) = &reader {
        state
            .bus
            .publish(tenant_id, Topic::Readers, Some(&reader.id))
            .await;
    }
    Ok(verdict)
}

/// How many doubts one sync pass settles per connection, so a burst of them cannot eat the
/// connection's read budget.
const PER_PASS: i64 = 10;

/// Settles the connection's oldest doubts (the background half: pages show a payment as waiting
/// until its doubt is settled). Returns the Stripe calls made.
pub async fn settle_connection(state: &AppState, access: &Access) -> AppResult<u32> {
    let doubtful: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT id, reader_id FROM payments
         WHERE connection_id = $1 AND reader_doubt_at IS NOT NULL
         ORDER BY reader_doubt_at LIMIT $2",
    )
    .bind(&access.connection_id)
    .bind(PER_PASS)
    .fetch_all(&state.db.pool)
    .await?;
    let mut calls = 0;
    for (id, reader) in &doubtful {
        calls += if reader.is_some() { 2 } else { 1 };
        // One payment Stripe cannot answer for now does not stop the sync: it is asked again
        // on the next pass.
        if let Err(err) = settle(state, access, id, reader.as_deref()).await {
            tracing::warn!(payment = %id, error = %err, "could not settle a doubt with Stripe yet");
            break;
        }
    }
    Ok(calls)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pi(status: &str, declined: bool) -> PaymentIntent {
        serde_json::from_value(json!({
            "id": "pi_ours", "object": "payment_intent", "amount": 1000, "amount_capturable": 0,
            "amount_received": 0, "currency": "usd", "status": status, "created": 1,
            "livemode": false, "capture_method": "automatic",
            "payment_method_types": ["card_present"], "metadata": {},
            "last_payment_error": if declined {
                json!({"type": "card_error", "code": "card_declined", "decline_code": "generic_decline", "message": "Your card was declined."})
            } else { json!(null) }
        }))
        .expect("payment intent")
    }

    fn reader(action: serde_json::Value) -> Reader {
        serde_json::from_value(json!({
            "id": "tmr_1", "object": "terminal.reader", "device_type": "simulated_wisepos_e",
            "label": "Till", "livemode": false, "location": "tml_1", "metadata": {},
            "serial_number": "x", "status": "online", "action": action,
            "device_sw_version": "", "ip_address": "0.0.0.0"
        }))
        .expect("reader")
    }

    fn process(pi: &str, status: &str) -> serde_json::Value {
        json!({"type": "process_payment_intent", "status": status,
               "failure_code": if status == "failed" { json!("reader_timeout") } else { json!(null) },
               "failure_message": if status == "failed" { json!("The reader timed out.") } else { json!(null) },
               "process_payment_intent": {"payment_intent": pi}})
    }

    #[test]
    fn a_payment_stripe_says_moved_is_never_a_reader_failure() {
        let gone_reader = reader(json!(null));
        for paid in [
            pi("succeeded", false),
            pi("requires_capture", false),
            pi("canceled", false),
        ] {
            assert_eq!(
                verdict("pi_ours", &ReaderNow::Shown(&gone_reader), &paid),
                Verdict::NoFailure,
                "{:?}",
                paid.status
            );
        }
        // A decline is the PaymentIntent's to tell, not the reader's.
        let failed = reader(process("pi_ours", "failed"));
        assert_eq!(
            verdict(
                "pi_ours",
                &ReaderNow::Shown(&failed),
                &pi("requires_payment_method", true)
            ),
            Verdict::NoFailure
        );
    }

    #[test]
    fn the_reader_gave_up_only_when_stripe_shows_it_left_this_payment() {
        let waiting = pi("requires_payment_method", false);
        let still = reader(process("pi_ours", "in_progress"));
        assert_eq!(
            verdict("pi_ours", &ReaderNow::Shown(&still), &waiting),
            Verdict::NoFailure
        );
        let timed_out = reader(process("pi_ours", "failed"));
        assert_eq!(
            verdict("pi_ours", &ReaderNow::Shown(&timed_out), &waiting),
            Verdict::GaveUp("The reader timed out.".into())
        );
        let moved = reader(process("pi_newer", "in_progress"));
        match verdict("pi_ours", &ReaderNow::Shown(&moved), &waiting) {
            Verdict::GaveUp(why) => assert!(why.contains("pi_newer"), "{why}"),
            other => panic!("moved on: {other:?}"),
        }
        let idle = reader(json!(null));
        assert!(matches!(
            verdict("pi_ours", &ReaderNow::Shown(&idle), &waiting),
            Verdict::GaveUp(_)
        ));
        assert!(matches!(
            verdict("pi_ours", &ReaderNow::Gone, &waiting),
            Verdict::GaveUp(_)
        ));
        assert_eq!(
            verdict("pi_ours", &ReaderNow::Unknown, &waiting),
            Verdict::NoFailure
        );
    }
}

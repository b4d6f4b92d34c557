//! Stripe's webhooks for one connection: verified against the connection's signing secret,
//! stored (once per event id) before they are acknowledged, then applied. Reader action events
//! update the reader at once; the rest are kept for the payments work that reads them.

use super::ids::now_ms;
use super::payment_rows;
use super::reader_rows::{self, Mirror};
use super::secrets;
use super::state::AppState;
use super::stripe_access::purpose;
use fleet_stripe::webhook::{verify_header, DEFAULT_TOLERANCE_SECS};
use fleet_stripe::{Charge, Event, PaymentIntent, Reader};

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("No Stripe connection has this webhook URL.")]
    UnknownConnection,
    #[error("This connection has no webhook signing secret yet; add it in Settings → Stripe.")]
    NoSecret,
    #[error("The Stripe-Signature header is missing.")]
    NoSignature,
    #[error("The signature does not match: {0}")]
    BadSignature(#[from] fleet_stripe::webhook::SignatureError),
    #[error("The body is not a Stripe event: {0}")]
    NotAnEvent(#[from] serde_json::Error),
    #[error("The event is for account {0}, which is not this connection's.")]
    WrongAccount(String),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("the signing secret could not be read")]
    Secret,
}

impl WebhookError {
    /// 4xx for what the sender can fix (Stripe retries those too, which is what we want while
    /// a secret is being set up); 500 for our own failures so Stripe retries.
    pub fn status(&self) -> u16 {
        match self {
            WebhookError::UnknownConnection => 404,
            WebhookError::Db(_) | WebhookError::Secret => 500,
            _ => 400,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    Stored,
    /// Stripe delivered an event we already have (deliveries are at least once).
    Duplicate,
}

pub async fn receive(
    state: &AppState,
    connection_id: &str,
    signature: Option<&str>,
    payload: &[u8],
) -> Result<Received, WebhookError> {
    let row: Option<(String, String, Option<String>, String)> = sqlx::query_as(
        "SELECT tenant_id, account_id, webhook_secret, kind FROM stripe_connections WHERE id = $1",
    )
    .bind(connection_id)
    .fetch_optional(&state.db.pool)
    .await?;
    let (tenant_id, account_id, sealed, kind) = row.ok_or(WebhookError::UnknownConnection)?;
    let sealed = sealed.ok_or(WebhookError::NoSecret)?;
    let secret = secrets::open(
        &state.settings.master_key,
        &purpose(connection_id, "webhook_secret"),
        &sealed,
    )
    .map_err(|e| {
        tracing::error!(connection = connection_id, error = %e, "webhook secret unreadable");
        WebhookError::Secret
    })?;
    let signature = signature.ok_or(WebhookError::NoSignature)?;
    verify_header(
        signature,
        payload,
        &secret,
        now_ms() / 1000,
        DEFAULT_TOLERANCE_SECS,
    )?;
    let event: Event = serde_json::from_slice(payload)?;
    if kind == "connect" {
        if let Some(account) = event.account.as_deref().filter(|a| *a != account_id) {
            return Err(WebhookError::WrongAccount(account.to_string()));
        }
    }
    let text = String::from_utf8_lossy(payload);
    let inserted = sqlx::query(
        "INSERT INTO webhook_events (connection_id, id, tenant_id, type, payload, received_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (connection_id, id) DO NOTHING",
    )
    .bind(connection_id)
    .bind(&event.id)
    .bind(&tenant_id)
    .bind(&event.kind)
    .bind(text.as_ref())
    .bind(now_ms())
    .execute(&state.db.pool)
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(Received::Duplicate);
    }
    // The event is safely stored; applying it may fail without losing it (it stays unprocessed).
    if let Err(err) = apply(state, &tenant_id, connection_id, &event).await {
        tracing::warn!(event = %event.id, error = %err, "webhook event stored but not applied");
        return Ok(Received::Stored);
    }
    sqlx::query("UPDATE webhook_events SET processed_at = $1 WHERE connection_id = $2 AND id = $3")
        .bind(now_ms())
        .bind(connection_id)
        .bind(&event.id)
        .execute(&state.db.pool)
        .await?;
    Ok(Received::Stored)
}

async fn apply(
    state: &AppState,
    tenant_id: &str,
    connection_id: &str,
    event: &Event,
) -> Result<(), sqlx::Error> {
    if event.kind.starts_with("payment_intent.") {
        let Ok(pi) = event.object::<PaymentIntent>() else {
            tracing::warn!(event = %event.id, "payment event without a readable PaymentIntent");
            return Ok(());
        };
        // Only in-person payments belong on the dashboard.
        let in_person = pi
            .payment_method_types
            .iter()
            .any(|t| t == "card_present" || t == "interac_present");
        if in_person {
            let mut tx = state.db.begin_write().await?;
            let applied = payment_rows::apply_intent(
                &mut tx,
                tenant_id,
                connection_id,
                &pi,
                &payment_rows::Context::default(),
            )
            .await?;
            tx.commit().await?;
            if applied.changed {
                state.bus.publish(tenant_id, "payments", Some(&pi.id)).await;
            }
        }
        return Ok(());
    }
    if event.kind.starts_with("charge.") && event.object_type() == Some("charge") {
        let Ok(charge) = event.object::<Charge>() else {
            return Ok(());
        };
        let mut tx = state.db.begin_write().await?;
        let changed = payment_rows::apply_charge(&mut tx, connection_id, &charge).await?;
        tx.commit().await?;
        if let (true, Some(pi)) = (changed, charge.payment_intent.as_deref()) {
            state.bus.publish(tenant_id, "payments", Some(pi)).await;
        }
        return Ok(());
    }
    if event.kind.starts_with("terminal.reader.") {
        let Ok(reader) = event.object::<Reader>() else {
            tracing::warn!(event = %event.id, "reader event without a readable reader");
            return Ok(());
        };
        let fresh = Mirror::from_stripe(&reader);
        let mut tx = state.db.begin_write().await?;
        let old = reader_rows::load(&mut tx, connection_id, &reader.id).await?;
        // An event about a reader we do not know yet (registered elsewhere) waits for the sync,
        // which also learns its location.
        if old.is_some() {
            reader_rows::apply(&mut tx, tenant_id, connection_id, old.as_ref(), &fresh).await?;
        }
        // A payment handed to this reader (by us or by point-of-sale software) is this reader's
        // and its location's.
        if let Some(pi) = reader
            .action
            .as_ref()
            .and_then(|a| a.process_payment_intent.as_ref())
            .map(|p| p.payment_intent.id().to_string())
        {
            sqlx::query(
                "UPDATE payments SET reader_id = COALESCE(reader_id, $3),
                 location_id = COALESCE(location_id, $4)
                 WHERE connection_id = $1 AND id = $2",
            )
            .bind(connection_id)
            .bind(&pi)
            .bind(&reader.id)
            .bind(fresh.location_id.as_deref())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        state
            .bus
            .publish(tenant_id, "readers", Some(&reader.id))
            .await;
    }
    Ok(())
}

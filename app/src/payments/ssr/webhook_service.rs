//! Stripe's webhooks for one connection: verified against the connection's signing secret,
//! then stored (once per event id) and applied by the instance's writer in the transaction of
//! its batch (`webhook_writer`), before they are acknowledged. Events whose applying failed
//! stay stored for the queue worker ([`apply_pending`]).

use super::deferred::Deferred;
use super::webhook_apply::{apply, Applied, Change};
use super::webhook_writer::{Incoming, WebhookIngest};
use crate::ssr::ids::now_ms;
use crate::ssr::secrets;
use crate::ssr::state::AppState;
use crate::ssr::stripe_access::purpose;
use crate::topic::Topic;
use fleet_stripe::webhook::{verify_header, DEFAULT_TOLERANCE_SECS};
use fleet_stripe::Event;

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
    #[error(
        "This connected account was claimed without proof of control; its events are not taken."
    )]
    Unverified,
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("the signing secret could not be read")]
    Secret,
    #[error("Too many events are waiting to be stored; retry in a moment.")]
    Busy,
    #[error("the event could not be stored")]
    NotStored,
}

impl WebhookError {
    /// 4xx for what the sender can fix (Stripe retries those too, which is what we want while
    /// a secret is being set up); 5xx for our own failures so Stripe retries.
    pub fn status(&self) -> u16 {
        match self {
            WebhookError::UnknownConnection => 404,
            WebhookError::Unverified => 403,
            WebhookError::Busy => 503,
            WebhookError::Db(_) | WebhookError::Secret | WebhookError::NotStored => 500,
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

/// A connection as a webhook needs it: tenant, account, sealed signing secret, kind and proof.
type WebhookConnection = (String, String, Option<String>, String, Option<String>);

/// Verifies and parses a delivery (in parallel with other requests), then waits for the writer
/// to commit it.
pub async fn receive(
    state: &AppState,
    ingest: &WebhookIngest,
    connection_id: &str,
    signature: Option<&str>,
    payload: &[u8],
) -> Result<Received, WebhookError> {
    let incoming = verify(state, connection_id, signature, payload).await?;
    ingest.submit(incoming).await
}

async fn verify(
    state: &AppState,
    connection_id: &str,
    signature: Option<&str>,
    payload: &[u8],
) -> Result<Incoming, WebhookError> {
    let row: Option<WebhookConnection> = sqlx::query_as(
        "SELECT tenant_id, account_id, webhook_secret, kind, proof
         FROM stripe_connections WHERE id = $1",
    )
    .bind(connection_id)
    .fetch_optional(&state.db.pool)
    .await?;
    let (tenant_id, account_id, sealed, kind, proof) =
        row.ok_or(WebhookError::UnknownConnection)?;
    // An account claimed by typing its id may be somebody else's: its payments are not ours
    // to read (stripe_access::UNVERIFIED).
    if kind == "connect" && proof.is_none() {
        return Err(WebhookError::Unverified);
    }
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
    Ok(Incoming {
        tenant_id,
        connection_id: connection_id.to_string(),
        change: Change::of(&event),
        payload: String::from_utf8_lossy(payload).into_owned(),
        event_id: event.id,
        kind: event.kind,
        created: event.created,
    })
}

/// Applies one stored event and records the outcome, in one transaction; it is marked processed
/// unless applying failed (then it stays queued, up to [`MAX_ATTEMPTS`]).
pub async fn process(
    state: &AppState,
    connection_id: &str,
    event_id: &str,
) -> Result<(), sqlx::Error> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT tenant_id, payload FROM webhook_events WHERE connection_id = $1 AND id = $2",
    )
    .bind(connection_id)
    .bind(event_id)
    .fetch_optional(&state.db.pool)
    .await?;
    let Some((tenant_id, payload)) = row else {
        return Ok(());
    };
    let event = match serde_json::from_str::<Event>(&payload) {
        Ok(event) => event,
        Err(e) => {
            return mark(
                state,
                connection_id,
                event_id,
                &format!("failed: unreadable ({e})"),
                true,
            )
            .await;
        }
    };
    let change = Change::of(&event);
    let mut tx = state.db.begin_write().await?;
    let mut deferred = Deferred::new();
    let applied = match apply(
        &mut tx,
        &mut deferred,
        &tenant_id,
        connection_id,
        event.created,
        &change,
    )
    .await
    {
        Ok(applied) => deferred.flush(&mut tx).await.map(|()| applied),
        Err(e) => Err(e),
    };
    match applied {
        Ok(applied) => {
            mark_on(&mut tx, connection_id, event_id, applied.outcome(), true).await?;
            tx.commit().await?;
            if let Applied::Applied(Some(n)) = applied {
                state.bus.publish(&n.tenant_id, n.topic, Some(&n.id)).await;
            }
            Ok(())
        }
        Err(e) => {
            tx.rollback().await?;
            tracing::warn!(event = %event_id, error = %e, "webhook event stored but not applied yet");
            mark(
                state,
                connection_id,
                event_id,
                &format!("failed: {e}"),
                false,
            )
            .await
        }
    }
}

/// Records an outcome; a done event leaves the queue.
async fn mark(
    state: &AppState,
    connection_id: &str,
    event_id: &str,
    outcome: &str,
    done: bool,
) -> Result<(), sqlx::Error> {
    let mut tx = state.db.begin_write().await?;
    mark_on(&mut tx, connection_id, event_id, outcome, done).await?;
    tx.commit().await
}

async fn mark_on(
    conn: &mut sqlx::AnyConnection,
    connection_id: &str,
    event_id: &str,
    outcome: &str,
    done: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE webhook_events SET outcome = $1, attempts = attempts + 1,
         processed_at = CASE WHEN $2 = 1 THEN $3 ELSE NULL END
         WHERE connection_id = $4 AND id = $5",
    )
    .bind(outcome)
    .bind(i64::from(done))
    .bind(now_ms())
    .bind(connection_id)
    .bind(event_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Attempts after which a failing event stays visible on the Events page but is not retried.
pub const MAX_ATTEMPTS: i64 = 10;

/// Applies events stored but not applied (applying failed, or stored before group commit and
/// left by a crash), oldest first; returns how many were tried.
pub async fn apply_pending(state: &AppState, limit: i64) -> Result<usize, sqlx::Error> {
    // A few seconds' grace, so a transient failure is not retried at once.
    let pending: Vec<(String, String)> = sqlx::query_as(
        "SELECT connection_id, id FROM webhook_events
         WHERE processed_at IS NULL AND attempts < $1 AND received_at < $3
         ORDER BY received_at LIMIT $2",
    )
    .bind(MAX_ATTEMPTS)
    .bind(limit)
    .bind(now_ms() - 5_000)
    .fetch_all(&state.db.pool)
    .await?;
    for (connection, id) in &pending {
        process(state, connection, id).await?;
    }
    Ok(pending.len())
}

/// The Events page: the tenant's stored events, newest first, optionally of one type.
pub async fn list(
    caller: &crate::ssr::caller::Caller,
    kind: Option<&str>,
    before: Option<&str>,
) -> crate::error::AppResult<crate::payments::types::EventsView> {
    use crate::payments::types::{EventView, EventsView};
    use crate::ssr::binds::Binds;
    use crate::ssr::cursor::Cursor;
    let cursor = Cursor::<2>::parse(before)?;
    let kind = kind.map(str::trim).filter(|k| !k.is_empty());
    let mut binds = Binds::new();
    let mut sql = format!(
        "SELECT e.id, e.connection_id, c.name, e.type, e.received_at, e.processed_at, e.outcome,
                e.attempts, e.payload
         FROM webhook_events e JOIN stripe_connections c ON c.id = e.connection_id
         WHERE e.tenant_id = {}",
        binds.add(&caller.tenant_id)
    );
    if let Some(kind) = kind {
        sql.push_str(&format!(" AND e.type = {}", binds.add(kind)));
    }
    if let Some(cursor) = &cursor {
        sql.push_str(" AND ");
        sql.push_str(&cursor.older_than(&mut binds, "e.received_at", ["e.connection_id", "e.id"]));
    }
    sql.push_str(" ORDER BY e.received_at DESC, e.connection_id DESC, e.id DESC LIMIT 51");
    type Row = (
        String,
        String,
        String,
        String,
        i64,
        Option<i64>,
        Option<String>,
        i64,
        String,
    );
    let rows = binds
        .query_as::<Row>(&sql)
        .fetch_all(&caller.db().pool)
        .await?;
    let mut events: Vec<EventView> = rows
        .into_iter()
        .map(
            |(
                id,
                connection_id,
                connection_name,
                kind,
                received_at,
                processed_at,
                outcome,
                attempts,
                payload,
            )| {
                let object_id = serde_json::from_str::<serde_json::Value>(&payload)
                    .ok()
                    .and_then(|v| v["data"]["object"]["id"].as_str().map(str::to_string));
                // Shown to people: secrets inside Stripe's objects (a PaymentIntent's client
                // secret) are masked; an unreadable payload is not shown at all.
                let pretty = serde_json::from_str::<serde_json::Value>(&payload)
                    .ok()
                    .map(|mut v| {
                        mask_secrets(&mut v);
                        v
                    })
                    .and_then(|v| serde_json::to_string_pretty(&v).ok())
                    .unwrap_or_else(|| "(not valid JSON)".into());
                EventView {
                    id,
                    connection_id,
                    connection_name,
                    kind,
                    object_id,
                    received_at,
                    processed_at,
                    outcome,
                    attempts,
                    payload: pretty,
                }
            },
        )
        .collect();
    let next = if events.len() > 50 {
        events.truncate(50);
        events
            .last()
            .map(|e| Cursor::new(e.received_at, [e.connection_id.clone(), e.id.clone()]).encode())
    } else {
        None
    };
    Ok(EventsView {
        events,
        next,
        can_reapply: caller.can(crate::model::Permission::ManageFleet),
    })
}

/// Applies a stored event again (after fixing what made it fail, or to repair a row).
pub async fn reapply(
    caller: &crate::ssr::caller::Caller,
    connection_id: &str,
    event_id: &str,
) -> crate::error::AppResult<()> {
    let exists: Option<String> = sqlx::query_scalar(
        "SELECT id FROM webhook_events WHERE tenant_id = $1 AND connection_id = $2 AND id = $3",
    )
    .bind(&caller.tenant_id)
    .bind(connection_id)
    .bind(event_id)
    .fetch_optional(&caller.db().pool)
    .await?;
    if exists.is_none() {
        return Err(crate::error::AppError::not_found("event"));
    }
    process(&caller.state, connection_id, event_id).await?;
    let mut tx = caller.db().begin_write().await?;
    crate::ssr::audit::record(
        &mut tx,
        &caller.meta,
        crate::ssr::audit::Entry::by(caller, "webhook.reapplied").target("event", event_id),
    )
    .await?;
    tx.commit().await?;
    caller
        .state
        .bus
        .publish(&caller.tenant_id, Topic::Events, Some(event_id))
        .await;
    Ok(())
}

/// Replaces the value of every `client_secret` (and other `*_secret`) field with a mask.
fn mask_secrets(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key.ends_with("secret") && v.is_string() {
                    *v = serde_json::Value::String("•••• (hidden)".into());
                } else {
                    mask_secrets(v);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(mask_secrets),
        _ => {}
    }
}

//! Keeping our reader rows in step with Stripe's reader objects: one place decides what a row
//! holds, which changes count as transitions, and what is recorded when they happen. Used by
//! the sync task, by webhook events and by our own calls to Stripe.

use super::store_figures;
use crate::ssr::ids::{new_id, now_ms};
use fleet_stripe::Reader;
use sqlx::AnyConnection;

/// A reader row's fields that come from Stripe.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Mirror {
    pub id: String,
    pub label: String,
    pub location_id: Option<String>,
    pub device_type: String,
    pub serial_number: String,
    pub sw_version: Option<String>,
    pub ip_address: Option<String>,
    pub status: String,
    pub last_seen_at: Option<i64>,
    pub action_type: Option<String>,
    pub action_status: Option<String>,
    pub action_detail: Option<String>,
    /// The PaymentIntent the action collects, whatever its status.
    pub action_payment: Option<String>,
}

pub const MIRROR_COLUMNS: &str = "id, label, location_id, device_type, serial_number, sw_version,
    ip_address, status, last_seen_at, action_type, action_status, action_detail, action_payment";

/// What the customer sees for a cart or a question, in a line for the reader's page: the
/// dashboard shows what a till put on the screen.
fn on_screen(action: &fleet_stripe::ReaderAction) -> Option<String> {
    if let Some(cart) = action.set_reader_display.as_ref().map(|d| &d["cart"]) {
        let currency = cart["currency"].as_str()?;
        let items: Vec<String> = cart["line_items"]
            .as_array()?
            .iter()
            .map(|item| {
                let what = item["description"].as_str().unwrap_or("Item");
                match item["quantity"].as_i64().unwrap_or(1) {
                    1 => what.to_string(),
                    n => format!("{n} × {what}"),
                }
            })
            .collect();
        let total = crate::money::format_amount(cart["total"].as_i64()?, currency);
        return Some(format!("Cart: {}; total {total}", items.join(", ")));
    }
    let inputs = action.collect_inputs.as_ref()?;
    let titles: Vec<&str> = inputs
        .inputs
        .iter()
        .filter_map(|i| i.custom_text.as_ref()?.title.as_deref())
        .collect();
    Some(format!("Asking: {}", titles.join("; ")))
}

impl Mirror {
    pub fn from_stripe(reader: &Reader) -> Mirror {
        let online = reader
            .status
            .as_ref()
            .is_some_and(|s| *s == fleet_stripe::enums::ReaderStatus::Online);
        let action = reader.action.as_ref();
        Mirror {
            id: reader.id.clone(),
            label: reader.label.clone().unwrap_or_default(),
            location_id: reader.location.as_ref().map(|l| l.id().to_string()),
            device_type: reader.device_type.as_str().to_string(),
            serial_number: reader.serial_number.clone().unwrap_or_default(),
            sw_version: reader.device_sw_version.clone().filter(|v| !v.is_empty()),
            ip_address: reader.ip_address.clone().filter(|v| !v.is_empty()),
            status: if online { "online" } else { "offline" }.to_string(),
            last_seen_at: reader.last_seen_at,
            action_type: action.map(|a| a.kind.as_str().to_string()),
            action_status: action.map(|a| a.status.as_str().to_string()),
            action_detail: action.and_then(|a| {
                a.failure_message.clone().or_else(|| {
                    a.process_payment_intent
                        .as_ref()
                        .map(|p| p.payment_intent.id().to_string())
                        .or_else(|| on_screen(a))
                })
            }),
            action_payment: action
                .and_then(|a| a.process_payment_intent.as_ref())
                .map(|p| p.payment_intent.id().to_string()),
        }
    }

    fn same_action(&self, other: &Mirror) -> bool {
        self.action_type == other.action_type
            && self.action_status == other.action_status
            && self.action_detail == other.action_detail
            && self.action_payment == other.action_payment
    }

    /// This view with `other`'s action.
    fn with_action_of(&self, other: &Mirror) -> Mirror {
        Mirror {
            action_type: other.action_type.clone(),
            action_status: other.action_status.clone(),
            action_detail: other.action_detail.clone(),
            action_payment: other.action_payment.clone(),
            ..self.clone()
        }
    }
}

/// One view of a reader's action, for ordering views that arrive out of order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionFact<'a> {
    /// The PaymentIntent the action names.
    pub payment: Option<&'a str>,
    /// When that payment started: Stripe's `created` (seconds), then our row's (ms).
    pub started: Option<(i64, i64)>,
    pub status: Option<&'a str>,
    /// When this view was known to be true (ms): an event's `created`, the start of the request
    /// that read it, or the moment our own call was answered.
    pub at: i64,
}

fn action_rank(status: Option<&str>) -> u8 {
    match status {
        Some("in_progress") => 1,
        Some("succeeded" | "failed") => 2,
        _ => 0,
    }
}

/// Whether `fresh` is newer than the stored action `stored`. Per payment, an action only moves
/// forward; between payments, the one started later wins whenever the arrival order says
/// otherwise (a late event about the previous sale must not replace the current one); with
/// nothing to compare, the view known true later wins.
pub fn newer_action(stored: &ActionFact<'_>, fresh: &ActionFact<'_>) -> bool {
    match (stored.payment, fresh.payment) {
        (Some(old), Some(new)) if old == new => {
            action_rank(fresh.status) >= action_rank(stored.status) || fresh.at > stored.at
        }
        (Some(_), Some(_)) if stored.started.is_some() && fresh.started.is_some() => {
            fresh.started > stored.started
        }
        _ => effective_at(fresh) > stored.at,
    }
}

/// A view naming a payment cannot be older than Stripe's creation of that payment.
fn effective_at(view: &ActionFact<'_>) -> i64 {
    view.at.max(
        view.started
            .map_or(0, |(seconds, _)| seconds.saturating_mul(1000)),
    )
}

/// When each of these payments started, for those we hold.
async fn started(
    conn: &mut AnyConnection,
    connection_id: &str,
    payments: [Option<&str>; 2],
) -> Result<Vec<(String, (i64, i64))>, sqlx::Error> {
    let ids: Vec<&str> = payments.into_iter().flatten().collect();
    let Some(first) = ids.first().copied() else {
        return Ok(Vec::new());
    };
    let second = ids.get(1).copied().unwrap_or(first);
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT id, stripe_created, created_at FROM payments
         WHERE connection_id = $1 AND id IN ($2, $3)",
    )
    .bind(connection_id)
    .bind(first)
    .bind(second)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, created, at)| (id, (created, at)))
        .collect())
}

/// Decides whether `fresh`'s action replaces the stored one; returns the view to write and,
/// when the action moved, its new `action_at`.
async fn order_action(
    conn: &mut AnyConnection,
    connection_id: &str,
    old: &Mirror,
    fresh: &Mirror,
    observed_at: i64,
) -> Result<(Mirror, Option<i64>), sqlx::Error> {
    if old.same_action(fresh) {
        return Ok((fresh.clone(), None));
    }
    let stored_at: i64 =
        sqlx::query_scalar("SELECT action_at FROM readers WHERE connection_id = $1 AND id = $2")
            .bind(connection_id)
            .bind(&fresh.id)
            .fetch_optional(&mut *conn)
            .await?
            .unwrap_or(0);
    let known = started(
        conn,
        connection_id,
        [
            old.action_payment.as_deref(),
            fresh.action_payment.as_deref(),
        ],
    )
    .await?;
    let started_of = |payment: Option<&str>| {
        known
            .iter()
            .find(|(id, _)| Some(id.as_str()) == payment)
            .map(|(_, s)| *s)
    };
    let stored = ActionFact {
        payment: old.action_payment.as_deref(),
        started: started_of(old.action_payment.as_deref()),
        status: old.action_status.as_deref(),
        at: stored_at,
    };
    let view = ActionFact {
        payment: fresh.action_payment.as_deref(),
        started: started_of(fresh.action_payment.as_deref()),
        status: fresh.action_status.as_deref(),
        at: observed_at,
    };
    if newer_action(&stored, &view) {
        Ok((fresh.clone(), Some(effective_at(&view).max(stored_at))))
    } else {
        Ok((fresh.with_action_of(old), None))
    }
}

/// Records on a payment what a reader reported about an action naming it (forward only), and
/// marks a doubt when that action failed: the reader may have given up, or the card may have
/// been declined, which the PaymentIntent tells.
async fn note_payment(
    conn: &mut AnyConnection,
    connection_id: &str,
    fresh: &Mirror,
    now: i64,
) -> Result<(), sqlx::Error> {
    let (Some(payment), Some(status)) = (&fresh.action_payment, &fresh.action_status) else {
        return Ok(());
    };
    let failed = status == "failed";
    sqlx::query(
        "UPDATE payments SET reader_action = $3, reader_failure = $4,
           reader_doubt_at = CASE WHEN $5 AND reader_doubt_at IS NULL AND gave_up IS NULL
                                  THEN $6 ELSE reader_doubt_at END
         WHERE connection_id = $1 AND id = $2
           AND (reader_action IS NULL OR (reader_action = 'in_progress' AND $3 <> 'in_progress'))",
    )
    .bind(connection_id)
    .bind(payment)
    .bind(status)
    .bind(fresh.action_detail.as_deref().filter(|_| failed))
    .bind(failed)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A reader stopped naming a payment it was collecting: a doubt about that payment, unless the
/// PaymentIntent already says how it ended.
async fn note_left(
    conn: &mut AnyConnection,
    connection_id: &str,
    payment: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE payments SET reader_doubt_at = $3
         WHERE connection_id = $1 AND id = $2 AND reader_doubt_at IS NULL AND gave_up IS NULL
           AND status = 'requires_payment_method' AND failure_code IS NULL",
    )
    .bind(connection_id)
    .bind(payment)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Applies Stripe's view of a reader we hold; a reader we do not know yet (registered
/// elsewhere) waits for the sync, which also learns its location. What the view says about the
/// payment its action names is recorded either way.
pub async fn apply_view(
    conn: &mut AnyConnection,
    tenant_id: &str,
    connection_id: &str,
    reader: &Reader,
    observed_at: i64,
) -> Result<(), sqlx::Error> {
    let fresh = Mirror::from_stripe(reader);
    let old = load(conn, connection_id, &reader.id).await?;
    if old.is_some() {
        apply(
            conn,
            tenant_id,
            connection_id,
            old.as_ref(),
            &fresh,
            observed_at,
        )
        .await?;
    } else {
        note_payments(conn, connection_id, &fresh).await?;
    }
    Ok(())
}

/// Records what a reader view says about the payments its action names, once their rows exist
/// (our own calls store the reader before the payment).
pub async fn note_payments(
    conn: &mut AnyConnection,
    connection_id: &str,
    fresh: &Mirror,
) -> Result<(), sqlx::Error> {
    note_payment(conn, connection_id, fresh, now_ms()).await
}

/// What applying a reader changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    pub created: bool,
    pub changed: bool,
    /// Online ↔ offline.
    pub transition: bool,
    /// An offline alert was cleared because the reader came back.
    pub alert_cleared: bool,
    /// A stuck-action alert was cleared because the action ended or another began.
    pub stuck_cleared: bool,
}

/// Writes Stripe's view of a reader over ours (`existing` is our row, if any) on `conn`, recording
/// a status transition and clearing a raised alert when the reader is back online.
/// `observed_at` (ms) is when the view was known true (see [`ActionFact::at`]): a view of the
/// action older than the stored one leaves the stored action in place.
pub async fn apply(
    conn: &mut AnyConnection,
    tenant_id: &str,
    connection_id: &str,
    existing: Option<&Mirror>,
    fresh: &Mirror,
    observed_at: i64,
) -> Result<Applied, sqlx::Error> {
    let now = now_ms();
    let mut applied = Applied::default();
    let view = fresh;
    let (fresh, action_at) = match existing {
        Some(old) => order_action(conn, connection_id, old, fresh, observed_at).await?,
        None => (fresh.clone(), Some(observed_at)),
    };
    let fresh = &fresh;
    let left = match (existing, action_at) {
        (Some(old), Some(_)) => old.action_payment.clone().filter(|p| {
            old.action_status.as_deref() == Some("in_progress")
                && fresh.action_payment.as_ref() != Some(p)
        }),
        _ => None,
    };
    write(
        conn,
        tenant_id,
        connection_id,
        existing,
        fresh,
        action_at,
        now,
        &mut applied,
    )
    .await?;
    // Payments after the reader: every writer locks in that order, so none waits on another.
    // Facts about the payment the view names hold whatever the reader did since; a view whose
    // action we already hold says nothing new (the sync sees every reader every pass).
    if existing.is_none_or(|old| !old.same_action(view)) {
        note_payment(conn, connection_id, view, now).await?;
    }
    if let Some(left) = left {
        note_left(conn, connection_id, &left, now).await?;
    }
    Ok(applied)
}

/// Writes the reader row (the part of [`apply`] that predates ordering actions).
#[allow(clippy::too_many_arguments)]
async fn write(
    conn: &mut AnyConnection,
    tenant_id: &str,
    connection_id: &str,
    existing: Option<&Mirror>,
    fresh: &Mirror,
    action_at: Option<i64>,
    now: i64,
    applied: &mut Applied,
) -> Result<(), sqlx::Error> {
    let observed_at = action_at.unwrap_or(now);
    match existing {
        None => {
            let watch = store_figures::watch_reader(conn, connection_id, &fresh.id).await?;
            let inserted = sqlx::query(
                "INSERT INTO readers (connection_id, id, tenant_id, label, location_id, device_type,
                 serial_number, sw_version, ip_address, status, last_seen_at, status_since,
                 action_type, action_status, action_detail, alert_since, synced_at,
                 action_payment, action_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, NULL, $12,
                 $16, $17)
                 ON CONFLICT DO NOTHING",
            )
            .bind(connection_id)
            .bind(&fresh.id)
            .bind(tenant_id)
            .bind(&fresh.label)
            .bind(&fresh.location_id)
            .bind(&fresh.device_type)
            .bind(&fresh.serial_number)
            .bind(&fresh.sw_version)
            .bind(&fresh.ip_address)
            .bind(&fresh.status)
            .bind(fresh.last_seen_at)
            .bind(now)
            .bind(&fresh.action_type)
            .bind(&fresh.action_status)
            .bind(&fresh.action_detail)
            .bind(&fresh.action_payment)
            .bind(observed_at)
            .execute(&mut *conn)
            .await?;
            // Two writers that both found no row (our call and the sync, say) both insert; the
            // one the database turned away must not record the reader's first status again.
            if inserted.rows_affected() == 0 {
                return Ok(());
            }
            watch.settle(conn).await?;
            record_status(conn, tenant_id, &fresh.id, &fresh.status, now).await?;
            applied.created = true;
            applied.changed = true;
        }
        Some(old) if unchanged(old, fresh) => {}
        Some(old) => {
            applied.changed = true;
            applied.transition = old.status != fresh.status;
            let back_online = applied.transition && fresh.status == "online";
            // First: on PostgreSQL it locks the row, so the alerts read next are the ones this
            // write replaces.
            let watch = store_figures::watch_reader(conn, connection_id, &fresh.id).await?;
            let (alert, stuck): (Option<i64>, Option<i64>) = sqlx::query_as(
                "SELECT alert_since, stuck_since FROM readers WHERE connection_id = $1 AND id = $2",
            )
            .bind(connection_id)
            .bind(&fresh.id)
            .fetch_optional(&mut *conn)
            .await?
            .unwrap_or_default();
            applied.alert_cleared = back_online && alert.is_some();
            // A stuck action ends when the reader reports another action, or none running.
            applied.stuck_cleared = stuck.is_some()
                && (action_at.is_some() || fresh.action_status.as_deref() != Some("in_progress"));
            sqlx::query(
                "UPDATE readers SET label = $3, location_id = $4, device_type = $5, serial_number = $6,
                 sw_version = $7, ip_address = $8, status = $9, last_seen_at = $10,
                 status_since = CASE WHEN status = $9 THEN status_since ELSE $11 END,
                 action_type = $12, action_status = $13, action_detail = $14,
                 alert_since = CASE WHEN $9 = 'online' THEN NULL ELSE alert_since END,
                 synced_at = $11, action_payment = $15,
                 action_at = CASE WHEN $16 > action_at THEN $16 ELSE action_at END
                 WHERE connection_id = $1 AND id = $2",
            )
            .bind(connection_id)
            .bind(&fresh.id)
            .bind(&fresh.label)
            .bind(&fresh.location_id)
            .bind(&fresh.device_type)
            .bind(&fresh.serial_number)
            .bind(&fresh.sw_version)
            .bind(&fresh.ip_address)
            .bind(&fresh.status)
            .bind(fresh.last_seen_at)
            .bind(now)
            .bind(&fresh.action_type)
            .bind(&fresh.action_status)
            .bind(&fresh.action_detail)
            .bind(&fresh.action_payment)
            .bind(action_at.unwrap_or(0))
            .execute(&mut *conn)
            .await?;
            if applied.stuck_cleared {
                // Two writers (the sync and our cancel, say) may both have read the alert as
                // raised; the row, locked by the update above, says which of them clears it.
                let cleared = sqlx::query(
                    "UPDATE readers SET stuck_since = NULL
                     WHERE connection_id = $1 AND id = $2 AND stuck_since IS NOT NULL",
                )
                .bind(connection_id)
                .bind(&fresh.id)
                .execute(&mut *conn)
                .await?;
                applied.stuck_cleared = cleared.rows_affected() == 1;
            }
            // After the stuck alert's clearing too: both are the store's figures.
            watch.settle(conn).await?;
            if applied.transition {
                record_status(conn, tenant_id, &fresh.id, &fresh.status, now).await?;
            }
            if applied.alert_cleared {
                super::reader_alerts::offline_cleared(conn, tenant_id, fresh).await?;
            }
            if applied.stuck_cleared {
                super::reader_alerts::stuck_cleared(conn, tenant_id, fresh).await?;
            }
        }
    }
    Ok(())
}

/// Whether applying Stripe's `fresh` view over our `old` row would write nothing: the same
/// action and nothing else worth a write ([`apply`] then runs no statement at all).
pub fn at_rest(old: &Mirror, fresh: &Mirror) -> bool {
    old.same_action(fresh) && unchanged(old, fresh)
}

/// Stripe moves an online reader's `last_seen_at` on every heartbeat; that alone is not a change
/// worth a write and a live update (pages say "online now"), while the moment it went offline is.
fn unchanged(old: &Mirror, fresh: &Mirror) -> bool {
    if old.status == "online" && fresh.status == "online" {
        Mirror {
            last_seen_at: fresh.last_seen_at,
            ..old.clone()
        } == *fresh
    } else {
        old == fresh
    }
}

/// Removes a reader, keeping its history.
pub async fn remove(
    conn: &mut AnyConnection,
    connection_id: &str,
    id: &str,
) -> Result<(), sqlx::Error> {
    remove_if_stored_before(conn, connection_id, id, i64::MAX)
        .await
        .map(|_| ())
}

/// Removes a reader Stripe's list no longer shows, unless our row was written at or after
/// `listed_at` (registered while the list was being read); true when it went.
pub async fn remove_if_stored_before(
    conn: &mut AnyConnection,
    connection_id: &str,
    id: &str,
    listed_at: i64,
) -> Result<bool, sqlx::Error> {
    let watch = store_figures::watch_reader(conn, connection_id, id).await?;
    let gone =
        sqlx::query("DELETE FROM readers WHERE connection_id = $1 AND id = $2 AND synced_at < $3")
            .bind(connection_id)
            .bind(id)
            .bind(listed_at)
            .execute(&mut *conn)
            .await?
            .rows_affected()
            > 0;
    watch.settle(conn).await?;
    Ok(gone)
}

async fn record_status(
    conn: &mut AnyConnection,
    tenant_id: &str,
    reader_id: &str,
    status: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO reader_status_events (id, tenant_id, reader_id, status, at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(new_id("rse"))
    .bind(tenant_id)
    .bind(reader_id)
    .bind(status)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// How a reader is named in audit entries and alerts.
pub fn display(reader: &Mirror) -> String {
    if reader.label.is_empty() {
        reader.id.clone()
    } else {
        format!("{} ({})", reader.label, reader.id)
    }
}

/// Our row of one reader, if we have it.
pub async fn load(
    conn: &mut AnyConnection,
    connection_id: &str,
    id: &str,
) -> Result<Option<Mirror>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {MIRROR_COLUMNS} FROM readers WHERE connection_id = $1 AND id = $2"
    ))
    .bind(connection_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
}

#[cfg(test)]
mod tests {
    use super::on_screen;

    fn action(json: serde_json::Value) -> fleet_stripe::ReaderAction {
        serde_json::from_value(json).expect("a reader action as Stripe sends it")
    }

    #[test]
    fn a_cart_and_a_question_read_as_the_customer_sees_them() {
        let cart = action(serde_json::json!({
            "type": "set_reader_display", "status": "succeeded",
            "set_reader_display": {"type": "cart", "cart": {
                "currency": "usd", "tax": 80, "total": 980,
                "line_items": [{"description": "Latte", "amount": 450, "quantity": 2},
                               {"description": "Cookie", "amount": 0, "quantity": 1}]}}
        }));
        assert_eq!(
            on_screen(&cart).as_deref(),
            Some("Cart: 2 × Latte, Cookie; total 9.80 USD")
        );
        let asked = action(serde_json::json!({
            "type": "collect_inputs", "status": "in_progress",
            "collect_inputs": {"inputs": [
                {"type": "email", "custom_text": {"title": "Email for your receipt"}, "required": true},
                {"type": "signature", "custom_text": {"title": "Sign here"}}]}
        }));
        assert_eq!(
            on_screen(&asked).as_deref(),
            Some("Asking: Email for your receipt; Sign here")
        );
        let paying = action(serde_json::json!({"type": "refund_payment", "status": "in_progress"}));
        assert_eq!(on_screen(&paying), None);
    }
}

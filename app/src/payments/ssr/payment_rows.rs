//! Keeping payment rows in step with Stripe's PaymentIntents and charges. Webhooks arrive at
//! least once and in any order, so a row only moves forward: a status of a lower rank than the
//! stored one is ignored, so is one of the same rank that Stripe created before the answer the
//! row already reflects, and refunded amounts only grow.

use super::deferred::Deferred;
use super::payment_figures::{self, PaymentFacts, PaymentWatch, FACTS};
use crate::fleet::ssr::store_figures::lock_clause;
use crate::payments::forward::{self, rank, Decision};
use crate::ssr::binds::Binds;
use crate::ssr::ids::now_ms;
use fleet_stripe::{Charge, PaymentIntent};
use sqlx::AnyConnection;
use std::collections::HashMap;

/// Who and what a new row is about, when we know it (our own test charges, reader actions).
#[derive(Debug, Clone, Default)]
pub struct Context<'a> {
    pub reader_id: Option<&'a str>,
    pub location_id: Option<&'a str>,
    pub started_by: Option<&'a str>,
    pub operation_id: Option<&'a str>,
    /// When Stripe produced this view of the object (an event's `created`, in seconds); `None`
    /// for an answer to our own call, which is as fresh as it gets.
    pub as_of: Option<i64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    pub created: bool,
    pub changed: bool,
    /// The new status, when it moved.
    pub moved: bool,
}

/// What a stored row holds of the fields Stripe's answers can change (`status` and
/// `amount_received` are read from the facts' columns of the same name).
#[derive(sqlx::FromRow)]
struct Stored {
    status: String,
    state_rank: i64,
    amount: i64,
    amount_capturable: i64,
    amount_received: i64,
    failure_code: Option<String>,
    stripe_seen: i64,
}

#[derive(sqlx::FromRow)]
struct Watched {
    #[sqlx(flatten)]
    facts: PaymentFacts,
    #[sqlx(flatten)]
    stored: Stored,
}

/// Payment rows a batch of webhook events read (and on PostgreSQL locked) in one statement
/// before applying them, each kept until the first write that touches it takes it: a row is
/// only ever read from here as the batch found it.
#[derive(Default)]
pub struct ReadAhead {
    rows: HashMap<(String, String), Option<Watched>>,
}

impl std::fmt::Debug for ReadAhead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadAhead")
            .field("rows", &self.rows.len())
            .finish()
    }
}

impl ReadAhead {
    /// The row as read ahead (`Some(None)`: there was none), if it was and nothing took it yet.
    fn take(&mut self, connection_id: &str, id: &str) -> Option<Option<Watched>> {
        self.rows
            .remove(&(connection_id.to_string(), id.to_string()))
    }
}

#[derive(sqlx::FromRow)]
struct AheadRow {
    connection_id: String,
    #[sqlx(flatten)]
    watched: Watched,
}

/// Reads the payments at `keys` (connection, PaymentIntent) in one statement, in key order (on
/// PostgreSQL locking them in the order every writer takes), for the writes that follow in the
/// same transaction.
pub async fn read_ahead(
    conn: &mut AnyConnection,
    deferred: &mut Deferred,
    keys: &[(&str, &str)],
) -> Result<(), sqlx::Error> {
    let mut keys: Vec<(&str, &str)> = keys.to_vec();
    keys.sort_unstable();
    keys.dedup();
    for chunk in keys.chunks(500) {
        // Per connection an IN list of ids, which PostgreSQL plans as one index scan each
        // (a list of row values joined against VALUES took it 0.3 ms to plan for 8 keys).
        let mut binds = Binds::new();
        let mut by_connection: Vec<(&str, Vec<String>)> = Vec::new();
        for &(connection, id) in chunk {
            let id = binds.add(id);
            match by_connection.last_mut() {
                Some((c, ids)) if *c == connection => ids.push(id),
                _ => by_connection.push((connection, vec![id])),
            }
        }
        let wanted: Vec<String> = by_connection
            .into_iter()
            .map(|(connection, ids)| {
                format!(
                    "(connection_id = {} AND id IN ({}))",
                    binds.add(connection),
                    ids.join(", ")
                )
            })
            .collect();
        let lock = lock_clause(conn);
        let rows: Vec<AheadRow> = binds
            .query_as(&format!(
                "SELECT connection_id, {FACTS}, state_rank, amount, amount_capturable,
                   failure_code, stripe_seen
                 FROM payments WHERE {}
                 ORDER BY connection_id, id{lock}",
                wanted.join(" OR ")
            ))
            .fetch_all(&mut *conn)
            .await?;
        let ahead = &mut deferred.read_ahead.rows;
        for (connection, id) in chunk {
            ahead.insert((connection.to_string(), id.to_string()), None);
        }
        for row in rows {
            let key = (row.connection_id, row.watched.facts.id().to_string());
            ahead.insert(key, Some(row.watched));
        }
    }
    Ok(())
}

/// The row before a write: as read ahead, or read now.
async fn watch_known(
    conn: &mut AnyConnection,
    deferred: &mut Deferred,
    connection_id: &str,
    id: &str,
) -> Result<(PaymentWatch, Option<Stored>), sqlx::Error> {
    match deferred.read_ahead.take(connection_id, id) {
        Some(Some(Watched { facts, stored })) => Ok((PaymentWatch::of(Some(facts)), Some(stored))),
        Some(None) => Ok((PaymentWatch::of(None), None)),
        None => watch_stored(conn, connection_id, id).await,
    }
}

/// Reads (and on PostgreSQL locks) the row in one statement: what settling the figures needs
/// and what deciding the write needs.
async fn watch_stored(
    conn: &mut AnyConnection,
    connection_id: &str,
    id: &str,
) -> Result<(PaymentWatch, Option<Stored>), sqlx::Error> {
    let lock = lock_clause(conn);
    let row: Option<Watched> = sqlx::query_as(&format!(
        "SELECT {FACTS}, state_rank, amount, amount_capturable, failure_code, stripe_seen
         FROM payments WHERE connection_id = $1 AND id = $2{lock}"
    ))
    .bind(connection_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match row {
        Some(Watched { facts, stored }) => (PaymentWatch::of(Some(facts)), Some(stored)),
        None => (PaymentWatch::of(None), None),
    })
}

/// Stores Stripe's PaymentIntent over our row (or creates the row). The figures' changes and
/// the timeline's line wait in `deferred` for the end of the transaction.
pub async fn apply_intent(
    conn: &mut AnyConnection,
    deferred: &mut Deferred,
    tenant_id: &str,
    connection_id: &str,
    pi: &PaymentIntent,
    context: &Context<'_>,
) -> Result<Applied, sqlx::Error> {
    let Fields {
        now,
        status,
        rank: new_rank,
        failure_code,
        failure_message,
        capture,
        as_of,
    } = Fields::of(pi, context);
    let (mut watch, mut existing) = watch_known(conn, deferred, connection_id, &pi.id).await?;
    // The row as our last write left it (its RETURNING); None while we have written nothing,
    // so the figures have nothing to settle.
    let mut written: Option<PaymentFacts> = None;
    let mut applied = Applied::default();
    if existing.is_none() {
        let inserted: Option<PaymentFacts> = sqlx::query_as(&format!(
            "INSERT INTO payments (connection_id, id, tenant_id, reader_id, location_id, amount,
             currency, description, capture_method, status, state_rank, amount_capturable,
             amount_received, failure_code, failure_message, started_by, operation_id,
             stripe_created, stripe_seen, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
             $18, $20, $19, $19)
             ON CONFLICT DO NOTHING RETURNING {FACTS}"
        ))
        .bind(connection_id)
        .bind(&pi.id)
        .bind(tenant_id)
        .bind(context.reader_id)
        .bind(context.location_id)
        .bind(pi.amount)
        .bind(&pi.currency)
        .bind(&pi.description)
        .bind(&capture)
        .bind(&status)
        .bind(new_rank)
        .bind(pi.amount_capturable)
        .bind(pi.amount_received)
        .bind(&failure_code)
        .bind(&failure_message)
        .bind(context.started_by)
        .bind(context.operation_id)
        .bind(pi.created)
        .bind(now)
        .bind(as_of)
        .fetch_optional(&mut *conn)
        .await?;
        match inserted {
            Some(row) => {
                watch = watch.created();
                written = Some(row);
                applied.created = true;
                applied.changed = true;
                applied.moved = true;
            }
            None => {
                // Inserted meanwhile by the other path (webhook or our call), which committed
                // while we waited on its row: apply ours over it like any stored row.
                (watch, existing) = watch_stored(conn, connection_id, &pi.id).await?;
            }
        }
    }
    if let Some(Stored {
        status: old_status,
        state_rank: old_rank,
        amount,
        amount_capturable: capturable,
        amount_received: received,
        failure_code: old_failure,
        stripe_seen: seen,
    }) = existing
    {
        // Stripe's webhook may have created the row before our own call stored who started
        // the payment on which reader: what we know fills what is missing.
        if let Some(row) = fill_context(conn, connection_id, &pi.id, context).await? {
            written = Some(row);
            applied.changed = true;
        }
        // An older state arriving late changes nothing.
        let decision = forward::decide(
            &forward::View {
                status: &old_status,
                rank: old_rank,
                amount,
                amount_capturable: capturable,
                amount_received: received,
                failure_code: old_failure.as_deref(),
                as_of: seen,
            },
            &forward::View {
                status: &status,
                rank: new_rank,
                amount: pi.amount,
                amount_capturable: pi.amount_capturable,
                amount_received: pi.amount_received,
                failure_code: failure_code.as_deref(),
                as_of,
            },
        );
        if let Decision::Write { moved } = decision {
            let row: Option<PaymentFacts> = sqlx::query_as(&format!(
                "UPDATE payments SET status = $3, state_rank = $4, amount = $5,
                 amount_capturable = $6, amount_received = $7, failure_code = $8,
                 failure_message = $9, updated_at = $10,
                 stripe_seen = CASE WHEN $11 > stripe_seen THEN $11 ELSE stripe_seen END
                 WHERE connection_id = $1 AND id = $2 RETURNING {FACTS}"
            ))
            .bind(connection_id)
            .bind(&pi.id)
            .bind(&status)
            .bind(new_rank)
            .bind(pi.amount)
            .bind(pi.amount_capturable)
            .bind(pi.amount_received)
            .bind(&failure_code)
            .bind(&failure_message)
            .bind(now)
            .bind(as_of)
            .fetch_optional(&mut *conn)
            .await?;
            written = row.or(written);
            applied.changed = true;
            applied.moved = moved;
        } else if decision == Decision::NoteSeen {
            // Not a fact the figures count.
            sqlx::query(
                "UPDATE payments SET stripe_seen = $3 WHERE connection_id = $1 AND id = $2",
            )
            .bind(connection_id)
            .bind(&pi.id)
            .bind(as_of)
            .execute(&mut *conn)
            .await?;
        }
    }
    if let Some(row) = written {
        watch.settle_as(Some(row), &mut deferred.figures);
    }
    if applied.moved {
        status_line(
            deferred,
            tenant_id,
            &pi.id,
            &status,
            failure_message.as_deref(),
        );
    }
    Ok(applied)
}

/// What a PaymentIntent writes to its row, beside the fields it carries as they are.
struct Fields {
    now: i64,
    status: String,
    rank: i64,
    failure_code: Option<String>,
    failure_message: Option<String>,
    capture: String,
    /// When Stripe produced this view (seconds).
    as_of: i64,
}

impl Fields {
    fn of(pi: &PaymentIntent, context: &Context<'_>) -> Fields {
        let now = now_ms();
        let status = pi.status.as_str().to_string();
        let error = pi.last_payment_error.as_ref();
        Fields {
            now,
            rank: rank(&status),
            status,
            failure_code: error.and_then(|e| e.decline_code.clone().or_else(|| e.code.clone())),
            failure_message: error.and_then(|e| e.message.clone()),
            capture: pi
                .capture_method
                .as_ref()
                .map(|c| c.as_str().to_string())
                .unwrap_or_else(|| "automatic".into()),
            as_of: context.as_of.unwrap_or(now / 1000),
        }
    }
}

/// The timeline's line for a status a payment moved to.
fn status_line(
    deferred: &mut Deferred,
    tenant_id: &str,
    payment_id: &str,
    status: &str,
    failure_message: Option<&str>,
) {
    let detail = match (status, failure_message) {
        ("requires_payment_method", Some(reason)) => Some(reason),
        _ => None,
    };
    deferred.timeline(
        tenant_id,
        payment_id,
        "stripe",
        format!("Status: {}", status.replace('_', " ")),
        detail,
    );
}

/// A PaymentIntent a webhook batch found no row for.
pub struct NewIntent<'a> {
    pub tenant_id: &'a str,
    pub connection_id: &'a str,
    pub pi: &'a PaymentIntent,
    /// The event's `created` (seconds).
    pub as_of: i64,
}

#[derive(sqlx::FromRow)]
struct InsertedRow {
    connection_id: String,
    #[sqlx(flatten)]
    facts: PaymentFacts,
}

/// Whether the batch read the row of `id` ahead and found none, and nothing took it since.
pub fn read_ahead_absent(deferred: &Deferred, connection_id: &str, id: &str) -> bool {
    matches!(
        deferred
            .read_ahead
            .rows
            .get(&(connection_id.to_string(), id.to_string())),
        Some(None)
    )
}

/// Inserts the rows of `intents`, which the batch found absent, in one statement, as
/// [`apply_intent`] inserts one; answers which were inserted. One inserted meanwhile by another
/// writer is not (it is left for [`apply_intent`], which applies over the stored row).
pub async fn insert_new(
    conn: &mut AnyConnection,
    deferred: &mut Deferred,
    intents: &[NewIntent<'_>],
) -> Result<Vec<bool>, sqlx::Error> {
    let mut inserted = vec![false; intents.len()];
    // 18 values a row: well under either database's limit on bound values.
    for (c, chunk) in intents.chunks(200).enumerate() {
        let offset = c * 200;
        let fields: Vec<Fields> = chunk
            .iter()
            .map(|n| {
                Fields::of(
                    n.pi,
                    &Context {
                        as_of: Some(n.as_of),
                        ..Context::default()
                    },
                )
            })
            .collect();
        let mut binds = Binds::new();
        let rows: Vec<String> = chunk
            .iter()
            .zip(&fields)
            .map(|(n, f)| {
                let values = [
                    binds.add(n.connection_id),
                    binds.add(n.pi.id.as_str()),
                    binds.add(n.tenant_id),
                    binds.add(n.pi.amount),
                    binds.add(n.pi.currency.as_str()),
                    binds.add(n.pi.description.as_deref()),
                    binds.add(f.capture.as_str()),
                    binds.add(f.status.as_str()),
                    binds.add(f.rank),
                    binds.add(n.pi.amount_capturable),
                    binds.add(n.pi.amount_received),
                    binds.add(f.failure_code.as_deref()),
                    binds.add(f.failure_message.as_deref()),
                    binds.add(n.pi.created),
                    binds.add(f.as_of),
                    binds.add(f.now),
                    binds.add(f.now),
                ];
                format!("({})", values.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO payments (connection_id, id, tenant_id, amount, currency, description,
               capture_method, status, state_rank, amount_capturable, amount_received,
               failure_code, failure_message, stripe_created, stripe_seen, created_at,
               updated_at)
             VALUES {}
             ON CONFLICT DO NOTHING RETURNING connection_id, {FACTS}",
            rows.join(", ")
        );
        let rows: Vec<InsertedRow> = binds.query_as(&sql).fetch_all(&mut *conn).await?;
        let index: HashMap<(&str, &str), usize> = chunk
            .iter()
            .enumerate()
            .map(|(i, n)| ((n.connection_id, n.pi.id.as_str()), i))
            .collect();
        for row in rows {
            let Some(&i) = index.get(&(row.connection_id.as_str(), row.facts.id())) else {
                continue;
            };
            let (n, f) = (&chunk[i], &fields[i]);
            inserted[offset + i] = true;
            deferred.read_ahead.take(n.connection_id, &n.pi.id);
            PaymentWatch::of(None)
                .created()
                .settle_as(Some(row.facts), &mut deferred.figures);
            status_line(
                deferred,
                n.tenant_id,
                &n.pi.id,
                &f.status,
                f.failure_message.as_deref(),
            );
        }
    }
    Ok(inserted)
}

/// Fills the reader, location, starter and operation of a row that lacks them; the row as it
/// left it, if it did.
async fn fill_context(
    conn: &mut AnyConnection,
    connection_id: &str,
    id: &str,
    context: &Context<'_>,
) -> Result<Option<PaymentFacts>, sqlx::Error> {
    let knows = context.reader_id.is_some()
        || context.location_id.is_some()
        || context.started_by.is_some()
        || context.operation_id.is_some();
    if !knows {
        return Ok(None);
    }
    sqlx::query_as(&format!(
        "UPDATE payments SET reader_id = COALESCE(reader_id, $3),
         location_id = COALESCE(location_id, $4), started_by = COALESCE(started_by, $5),
         operation_id = COALESCE(operation_id, $6)
         WHERE connection_id = $1 AND id = $2
           AND ((reader_id IS NULL AND $3 IS NOT NULL)
             OR (location_id IS NULL AND $4 IS NOT NULL)
             OR (started_by IS NULL AND $5 IS NOT NULL)
             OR (operation_id IS NULL AND $6 IS NOT NULL))
         RETURNING {FACTS}"
    ))
    .bind(connection_id)
    .bind(id)
    .bind(context.reader_id)
    .bind(context.location_id)
    .bind(context.started_by)
    .bind(context.operation_id)
    .fetch_optional(&mut *conn)
    .await
}

/// Card details and refunds, from a charge of a payment we hold; true when the row changed.
pub async fn apply_charge(
    conn: &mut AnyConnection,
    deferred: &mut Deferred,
    connection_id: &str,
    charge: &Charge,
) -> Result<bool, sqlx::Error> {
    let Some(intent) = charge.payment_intent.as_deref() else {
        return Ok(false);
    };
    let card = charge
        .payment_method_details
        .as_ref()
        .and_then(|d| d.card_present.as_ref());
    let watch = match deferred.read_ahead.take(connection_id, intent) {
        Some(row) => PaymentWatch::of(row.map(|w| w.facts)),
        None => payment_figures::watch_payment(conn, connection_id, intent).await?,
    };
    let done: Option<PaymentFacts> = sqlx::query_as(&format!(
        "UPDATE payments SET
           card_brand = COALESCE($3, card_brand), card_last4 = COALESCE($4, card_last4),
           read_method = COALESCE($5, read_method),
           amount_refunded = CASE WHEN $6 > amount_refunded THEN $6 ELSE amount_refunded END,
           updated_at = $7
         WHERE connection_id = $1 AND id = $2
           AND (card_last4 IS NULL OR amount_refunded < $6
                OR (read_method IS NULL AND $5 IS NOT NULL))
         RETURNING {FACTS}"
    ))
    .bind(connection_id)
    .bind(intent)
    .bind(card.and_then(|c| c.brand.clone()))
    .bind(card.and_then(|c| c.last4.clone()))
    .bind(card.and_then(|c| c.read_method.clone()))
    .bind(charge.amount_refunded)
    .bind(now_ms())
    .fetch_optional(&mut *conn)
    .await?;
    let changed = done.is_some();
    if changed {
        watch.settle_as(done, &mut deferred.figures);
    }
    Ok(changed)
}

//! What payments add up to, kept beside them: the transactions' totals by store, reader, UTC day,
//! currency and status facts (`payment_rollup`), each store's takings per UTC day
//! (`store_takings`) and its newest payment (`store_figures`). Every writer of a payment row
//! watches it before writing ([`watch_payment`], which locks the row on PostgreSQL) and settles
//! after, in the same transaction: the figures move by the difference between the two views.

use crate::fleet::ssr::store_figures::lock_clause;
use sqlx::AnyConnection;

pub const DAY_MS: i64 = 86_400_000;

/// What a payment row adds to the figures.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
struct PaymentFacts {
    id: String,
    tenant_id: String,
    location_id: Option<String>,
    reader_id: Option<String>,
    currency: String,
    status: String,
    amount_received: i64,
    amount_refunded: i64,
    failed: i64,
    gave_up: i64,
    created_at: i64,
}

const FACTS: &str = "id, tenant_id, location_id, reader_id, currency, status, amount_received,
    amount_refunded, CAST(CASE WHEN failure_code IS NULL THEN 0 ELSE 1 END AS BIGINT) AS failed,
    CAST(CASE WHEN gave_up IS NULL THEN 0 ELSE 1 END AS BIGINT) AS gave_up, created_at";

impl PaymentFacts {
    fn day(&self) -> i64 {
        self.created_at - self.created_at.rem_euclid(DAY_MS)
    }

    fn succeeded_at(&self) -> Option<&str> {
        self.location_id
            .as_deref()
            .filter(|_| self.status == "succeeded")
    }
}

async fn payment_facts(
    conn: &mut AnyConnection,
    connection_id: &str,
    id: &str,
) -> Result<Option<PaymentFacts>, sqlx::Error> {
    let lock = lock_clause(conn);
    sqlx::query_as(&format!(
        "SELECT {FACTS} FROM payments WHERE connection_id = $1 AND id = $2{lock}"
    ))
    .bind(connection_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
}

/// A payment as it was before a write, to settle the figures after it.
#[must_use = "settle the watch after writing the payment"]
pub struct PaymentWatch {
    connection_id: String,
    id: String,
    before: Option<PaymentFacts>,
    created: bool,
}

/// Reads (and on PostgreSQL locks) a payment row before it is written.
pub async fn watch_payment(
    conn: &mut AnyConnection,
    connection_id: &str,
    id: &str,
) -> Result<PaymentWatch, sqlx::Error> {
    Ok(PaymentWatch {
        connection_id: connection_id.to_string(),
        id: id.to_string(),
        before: payment_facts(conn, connection_id, id).await?,
        created: false,
    })
}

impl PaymentWatch {
    /// Whether the row existed when watched.
    pub fn saw_row(&self) -> bool {
        self.before.is_some()
    }

    /// This writer inserted the row: settling counts it. A row that appears under any other
    /// writer was inserted (and counted) by the one that created it.
    pub fn created(mut self) -> Self {
        self.created = true;
        self
    }

    /// Moves the figures by what the write changed.
    pub async fn settle(self, conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
        let after = payment_facts(conn, &self.connection_id, &self.id).await?;
        if after == self.before || (self.before.is_none() && !self.created) {
            return Ok(());
        }
        if let Some(old) = &self.before {
            add(conn, old, -1).await?;
        }
        if let Some(new) = &after {
            add(conn, new, 1).await?;
            // A payment's store is only ever filled in, never changed, so it can only become
            // its store's newest, never stop being it.
            if self.before.as_ref().map(|b| &b.location_id) != Some(&new.location_id) {
                newest(conn, new).await?;
            }
        }
        Ok(())
    }
}

/// Adds (`sign` 1) or takes away (-1) one payment's part of the rollup and its store's takings.
async fn add(conn: &mut AnyConnection, p: &PaymentFacts, sign: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO payment_rollup (tenant_id, day, location_id, reader_id, currency, status,
           refunded, failed, gave_up, count, received, refunded_amount)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (tenant_id, day, location_id, reader_id, currency, status, refunded, failed,
           gave_up) DO UPDATE SET count = payment_rollup.count + excluded.count,
           received = payment_rollup.received + excluded.received,
           refunded_amount = payment_rollup.refunded_amount + excluded.refunded_amount",
    )
    .bind(&p.tenant_id)
    .bind(p.day())
    .bind(p.location_id.as_deref().unwrap_or(""))
    .bind(p.reader_id.as_deref().unwrap_or(""))
    .bind(&p.currency)
    .bind(&p.status)
    .bind(i64::from(p.amount_refunded > 0))
    .bind(p.failed)
    .bind(p.gave_up)
    .bind(sign)
    .bind(sign * p.amount_received)
    .bind(sign * p.amount_refunded)
    .execute(&mut *conn)
    .await?;
    if let Some(location) = p.succeeded_at() {
        sqlx::query(
            "INSERT INTO store_takings (tenant_id, day, location_id, currency, count, volume)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (tenant_id, day, location_id, currency) DO UPDATE SET
               count = store_takings.count + excluded.count,
               volume = store_takings.volume + excluded.volume",
        )
        .bind(&p.tenant_id)
        .bind(p.day())
        .bind(location)
        .bind(&p.currency)
        .bind(sign)
        .bind(sign * (p.amount_received - p.amount_refunded))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Makes `p` its store's newest payment if it is newer than the one recorded (the order of the
/// transactions list: creation time, then id).
async fn newest(conn: &mut AnyConnection, p: &PaymentFacts) -> Result<(), sqlx::Error> {
    let Some(location) = p.location_id.as_deref() else {
        return Ok(());
    };
    sqlx::query(
        "INSERT INTO store_figures (tenant_id, location_id, last_payment_id, last_payment_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id, location_id) DO UPDATE SET
           last_payment_id = excluded.last_payment_id,
           last_payment_at = excluded.last_payment_at
         WHERE store_figures.last_payment_at IS NULL
            OR store_figures.last_payment_at < excluded.last_payment_at
            OR (store_figures.last_payment_at = excluded.last_payment_at
                AND store_figures.last_payment_id < excluded.last_payment_id)",
    )
    .bind(&p.tenant_id)
    .bind(location)
    .bind(&p.id)
    .bind(p.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

//! What payments add up to, kept beside them: the transactions' totals by store, reader, UTC day,
//! currency and status facts (`payment_rollup`), each store's takings per UTC day
//! (`store_takings`) and its newest payment (`store_figures`). Every writer of a payment row
//! watches it before writing ([`watch_payment`], which locks the row on PostgreSQL) and settles
//! after with the row its write returned: the figures move by the difference between the two
//! views, gathered in [`FigureDeltas`] and written before the same transaction commits.

use crate::fleet::ssr::store_figures::lock_clause;
use crate::ssr::binds::Binds;
use sqlx::AnyConnection;
use std::collections::BTreeMap;

pub const DAY_MS: i64 = 86_400_000;

/// What a payment row adds to the figures.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PaymentFacts {
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

/// The columns of [`PaymentFacts`], for a `SELECT` or a write's `RETURNING`.
pub const FACTS: &str = "id, tenant_id, location_id, reader_id, currency, status, amount_received,
    amount_refunded, CAST(CASE WHEN failure_code IS NULL THEN 0 ELSE 1 END AS BIGINT) AS failed,
    CAST(CASE WHEN gave_up IS NULL THEN 0 ELSE 1 END AS BIGINT) AS gave_up, created_at";

impl PaymentFacts {
    pub fn id(&self) -> &str {
        &self.id
    }

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
    before: Option<PaymentFacts>,
    created: bool,
}

/// Reads (and on PostgreSQL locks) a payment row before it is written.
pub async fn watch_payment(
    conn: &mut AnyConnection,
    connection_id: &str,
    id: &str,
) -> Result<PaymentWatch, sqlx::Error> {
    let before = payment_facts(conn, connection_id, id).await?;
    Ok(PaymentWatch::of(before))
}

impl PaymentWatch {
    /// A watch of a row its writer read itself (with [`FACTS`] and [`lock_clause`]).
    pub fn of(before: Option<PaymentFacts>) -> PaymentWatch {
        PaymentWatch {
            before,
            created: false,
        }
    }

    /// This writer inserted the row: settling counts it. A row that appears under any other
    /// writer was inserted (and counted) by the one that created it.
    pub fn created(mut self) -> Self {
        self.created = true;
        self
    }

    /// Moves the figures by what the write changed, given the row as the write left it (its
    /// `RETURNING {FACTS}`), which saves reading it again.
    pub fn settle_as(self, after: Option<PaymentFacts>, figures: &mut FigureDeltas) {
        if after == self.before || (self.before.is_none() && !self.created) {
            return;
        }
        if let Some(old) = &self.before {
            figures.add(old, -1);
        }
        if let Some(new) = &after {
            figures.add(new, 1);
            // A payment's store is only ever filled in, never changed, so it can only become
            // its store's newest, never stop being it.
            if self.before.as_ref().map(|b| &b.location_id) != Some(&new.location_id) {
                figures.newest(new);
            }
        }
    }
}

/// `payment_rollup`'s key: tenant, day, store, reader, currency, status, refunded, failed, gave
/// up.
type RollupKey = (String, i64, String, String, String, String, i64, i64, i64);

/// `store_takings`' key: tenant, day, store, currency.
type TakingsKey = (String, i64, String, String);

/// The figures' changes a transaction's payment writes add up to, merged by key and written at
/// its end in one statement per table ([`FigureDeltas::flush`]): a batch of webhook events moves
/// each figure once, however many of its payments touch it. Keys are written in order, so two
/// transactions on PostgreSQL lock the figures' rows in the same order.
#[derive(Debug, Default)]
pub struct FigureDeltas {
    /// count, received, refunded amount.
    rollup: BTreeMap<RollupKey, [i64; 3]>,
    /// count, volume.
    takings: BTreeMap<TakingsKey, [i64; 2]>,
    /// Per tenant and store: the newest payment's time and id.
    newest: BTreeMap<(String, String), (i64, String)>,
}

impl FigureDeltas {
    /// Adds (`sign` 1) or takes away (-1) one payment's part of the rollup and its store's
    /// takings.
    fn add(&mut self, p: &PaymentFacts, sign: i64) {
        let key = (
            p.tenant_id.clone(),
            p.day(),
            p.location_id.clone().unwrap_or_default(),
            p.reader_id.clone().unwrap_or_default(),
            p.currency.clone(),
            p.status.clone(),
            i64::from(p.amount_refunded > 0),
            p.failed,
            p.gave_up,
        );
        let sums = self.rollup.entry(key).or_default();
        sums[0] += sign;
        sums[1] += sign * p.amount_received;
        sums[2] += sign * p.amount_refunded;
        if let Some(location) = p.succeeded_at() {
            let key = (
                p.tenant_id.clone(),
                p.day(),
                location.to_string(),
                p.currency.clone(),
            );
            let sums = self.takings.entry(key).or_default();
            sums[0] += sign;
            sums[1] += sign * (p.amount_received - p.amount_refunded);
        }
    }

    /// Makes `p` its store's newest payment if it is newer than the one recorded (the order of
    /// the transactions list: creation time, then id).
    fn newest(&mut self, p: &PaymentFacts) {
        let Some(location) = p.location_id.as_deref() else {
            return;
        };
        let candidate = (p.created_at, p.id.clone());
        self.newest
            .entry((p.tenant_id.clone(), location.to_string()))
            .and_modify(|kept| {
                if candidate > *kept {
                    *kept = candidate.clone();
                }
            })
            .or_insert(candidate);
    }

    pub fn is_empty(&self) -> bool {
        self.rollup.is_empty() && self.takings.is_empty() && self.newest.is_empty()
    }

    /// Writes the changes, on the transaction that made them.
    pub async fn flush(self, conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
        let rollup: Vec<_> = self
            .rollup
            .iter()
            .filter(|(_, sums)| **sums != [0; 3])
            .collect();
        for chunk in rollup.chunks(ROWS_PER_STATEMENT) {
            let mut binds = Binds::new();
            let rows: Vec<String> = chunk
                .iter()
                .map(
                    |(
                        (
                            tenant,
                            day,
                            location,
                            reader,
                            currency,
                            status,
                            refunded,
                            failed,
                            gave_up,
                        ),
                        sums,
                    )| {
                        let values = [
                            binds.add(tenant.as_str()),
                            binds.add(*day),
                            binds.add(location.as_str()),
                            binds.add(reader.as_str()),
                            binds.add(currency.as_str()),
                            binds.add(status.as_str()),
                            binds.add(*refunded),
                            binds.add(*failed),
                            binds.add(*gave_up),
                            binds.add(sums[0]),
                            binds.add(sums[1]),
                            binds.add(sums[2]),
                        ];
                        format!("({})", values.join(", "))
                    },
                )
                .collect();
            let sql = format!(
                "INSERT INTO payment_rollup (tenant_id, day, location_id, reader_id, currency,
                   status, refunded, failed, gave_up, count, received, refunded_amount)
                 VALUES {}
                 ON CONFLICT (tenant_id, day, location_id, reader_id, currency, status, refunded,
                   failed, gave_up) DO UPDATE SET count = payment_rollup.count + excluded.count,
                   received = payment_rollup.received + excluded.received,
                   refunded_amount = payment_rollup.refunded_amount + excluded.refunded_amount",
                rows.join(", ")
            );
            binds.query(&sql).execute(&mut *conn).await?;
        }
        let takings: Vec<_> = self
            .takings
            .iter()
            .filter(|(_, sums)| **sums != [0; 2])
            .collect();
        for chunk in takings.chunks(ROWS_PER_STATEMENT) {
            let mut binds = Binds::new();
            let rows: Vec<String> = chunk
                .iter()
                .map(|((tenant, day, location, currency), sums)| {
                    let values = [
                        binds.add(tenant.as_str()),
                        binds.add(*day),
                        binds.add(location.as_str()),
                        binds.add(currency.as_str()),
                        binds.add(sums[0]),
                        binds.add(sums[1]),
                    ];
                    format!("({})", values.join(", "))
                })
                .collect();
            let sql = format!(
                "INSERT INTO store_takings (tenant_id, day, location_id, currency, count, volume)
                 VALUES {}
                 ON CONFLICT (tenant_id, day, location_id, currency) DO UPDATE SET
                   count = store_takings.count + excluded.count,
                   volume = store_takings.volume + excluded.volume",
                rows.join(", ")
            );
            binds.query(&sql).execute(&mut *conn).await?;
        }
        let newest: Vec<_> = self.newest.iter().collect();
        for chunk in newest.chunks(ROWS_PER_STATEMENT) {
            let mut binds = Binds::new();
            let rows: Vec<String> = chunk
                .iter()
                .map(|((tenant, location), (at, id))| {
                    let values = [
                        binds.add(tenant.as_str()),
                        binds.add(location.as_str()),
                        binds.add(id.as_str()),
                        binds.add(*at),
                    ];
                    format!("({})", values.join(", "))
                })
                .collect();
            let sql = format!(
                "INSERT INTO store_figures (tenant_id, location_id, last_payment_id, last_payment_at)
                 VALUES {}
                 ON CONFLICT (tenant_id, location_id) DO UPDATE SET
                   last_payment_id = excluded.last_payment_id,
                   last_payment_at = excluded.last_payment_at
                 WHERE store_figures.last_payment_at IS NULL
                    OR store_figures.last_payment_at < excluded.last_payment_at
                    OR (store_figures.last_payment_at = excluded.last_payment_at
                        AND store_figures.last_payment_id < excluded.last_payment_id)",
                rows.join(", ")
            );
            binds.query(&sql).execute(&mut *conn).await?;
        }
        Ok(())
    }
}

/// Rows one multi-row statement writes at most: well under either database's limit on bound
/// values (12 a row).
const ROWS_PER_STATEMENT: usize = 500;

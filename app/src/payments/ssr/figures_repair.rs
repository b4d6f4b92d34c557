//! The repair pass of the figures kept beside payments and readers (`payment_rollup`,
//! `store_takings`, `store_figures`): recomputes them from the rows and, only when something
//! differs, writes them afresh in one transaction. The kept figures are changed with every
//! write, so a difference means a write that went around them (a hand-made fix in the database,
//! a bug); the housekeeping task runs this every hour and `terminal-fleet repair-figures` on
//! demand.

use crate::ssr::Db;
use sqlx::AnyConnection;
use std::collections::{BTreeMap, BTreeSet};

/// The rollup as the payment rows make it: one row per tenant, UTC day, store, reader,
/// currency, status and status facts, in `payment_rollup`'s column order.
const ROLLUP_FROM_ROWS: &str = "SELECT tenant_id, created_at - (created_at % 86400000) AS day,
      COALESCE(location_id, '') AS location_id, COALESCE(reader_id, '') AS reader_id, currency,
      status, CAST(CASE WHEN amount_refunded > 0 THEN 1 ELSE 0 END AS BIGINT) AS refunded,
      CAST(CASE WHEN failure_code IS NULL THEN 0 ELSE 1 END AS BIGINT) AS failed,
      CAST(CASE WHEN gave_up IS NULL THEN 0 ELSE 1 END AS BIGINT) AS gave_up,
      CAST(COUNT(*) AS BIGINT) AS count, CAST(SUM(amount_received) AS BIGINT) AS received,
      CAST(SUM(amount_refunded) AS BIGINT) AS refunded_amount
    FROM payments WHERE tenant_id = $1
    GROUP BY tenant_id, created_at - (created_at % 86400000), COALESCE(location_id, ''),
      COALESCE(reader_id, ''), currency, status,
      CASE WHEN amount_refunded > 0 THEN 1 ELSE 0 END,
      CASE WHEN failure_code IS NULL THEN 0 ELSE 1 END, CASE WHEN gave_up IS NULL THEN 0 ELSE 1 END";

const ROLLUP_KEPT: &str = "SELECT tenant_id, day, location_id, reader_id, currency, status,
      refunded, failed, gave_up, count, received, refunded_amount
    FROM payment_rollup
    WHERE tenant_id = $1 AND (count <> 0 OR received <> 0 OR refunded_amount <> 0)";

const TAKINGS_FROM_ROWS: &str = "SELECT tenant_id, created_at - (created_at % 86400000) AS day,
      location_id, currency, CAST(COUNT(*) AS BIGINT) AS count,
      CAST(SUM(amount_received - amount_refunded) AS BIGINT) AS volume
    FROM payments WHERE tenant_id = $1 AND status = 'succeeded' AND location_id IS NOT NULL
    GROUP BY tenant_id, created_at - (created_at % 86400000), location_id, currency";

const TAKINGS_KEPT: &str = "SELECT tenant_id, day, location_id, currency, count, volume
    FROM store_takings WHERE tenant_id = $1 AND (count <> 0 OR volume <> 0)";

const READERS_FROM_ROWS: &str = "SELECT tenant_id, location_id,
      CAST(SUM(CASE WHEN status = 'online' THEN 1 ELSE 0 END) AS BIGINT) AS online,
      CAST(SUM(CASE WHEN status = 'offline' THEN 1 ELSE 0 END) AS BIGINT) AS offline,
      CAST(SUM(CASE WHEN action_status = 'in_progress' THEN 1 ELSE 0 END) AS BIGINT) AS busy,
      CAST(SUM(CASE WHEN alert_since IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS alerts,
      CAST(SUM(CASE WHEN stuck_since IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS stuck
    FROM readers WHERE tenant_id = $1 AND location_id IS NOT NULL
    GROUP BY tenant_id, location_id";

/// Each store's newest payment, one index probe per store that has payments.
const NEWEST_FROM_ROWS: &str = "SELECT k.tenant_id, k.location_id,
      (SELECT p.id FROM payments p WHERE p.tenant_id = k.tenant_id
         AND p.location_id = k.location_id ORDER BY p.created_at DESC, p.id DESC LIMIT 1)
        AS last_payment_id,
      (SELECT MAX(p.created_at) FROM payments p WHERE p.tenant_id = k.tenant_id
         AND p.location_id = k.location_id) AS last_payment_at
    FROM (SELECT DISTINCT tenant_id, location_id FROM payments
          WHERE tenant_id = $1 AND location_id IS NOT NULL) k";

const FIGURES_KEPT: &str =
    "SELECT location_id, online, offline, busy, alerts, stuck, last_payment_id,
      last_payment_at FROM store_figures WHERE tenant_id = $1";

type RollupRow = (
    String,
    i64,
    String,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
);
type TakingsRow = (String, i64, String, String, i64, i64);
/// Online, offline, busy, alerts, stuck, newest payment and its time.
type StoreLine = (i64, i64, i64, i64, i64, Option<String>, Option<i64>);
/// A store's kept line, with its location first.
type KeptLine = (String, i64, i64, i64, i64, i64, Option<String>, Option<i64>);

async fn set<T>(db: &Db, sql: &str, tenant_id: &str) -> Result<BTreeSet<T>, sqlx::Error>
where
    T: Ord + Send + Unpin + for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
{
    Ok(sqlx::query_as::<_, T>(sql)
        .bind(tenant_id)
        .fetch_all(&db.pool)
        .await?
        .into_iter()
        .collect())
}

/// The store figures the rows make, by store; stores with nothing to count are left out.
async fn figures_from_rows(
    db: &Db,
    tenant_id: &str,
) -> Result<BTreeMap<String, StoreLine>, sqlx::Error> {
    let mut lines: BTreeMap<String, StoreLine> = BTreeMap::new();
    let readers: Vec<(String, String, i64, i64, i64, i64, i64)> = sqlx::query_as(READERS_FROM_ROWS)
        .bind(tenant_id)
        .fetch_all(&db.pool)
        .await?;
    for (_, location, online, offline, busy, alerts, stuck) in readers {
        lines.insert(location, (online, offline, busy, alerts, stuck, None, None));
    }
    let newest: Vec<(String, String, Option<String>, Option<i64>)> =
        sqlx::query_as(NEWEST_FROM_ROWS)
            .bind(tenant_id)
            .fetch_all(&db.pool)
            .await?;
    for (_, location, id, at) in newest {
        let line = lines.entry(location).or_insert((0, 0, 0, 0, 0, None, None));
        line.5 = id;
        line.6 = at;
    }
    Ok(lines)
}

async fn figures_kept(
    db: &Db,
    tenant_id: &str,
) -> Result<BTreeMap<String, StoreLine>, sqlx::Error> {
    let rows: Vec<KeptLine> = sqlx::query_as(FIGURES_KEPT)
        .bind(tenant_id)
        .fetch_all(&db.pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(location, a, b, c, d, e, id, at)| (location, (a, b, c, d, e, id, at)))
        .filter(|(_, line)| *line != (0, 0, 0, 0, 0, None, None))
        .collect())
}

/// What differs between the kept figures of `tenant_id` and what its rows make: the first
/// table that does, with what the rows make and what is kept there. `None` when in step.
pub async fn out_of_step(db: &Db, tenant_id: &str) -> Result<Option<String>, sqlx::Error> {
    fn differ<T: PartialEq + std::fmt::Debug>(table: &str, rows: T, kept: T) -> Option<String> {
        (rows != kept).then(|| format!("{table}: the rows make {rows:?}, kept {kept:?}"))
    }
    let rollup = differ(
        "payment_rollup",
        set::<RollupRow>(db, ROLLUP_FROM_ROWS, tenant_id).await?,
        set::<RollupRow>(db, ROLLUP_KEPT, tenant_id).await?,
    );
    if rollup.is_some() {
        return Ok(rollup);
    }
    let takings = differ(
        "store_takings",
        set::<TakingsRow>(db, TAKINGS_FROM_ROWS, tenant_id).await?,
        set::<TakingsRow>(db, TAKINGS_KEPT, tenant_id).await?,
    );
    if takings.is_some() {
        return Ok(takings);
    }
    Ok(differ(
        "store_figures",
        figures_from_rows(db, tenant_id).await?,
        figures_kept(db, tenant_id).await?,
    ))
}

/// Whether the kept figures of `tenant_id` are what its rows make.
pub async fn in_step(db: &Db, tenant_id: &str) -> Result<bool, sqlx::Error> {
    Ok(out_of_step(db, tenant_id).await?.is_none())
}

/// Writes the figures of `tenant_id` afresh from its rows, in one transaction.
pub async fn rebuild(db: &Db, tenant_id: &str) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    rebuild_in(&mut tx, tenant_id).await?;
    tx.commit().await
}

/// [`rebuild`] inside the caller's transaction, for a change that moves many rows at once (a
/// connection removed with its readers and payments). Tables in the order payment writers
/// change them, so a writer this waits for never waits for this.
pub async fn rebuild_in(conn: &mut AnyConnection, tenant_id: &str) -> Result<(), sqlx::Error> {
    // Writers of PostgreSQL wait until this commits (and this for those already writing), so
    // no figure a writer adds meanwhile is overwritten with a count made before it committed.
    // SQLite's write transaction is already the only one.
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query(
            "LOCK TABLE payment_rollup, store_takings, store_figures IN SHARE ROW EXCLUSIVE MODE",
        )
        .execute(&mut *conn)
        .await?;
    }
    for table in ["payment_rollup", "store_takings", "store_figures"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE tenant_id = $1"))
            .bind(tenant_id)
            .execute(&mut *conn)
            .await?;
    }
    let statements = [
        format!(
            "INSERT INTO payment_rollup (tenant_id, day, location_id, reader_id, currency, status,
               refunded, failed, gave_up, count, received, refunded_amount)
             {ROLLUP_FROM_ROWS}
             ON CONFLICT (tenant_id, day, location_id, reader_id, currency, status, refunded,
               failed, gave_up) DO UPDATE SET count = excluded.count,
               received = excluded.received, refunded_amount = excluded.refunded_amount"
        ),
        format!(
            "INSERT INTO store_takings (tenant_id, day, location_id, currency, count, volume)
             {TAKINGS_FROM_ROWS}
             ON CONFLICT (tenant_id, day, location_id, currency) DO UPDATE SET
               count = excluded.count, volume = excluded.volume"
        ),
        format!(
            "INSERT INTO store_figures (tenant_id, location_id, online, offline, busy, alerts,
               stuck)
             {READERS_FROM_ROWS}
             ON CONFLICT (tenant_id, location_id) DO UPDATE SET online = excluded.online,
               offline = excluded.offline, busy = excluded.busy, alerts = excluded.alerts,
               stuck = excluded.stuck"
        ),
        // `WHERE true`: SQLite would otherwise read the ON of the upsert as a join's.
        format!(
            "INSERT INTO store_figures (tenant_id, location_id, last_payment_id, last_payment_at)
             SELECT * FROM ({NEWEST_FROM_ROWS}) n WHERE true
             ON CONFLICT (tenant_id, location_id) DO UPDATE SET
               last_payment_id = excluded.last_payment_id,
               last_payment_at = excluded.last_payment_at"
        ),
    ];
    for sql in &statements {
        sqlx::query(sql).bind(tenant_id).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Checks the figures of `tenant_id` and writes them afresh when they are out of step; true
/// when it did.
pub async fn repair_tenant(db: &Db, tenant_id: &str) -> Result<bool, sqlx::Error> {
    let Some(difference) = out_of_step(db, tenant_id).await? else {
        return Ok(false);
    };
    tracing::warn!(tenant = tenant_id, %difference, "kept figures out of step with their rows");
    rebuild(db, tenant_id).await?;
    Ok(true)
}

/// [`repair_tenant`] for every organisation; the ones it repaired.
pub async fn repair_all(db: &Db) -> Result<Vec<String>, sqlx::Error> {
    let tenants: Vec<String> = sqlx::query_scalar("SELECT id FROM tenants ORDER BY id")
        .fetch_all(&db.pool)
        .await?;
    let mut repaired = Vec::new();
    for tenant in tenants {
        if repair_tenant(db, &tenant).await? {
            repaired.push(tenant);
        }
    }
    Ok(repaired)
}

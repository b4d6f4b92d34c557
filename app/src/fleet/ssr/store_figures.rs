//! A store's reader figures (online, offline, busy, offline alerts, stuck actions), kept in `store_figures` by every
//! writer of a reader row in its own transaction, so All stores reads one row per store instead
//! of grouping every reader. A writer watches the reader before it writes ([`watch_reader`],
//! which locks the row on PostgreSQL) and settles after: the figures move by the difference.

use sqlx::AnyConnection;

/// What a reader row adds to its store's figures.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
struct ReaderFacts {
    tenant_id: String,
    location_id: Option<String>,
    status: String,
    action_status: Option<String>,
    alert_since: Option<i64>,
    stuck_since: Option<i64>,
}

impl ReaderFacts {
    /// Online, offline, busy, alerts, stuck: what this reader counts for in its store.
    fn counts(&self) -> [i64; 5] {
        [
            i64::from(self.status == "online"),
            i64::from(self.status == "offline"),
            i64::from(self.action_status.as_deref() == Some("in_progress")),
            i64::from(self.alert_since.is_some()),
            i64::from(self.stuck_since.is_some()),
        ]
    }
}

/// `FOR UPDATE` where the database has it: the row a writer is about to change stays as read
/// until it commits, so two writers of one reader (the sync and a webhook) never both subtract
/// the same old figures. SQLite has one writer at a time and no such clause.
pub fn lock_clause(conn: &AnyConnection) -> &'static str {
    if conn.backend_name() == "PostgreSQL" {
        " FOR UPDATE"
    } else {
        ""
    }
}

async fn reader_facts(
    conn: &mut AnyConnection,
    connection_id: &str,
    id: &str,
) -> Result<Option<ReaderFacts>, sqlx::Error> {
    let lock = lock_clause(conn);
    sqlx::query_as(&format!(
        "SELECT tenant_id, location_id, status, action_status, alert_since, stuck_since FROM readers
         WHERE connection_id = $1 AND id = $2{lock}"
    ))
    .bind(connection_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
}

/// A reader as it was before a write, to settle its store's figures after it.
#[must_use = "settle the watch after writing the reader"]
pub struct ReaderWatch {
    connection_id: String,
    id: String,
    before: Option<ReaderFacts>,
}

/// Reads (and on PostgreSQL locks) a reader row before it is written.
pub async fn watch_reader(
    conn: &mut AnyConnection,
    connection_id: &str,
    id: &str,
) -> Result<ReaderWatch, sqlx::Error> {
    Ok(ReaderWatch {
        connection_id: connection_id.to_string(),
        id: id.to_string(),
        before: reader_facts(conn, connection_id, id).await?,
    })
}

impl ReaderWatch {
    /// Moves the store figures by what the write changed (nothing when it changed nothing they
    /// count).
    pub async fn settle(self, conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
        let after = reader_facts(conn, &self.connection_id, &self.id).await?;
        if after == self.before {
            return Ok(());
        }
        let placed = |f: &Option<ReaderFacts>| {
            f.as_ref().and_then(|f| {
                f.location_id
                    .clone()
                    .map(|l| (f.tenant_id.clone(), l, f.counts()))
            })
        };
        match (placed(&self.before), placed(&after)) {
            (Some((tenant, old_location, old)), Some((_, new_location, new)))
                if old_location == new_location =>
            {
                let delta = std::array::from_fn(|i| new[i] - old[i]);
                bump(conn, &tenant, &old_location, delta).await
            }
            (old, new) => {
                if let Some((tenant, location, counts)) = old {
                    bump(conn, &tenant, &location, counts.map(|c| -c)).await?;
                }
                if let Some((tenant, location, counts)) = new {
                    bump(conn, &tenant, &location, counts).await?;
                }
                Ok(())
            }
        }
    }
}

/// Adds `delta` (online, offline, busy, alerts, stuck) to a store's figures.
async fn bump(
    conn: &mut AnyConnection,
    tenant_id: &str,
    location_id: &str,
    delta: [i64; 5],
) -> Result<(), sqlx::Error> {
    if delta == [0; 5] {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO store_figures (tenant_id, location_id, online, offline, busy, alerts, stuck)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (tenant_id, location_id) DO UPDATE SET
           online = store_figures.online + excluded.online,
           offline = store_figures.offline + excluded.offline,
           busy = store_figures.busy + excluded.busy,
           alerts = store_figures.alerts + excluded.alerts,
           stuck = store_figures.stuck + excluded.stuck",
    )
    .bind(tenant_id)
    .bind(location_id)
    .bind(delta[0])
    .bind(delta[1])
    .bind(delta[2])
    .bind(delta[3])
    .bind(delta[4])
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Counts a store's readers afresh from their rows, after a write that moved many at once (the
/// store was deleted and its readers with it, or they lost their location).
pub async fn recount_readers(
    conn: &mut AnyConnection,
    tenant_id: &str,
    location_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE store_figures SET
           online = (SELECT COUNT(*) FROM readers r WHERE r.tenant_id = $1 AND r.location_id = $2
                     AND r.status = 'online'),
           offline = (SELECT COUNT(*) FROM readers r WHERE r.tenant_id = $1 AND r.location_id = $2
                      AND r.status = 'offline'),
           busy = (SELECT COUNT(*) FROM readers r WHERE r.tenant_id = $1 AND r.location_id = $2
                   AND r.action_status = 'in_progress'),
           alerts = (SELECT COUNT(*) FROM readers r WHERE r.tenant_id = $1 AND r.location_id = $2
                     AND r.alert_since IS NOT NULL),
           stuck = (SELECT COUNT(*) FROM readers r WHERE r.tenant_id = $1 AND r.location_id = $2
                    AND r.stuck_since IS NOT NULL)
         WHERE tenant_id = $1 AND location_id = $2",
    )
    .bind(tenant_id)
    .bind(location_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

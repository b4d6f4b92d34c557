//! Bringing one connection's locations and readers in step with Stripe. Stripe sends no event
//! when a reader goes offline, so the sync task (server/src/tasks/reader_sync.rs) calls
//! [`sync_connection`] on a schedule; connecting an account calls [`import`] once.
//! A lease row makes sure one instance syncs a given connection at a time.

use super::reader_alerts;
use super::reader_rows::{self, Mirror, MIRROR_COLUMNS};
use super::store_figures;
use crate::error::AppError;
use crate::ssr::ids::now_ms;
use crate::ssr::state::AppState;
use crate::ssr::stripe_access::{self, Access};
use crate::topic::Topic;
use fleet_stripe::params::{ListParams, ListReaders};
use fleet_stripe::{Location, StripeClient, StripeError};
use futures::TryStreamExt;
use std::collections::HashMap;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("Stripe: {0}")]
    Stripe(#[from] StripeError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    App(#[from] AppError),
}

impl SyncError {
    pub fn is_rate_limited(&self) -> bool {
        matches!(self, SyncError::Stripe(e) if e.is_rate_limited())
    }

    /// What the settings page shows about a failed sync.
    pub fn user_message(&self) -> String {
        match self {
            SyncError::Stripe(e) => e.user_message(),
            SyncError::Db(_) => "Could not save what Stripe reported; will retry.".into(),
            SyncError::App(e) => e.to_string(),
        }
    }
}

/// What one sync of a connection did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Stripe API calls made.
    pub calls: u32,
    pub readers: usize,
    pub created: usize,
    pub updated: usize,
    pub deleted: usize,
    pub transitions: usize,
    pub alerts_raised: usize,
    pub stuck_raised: usize,
    /// Whether the connection's `synced_at` was written. A pass that found nothing to change
    /// writes nothing, so the caller records the time (the sync task for many connections in
    /// one transaction, instead of a commit per pass).
    pub marked: bool,
}

/// Items asked for per page of a Stripe list.
pub const PAGE: u8 = 100;

/// What a sync does for the payments taken on the connection's readers. The fleet knows nothing
/// of payments (payments depend on the fleet, not the other way), so whoever starts a sync passes
/// the payments feature's (`payments::ssr::reconcile::ReconcilePayments`), and the sync calls it
/// where the steps belong: recent payments after the locations, doubts after the readers.
#[async_trait::async_trait]
pub trait PaymentsSync: Sync {
    /// Repairs what missed webhooks left behind; returns the Stripe calls made.
    async fn reconcile(
        &self,
        state: &AppState,
        access: &Access,
        client: &StripeClient,
    ) -> Result<u32, SyncError>;

    /// Settles doubts about payments' outcomes, once the readers are mirrored; returns the
    /// Stripe calls made.
    async fn settle_doubts(&self, state: &AppState, access: &Access) -> Result<u32, SyncError>;
}

/// What a sync waits for between two pages of readers. A fleet of many pages is listed at the
/// account's read budget rather than in one burst past Stripe's rate limit; the sync task also
/// gives its concurrency slot back while it waits, so a long listing holds up no other account.
#[async_trait::async_trait]
pub trait PagePace: Sync {
    async fn between_pages(&self);
}

/// No wait between pages: a one-off listing (connecting an account), whose client retries 429s.
pub struct Unpaced;

#[async_trait::async_trait]
impl PagePace for Unpaced {
    async fn between_pages(&self) {}
}

/// Lists the connection's readers (and locations when `with_locations`) with `client` and stores
/// what changed. `client` is the caller's: the sync task uses one that does not retry, so a 429
/// reaches its scheduler, which backs off.
pub async fn sync_connection(
    state: &AppState,
    access: &Access,
    client: &StripeClient,
    with_locations: bool,
    payments: &dyn PaymentsSync,
    pace: &dyn PagePace,
) -> Result<SyncReport, SyncError> {
    let mut report = SyncReport::default();
    if with_locations {
        report.calls += sync_locations(state, access, client).await?;
        report.calls += payments.reconcile(state, access, client).await?;
    }
    let params = ListReaders {
        page: ListParams {
            limit: Some(PAGE),
            ..ListParams::default()
        },
        ..ListReaders::default()
    };
    // The list can only show what Stripe held after this moment.
    let observed_at = now_ms();
    let mut listed = std::pin::pin!(client.all_readers(&access.creds, params));
    let mut readers: Vec<fleet_stripe::Reader> = Vec::new();
    while let Some(reader) = listed.try_next().await? {
        readers.push(reader);
        // The next item polled may be the next page's request.
        if readers.len().is_multiple_of(usize::from(PAGE)) {
            pace.between_pages().await;
        }
    }
    report.calls += pages(readers.len());
    report.readers = readers.len();

    let mut conn = state.db.pool.acquire().await?;
    let existing: Vec<Mirror> = sqlx::query_as(&format!(
        "SELECT {MIRROR_COLUMNS} FROM readers WHERE connection_id = $1"
    ))
    .bind(&access.connection_id)
    .fetch_all(&mut *conn)
    .await?;
    drop(conn);
    let existing: HashMap<String, Mirror> =
        existing.into_iter().map(|m| (m.id.clone(), m)).collect();

    // Most passes find every reader as it was: they take no write lock and commit nothing.
    let at_rest = readers.len() == existing.len()
        && readers.iter().all(|reader| {
            existing
                .get(&reader.id)
                .is_some_and(|old| reader_rows::at_rest(old, &Mirror::from_stripe(reader)))
        });
    if !at_rest {
        report.marked = true;
        store_readers(state, access, &readers, existing, observed_at, &mut report).await?;
    }
    let raised = reader_alerts::raise(state, access).await?;
    report.alerts_raised = raised.offline;
    report.stuck_raised = raised.stuck;

    if report.created + report.updated + report.deleted + raised.offline + raised.stuck > 0 {
        state
            .bus
            .publish(&access.tenant_id, Topic::Readers, None)
            .await;
    }
    // Doubts the point-of-sale API did not settle on its own (nobody asked) are settled here,
    // so pages move from "waiting" to what Stripe confirms.
    report.calls += payments.settle_doubts(state, access).await?;
    Ok(report)
}

/// Writes what Stripe listed over our rows of the connection's readers, removes those it no
/// longer lists, and records the time.
async fn store_readers(
    state: &AppState,
    access: &Access,
    readers: &[fleet_stripe::Reader],
    mut existing: HashMap<String, Mirror>,
    observed_at: i64,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let mut tx = state.db.begin_write().await?;
    for reader in readers {
        let fresh = Mirror::from_stripe(reader);
        let old = existing.remove(&fresh.id);
        let applied = reader_rows::apply(
            &mut tx,
            &access.tenant_id,
            &access.connection_id,
            old.as_ref(),
            &fresh,
            observed_at,
        )
        .await?;
        if applied.created {
            report.created += 1;
        } else if applied.changed {
            report.updated += 1;
        }
        if applied.transition {
            report.transitions += 1;
        }
    }
    for gone in existing.keys() {
        // A reader registered while the list was being read is not in it, yet not gone.
        if reader_rows::remove_if_stored_before(&mut tx, &access.connection_id, gone, observed_at)
            .await?
        {
            report.deleted += 1;
        }
    }
    mark_synced(&mut tx, &access.connection_id, now_ms()).await?;
    tx.commit().await?;
    Ok(())
}

/// Records that the connection was in step with Stripe at `at` (ms), clearing its last failure.
pub async fn mark_synced(
    conn: &mut sqlx::AnyConnection,
    connection_id: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE stripe_connections SET synced_at = $1, sync_error = NULL WHERE id = $2")
        .bind(at)
        .bind(connection_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The Stripe calls a list of `items` took, one per page.
pub fn pages(items: usize) -> u32 {
    u32::try_from(items / usize::from(PAGE) + 1).unwrap_or(u32::MAX)
}

/// Mirrors the connection's locations: Stripe's list is the truth, ours follows.
async fn sync_locations(
    state: &AppState,
    access: &Access,
    client: &StripeClient,
) -> Result<u32, SyncError> {
    let mut calls = 0;
    let mut all: Vec<Location> = Vec::new();
    let mut after: Option<String> = None;
    // A location stored after this moment (made in the dashboard while the list was being
    // read) may be missing from the list without being gone from Stripe.
    let listed_at = now_ms();
    loop {
        let page = client
            .list_locations(
                &access.creds,
                &ListParams {
                    limit: Some(PAGE),
                    starting_after: after.clone(),
                    ending_before: None,
                },
            )
            .await?;
        calls += 1;
        let more = page.has_more;
        after = page.data.last().map(|l| l.id.clone());
        all.extend(page.data);
        if !more || after.is_none() {
            break;
        }
    }
    let now = now_ms();
    let mut tx = state.db.begin_write().await?;
    let known: Vec<String> =
        sqlx::query_scalar("SELECT id FROM locations WHERE connection_id = $1 AND synced_at < $2")
            .bind(&access.connection_id)
            .bind(listed_at)
            .fetch_all(&mut *tx)
            .await?;
    let mut changed = false;
    for location in &all {
        changed |= upsert_location(&mut tx, access, location, now).await?;
    }
    for id in known {
        if !all.iter().any(|l| l.id == id) {
            delete_location_row(&mut tx, &access.tenant_id, &access.connection_id, &id).await?;
            changed = true;
        }
    }
    tx.commit().await?;
    if changed {
        state
            .bus
            .publish(&access.tenant_id, Topic::Locations, None)
            .await;
    }
    Ok(calls)
}

/// Stores Stripe's location; true when our row changed.
pub async fn upsert_location(
    conn: &mut sqlx::AnyConnection,
    access: &Access,
    location: &Location,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let a = &location.address;
    let fields = (
        location.display_name.clone(),
        a.line1.clone().unwrap_or_default(),
        a.line2.clone().filter(|s| !s.is_empty()),
        a.city.clone().filter(|s| !s.is_empty()),
        a.state.clone().filter(|s| !s.is_empty()),
        a.postal_code.clone().filter(|s| !s.is_empty()),
        a.country.clone().unwrap_or_default(),
        location
            .configuration_overrides
            .clone()
            .filter(|s| !s.is_empty()),
    );
    type Fields = (
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
        Option<String>,
    );
    let old: Option<Fields> = sqlx::query_as(
        "SELECT display_name, line1, line2, city, state, postal_code, country,
         configuration_override FROM locations WHERE connection_id = $1 AND id = $2",
    )
    .bind(&access.connection_id)
    .bind(&location.id)
    .fetch_optional(&mut *conn)
    .await?;
    if old.as_ref() == Some(&fields) {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO locations (connection_id, id, tenant_id, display_name, line1, line2, city,
         state, postal_code, country, configuration_override, synced_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (connection_id, id) DO UPDATE SET display_name = excluded.display_name,
         line1 = excluded.line1, line2 = excluded.line2, city = excluded.city,
         state = excluded.state, postal_code = excluded.postal_code, country = excluded.country,
         configuration_override = excluded.configuration_override,
         synced_at = excluded.synced_at",
    )
    .bind(&access.connection_id)
    .bind(&location.id)
    .bind(&access.tenant_id)
    .bind(fields.0)
    .bind(fields.1)
    .bind(fields.2)
    .bind(fields.3)
    .bind(fields.4)
    .bind(fields.5)
    .bind(fields.6)
    .bind(fields.7)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// Forgets a location Stripe no longer has, with its grants; its readers lose their location
/// (Stripe deletes them with it, and the next reader sync removes them).
pub async fn delete_location_row(
    conn: &mut sqlx::AnyConnection,
    tenant_id: &str,
    connection_id: &str,
    id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM locations WHERE connection_id = $1 AND id = $2")
        .bind(connection_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for table in ["location_grants", "store_group_locations"] {
        sqlx::query(&format!(
            "DELETE FROM {table} WHERE tenant_id = $1 AND location_id = $2"
        ))
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query(
        "UPDATE readers SET location_id = NULL WHERE connection_id = $1 AND location_id = $2",
    )
    .bind(connection_id)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    store_figures::recount_readers(conn, tenant_id, id).await
}

/// The first sync of a new connection: its existing locations and readers.
pub async fn import(
    state: &AppState,
    tenant_id: &str,
    connection_id: &str,
    payments: &dyn PaymentsSync,
) -> Result<SyncReport, SyncError> {
    let access = stripe_access::load(state, tenant_id, connection_id).await?;
    let client = access.client.clone();
    let report = sync_connection(state, &access, &client, true, payments, &Unpaced).await?;
    if !report.marked {
        let mut conn = state.db.pool.acquire().await?;
        mark_synced(&mut conn, connection_id, now_ms()).await?;
    }
    Ok(report)
}

/// Records a failed sync on the connection, for its settings card.
pub async fn record_failure(state: &AppState, connection_id: &str, err: &SyncError) {
    let result = sqlx::query("UPDATE stripe_connections SET sync_error = $1 WHERE id = $2")
        .bind(err.user_message())
        .bind(connection_id)
        .execute(&state.db.pool)
        .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not record a sync failure");
    }
}

/// Takes or renews the lease on `connection_id` for `holder` until `now + ttl_ms`; false when
/// another live instance holds it.
pub async fn take_lease(
    state: &AppState,
    connection_id: &str,
    holder: &str,
    ttl_ms: i64,
) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    let result = sqlx::query(
        "INSERT INTO sync_leases (connection_id, holder, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (connection_id) DO UPDATE SET holder = excluded.holder,
           expires_at = excluded.expires_at
         WHERE sync_leases.holder = excluded.holder OR sync_leases.expires_at < $4",
    )
    .bind(connection_id)
    .bind(holder)
    .bind(now + ttl_ms)
    .bind(now)
    .execute(&state.db.pool)
    .await;
    match result {
        Ok(done) => Ok(done.rows_affected() == 1),
        // The connection was removed between listing and leasing.
        Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => Ok(false),
        Err(e) => Err(e),
    }
}

/// Lets another instance take over at once (on shutdown).
pub async fn release_leases(state: &AppState, holder: &str) {
    if let Err(e) = sqlx::query("DELETE FROM sync_leases WHERE holder = $1")
        .bind(holder)
        .execute(&state.db.pool)
        .await
    {
        tracing::warn!(error = %e, "could not release sync leases");
    }
}

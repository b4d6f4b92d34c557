//! What the server's metrics read from the database, across every organisation: the webhook
//! queue and how long ago each Stripe connection was last synced. Nothing here is shown to a
//! tenant; it is for whoever operates the deployment.

use super::db::Db;

/// Stored webhook events not yet applied (and not given up on after `max_attempts`), and when
/// the oldest of them was received (milliseconds since the epoch).
pub async fn webhook_backlog(
    db: &Db,
    max_attempts: i64,
) -> Result<(i64, Option<i64>), sqlx::Error> {
    sqlx::query_as(
        "SELECT COUNT(*), MIN(received_at) FROM webhook_events
         WHERE processed_at IS NULL AND attempts < $1",
    )
    .bind(max_attempts)
    .fetch_one(&db.pool)
    .await
}

/// Every connection with the time its readers were last listed from Stripe (milliseconds since
/// the epoch; `None` before the first sync).
pub async fn sync_times(db: &Db) -> Result<Vec<(String, Option<i64>)>, sqlx::Error> {
    sqlx::query_as("SELECT id, synced_at FROM stripe_connections ORDER BY id")
        .fetch_all(&db.pool)
        .await
}

//! Queuing alert notifications: one delivery per enabled endpoint of the organisation that
//! asked for the event's type, written on the caller's connection so it commits (or not) with
//! the change that caused it, like its audit entry. The delivery worker
//! (`server/src/tasks/notifications.rs`) sends them.

use super::ids::{new_id, now_ms};
use serde_json::{json, Value};
use sqlx::AnyConnection;

/// An event about to be told: its type (`reader.offline`, …) and what it is about.
#[derive(Debug, Clone)]
pub struct Notice {
    pub kind: &'static str,
    pub data: Value,
}

impl Notice {
    pub fn new(kind: &'static str, data: Value) -> Notice {
        Notice { kind, data }
    }
}

/// Whether an endpoint's space-separated `events` include `kind`.
pub fn wants(events: &str, kind: &str) -> bool {
    events.split_whitespace().any(|e| e == kind)
}

/// Queues `notice` for every enabled endpoint of `tenant_id` that asked for its type.
pub async fn enqueue(
    conn: &mut AnyConnection,
    tenant_id: &str,
    notice: Notice,
) -> Result<(), sqlx::Error> {
    let endpoints: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, events FROM notification_endpoints WHERE tenant_id = $1 AND enabled = 1",
    )
    .bind(tenant_id)
    .fetch_all(&mut *conn)
    .await?;
    let wanted: Vec<String> = endpoints
        .into_iter()
        .filter(|(_, events)| wants(events, notice.kind))
        .map(|(id, _)| id)
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let (event_id, payload) = payload(conn, tenant_id, &notice).await?;
    for endpoint in &wanted {
        insert(conn, tenant_id, endpoint, &event_id, notice.kind, &payload).await?;
    }
    Ok(())
}

/// Queues `notice` for one endpoint whatever it asked for (a test, a redelivery's copy);
/// returns the delivery's id.
pub async fn enqueue_to(
    conn: &mut AnyConnection,
    tenant_id: &str,
    endpoint_id: &str,
    notice: Notice,
) -> Result<String, sqlx::Error> {
    let (event_id, payload) = payload(conn, tenant_id, &notice).await?;
    insert(
        conn,
        tenant_id,
        endpoint_id,
        &event_id,
        notice.kind,
        &payload,
    )
    .await
}

/// The JSON body every delivery of one event carries: `id`, `type`, `created` (Unix seconds,
/// as Stripe's events), `organisation` and `data`.
async fn payload(
    conn: &mut AnyConnection,
    tenant_id: &str,
    notice: &Notice,
) -> Result<(String, String), sqlx::Error> {
    let name: Option<String> = sqlx::query_scalar("SELECT name FROM tenants WHERE id = $1")
        .bind(tenant_id)
        .fetch_optional(&mut *conn)
        .await?;
    let event_id = new_id("nev");
    let body = json!({
        "id": event_id,
        "type": notice.kind,
        "created": now_ms() / 1000,
        "organisation": { "id": tenant_id, "name": name },
        "data": notice.data,
    });
    Ok((event_id, body.to_string()))
}

/// Stores one delivery, due now.
pub async fn insert(
    conn: &mut AnyConnection,
    tenant_id: &str,
    endpoint_id: &str,
    event_id: &str,
    kind: &str,
    payload: &str,
) -> Result<String, sqlx::Error> {
    let id = new_id("ndl");
    let now = now_ms();
    sqlx::query(
        "INSERT INTO notification_deliveries (id, tenant_id, endpoint_id, event_id, event_type,
         payload, status, attempts, next_attempt_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7, $7)",
    )
    .bind(&id)
    .bind(tenant_id)
    .bind(endpoint_id)
    .bind(event_id)
    .bind(kind)
    .bind(payload)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// Marks a condition found by looking as told; false when it already was.
pub async fn mark_once(
    conn: &mut AnyConnection,
    tenant_id: &str,
    mark: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO notification_marks (tenant_id, mark, at) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING",
    )
    .bind(tenant_id)
    .bind(mark)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_endpoint_wants_only_the_types_it_listed() {
        assert!(super::wants(
            "reader.offline reader.online",
            "reader.online"
        ));
        assert!(!super::wants("reader.offline", "reader.offline_x"));
        assert!(!super::wants("", "reader.offline"));
    }
}

//! An organisation's notification endpoints and their delivery log. Owners and admins add,
//! change, rotate, delete, test and redeliver (each audited in the change's transaction);
//! auditors read. The signing secret is sealed at rest and shown once, when it is made.

use super::url_rules::check_url;
use crate::error::{AppError, AppResult};
use crate::model::Permission;
use crate::notifications::types::{
    DeliveryView, EndpointSecret, EndpointView, NotificationsView, EVENT_GROUPS, TEST_EVENT,
};
use crate::ssr::audit::{record, Entry};
use crate::ssr::caller::Caller;
use crate::ssr::ids::{new_id, new_token, now_ms};
use crate::ssr::notify::{self, Notice};
use crate::ssr::secrets;
use crate::topic::Topic;
use serde_json::json;

/// Endpoints one organisation may hold.
pub const MAX_ENDPOINTS: i64 = 20;
/// Deliveries the log shows.
const LOG_ROWS: i64 = 100;

/// Where an endpoint's secret is sealed: bound to the endpoint, so a sealed value copied to
/// another row does not open.
pub fn purpose(endpoint_id: &str) -> String {
    format!("notification_endpoint:{endpoint_id}:secret")
}

fn new_secret() -> String {
    format!("whsec_{}", new_token())
}

fn manageable(caller: &Caller) -> AppResult<()> {
    if caller.can(Permission::ManageFleet) {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

/// The event types of the chosen groups (form field names of [`EVENT_GROUPS`]).
fn events_of(groups: &[&str]) -> AppResult<String> {
    let kinds: Vec<&str> = EVENT_GROUPS
        .iter()
        .filter(|(name, _, _)| groups.contains(name))
        .flat_map(|(_, _, kinds)| kinds.iter().copied())
        .collect();
    if kinds.is_empty() {
        return Err(AppError::invalid(
            "events",
            "Choose at least one kind of event to send.",
        ));
    }
    Ok(kinds.join(" "))
}

#[derive(sqlx::FromRow)]
struct EndpointRow {
    id: String,
    url: String,
    events: String,
    enabled: i64,
    created_at: i64,
    pending: i64,
    failed: i64,
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: String,
    endpoint_id: String,
    endpoint_url: String,
    event_id: String,
    event_type: String,
    status: String,
    attempts: i64,
    next_attempt_at: i64,
    last_status: Option<i64>,
    last_error: Option<String>,
    created_at: i64,
    updated_at: i64,
}

pub async fn list(caller: &Caller, endpoint: Option<&str>) -> AppResult<NotificationsView> {
    let rows: Vec<EndpointRow> = sqlx::query_as(
        "SELECT e.id, e.url, e.events, e.enabled, e.created_at,
           CAST(COALESCE(SUM(CASE WHEN d.status = 'pending' THEN 1 ELSE 0 END), 0) AS BIGINT)
             AS pending,
           CAST(COALESCE(SUM(CASE WHEN d.status = 'failed' THEN 1 ELSE 0 END), 0) AS BIGINT)
             AS failed
         FROM notification_endpoints e
         LEFT JOIN notification_deliveries d ON d.endpoint_id = e.id
         WHERE e.tenant_id = $1
         GROUP BY e.id, e.url, e.events, e.enabled, e.created_at
         ORDER BY e.created_at, e.id",
    )
    .bind(&caller.tenant_id)
    .fetch_all(&caller.db().pool)
    .await?;
    let deliveries: Vec<DeliveryRow> = sqlx::query_as(
        "SELECT d.id, d.endpoint_id, e.url AS endpoint_url, d.event_id, d.event_type, d.status,
           d.attempts, d.next_attempt_at, d.last_status, d.last_error, d.created_at, d.updated_at
         FROM notification_deliveries d
         JOIN notification_endpoints e ON e.id = d.endpoint_id
         WHERE d.tenant_id = $1 AND ($2 = '' OR d.endpoint_id = $2)
         ORDER BY d.created_at DESC, d.id DESC LIMIT $3",
    )
    .bind(&caller.tenant_id)
    .bind(endpoint.unwrap_or_default())
    .bind(LOG_ROWS)
    .fetch_all(&caller.db().pool)
    .await?;
    Ok(NotificationsView {
        endpoints: rows
            .into_iter()
            .map(|r| EndpointView {
                id: r.id,
                url: r.url,
                events: r.events.split_whitespace().map(str::to_string).collect(),
                enabled: r.enabled != 0,
                created_at: r.created_at,
                pending: r.pending,
                failed: r.failed,
            })
            .collect(),
        deliveries: deliveries
            .into_iter()
            .map(|d| DeliveryView {
                next_attempt_at: (d.status == "pending").then_some(d.next_attempt_at),
                id: d.id,
                endpoint_id: d.endpoint_id,
                endpoint_url: d.endpoint_url,
                event_id: d.event_id,
                event_type: d.event_type,
                status: d.status,
                attempts: d.attempts,
                last_status: d.last_status,
                last_error: d.last_error,
                created_at: d.created_at,
                updated_at: d.updated_at,
            })
            .collect(),
        can_manage: caller.can(Permission::ManageFleet),
        allows_http: !caller.state.settings.production,
        now: now_ms(),
    })
}

/// Adds an endpoint; its secret is in the answer and nowhere else ever again.
pub async fn create(caller: &Caller, url: &str, groups: &[&str]) -> AppResult<EndpointSecret> {
    manageable(caller)?;
    let url = check_url(url, caller.state.settings.production)?;
    let events = events_of(groups)?;
    let id = new_id("nep");
    let secret = new_secret();
    let sealed = secrets::seal(&caller.state.settings.master_key, &purpose(&id), &secret);
    let now = now_ms();
    let mut tx = caller.db().begin_write().await?;
    let held: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM notification_endpoints WHERE tenant_id = $1")
            .bind(&caller.tenant_id)
            .fetch_one(&mut *tx)
            .await?;
    if held >= MAX_ENDPOINTS {
        return Err(AppError::Conflict(format!(
            "An organisation can have {MAX_ENDPOINTS} notification endpoints; delete one first."
        )));
    }
    sqlx::query(
        "INSERT INTO notification_endpoints (id, tenant_id, url, events, secret, enabled,
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $6)",
    )
    .bind(&id)
    .bind(&caller.tenant_id)
    .bind(url.as_str())
    .bind(&events)
    .bind(&sealed)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, "notification.endpoint_added")
            .target("notification_endpoint", &id)
            .detail(format!("{url} for {events}")),
    )
    .await?;
    tx.commit().await?;
    published(caller).await;
    Ok(EndpointSecret {
        endpoint_id: id,
        secret,
    })
}

/// The endpoint's URL, when it is the caller's organisation's.
async fn owned(conn: &mut sqlx::AnyConnection, caller: &Caller, id: &str) -> AppResult<String> {
    let url: Option<String> = sqlx::query_scalar(
        "SELECT url FROM notification_endpoints WHERE tenant_id = $1 AND id = $2",
    )
    .bind(&caller.tenant_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    url.ok_or_else(|| AppError::not_found("notification endpoint"))
}

/// Turns an endpoint on or off and sets the events it receives.
pub async fn update(caller: &Caller, id: &str, enabled: bool, groups: &[&str]) -> AppResult<()> {
    manageable(caller)?;
    let events = events_of(groups)?;
    let mut tx = caller.db().begin_write().await?;
    let url = owned(&mut tx, caller, id).await?;
    sqlx::query(
        "UPDATE notification_endpoints SET enabled = $1, events = $2, updated_at = $3
         WHERE tenant_id = $4 AND id = $5",
    )
    .bind(i64::from(enabled))
    .bind(&events)
    .bind(now_ms())
    .bind(&caller.tenant_id)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let state = if enabled { "on" } else { "off" };
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, "notification.endpoint_changed")
            .target("notification_endpoint", id)
            .detail(format!("{url}: {state}, for {events}")),
    )
    .await?;
    tx.commit().await?;
    published(caller).await;
    Ok(())
}

/// Replaces the signing secret; the old one stops signing at once.
pub async fn rotate(caller: &Caller, id: &str) -> AppResult<EndpointSecret> {
    manageable(caller)?;
    let secret = new_secret();
    let sealed = secrets::seal(&caller.state.settings.master_key, &purpose(id), &secret);
    let mut tx = caller.db().begin_write().await?;
    let url = owned(&mut tx, caller, id).await?;
    sqlx::query(
        "UPDATE notification_endpoints SET secret = $1, updated_at = $2
         WHERE tenant_id = $3 AND id = $4",
    )
    .bind(&sealed)
    .bind(now_ms())
    .bind(&caller.tenant_id)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, "notification.secret_rotated")
            .target("notification_endpoint", id)
            .detail(url),
    )
    .await?;
    tx.commit().await?;
    published(caller).await;
    Ok(EndpointSecret {
        endpoint_id: id.to_string(),
        secret,
    })
}

/// Deletes an endpoint and its delivery log.
pub async fn delete(caller: &Caller, id: &str) -> AppResult<()> {
    manageable(caller)?;
    let mut tx = caller.db().begin_write().await?;
    let url = owned(&mut tx, caller, id).await?;
    sqlx::query("DELETE FROM notification_deliveries WHERE tenant_id = $1 AND endpoint_id = $2")
        .bind(&caller.tenant_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM notification_endpoints WHERE tenant_id = $1 AND id = $2")
        .bind(&caller.tenant_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, "notification.endpoint_deleted")
            .target("notification_endpoint", id)
            .detail(url),
    )
    .await?;
    tx.commit().await?;
    published(caller).await;
    Ok(())
}

/// Queues a `test` event for the endpoint (sent even when it is switched off, so it can be
/// tried before it is turned on); returns the delivery's id.
pub async fn send_test(caller: &Caller, id: &str) -> AppResult<String> {
    manageable(caller)?;
    let mut tx = caller.db().begin_write().await?;
    let url = owned(&mut tx, caller, id).await?;
    let data = json!({
        "message": "A test notification from Terminal Fleet.",
        "sent_by": caller.principal.name(),
    });
    let delivery = notify::enqueue_to(
        &mut tx,
        &caller.tenant_id,
        id,
        Notice::new(TEST_EVENT, data),
    )
    .await?;
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, "notification.test_sent")
            .target("notification_endpoint", id)
            .detail(url),
    )
    .await?;
    tx.commit().await?;
    published(caller).await;
    Ok(delivery)
}

/// Sends a delivery's event again, as a new delivery with the same event id and body (so a
/// receiver that already has it can tell); returns the new delivery's id.
pub async fn redeliver(caller: &Caller, delivery_id: &str) -> AppResult<String> {
    manageable(caller)?;
    let mut tx = caller.db().begin_write().await?;
    let found: Option<(String, String, String, String)> = sqlx::query_as(
        "SELECT endpoint_id, event_id, event_type, payload FROM notification_deliveries
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(&caller.tenant_id)
    .bind(delivery_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((endpoint, event_id, kind, payload)) = found else {
        return Err(AppError::not_found("delivery"));
    };
    let id = notify::insert(
        &mut tx,
        &caller.tenant_id,
        &endpoint,
        &event_id,
        &kind,
        &payload,
    )
    .await?;
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, "notification.redelivered")
            .target("notification_delivery", delivery_id)
            .detail(format!("{kind} {event_id} again as {id}")),
    )
    .await?;
    tx.commit().await?;
    published(caller).await;
    Ok(id)
}

async fn published(caller: &Caller) {
    caller
        .state
        .bus
        .publish(&caller.tenant_id, Topic::Notifications, None)
        .await;
}

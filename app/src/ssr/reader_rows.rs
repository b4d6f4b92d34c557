//! Keeping our reader rows in step with Stripe's reader objects: one place decides what a row
//! holds, which changes count as transitions, and what is recorded when they happen. Used by
//! the sync task, by webhook events and by our own calls to Stripe.

use super::ids::{new_id, now_ms};
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
}

pub const MIRROR_COLUMNS: &str = "id, label, location_id, device_type, serial_number, sw_version,
    ip_address, status, last_seen_at, action_type, action_status, action_detail";

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
                })
            }),
        }
    }
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
}

/// Writes Stripe's view of a reader over ours (`existing` is our row, if any) on `conn`, recording
/// a status transition and clearing a raised alert when the reader is back online.
pub async fn apply(
    conn: &mut AnyConnection,
    tenant_id: &str,
    connection_id: &str,
    existing: Option<&Mirror>,
    fresh: &Mirror,
) -> Result<Applied, sqlx::Error> {
    let now = now_ms();
    let mut applied = Applied::default();
    match existing {
        None => {
            sqlx::query(
                "INSERT INTO readers (connection_id, id, tenant_id, label, location_id, device_type,
                 serial_number, sw_version, ip_address, status, last_seen_at, status_since,
                 action_type, action_status, action_detail, alert_since, synced_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, NULL, $12)
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
            .execute(&mut *conn)
            .await?;
            record_status(conn, tenant_id, &fresh.id, &fresh.status, now).await?;
            applied.created = true;
            applied.changed = true;
        }
        Some(old) if unchanged(old, fresh) => {}
        Some(old) => {
            applied.changed = true;
            applied.transition = old.status != fresh.status;
            let back_online = applied.transition && fresh.status == "online";
            let alert: Option<i64> = sqlx::query_scalar(
                "SELECT alert_since FROM readers WHERE connection_id = $1 AND id = $2",
            )
            .bind(connection_id)
            .bind(&fresh.id)
            .fetch_optional(&mut *conn)
            .await?
            .flatten();
            applied.alert_cleared = back_online && alert.is_some();
            sqlx::query(
                "UPDATE readers SET label = $3, location_id = $4, device_type = $5, serial_number = $6,
                 sw_version = $7, ip_address = $8, status = $9, last_seen_at = $10,
                 status_since = CASE WHEN status = $9 THEN status_since ELSE $11 END,
                 action_type = $12, action_status = $13, action_detail = $14,
                 alert_since = CASE WHEN $9 = 'online' THEN NULL ELSE alert_since END,
                 synced_at = $11
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
            .execute(&mut *conn)
            .await?;
            if applied.transition {
                record_status(conn, tenant_id, &fresh.id, &fresh.status, now).await?;
            }
            if applied.alert_cleared {
                let entry = super::audit::Entry {
                    tenant_id: Some(tenant_id),
                    action: "reader.alert_cleared",
                    ..Default::default()
                }
                .target("reader", &fresh.id)
                .detail(format!("{} is back online", display(fresh)));
                super::audit::record(conn, &Default::default(), entry).await?;
            }
        }
    }
    Ok(applied)
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

/// Removes a reader Stripe no longer has, keeping its history.
pub async fn remove(
    conn: &mut AnyConnection,
    connection_id: &str,
    id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM readers WHERE connection_id = $1 AND id = $2")
        .bind(connection_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
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

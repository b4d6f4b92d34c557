//! Conditions found by looking rather than at the moment they happen, checked by the delivery
//! worker every little while and each told once (`notification_marks`): Stripe webhook events
//! the queue stopped retrying, and a run of declined payments at one location. Only
//! organisations with an endpoint that asked for the event are looked at.

use crate::notifications::types::{
    DECLINES_AT_LEAST, DECLINE_WINDOW_MINUTES, DECLINE_WINDOW_PAYMENTS,
};
use crate::payments::ssr::webhook_service::MAX_ATTEMPTS;
use crate::ssr::ids::now_ms;
use crate::ssr::notify::{self, Notice};
use crate::ssr::state::AppState;
use serde_json::json;

/// Looks for both conditions; returns how many were newly told.
pub async fn look(state: &AppState) -> Result<usize, sqlx::Error> {
    Ok(failing_webhooks(state).await? + decline_runs(state).await?)
}

/// Organisations with an enabled endpoint asking for `kind`.
async fn listening(state: &AppState, kind: &str) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT tenant_id, events FROM notification_endpoints WHERE enabled = 1")
            .fetch_all(&state.db.pool)
            .await?;
    let mut tenants: Vec<String> = rows
        .into_iter()
        .filter(|(_, events)| notify::wants(events, kind))
        .map(|(tenant, _)| tenant)
        .collect();
    tenants.sort();
    tenants.dedup();
    Ok(tenants)
}

async fn failing_webhooks(state: &AppState) -> Result<usize, sqlx::Error> {
    let mut told = 0;
    for tenant in listening(state, "webhooks.failing").await? {
        let events: Vec<(String, String, String, i64, Option<String>)> = sqlx::query_as(
            "SELECT connection_id, id, type, received_at, outcome FROM webhook_events
             WHERE tenant_id = $1 AND processed_at IS NULL AND attempts >= $2
             ORDER BY received_at LIMIT 100",
        )
        .bind(&tenant)
        .bind(MAX_ATTEMPTS)
        .fetch_all(&state.db.pool)
        .await?;
        for (connection, id, kind, received_at, outcome) in events {
            let mut tx = state.db.begin_write().await?;
            if notify::mark_once(&mut tx, &tenant, &format!("webhook:{connection}:{id}")).await? {
                let data = json!({
                    "webhook_event": {
                        "id": id, "type": kind, "connection": connection,
                        "received": received_at / 1000, "attempts": MAX_ATTEMPTS,
                        "last_outcome": outcome,
                    },
                });
                notify::enqueue(&mut tx, &tenant, Notice::new("webhooks.failing", data)).await?;
                told += 1;
            }
            tx.commit().await?;
        }
    }
    Ok(told)
}

/// At least [`DECLINES_AT_LEAST`] of a location's last [`DECLINE_WINDOW_PAYMENTS`] payments
/// of the last [`DECLINE_WINDOW_MINUTES`] were declined: told once per location per window.
async fn decline_runs(state: &AppState) -> Result<usize, sqlx::Error> {
    let now = now_ms();
    let window_ms = DECLINE_WINDOW_MINUTES * 60_000;
    let mut told = 0;
    for tenant in listening(state, "payments.declines_high").await? {
        let recent: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT location_id, id, failure_code FROM payments
             WHERE tenant_id = $1 AND created_at >= $2 AND location_id IS NOT NULL
             ORDER BY location_id, created_at DESC, id DESC",
        )
        .bind(&tenant)
        .bind(now - window_ms)
        .fetch_all(&state.db.pool)
        .await?;
        let mut by_location: Vec<(String, i64, i64)> = Vec::new();
        for (location, _, failure) in &recent {
            match by_location.last_mut() {
                Some((l, seen, declined)) if l == location => {
                    if *seen < DECLINE_WINDOW_PAYMENTS {
                        *seen += 1;
                        *declined += i64::from(failure.is_some());
                    }
                }
                _ => by_location.push((location.clone(), 1, i64::from(failure.is_some()))),
            }
        }
        for (location, seen, declined) in by_location {
            if declined < DECLINES_AT_LEAST {
                continue;
            }
            let mut tx = state.db.begin_write().await?;
            let window = now / window_ms;
            if notify::mark_once(&mut tx, &tenant, &format!("declines:{location}:{window}")).await?
            {
                let name: Option<String> = sqlx::query_scalar(
                    "SELECT display_name FROM locations WHERE tenant_id = $1 AND id = $2",
                )
                .bind(&tenant)
                .bind(&location)
                .fetch_optional(&mut *tx)
                .await?;
                let data = json!({
                    "location": { "id": location, "name": name },
                    "declined": declined,
                    "of_last": seen,
                    "window_minutes": DECLINE_WINDOW_MINUTES,
                });
                notify::enqueue(
                    &mut tx,
                    &tenant,
                    Notice::new("payments.declines_high", data),
                )
                .await?;
                told += 1;
            }
            tx.commit().await?;
        }
    }
    Ok(told)
}

//! The fleet's alerts, raised by the sync once enough time has passed: a reader offline for
//! longer than the organisation's threshold, and an action still `in_progress` for longer than
//! its stuck threshold. Each is audited when raised and when cleared (the clearing happens where
//! the reader's row changes, `reader_rows`), and tells the organisation's notification endpoints.
//!
//! A reader that goes offline inside the reboot window of the configuration in force raises no
//! offline alert until that window has ended: readers restart there every night. Locations carry
//! no time zone, so the window's hours are read as UTC.

use super::reader_rows::{display, Mirror};
use super::store_figures;
use super::sync::SyncError;
use crate::configurations::ssr::in_force;
use crate::ssr::audit::{record, Entry};
use crate::ssr::ids::now_ms;
use crate::ssr::notify::{self, Notice};
use crate::ssr::state::AppState;
use crate::ssr::stripe_access::Access;
use serde_json::json;
use std::collections::HashMap;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// What one pass raised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Raised {
    pub offline: usize,
    pub stuck: usize,
}

/// When the reboot window `start..end` (hours, UTC, wrapping past midnight when `end < start`)
/// that holds the moment `at` (ms) ends; `None` when `at` is outside it.
pub fn reboot_window_end(at: i64, start: i64, end: i64) -> Option<i64> {
    let hour = (at.div_euclid(HOUR_MS)).rem_euclid(24);
    let inside = match start.cmp(&end) {
        std::cmp::Ordering::Less => (start..end).contains(&hour),
        std::cmp::Ordering::Greater => hour >= start || hour < end,
        std::cmp::Ordering::Equal => false,
    };
    if !inside {
        return None;
    }
    let day = at - at.rem_euclid(DAY_MS);
    let mut ends = day + end * HOUR_MS;
    if ends <= at {
        ends += DAY_MS;
    }
    Some(ends)
}

/// Raises the alerts now due on the connection's readers.
pub async fn raise(state: &AppState, access: &Access) -> Result<Raised, SyncError> {
    let (offline_minutes, stuck_minutes): (i64, i64) = sqlx::query_as(
        "SELECT offline_alert_minutes, stuck_action_minutes FROM tenants WHERE id = $1",
    )
    .bind(&access.tenant_id)
    .fetch_one(&state.db.pool)
    .await?;
    let offline = raise_offline(state, access, offline_minutes).await?;
    let stuck = raise_stuck(state, access, stuck_minutes).await?;
    Ok(Raised { offline, stuck })
}

#[derive(sqlx::FromRow)]
struct OfflineCandidate {
    id: String,
    label: String,
    location_id: Option<String>,
    configuration_override: Option<String>,
    offline_at: i64,
}

/// Offline readers past the threshold, counted from the earliest evidence: when Stripe last
/// saw it, or when we saw it go offline.
async fn raise_offline(
    state: &AppState,
    access: &Access,
    minutes: i64,
) -> Result<usize, SyncError> {
    let now = now_ms();
    let candidates: Vec<OfflineCandidate> = sqlx::query_as(
        "SELECT id, label, location_id, configuration_override, offline_at FROM (
           SELECT r.id, r.label, r.location_id, l.configuration_override,
             CASE WHEN r.last_seen_at IS NOT NULL AND r.last_seen_at < r.status_since
                  THEN r.last_seen_at ELSE r.status_since END AS offline_at
           FROM readers r
           LEFT JOIN locations l ON l.connection_id = r.connection_id AND l.id = r.location_id
           WHERE r.connection_id = $1 AND r.status = 'offline' AND r.alert_since IS NULL
         ) due WHERE offline_at <= $2",
    )
    .bind(&access.connection_id)
    .bind(now - minutes * 60_000)
    .fetch_all(&state.db.pool)
    .await?;
    if candidates.is_empty() {
        return Ok(0);
    }
    // Stripe is read (through the minute-long cache) outside the write transaction, once per
    // configuration however many readers use it.
    let mut windows: HashMap<Option<String>, Option<(i64, i64)>> = HashMap::new();
    let mut due = Vec::new();
    for c in candidates {
        let window = match windows.get(&c.configuration_override) {
            Some(w) => *w,
            None => {
                let w = in_force::reboot_window(access, c.configuration_override.as_deref()).await;
                windows.insert(c.configuration_override.clone(), w);
                w
            }
        };
        let rebooting = window
            .and_then(|(start, end)| reboot_window_end(c.offline_at, start, end))
            .is_some_and(|ends| now < ends);
        if !rebooting {
            due.push(c);
        }
    }
    let mut tx = state.db.begin_write().await?;
    let mut raised = 0;
    for c in &due {
        let watch = store_figures::watch_reader(&mut tx, &access.connection_id, &c.id).await?;
        let done = sqlx::query(
            "UPDATE readers SET alert_since = $1
             WHERE connection_id = $2 AND id = $3 AND status = 'offline' AND alert_since IS NULL",
        )
        .bind(now)
        .bind(&access.connection_id)
        .bind(&c.id)
        .execute(&mut *tx)
        .await?;
        watch.settle(&mut tx).await?;
        if done.rows_affected() != 1 {
            continue;
        }
        raised += 1;
        let name = named(&c.label, &c.id);
        announce(
            &mut tx,
            &access.tenant_id,
            &c.id,
            ("reader.offline_alert", "reader.offline"),
            format!("{name} offline for more than {minutes} min"),
            json!({
                "reader": reader_json(&c.id, &c.label, c.location_id.as_deref()),
                "offline_since": c.offline_at,
                "threshold_minutes": minutes,
            }),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(raised)
}

#[derive(sqlx::FromRow)]
struct StuckCandidate {
    id: String,
    label: String,
    location_id: Option<String>,
    action_type: Option<String>,
    action_payment: Option<String>,
    action_at: i64,
}

/// Actions `in_progress` since before the threshold.
async fn raise_stuck(state: &AppState, access: &Access, minutes: i64) -> Result<usize, SyncError> {
    let now = now_ms();
    let due: Vec<StuckCandidate> = sqlx::query_as(
        "SELECT id, label, location_id, action_type, action_payment, action_at FROM readers
         WHERE connection_id = $1 AND action_status = 'in_progress' AND stuck_since IS NULL
           AND action_at <= $2",
    )
    .bind(&access.connection_id)
    .bind(now - minutes * 60_000)
    .fetch_all(&state.db.pool)
    .await?;
    if due.is_empty() {
        return Ok(0);
    }
    let mut tx = state.db.begin_write().await?;
    let mut raised = 0;
    for c in &due {
        let watch = store_figures::watch_reader(&mut tx, &access.connection_id, &c.id).await?;
        let done = sqlx::query(
            "UPDATE readers SET stuck_since = $1
             WHERE connection_id = $2 AND id = $3 AND action_status = 'in_progress'
               AND stuck_since IS NULL AND action_at = $4",
        )
        .bind(now)
        .bind(&access.connection_id)
        .bind(&c.id)
        .bind(c.action_at)
        .execute(&mut *tx)
        .await?;
        watch.settle(&mut tx).await?;
        if done.rows_affected() != 1 {
            continue;
        }
        raised += 1;
        let name = named(&c.label, &c.id);
        let kind = c.action_type.clone().unwrap_or_default();
        announce(
            &mut tx,
            &access.tenant_id,
            &c.id,
            ("reader.action_stuck", "reader.action_stuck"),
            format!("{name}: {kind} in progress for more than {minutes} min"),
            json!({
                "reader": reader_json(&c.id, &c.label, c.location_id.as_deref()),
                "action": { "type": kind, "payment_intent": c.action_payment, "since": c.action_at },
                "threshold_minutes": minutes,
            }),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(raised)
}

/// Records that `reader`'s stuck action ended (on the change's own connection).
pub async fn stuck_cleared(
    conn: &mut sqlx::AnyConnection,
    tenant_id: &str,
    reader: &Mirror,
) -> Result<(), sqlx::Error> {
    announce(
        conn,
        tenant_id,
        &reader.id,
        ("reader.action_stuck_cleared", "reader.action_cleared"),
        format!("{}: the stuck action ended", display(reader)),
        json!({
            "reader": reader_json(&reader.id, &reader.label, reader.location_id.as_deref()),
            "action": { "type": reader.action_type, "status": reader.action_status },
        }),
    )
    .await
}

/// Records that `reader`'s offline alert ended: it is back online.
pub async fn offline_cleared(
    conn: &mut sqlx::AnyConnection,
    tenant_id: &str,
    reader: &Mirror,
) -> Result<(), sqlx::Error> {
    announce(
        conn,
        tenant_id,
        &reader.id,
        ("reader.alert_cleared", "reader.online"),
        format!("{} is back online", display(reader)),
        json!({
            "reader": reader_json(&reader.id, &reader.label, reader.location_id.as_deref()),
        }),
    )
    .await
}

/// The reader as a notification names it.
fn reader_json(id: &str, label: &str, location: Option<&str>) -> serde_json::Value {
    json!({ "id": id, "label": label, "location": location })
}

/// An alert raised or cleared by the system: its audit entry and its notification (`kinds`:
/// the audit action, then the notification type), in the change's own transaction.
async fn announce(
    conn: &mut sqlx::AnyConnection,
    tenant_id: &str,
    reader_id: &str,
    kinds: (&str, &'static str),
    detail: String,
    data: serde_json::Value,
) -> Result<(), sqlx::Error> {
    let entry = Entry {
        tenant_id: Some(tenant_id),
        action: kinds.0,
        ..Entry::default()
    }
    .target("reader", reader_id)
    .detail(detail);
    record(conn, &Default::default(), entry).await?;
    notify::enqueue(conn, tenant_id, Notice::new(kinds.1, data)).await
}

fn named(label: &str, id: &str) -> String {
    if label.is_empty() {
        id.to_string()
    } else {
        format!("{label} ({id})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = HOUR_MS;

    #[test]
    fn a_moment_inside_the_window_is_held_until_the_window_ends() {
        let day = 20_000 * DAY_MS;
        assert_eq!(reboot_window_end(day + 2 * H, 1, 4), Some(day + 4 * H));
        assert_eq!(reboot_window_end(day + H, 1, 4), Some(day + 4 * H));
        assert_eq!(reboot_window_end(day + 4 * H, 1, 4), None);
        assert_eq!(reboot_window_end(day + 12 * H, 1, 4), None);
    }

    #[test]
    fn a_window_past_midnight_ends_the_next_day() {
        let day = 20_000 * DAY_MS;
        assert_eq!(
            reboot_window_end(day + 23 * H, 22, 2),
            Some(day + DAY_MS + 2 * H)
        );
        assert_eq!(reboot_window_end(day + H, 22, 2), Some(day + 2 * H));
        assert_eq!(reboot_window_end(day + 3 * H, 22, 2), None);
        assert_eq!(reboot_window_end(day + 3 * H, 5, 5), None);
    }
}

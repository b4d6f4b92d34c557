//! The overview: per location, readers online/offline/busy, alerts and the last payment; totals
//! for the tenant and the last 14 days' payment volume.

use crate::dashboard::types::{LocationSummary, OverviewView};
use crate::error::AppResult;
use crate::fleet::ssr::locations_service::counts;
use crate::fleet::ssr::readers_service;
use crate::fleet::types::{ReaderCounts, ReaderView};
use crate::model::Permission;
use crate::payments::ssr::payments_service;
use crate::ssr::binds::Binds;
use crate::ssr::caller::Caller;
use crate::ssr::fleet_scope::LocationScope;

pub async fn overview(caller: &Caller) -> AppResult<OverviewView> {
    let counts = counts(caller).await?;
    let mut binds = Binds::new();
    let scope = LocationScope::for_caller(caller).clause(&mut binds, "l.tenant_id", "l.id");
    let locations: Vec<(String, String, Option<String>)> = binds
        .query_as(&format!(
            "SELECT l.id, l.display_name, l.city FROM locations l WHERE {scope}
         ORDER BY l.display_name, l.id"
        ))
        .fetch_all(&caller.db().pool)
        .await?;
    let alerts = readers_service::alerts(caller).await?;
    let mut binds = Binds::new();
    let scope =
        LocationScope::for_caller(caller).clause(&mut binds, "r.tenant_id", "r.location_id");
    let online: Vec<(String, String, Option<String>)> = binds
        .query_as(&format!(
            "SELECT r.id, r.label, r.location_id FROM readers r
         WHERE {scope} AND r.status = 'online'
         ORDER BY LOWER(r.label), r.id LIMIT 2000"
        ))
        .fetch_all(&caller.db().pool)
        .await?;
    let mut last_payments = payments_service::last_per_location(caller).await?;
    let mut totals = ReaderCounts::default();
    for c in counts.values() {
        totals.online += c.online;
        totals.offline += c.offline;
        totals.busy += c.busy;
        totals.alerts += c.alerts;
        totals.stuck += c.stuck;
    }
    let summaries = locations
        .into_iter()
        .map(|(id, display_name, city)| {
            let location_alerts: Vec<ReaderView> = alerts
                .iter()
                .filter(|r| r.location_id.as_deref() == Some(id.as_str()))
                .cloned()
                .collect();
            LocationSummary {
                online_readers: online
                    .iter()
                    .filter(|(_, _, l)| l.as_deref() == Some(id.as_str()))
                    .map(|(r, label, _)| {
                        let name = if label.is_empty() {
                            r.clone()
                        } else {
                            label.clone()
                        };
                        (r.clone(), name)
                    })
                    .collect(),
                last_payment: last_payments.remove(&id),
                counts: counts.get(&Some(id.clone())).copied().unwrap_or_default(),
                id,
                display_name,
                city,
                alerts: location_alerts,
            }
        })
        .collect();
    let (connections, last_sync): (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), MAX(synced_at) FROM stripe_connections WHERE tenant_id = $1",
    )
    .bind(&caller.tenant_id)
    .fetch_one(&caller.db().pool)
    .await?;
    let (alert_minutes, stuck_minutes): (i64, i64) = sqlx::query_as(
        "SELECT offline_alert_minutes, stuck_action_minutes FROM tenants WHERE id = $1",
    )
    .bind(&caller.tenant_id)
    .fetch_one(&caller.db().pool)
    .await?;
    let (volume, volume_currency) = volume(caller).await?;
    Ok(OverviewView {
        can_charge: caller.can(Permission::Charge),
        op: payments_service::new_operation(),
        volume,
        volume_currency,
        now: crate::ssr::ids::now_ms(),
        tenant_name: caller.tenant_name.clone(),
        totals,
        locations: summaries,
        unassigned: counts.get(&None).copied().unwrap_or_default(),
        connections,
        last_sync,
        alert_minutes,
        stuck_minutes,
        can_manage: caller.can(Permission::ManageFleet),
    })
}

const DAY_MS: i64 = 86_400_000;

/// Net succeeded volume per day for the last 14 days in the busiest currency, summed from the
/// payment rollup (a few rows per store, reader and day) rather than from every payment. A
/// payment without a store is `''` there, which an operator's scope leaves out as it leaves out
/// a NULL.
async fn volume(caller: &Caller) -> AppResult<(Vec<(i64, i64)>, Option<String>)> {
    let today = crate::ssr::ids::now_ms() / DAY_MS;
    let since = (today - 13) * DAY_MS;
    let mut binds = Binds::new();
    let scope =
        LocationScope::for_caller(caller).clause(&mut binds, "r.tenant_id", "r.location_id");
    let since_param = binds.add(since);
    let rows: Vec<(i64, String, i64)> = binds
        .query_as(&format!(
            "SELECT r.day / {DAY_MS} AS day, r.currency,
                CAST(SUM(r.received - r.refunded_amount) AS BIGINT)
         FROM payment_rollup r WHERE {scope} AND r.day >= {since_param}
           AND r.status = 'succeeded'
         GROUP BY r.day / {DAY_MS}, r.currency HAVING SUM(r.count) > 0"
        ))
        .fetch_all(&caller.db().pool)
        .await?;
    let mut by_currency: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
    for (_, currency, amount) in &rows {
        *by_currency.entry(currency.as_str()).or_default() += amount;
    }
    let Some(currency) = by_currency
        .into_iter()
        .max_by_key(|(c, total)| (*total, std::cmp::Reverse(c.to_string())))
        .map(|(c, _)| c.to_string())
    else {
        return Ok((Vec::new(), None));
    };
    let days = (today - 13..=today)
        .map(|day| {
            let amount = rows
                .iter()
                .filter(|(d, c, _)| *d == day && *c == currency)
                .map(|(_, _, a)| *a)
                .sum();
            (day * DAY_MS, amount)
        })
        .collect();
    Ok((days, Some(currency)))
}

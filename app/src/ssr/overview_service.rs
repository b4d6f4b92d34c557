//! The overview: per location, readers online/offline/busy and alerts; totals for the tenant.

use super::caller::Caller;
use super::fleet_scope::{location_clause, sees_all};
use super::locations_service::counts;
use crate::error::AppResult;
use crate::fleet::types::{LocationSummary, OverviewView, ReaderCounts, ReaderView};
use crate::model::Permission;

pub async fn overview(caller: &Caller) -> AppResult<OverviewView> {
    let counts = counts(caller).await?;
    let locations: Vec<(String, String, Option<String>)> = sqlx::query_as(&format!(
        "SELECT l.id, l.display_name, l.city FROM locations l WHERE l.tenant_id = $1 AND {}
         ORDER BY l.display_name, l.id",
        location_clause("l.id")
    ))
    .bind(&caller.tenant_id)
    .bind(&caller.user_id)
    .bind(sees_all(caller))
    .fetch_all(&caller.db().pool)
    .await?;
    let alerts = super::readers_service::alerts(caller).await?;
    let mut last_payments = super::payments_service::last_per_location(caller).await?;
    let mut totals = ReaderCounts::default();
    for c in counts.values() {
        totals.online += c.online;
        totals.offline += c.offline;
        totals.busy += c.busy;
        totals.alerts += c.alerts;
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
    let alert_minutes: i64 =
        sqlx::query_scalar("SELECT offline_alert_minutes FROM tenants WHERE id = $1")
            .bind(&caller.tenant_id)
            .fetch_one(&caller.db().pool)
            .await?;
    Ok(OverviewView {
        now: super::ids::now_ms(),
        tenant_name: caller.tenant_name.clone(),
        totals,
        locations: summaries,
        unassigned: counts.get(&None).copied().unwrap_or_default(),
        connections,
        last_sync,
        alert_minutes,
        can_manage: caller.can(Permission::ManageFleet),
    })
}

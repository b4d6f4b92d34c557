//! All stores: every location of every organisation the user belongs to, with its readers,
//! alerts, today's takings and last payment. Each organisation is seen with the user's role in
//! it, so an operator sees only the stores granted to them there.

use crate::auth::ssr::auth_service;
use crate::error::{AppError, AppResult};
use crate::payments::ssr::payment_figures::DAY_MS;
use crate::ssr::binds::Binds;
use crate::ssr::caller::Caller;
use crate::ssr::fleet_scope::MemberScope;
use crate::ssr::ids::now_ms;
use crate::stores::types::{
    StoreLastPayment, StoreRow, StoresQuery, StoresTotals, StoresView, STORES_PER_PAGE,
};
use std::collections::{BTreeMap, HashMap};

#[derive(sqlx::FromRow)]
struct Store {
    tenant_id: String,
    tenant_name: String,
    connection_id: String,
    connection_name: String,
    id: String,
    display_name: String,
    city: Option<String>,
    state: Option<String>,
    country: String,
    online: Option<i64>,
    offline: Option<i64>,
    busy: Option<i64>,
    alerts: Option<i64>,
    stuck: Option<i64>,
    last_id: Option<String>,
    last_amount: Option<i64>,
    last_currency: Option<String>,
    last_status: Option<String>,
    last_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct Takings {
    tenant_id: String,
    location_id: String,
    currency: String,
    count: i64,
    volume: i64,
}

/// Midnight UTC of the day `now_ms` falls in.
fn day_start(now_ms: i64) -> i64 {
    now_ms - now_ms.rem_euclid(DAY_MS)
}

pub async fn all_stores(caller: &Caller, query: &StoresQuery) -> AppResult<StoresView> {
    let db = caller.db();
    let now = now_ms();
    // Reader counts, today's takings and the newest payment are kept per store beside the rows
    // (store_figures, store_takings), so this reads one row per store whatever the fleet took.
    let mut binds = Binds::new();
    let sees = MemberScope::for_caller(caller).clause(&mut binds, "m", "l.tenant_id", "l.id");
    let stores: Vec<Store> = binds
        .query_as(&format!(
            "SELECT l.tenant_id, t.name AS tenant_name, l.connection_id, c.name AS connection_name,
           l.id, l.display_name, l.city, l.state, l.country, f.online, f.offline, f.busy, f.alerts,
           f.stuck,
           f.last_payment_id AS last_id, lp.amount AS last_amount, lp.currency AS last_currency,
           lp.status AS last_status, lp.created_at AS last_at
         FROM locations l
         JOIN memberships m ON m.tenant_id = l.tenant_id
         JOIN tenants t ON t.id = l.tenant_id
         JOIN stripe_connections c ON c.id = l.connection_id
         LEFT JOIN store_figures f ON f.tenant_id = l.tenant_id AND f.location_id = l.id
         LEFT JOIN payments lp ON lp.tenant_id = f.tenant_id AND lp.id = f.last_payment_id
         WHERE {sees}"
        ))
        .fetch_all(&db.pool)
        .await?;
    let takings: Vec<Takings> = sqlx::query_as(
        "SELECT s.tenant_id, s.location_id, s.currency, s.count, s.volume
         FROM store_takings s
         WHERE s.tenant_id IN (SELECT m.tenant_id FROM memberships m WHERE m.user_id = $1)
           AND s.day = $2 AND s.count <> 0",
    )
    .bind(caller.principal.id())
    .bind(day_start(now))
    .fetch_all(&db.pool)
    .await?;
    let mut takings_by: HashMap<(String, String), Vec<Takings>> = HashMap::new();
    for t in takings {
        takings_by
            .entry((t.tenant_id.clone(), t.location_id.clone()))
            .or_default()
            .push(t);
    }
    let mut rows: Vec<StoreRow> = stores
        .into_iter()
        .map(|s| {
            let key = (s.tenant_id.clone(), s.id.clone());
            let mut money = takings_by.remove(&key).unwrap_or_default();
            money.sort_by(|a, b| a.currency.cmp(&b.currency));
            let last_payment = match (s.last_id, s.last_amount, s.last_currency, s.last_status) {
                (Some(id), Some(amount), Some(currency), Some(status)) => Some(StoreLastPayment {
                    id,
                    amount,
                    currency,
                    status,
                    at: s.last_at.unwrap_or_default(),
                }),
                _ => None,
            };
            StoreRow {
                tenant_id: s.tenant_id,
                tenant_name: s.tenant_name,
                connection_id: s.connection_id,
                connection_name: s.connection_name,
                location_id: s.id,
                name: s.display_name,
                city: s.city,
                region: s.state,
                country: s.country,
                online: s.online.unwrap_or(0),
                offline: s.offline.unwrap_or(0),
                busy: s.busy.unwrap_or(0),
                alerts: s.alerts.unwrap_or(0),
                stuck: s.stuck.unwrap_or(0),
                today_count: money.iter().map(|t| t.count).sum(),
                today_volume: money.into_iter().map(|t| (t.currency, t.volume)).collect(),
                last_payment,
            }
        })
        .collect();
    let totals = totals(&rows);
    let mut tenants: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r.tenant_id.clone(), r.tenant_name.clone()))
        .chain(
            caller
                .tenants
                .iter()
                .map(|t| (t.id.clone(), t.name.clone())),
        )
        .collect::<BTreeMap<_, _>>()
        .into_iter()
        .collect();
    tenants.sort_by_key(|t| t.1.to_lowercase());
    let mut connections: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r.connection_id.clone(),
                (r.connection_name.clone(), r.tenant_name.clone()),
            )
        })
        .collect::<BTreeMap<_, _>>()
        .into_iter()
        .map(|(id, (name, tenant))| (id, name, tenant))
        .collect();
    connections.sort_by(|a, b| (&a.2, &a.1).cmp(&(&b.2, &b.1)));
    rows.retain(|r| keep(r, query));
    sort(&mut rows, query);
    let matching = rows.len();
    let pages = matching.div_ceil(STORES_PER_PAGE).max(1) as i64;
    let page = query.page.unwrap_or(1).clamp(1, pages);
    let stores = rows
        .into_iter()
        .skip((page as usize - 1) * STORES_PER_PAGE)
        .take(STORES_PER_PAGE)
        .collect();
    Ok(StoresView {
        now,
        stores,
        matching,
        page,
        pages,
        totals,
        tenants,
        connections,
    })
}

fn totals(rows: &[StoreRow]) -> StoresTotals {
    let mut volume: BTreeMap<String, i64> = BTreeMap::new();
    for (currency, amount) in rows.iter().flat_map(|r| r.today_volume.iter()) {
        *volume.entry(currency.clone()).or_default() += amount;
    }
    StoresTotals {
        stores: rows.len() as i64,
        online: rows.iter().map(|r| r.online).sum(),
        offline: rows.iter().map(|r| r.offline).sum(),
        busy: rows.iter().map(|r| r.busy).sum(),
        alerts: rows.iter().map(|r| r.alerts).sum(),
        today_count: rows.iter().map(|r| r.today_count).sum(),
        today_volume: volume.into_iter().collect(),
    }
}

fn keep(r: &StoreRow, q: &StoresQuery) -> bool {
    fn given(v: &Option<String>) -> Option<&str> {
        v.as_deref().filter(|s| !s.trim().is_empty())
    }
    if given(&q.tenant).is_some_and(|t| t != r.tenant_id) {
        return false;
    }
    if given(&q.connection).is_some_and(|c| c != r.connection_id) {
        return false;
    }
    if let Some(text) = given(&q.q) {
        let text = text.trim().to_lowercase();
        let hay = [
            Some(r.name.as_str()),
            r.city.as_deref(),
            r.region.as_deref(),
            Some(r.country.as_str()),
            Some(r.tenant_name.as_str()),
        ];
        if !hay
            .into_iter()
            .flatten()
            .any(|h| h.to_lowercase().contains(&text))
        {
            return false;
        }
    }
    match given(&q.status) {
        Some("attention") => r.offline > 0 || r.alerts > 0,
        Some("alerts") => r.alerts > 0,
        Some("busy") => r.busy > 0,
        _ => true,
    }
}

fn sort(rows: &mut [StoreRow], q: &StoresQuery) {
    let name = |r: &StoreRow| (r.name.to_lowercase(), r.tenant_name.to_lowercase());
    match q.sort.as_deref().unwrap_or("name") {
        "organisation" => rows.sort_by_key(|r| (r.tenant_name.to_lowercase(), name(r))),
        "city" => {
            rows.sort_by_key(|r| (r.city.clone().unwrap_or_default().to_lowercase(), name(r)))
        }
        "online" => rows.sort_by_key(|r| (r.online, name(r))),
        "offline" => rows.sort_by_key(|r| (r.offline, name(r))),
        "alerts" => rows.sort_by_key(|r| (r.alerts, name(r))),
        "volume" => rows.sort_by_key(|r| (r.volume_for_sort(), name(r))),
        "last" => rows.sort_by_key(|r| (r.last_payment.as_ref().map_or(0, |p| p.at), name(r))),
        _ => rows.sort_by_key(name),
    }
    if q.dir.as_deref() == Some("desc") {
        rows.reverse();
    }
}

/// Switches the session to `tenant_id` (audited, like the header's switcher) when the user may
/// see the store there, and answers the store's page.
pub async fn open_store(caller: &Caller, tenant_id: &str, location_id: &str) -> AppResult<String> {
    let Some(tenant) = caller.tenants.iter().find(|t| t.id == tenant_id) else {
        return Err(AppError::not_found("store"));
    };
    let mut binds = Binds::new();
    let tenant_param = binds.add(&tenant.id);
    let location_param = binds.add(location_id);
    let sees = MemberScope::for_caller(caller).clause(&mut binds, "m", "l.tenant_id", "l.id");
    let visible: Option<String> = binds
        .query_scalar(&format!(
            "SELECT l.id FROM locations l
         JOIN memberships m ON m.tenant_id = l.tenant_id
         WHERE l.tenant_id = {tenant_param} AND l.id = {location_param} AND {sees}"
        ))
        .fetch_optional(&caller.db().pool)
        .await?;
    let Some(location) = visible else {
        return Err(AppError::not_found("store"));
    };
    if caller.tenant_id != tenant.id {
        auth_service::switch_tenant_because(
            caller,
            &tenant.id,
            Some(format!("from All stores, to open {location}")),
        )
        .await?;
    }
    Ok(format!("/locations/{location}"))
}

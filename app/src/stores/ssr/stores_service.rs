//! All stores: every location of every organisation the user belongs to, with its readers,
//! alerts, today's takings and last payment. Each organisation is seen with the user's role in
//! it, so an operator sees only the stores granted to them there.

use crate::auth::ssr::auth_service;
use crate::error::{AppError, AppResult};
use crate::payments::ssr::payment_figures::DAY_MS;
use crate::ssr::binds::Binds;
use crate::ssr::caller::Caller;
use crate::ssr::fleet_scope::{escape_like, MemberScope};
use crate::ssr::ids::now_ms;
use crate::stores::types::{
    StoreLastPayment, StoreRow, StoresQuery, StoresTotals, StoresView, STORES_PER_PAGE,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Stores on a page, as a bound value.
const PER_PAGE: i64 = STORES_PER_PAGE as i64;

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
    online: i64,
    offline: i64,
    busy: i64,
    alerts: i64,
    stuck: i64,
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

#[derive(sqlx::FromRow)]
struct Sums {
    stores: i64,
    online: i64,
    offline: i64,
    busy: i64,
    alerts: i64,
}

/// Midnight UTC of the day `now_ms` falls in.
fn day_start(now_ms: i64) -> i64 {
    now_ms - now_ms.rem_euclid(DAY_MS)
}

/// What a statement over the visible stores joins beyond the stores themselves and their kept
/// figures (`f`): each join costs PostgreSQL planning time on every request, so a statement
/// takes only those its columns, filters and sort read.
#[derive(Debug, Clone, Copy, Default)]
struct Joins {
    /// The organisation (`t`), for its name.
    tenant: bool,
    /// Today's takings at their biggest (`tk.top`), for the volume sort.
    takings: bool,
}

/// The stores the caller sees (`l`), of one organisation when `only` says which, with their
/// kept figures (`f`) and what `joins` adds, before any filter.
fn visible_stores<'c>(
    caller: &'c Caller,
    binds: &mut Binds<'c>,
    today: i64,
    joins: Joins,
    only: Option<&'c str>,
) -> String {
    let mut from = String::from(
        "FROM locations l
         JOIN memberships m ON m.tenant_id = l.tenant_id
         LEFT JOIN store_figures f ON f.tenant_id = l.tenant_id AND f.location_id = l.id",
    );
    if joins.tenant {
        from.push_str(
            "
         JOIN tenants t ON t.id = l.tenant_id",
        );
    }
    if joins.takings {
        from.push_str(&takings_join(caller, binds, today));
    }
    let sees = MemberScope::for_caller(caller).clause(binds, "m", "l.tenant_id", "l.id");
    let only = only
        .map(|tenant| {
            let tenant = binds.add(tenant);
            format!(" AND l.tenant_id = {tenant} AND m.tenant_id = {tenant}")
        })
        .unwrap_or_default();
    format!("{from}\n         WHERE {sees}{only}")
}

/// Today's takings of each store at their biggest, as `tk.top`, for the volume sort.
fn takings_join<'c>(caller: &'c Caller, binds: &mut Binds<'c>, today: i64) -> String {
    let user = binds.add(caller.principal.id());
    let day = binds.add(today);
    format!(
        "
         LEFT JOIN (SELECT s.tenant_id, s.location_id, MAX(s.volume) AS top FROM store_takings s
           WHERE s.tenant_id IN (SELECT um.tenant_id FROM memberships um WHERE um.user_id = {user})
             AND s.day = {day} AND s.count <> 0
           GROUP BY s.tenant_id, s.location_id) tk
           ON tk.tenant_id = l.tenant_id AND tk.location_id = l.id"
    )
}

/// The query's filters as SQL conditions on [`visible_stores`] (the search reads `t`).
fn filters<'c>(query: &'c StoresQuery, binds: &mut Binds<'c>) -> AppResult<Vec<String>> {
    let mut conditions = Vec::new();
    if let Some(tenant) = given(&query.tenant) {
        conditions.push(format!("l.tenant_id = {}", binds.add(tenant)));
    }
    if let Some(connection) = given(&query.connection) {
        conditions.push(format!("l.connection_id = {}", binds.add(connection)));
    }
    if let Some(text) = given(&query.q) {
        if text.chars().count() > 100 {
            return Err(AppError::invalid("q", "Search for at most 100 characters."));
        }
        let p = binds.add(format!("%{}%", escape_like(&text.to_lowercase())));
        let any = ["l.display_name", "l.city", "l.state", "l.country", "t.name"]
            .map(|column| format!("LOWER({column}) LIKE {p} ESCAPE '\\'"))
            .join(" OR ");
        conditions.push(format!("({any})"));
    }
    match given(&query.status) {
        // As the page marks a store needing attention.
        Some("attention") => conditions.push(
            "(COALESCE(f.offline, 0) > 0 OR COALESCE(f.alerts, 0) > 0 OR COALESCE(f.stuck, 0) > 0)"
                .into(),
        ),
        Some("alerts") => conditions.push("COALESCE(f.alerts, 0) > 0".into()),
        Some("busy") => conditions.push("COALESCE(f.busy, 0) > 0".into()),
        _ => {}
    }
    Ok(conditions)
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The query's sort: its key, then name and organisation, then the ids, so every page holds
/// the same stores however often it is read; each key with its direction.
fn order(query: &StoresQuery) -> Vec<String> {
    let key = match query.sort.as_deref().unwrap_or("name") {
        "organisation" => Some("LOWER(t.name)"),
        "city" => Some("LOWER(COALESCE(l.city, ''))"),
        "online" => Some("COALESCE(f.online, 0)"),
        "offline" => Some("COALESCE(f.offline, 0)"),
        "alerts" => Some("COALESCE(f.alerts, 0)"),
        "volume" => Some("COALESCE(tk.top, 0)"),
        "last" => Some("COALESCE(f.last_payment_at, 0)"),
        _ => None,
    };
    key.into_iter()
        .chain([
            "LOWER(l.display_name)",
            "LOWER(t.name)",
            "l.tenant_id",
            "l.id",
        ])
        .map(str::to_string)
        .collect()
}

pub async fn all_stores(caller: &Caller, query: &StoresQuery) -> AppResult<StoresView> {
    let now = now_ms();
    let today = day_start(now);
    // Reader counts, today's takings and the newest payment are kept per store beside the rows
    // (store_figures, store_takings), so the database filters, sorts and pages the stores and
    // this reads one page of them, whatever the fleet holds.
    let places = places(caller).await?;
    let sums = sums(caller).await?;
    // Without a filter every store matches, and the sums counted them already.
    let matching = if filters(query, &mut Binds::new())?.is_empty() {
        sums.stores
    } else {
        matching(caller, query, today).await?
    };
    let volume = today_volume(caller, today).await?;
    let pages = ((matching + PER_PAGE - 1) / PER_PAGE).max(1);
    let page = query.page.unwrap_or(1).clamp(1, pages);
    let stores = page_of_stores(caller, query, today, page).await?;
    let mut takings_by = page_takings(caller, &stores, today).await?;
    let stores = stores
        .into_iter()
        .map(|s| {
            let key = (s.tenant_id.clone(), s.id.clone());
            let money = takings_by.remove(&key).unwrap_or_default();
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
                online: s.online,
                offline: s.offline,
                busy: s.busy,
                alerts: s.alerts,
                stuck: s.stuck,
                today_count: money.iter().map(|t| t.count).sum(),
                today_volume: money.into_iter().map(|t| (t.currency, t.volume)).collect(),
                last_payment,
            }
        })
        .collect();
    let totals = StoresTotals {
        stores: sums.stores,
        online: sums.online,
        offline: sums.offline,
        busy: sums.busy,
        alerts: sums.alerts,
        today_count: volume.iter().map(|v| v.1).sum(),
        today_volume: volume.into_iter().map(|(c, _, v)| (c, v)).collect(),
    };
    let mut tenants: Vec<(String, String)> = places
        .iter()
        .map(|p| (p.0.clone(), p.1.clone()))
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
    let mut connections: Vec<(String, String, String)> = places
        .into_iter()
        .map(|(_, tenant, id, name)| (id, (name, tenant)))
        .collect::<BTreeMap<_, _>>()
        .into_iter()
        .map(|(id, (name, tenant))| (id, name, tenant))
        .collect();
    connections.sort_by(|a, b| (&a.2, &a.1).cmp(&(&b.2, &b.1)));
    Ok(StoresView {
        now,
        stores,
        matching: usize::try_from(matching).unwrap_or_default(),
        page,
        pages,
        totals,
        tenants,
        connections,
    })
}

/// The filter choices: every organisation and Stripe account with a store the caller sees,
/// found from the accounts (a few) rather than from every store.
async fn places(caller: &Caller) -> AppResult<Vec<(String, String, String, String)>> {
    let mut binds = Binds::new();
    let user = binds.add(caller.principal.id());
    let sees = MemberScope::for_caller(caller).clause(&mut binds, "m", "l.tenant_id", "l.id");
    Ok(binds
        .query_as(&format!(
            "SELECT c.tenant_id, t.name, c.id, c.name FROM memberships m
             JOIN tenants t ON t.id = m.tenant_id
             JOIN stripe_connections c ON c.tenant_id = m.tenant_id
             WHERE m.user_id = {user} AND EXISTS (SELECT 1 FROM locations l
               WHERE l.connection_id = c.id AND l.tenant_id = m.tenant_id AND {sees})"
        ))
        .fetch_all(&caller.db().pool)
        .await?)
}

/// The stores the caller sees and their readers by status, in one statement. Where the caller
/// sees a whole organisation (any role but operator), its figures are summed per organisation
/// from `store_figures` (the `''` row holds readers without a store); an operator's granted
/// stores are joined one by one.
async fn sums(caller: &Caller) -> AppResult<Sums> {
    let mut binds = Binds::new();
    let scope = MemberScope::for_caller(caller);
    let whole = scope.whole_tenants(&mut binds);
    let sees = scope.clause(&mut binds, "m", "l.tenant_id", "l.id");
    Ok(binds
        .query_as(&format!(
            "SELECT CAST(COALESCE(SUM(x.stores), 0) AS BIGINT) AS stores,
               CAST(COALESCE(SUM(x.online), 0) AS BIGINT) AS online,
               CAST(COALESCE(SUM(x.offline), 0) AS BIGINT) AS offline,
               CAST(COALESCE(SUM(x.busy), 0) AS BIGINT) AS busy,
               CAST(COALESCE(SUM(x.alerts), 0) AS BIGINT) AS alerts
             FROM (SELECT COUNT(*) AS stores, 0 AS online, 0 AS offline, 0 AS busy, 0 AS alerts
                 FROM locations l WHERE l.tenant_id IN ({whole})
               UNION ALL
               SELECT 0, SUM(f.online), SUM(f.offline), SUM(f.busy), SUM(f.alerts)
                 FROM store_figures f WHERE f.tenant_id IN ({whole}) AND f.location_id <> ''
               UNION ALL
               SELECT COUNT(*), SUM(f.online), SUM(f.offline), SUM(f.busy), SUM(f.alerts)
                 FROM locations l
                 JOIN memberships m ON m.tenant_id = l.tenant_id
                 LEFT JOIN store_figures f ON f.tenant_id = l.tenant_id AND f.location_id = l.id
                 WHERE m.role = 'operator' AND {sees}) x"
        ))
        .fetch_one(&caller.db().pool)
        .await?)
}

/// How many of the caller's stores the query's filters keep.
async fn matching(caller: &Caller, query: &StoresQuery, today: i64) -> AppResult<i64> {
    let mut binds = Binds::new();
    let joins = Joins {
        tenant: given(&query.q).is_some(),
        ..Joins::default()
    };
    let from = visible_stores(caller, &mut binds, today, joins, None);
    let conditions: String = filters(query, &mut binds)?
        .into_iter()
        .map(|c| format!(" AND {c}"))
        .collect();
    Ok(binds
        .query_scalar(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) {from}{conditions}"
        ))
        .fetch_one(&caller.db().pool)
        .await?)
}

/// Organisations whose stores are read one by one for a page, at most: past this, one sort
/// over every store (SQLite allows 500 terms in a compound statement).
const MAX_BRANCHES: usize = 64;

/// The page of stores, sorted and cut in the database, with their newest payments.
///
/// Each organisation's stores are read in the page's order (for the name and organisation
/// sorts straight from an index) and cut at the end of the page; the organisations' lists,
/// only their sort keys, are merged and cut again; then the page's stores alone are joined to
/// what the page shows. A page reads about a page per organisation, not every store.
async fn page_of_stores(
    caller: &Caller,
    query: &StoresQuery,
    today: i64,
    page: i64,
) -> AppResult<Vec<Store>> {
    let keys = order(query);
    let dir = if query.dir.as_deref() == Some("desc") {
        " DESC"
    } else {
        ""
    };
    let offset = (page - 1) * PER_PAGE;
    let tenants: Vec<&str> = match given(&query.tenant) {
        Some(tenant) => vec![tenant],
        None => caller.tenants.iter().map(|t| t.id.as_str()).collect(),
    };
    let only: Vec<Option<&str>> = if tenants.len() <= MAX_BRANCHES {
        tenants.into_iter().map(Some).collect()
    } else {
        vec![None]
    };
    // One organisation's stores share its name and id, so its own order leaves them out; the
    // one list of every store (past MAX_BRANCHES) keeps them, or ties on a store's name would
    // be cut apart from the order the page is merged in.
    let order_within = |tenant: Option<&str>| {
        keys.iter()
            .filter(|k| tenant.is_none() || !matches!(k.as_str(), "LOWER(t.name)" | "l.tenant_id"))
            .map(|k| format!("{k}{dir}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let joins = Joins {
        tenant: true,
        takings: query.sort.as_deref() == Some("volume"),
    };
    let key_columns: String = keys
        .iter()
        .enumerate()
        .map(|(n, k)| format!(", {k} AS k{n}"))
        .collect();
    let mut binds = Binds::new();
    let mut branches = Vec::with_capacity(only.len());
    for (n, tenant) in only.into_iter().enumerate() {
        let from = visible_stores(caller, &mut binds, today, joins, tenant);
        let where_: String = filters(query, &mut binds)?
            .into_iter()
            .map(|c| format!(" AND {c}"))
            .collect();
        let limit = binds.add(offset + PER_PAGE);
        branches.push(format!(
            "SELECT * FROM (SELECT l.tenant_id, l.id{key_columns} {from}{where_}
               ORDER BY {} LIMIT {limit}) b{n}",
            order_within(tenant)
        ));
    }
    let by = |prefix: &str| {
        (0..keys.len())
            .map(|n| format!("{prefix}k{n}{dir}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let limit = binds.add(PER_PAGE);
    let offset = binds.add(offset);
    let keys_of_page: String = (0..keys.len()).map(|n| format!(", p.k{n}")).collect();
    Ok(binds
        .query_as(&format!(
            "SELECT s.*, lp.amount AS last_amount, lp.currency AS last_currency,
               lp.status AS last_status, lp.created_at AS last_at
             FROM (SELECT l.tenant_id, t.name AS tenant_name, l.connection_id,
                 c.name AS connection_name, l.id, l.display_name, l.city, l.state, l.country,
                 CAST(COALESCE(f.online, 0) AS BIGINT) AS online,
                 CAST(COALESCE(f.offline, 0) AS BIGINT) AS offline,
                 CAST(COALESCE(f.busy, 0) AS BIGINT) AS busy,
                 CAST(COALESCE(f.alerts, 0) AS BIGINT) AS alerts,
                 CAST(COALESCE(f.stuck, 0) AS BIGINT) AS stuck,
                 f.last_payment_id AS last_id{keys_of_page}
               FROM (SELECT * FROM ({branches}) u
                 ORDER BY {inner} LIMIT {limit} OFFSET {offset}) p
               JOIN locations l ON l.tenant_id = p.tenant_id AND l.id = p.id
               JOIN tenants t ON t.id = l.tenant_id
               JOIN stripe_connections c ON c.id = l.connection_id
               LEFT JOIN store_figures f ON f.tenant_id = l.tenant_id AND f.location_id = l.id) s
             LEFT JOIN payments lp ON lp.tenant_id = s.tenant_id AND lp.id = s.last_id
             ORDER BY {outer}",
            branches = branches.join("\n             UNION ALL "),
            inner = by(""),
            outer = by("s."),
        ))
        .fetch_all(&caller.db().pool)
        .await?)
}

/// Today's takings of every store the caller sees, by currency: payments and net volume. As
/// with [`sums`], a whole organisation's are summed per organisation (so a store removed today
/// still counts what it took today), an operator's granted stores one by one.
async fn today_volume(caller: &Caller, today: i64) -> AppResult<Vec<(String, i64, i64)>> {
    let mut binds = Binds::new();
    let day = binds.add(today);
    let scope = MemberScope::for_caller(caller);
    let whole = scope.whole_tenants(&mut binds);
    let sees = scope.clause(&mut binds, "m", "l.tenant_id", "l.id");
    Ok(binds
        .query_as(&format!(
            "SELECT x.currency, CAST(SUM(x.count) AS BIGINT), CAST(SUM(x.volume) AS BIGINT)
             FROM (SELECT s.currency, s.count, s.volume FROM store_takings s
                 WHERE s.day = {day} AND s.count <> 0 AND s.tenant_id IN ({whole})
               UNION ALL
               SELECT s.currency, s.count, s.volume FROM store_takings s
                 JOIN locations l ON l.tenant_id = s.tenant_id AND l.id = s.location_id
                 JOIN memberships m ON m.tenant_id = l.tenant_id
                 WHERE s.day = {day} AND s.count <> 0 AND m.role = 'operator' AND {sees}) x
             GROUP BY x.currency ORDER BY x.currency"
        ))
        .fetch_all(&caller.db().pool)
        .await?)
}

/// Today's takings of the stores on the page, by store, each store's by currency.
async fn page_takings(
    caller: &Caller,
    stores: &[Store],
    today: i64,
) -> AppResult<HashMap<(String, String), Vec<Takings>>> {
    let mut by: HashMap<(String, String), Vec<Takings>> = HashMap::new();
    if stores.is_empty() {
        return Ok(by);
    }
    let mut binds = Binds::new();
    let day = binds.add(today);
    let tenants: BTreeSet<&str> = stores.iter().map(|s| s.tenant_id.as_str()).collect();
    let tenants: Vec<String> = tenants.into_iter().map(|t| binds.add(t)).collect();
    let locations: Vec<String> = stores.iter().map(|s| binds.add(&s.id)).collect();
    let takings: Vec<Takings> = binds
        .query_as(&format!(
            "SELECT s.tenant_id, s.location_id, s.currency, s.count, s.volume
             FROM store_takings s
             WHERE s.day = {day} AND s.count <> 0 AND s.tenant_id IN ({})
               AND s.location_id IN ({})
             ORDER BY s.currency",
            tenants.join(", "),
            locations.join(", ")
        ))
        .fetch_all(&caller.db().pool)
        .await?;
    for t in takings {
        by.entry((t.tenant_id.clone(), t.location_id.clone()))
            .or_default()
            .push(t);
    }
    Ok(by)
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

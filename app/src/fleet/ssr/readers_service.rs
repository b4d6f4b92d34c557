//! Readers: the list (filters, search, sort, paging), the readers of a location and those with
//! an alert, and the
//! changes (register, relabel, delete, cancel an action) that go to Stripe first.

use super::reader_rows::{self, Mirror};
use super::reader_views::{find, Row, SELECT};
use crate::error::{quote, AppError, AppResult};
use crate::fleet::types::{
    LocationChoice, ReaderQuery, ReaderView, ReadersView, RegisterOptions, READERS_PER_PAGE,
};
use crate::model::Permission;
use crate::ssr::audit::{record, Entry};
use crate::ssr::binds::Binds;
use crate::ssr::caller::Caller;
use crate::ssr::fleet_scope::{escape_like, LocationScope};
use crate::ssr::ids::{new_id, now_ms};
use crate::ssr::stripe_access::{self, from_stripe, Access, Asked};
use crate::topic::Topic;
use fleet_stripe::params::{CreateReader, UpdateReader};
use fleet_stripe::{IdempotencyKey, Reader};

pub async fn list(caller: &Caller, query: &ReaderQuery) -> AppResult<ReadersView> {
    let mut binds = Binds::new();
    let filter = filter_clause(caller, query, &mut binds)?;
    let order = match query.sort.as_deref().unwrap_or("label") {
        "label" => "LOWER(r.label)",
        "status" => "r.status",
        "location" => "COALESCE(l.display_name, '')",
        "device" => "r.device_type",
        "last_seen" => "COALESCE(r.last_seen_at, 0)",
        other => {
            return Err(AppError::invalid(
                "sort",
                format!("Readers cannot be sorted by “{}”.", quote(other)),
            ))
        }
    };
    let dir = match query.dir.as_deref().unwrap_or("asc") {
        "desc" => "DESC",
        _ => "ASC",
    };

    // Counted apart from the page: the count reads only an index, and the page stops after
    // its rows in index order. A window count on the page's query looked like one round-trip
    // less but read every matching row in full, and halved the list's throughput.
    let count_sql = format!("SELECT COUNT(*) FROM readers r WHERE {filter}");
    let total = binds
        .query_scalar::<i64>(&count_sql)
        .fetch_one(&caller.db().pool)
        .await?;
    let pages = pages_for(total);
    let page = query.page.unwrap_or(1).clamp(1, pages);
    let sql = format!(
        "{SELECT} WHERE {filter} ORDER BY {order} {dir}, r.id {dir} LIMIT {READERS_PER_PAGE} OFFSET {}",
        (page - 1) * READERS_PER_PAGE
    );
    let rows: Vec<Row> = binds.query_as(&sql).fetch_all(&caller.db().pool).await?;

    let choices = filter_choices(caller).await?;
    Ok(ReadersView {
        now: crate::ssr::ids::now_ms(),
        readers: rows.into_iter().map(ReaderView::from).collect(),
        total,
        page,
        pages,
        locations: choices.locations.clone(),
        device_types: choices.device_types.clone(),
        can_manage: caller.can(Permission::ManageFleet),
        can_operate: caller.can(Permission::Charge),
    })
}

/// The list's filters (location, status, device, search) within what the caller may see, as a
/// SQL condition on `readers r`; the bulk actions and the CSV export select with it too.
pub fn filter_clause<'q>(
    caller: &'q Caller,
    query: &'q ReaderQuery,
    binds: &mut Binds<'q>,
) -> AppResult<String> {
    let mut conditions =
        vec![LocationScope::for_caller(caller).clause(binds, "r.tenant_id", "r.location_id")];
    if let Some(location) = query.location.as_deref().filter(|s| !s.is_empty()) {
        let p = binds.add(location);
        conditions.push(format!("r.location_id = {p}"));
    }
    match query.status.as_deref().unwrap_or("") {
        "online" => conditions.push("r.status = 'online'".into()),
        "offline" => conditions.push("r.status = 'offline'".into()),
        "busy" => conditions.push("r.status = 'online' AND r.action_status = 'in_progress'".into()),
        "alert" => conditions.push("r.alert_since IS NOT NULL".into()),
        "" => {}
        other => {
            return Err(AppError::invalid(
                "status",
                format!(
                    "“{}” is not a status; choose online, offline, busy or alert.",
                    quote(other)
                ),
            ))
        }
    }
    if let Some(device) = query.device_type.as_deref().filter(|s| !s.is_empty()) {
        let p = binds.add(device);
        conditions.push(format!("r.device_type = {p}"));
    }
    if let Some(q) = query.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        if q.chars().count() > 100 {
            return Err(AppError::invalid("q", "Search for at most 100 characters."));
        }
        let p = binds.add(format!("%{}%", escape_like(&q.to_lowercase())));
        conditions.push(format!(
            "(LOWER(r.label) LIKE {p} ESCAPE '\\' OR LOWER(r.serial_number) LIKE {p} ESCAPE '\\' OR LOWER(r.id) LIKE {p} ESCAPE '\\')"
        ));
    }
    Ok(conditions.join(" AND "))
}

fn pages_for(total: i64) -> i64 {
    ((total + READERS_PER_PAGE - 1) / READERS_PER_PAGE).max(1)
}

/// What the filters offer: the locations the caller may see (with whether each is simulated,
/// for the register form) and the device types among their readers.
#[derive(Debug, Clone)]
struct FilterChoices {
    locations: Vec<LocationChoice>,
    device_types: Vec<String>,
}

/// Under this name in the tenant's cached data (`crate::ssr::read_cache`).
const FILTER_CHOICES: &str = "fleet.filter_choices";

/// [`FilterChoices`], for a caller who sees the whole tenant from the tenant's cached data:
/// every page of the list and the register form ask, and any message about the tenant on the
/// live bus (a location, a reader, a connection changed) drops it.
async fn filter_choices(caller: &Caller) -> AppResult<std::sync::Arc<FilterChoices>> {
    if !LocationScope::for_caller(caller).sees_whole_tenant() {
        return Ok(std::sync::Arc::new(read_filter_choices(caller).await?));
    }
    let cache = caller.state.bus.cache();
    if let Some(held) = cache.tenant_data::<FilterChoices>(&caller.tenant_id, FILTER_CHOICES) {
        return Ok(held);
    }
    let since = cache.epoch();
    let read = std::sync::Arc::new(read_filter_choices(caller).await?);
    cache.keep_tenant_data(since, &caller.tenant_id, FILTER_CHOICES, read.clone());
    Ok(read)
}

/// [`FilterChoices`] from the database, in one query.
async fn read_filter_choices(caller: &Caller) -> AppResult<FilterChoices> {
    let mut binds = Binds::new();
    let locations = LocationScope::for_caller(caller).clause(&mut binds, "l.tenant_id", "l.id");
    let readers =
        LocationScope::for_caller(caller).clause(&mut binds, "r.tenant_id", "r.location_id");
    let rows: Vec<(i64, String, String, String)> = binds
        .query_as(&format!(
            "SELECT CAST(0 AS BIGINT), l.id, l.display_name, c.kind
             FROM locations l JOIN stripe_connections c ON c.id = l.connection_id
             WHERE {locations}
             UNION ALL
             SELECT DISTINCT CAST(1 AS BIGINT), r.device_type, r.device_type, ''
             FROM readers r WHERE {readers}
             ORDER BY 1, 3, 2"
        ))
        .fetch_all(&caller.db().pool)
        .await?;
    let mut choices = FilterChoices {
        locations: Vec::new(),
        device_types: Vec::new(),
    };
    for (part, id, name, kind) in rows {
        if part == 0 {
            choices.locations.push(LocationChoice {
                id,
                name,
                simulated: kind == "simulator",
            });
        } else {
            choices.device_types.push(id);
        }
    }
    Ok(choices)
}

/// What the register form offers: the locations the caller may register a reader at, which
/// are the list's location choices (in the same order, by name).
pub async fn register_options(caller: &Caller) -> AppResult<RegisterOptions> {
    let can_manage = caller.can(Permission::ManageFleet);
    let locations = if can_manage {
        filter_choices(caller).await?.locations.clone()
    } else {
        Vec::new()
    };
    Ok(RegisterOptions {
        locations,
        can_manage,
    })
}

/// Every reader at one location (already checked visible by the caller).
pub async fn at_location(caller: &Caller, location_id: &str) -> AppResult<Vec<ReaderView>> {
    let mut binds = Binds::new();
    let scope =
        LocationScope::for_caller(caller).clause(&mut binds, "r.tenant_id", "r.location_id");
    let location_id_param = binds.add(location_id);
    let rows: Vec<Row> = binds
        .query_as(&format!(
            "{SELECT} WHERE {scope} AND r.location_id = {location_id_param}
         ORDER BY LOWER(r.label), r.id LIMIT 1000"
        ))
        .fetch_all(&caller.db().pool)
        .await?;
    Ok(rows.into_iter().map(ReaderView::from).collect())
}

/// Readers with a raised alert (offline, or an action stuck), longest first.
pub async fn alerts(caller: &Caller) -> AppResult<Vec<ReaderView>> {
    let mut binds = Binds::new();
    let scope =
        LocationScope::for_caller(caller).clause(&mut binds, "r.tenant_id", "r.location_id");
    let rows: Vec<Row> = binds
        .query_as(&format!(
            "{SELECT} WHERE {scope} AND (r.alert_since IS NOT NULL OR r.stuck_since IS NOT NULL)
         ORDER BY COALESCE(r.alert_since, r.stuck_since), r.id LIMIT 200"
        ))
        .fetch_all(&caller.db().pool)
        .await?;
    Ok(rows.into_iter().map(ReaderView::from).collect())
}

fn clean_label(raw: &str) -> AppResult<String> {
    let label = raw.trim();
    if label.chars().count() > 64 {
        return Err(AppError::invalid(
            "label",
            "Keep the label under 64 characters.",
        ));
    }
    if label.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "label",
            "The label has a character that cannot be shown.",
        ));
    }
    Ok(label.to_string())
}

/// Stores Stripe's answer about a reader and tells the tenant's pages.
pub(super) async fn store(
    caller: &Caller,
    access: &Access,
    reader: &Reader,
    action: &str,
    detail: String,
) -> AppResult<()> {
    let fresh = Mirror::from_stripe(reader);
    let mut tx = caller.db().begin_write().await?;
    let old = reader_rows::load(&mut tx, &access.connection_id, &reader.id).await?;
    reader_rows::apply(
        &mut tx,
        &caller.tenant_id,
        &access.connection_id,
        old.as_ref(),
        &fresh,
        now_ms(),
    )
    .await?;
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, action)
            .target("reader", &reader.id)
            .detail(detail),
    )
    .await?;
    tx.commit().await?;
    caller
        .state
        .bus
        .publish(&caller.tenant_id, Topic::Readers, Some(&reader.id))
        .await;
    Ok(())
}

pub async fn register(
    caller: &Caller,
    location_id: &str,
    code: &str,
    label: &str,
) -> AppResult<String> {
    let code = code.trim();
    if code.is_empty() {
        return Err(AppError::invalid(
            "registration_code",
            "Enter the registration code the reader shows.",
        ));
    }
    if code.chars().count() > 100 || code.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "registration_code",
            "That is not a registration code: it is a few words joined by dashes, e.g. apple-banana-cherry.",
        ));
    }
    let label = clean_label(label)?;
    let mut binds = Binds::new();
    let scope = LocationScope::for_caller(caller).clause(&mut binds, "l.tenant_id", "l.id");
    let location_id_param = binds.add(location_id);
    let connection: Option<(String, String)> = binds
        .query_as(&format!(
            "SELECT l.connection_id, l.display_name FROM locations l
         WHERE {scope} AND l.id = {location_id_param}"
        ))
        .fetch_optional(&caller.db().pool)
        .await?;
    let Some((connection_id, location_name)) = connection else {
        return Err(AppError::not_found("location"));
    };
    let access = stripe_access::load(&caller.state, &caller.tenant_id, &connection_id).await?;
    let reader = access
        .client
        .create_reader(
            &access.creds,
            &registration(code, &label, location_id),
            &IdempotencyKey::new(new_id("op")),
        )
        .await
        .map_err(|e| {
            let field = match e.api().and_then(|a| a.param.as_deref()) {
                Some("label") => "label",
                Some("location") => "location",
                _ => "registration_code",
            };
            from_stripe(e, Asked::Field(field))
        })?;
    let detail = format!(
        "{} ({}) at {location_name}",
        reader.label.clone().unwrap_or_default(),
        reader.device_type.as_str()
    );
    store(caller, &access, &reader, "reader.registered", detail).await?;
    Ok(reader.id)
}

/// What Stripe is asked to register a reader with: the code, the label when there is one,
/// the location.
pub fn registration(code: &str, label: &str, location_id: &str) -> CreateReader {
    CreateReader {
        registration_code: code.to_string(),
        label: (!label.is_empty()).then(|| label.to_string()),
        location: Some(location_id.to_string()),
        metadata: None,
    }
}

pub(super) async fn access_for(caller: &Caller, reader: &ReaderView) -> AppResult<Access> {
    stripe_access::load(&caller.state, &caller.tenant_id, &reader.connection_id).await
}

pub async fn relabel(caller: &Caller, id: &str, label: &str) -> AppResult<()> {
    let reader = find(caller, id).await?;
    let label = clean_label(label)?;
    let access = access_for(caller, &reader).await?;
    let updated = access
        .client
        .update_reader(
            &access.creds,
            id,
            &UpdateReader {
                label: Some(label.clone()),
                metadata: None,
            },
            &IdempotencyKey::new(new_id("op")),
        )
        .await
        .map_err(|e| from_stripe(e, Asked::Field("label")))?;
    let detail = format!("“{}” → “{label}”", reader.label);
    store(caller, &access, &updated, "reader.relabeled", detail).await
}

pub async fn delete(caller: &Caller, id: &str) -> AppResult<()> {
    let reader = find(caller, id).await?;
    let access = access_for(caller, &reader).await?;
    match access.client.delete_reader(&access.creds, id).await {
        Ok(_) => {}
        Err(e) if e.api().is_some_and(|a| a.status == 404) => {}
        Err(e) => return Err(from_stripe(e, Asked::Field("reader"))),
    }
    let mut tx = caller.db().begin_write().await?;
    reader_rows::remove(&mut tx, &access.connection_id, id).await?;
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, "reader.deleted")
            .target("reader", id)
            .detail(format!("{} ({})", reader.label, reader.serial_number)),
    )
    .await?;
    tx.commit().await?;
    caller
        .state
        .bus
        .publish(&caller.tenant_id, Topic::Readers, Some(id))
        .await;
    Ok(())
}

/// Stops what the reader is doing (a payment waiting for a card, a cart on screen).
pub async fn cancel_action(caller: &Caller, id: &str) -> AppResult<()> {
    let reader = find(caller, id).await?;
    let access = access_for(caller, &reader).await?;
    let updated = access
        .client
        .cancel_action(&access.creds, id, &IdempotencyKey::new(new_id("op")))
        .await
        .map_err(|e| from_stripe(e, Asked::Action))?;
    let what = reader
        .action
        .as_ref()
        .map(|a| a.kind.clone())
        .unwrap_or_else(|| "no action".into());
    store(caller, &access, &updated, "reader.action_canceled", what).await
}

/// Rows of one page of the CSV export.
const EXPORT_PAGE: i64 = 500;

/// One page of the readers matching the list's filter, in id order after `after`, and the
/// cursor of the next page: the export streams them page by page.
pub async fn export_page(
    caller: &Caller,
    query: &ReaderQuery,
    after: Option<&str>,
) -> AppResult<(Vec<ReaderView>, Option<String>)> {
    let mut binds = Binds::new();
    let mut filter = filter_clause(caller, query, &mut binds)?;
    if let Some(after) = after {
        let p = binds.add(after);
        filter.push_str(&format!(" AND r.id > {p}"));
    }
    let rows: Vec<Row> = binds
        .query_as(&format!(
            "{SELECT} WHERE {filter} ORDER BY r.id LIMIT {EXPORT_PAGE}"
        ))
        .fetch_all(&caller.db().pool)
        .await?;
    let readers: Vec<ReaderView> = rows.into_iter().map(ReaderView::from).collect();
    let next = (readers.len() as i64 == EXPORT_PAGE)
        .then(|| readers.last().map(|r| r.id.clone()))
        .flatten();
    Ok((readers, next))
}

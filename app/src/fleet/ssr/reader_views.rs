//! Readers as pages and the API see them (`ReaderView`): the query, its mapping, and one reader
//! looked up within what the caller may see. Payments look readers up here too, so the readers
//! service can show a reader's payments without payments depending back on it.

use crate::error::{AppError, AppResult};
use crate::fleet::types::{ActionView, ReaderView};
use crate::ssr::binds::Binds;
use crate::ssr::caller::Caller;
use crate::ssr::fleet_scope::LocationScope;

/// A reader row joined with its location's name, as [`SELECT`] reads it.
#[derive(sqlx::FromRow)]
pub(super) struct Row {
    id: String,
    connection_id: String,
    label: String,
    location_id: Option<String>,
    location_name: Option<String>,
    device_type: String,
    serial_number: String,
    sw_version: Option<String>,
    ip_address: Option<String>,
    status: String,
    last_seen_at: Option<i64>,
    status_since: i64,
    action_type: Option<String>,
    action_status: Option<String>,
    action_detail: Option<String>,
    action_payment: Option<String>,
    alert_since: Option<i64>,
    stuck_since: Option<i64>,
    synced_at: i64,
}

impl From<Row> for ReaderView {
    fn from(r: Row) -> Self {
        let action = match (r.action_type, r.action_status) {
            (Some(kind), Some(status)) => Some(ActionView {
                kind,
                status,
                detail: r.action_detail,
                payment: r.action_payment,
            }),
            _ => None,
        };
        ReaderView {
            id: r.id,
            connection_id: r.connection_id,
            label: r.label,
            location_id: r.location_id,
            location_name: r.location_name,
            device_type: r.device_type,
            serial_number: r.serial_number,
            sw_version: r.sw_version,
            ip_address: r.ip_address,
            online: r.status == "online",
            last_seen_at: r.last_seen_at,
            status_since: r.status_since,
            action,
            alert_since: r.alert_since,
            stuck_since: r.stuck_since,
            synced_at: r.synced_at,
        }
    }
}

/// The readers query; callers add a `WHERE` scoped with [`LocationScope`].
pub(super) const SELECT: &str = "SELECT r.id, r.connection_id, r.label, r.location_id,
    l.display_name AS location_name, r.device_type, r.serial_number, r.sw_version, r.ip_address,
    r.status, r.last_seen_at, r.status_since, r.action_type, r.action_status, r.action_detail,
    r.action_payment, r.alert_since, r.stuck_since, r.synced_at
    FROM readers r LEFT JOIN locations l ON l.connection_id = r.connection_id AND l.id = r.location_id";

/// One reader the caller may see.
pub async fn find(caller: &Caller, id: &str) -> AppResult<ReaderView> {
    let mut binds = Binds::new();
    let scope =
        LocationScope::for_caller(caller).clause(&mut binds, "r.tenant_id", "r.location_id");
    let id_param = binds.add(id);
    let row: Option<Row> = binds
        .query_as(&format!("{SELECT} WHERE {scope} AND r.id = {id_param}"))
        .fetch_optional(&caller.db().pool)
        .await?;
    row.map(ReaderView::from)
        .ok_or_else(|| AppError::not_found("reader"))
}

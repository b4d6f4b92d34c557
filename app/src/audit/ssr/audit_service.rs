//! Reading a tenant's audit log: keyset pages over the (tenant, time, id) indexes.

use crate::audit::types::{AuditEntry, AuditFilter, AuditPage};
use crate::error::{quote, AppError, AppResult};
use crate::ssr::binds::Binds;
use crate::ssr::cursor::Cursor;
use crate::ssr::db::Db;
use time::macros::format_description;

pub const PAGE_SIZE: usize = 50;

fn day_start_ms(raw: &str, field: &str) -> AppResult<i64> {
    let format = format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(raw.trim(), &format).map_err(|_| {
        AppError::invalid(
            field,
            format!("'{}' is not a date like 2026-11-24.", quote(raw)),
        )
    })?;
    let start = date.midnight().assume_utc();
    Ok(start.unix_timestamp() * 1000)
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// One page of the audit log of `tenant_id`, newest first.
pub async fn list(db: &Db, tenant_id: &str, filter: &AuditFilter) -> AppResult<AuditPage> {
    let mut binds = Binds::new();
    let mut sql = format!(
        "SELECT a.id, a.at, a.actor_email, a.action, a.target_type, a.target_id, a.detail, a.ip,
         a.user_agent FROM audit_log a WHERE a.tenant_id = {}",
        binds.add(tenant_id)
    );
    if let Some(actor) = non_empty(&filter.actor) {
        let actor = binds.add(actor.to_lowercase());
        sql.push_str(&format!(" AND a.actor_email = {actor}"));
    }
    if let Some(action) = non_empty(&filter.action) {
        sql.push_str(&format!(" AND a.action = {}", binds.add(action)));
    }
    if let Some(target) = non_empty(&filter.target) {
        sql.push_str(&format!(" AND a.target_id = {}", binds.add(target)));
    }
    if let Some(from) = non_empty(&filter.from) {
        let start = day_start_ms(from, "from")?;
        sql.push_str(&format!(" AND a.at >= {}", binds.add(start)));
    }
    if let Some(to) = non_empty(&filter.to) {
        let end = day_start_ms(to, "to")? + 24 * 3600 * 1000;
        sql.push_str(&format!(" AND a.at < {}", binds.add(end)));
    }
    if let Some(cursor) = Cursor::<1>::parse(filter.before.as_deref())? {
        sql.push_str(" AND ");
        sql.push_str(&cursor.older_than(&mut binds, "a.at", ["a.id"]));
    }
    sql.push_str(&format!(
        " ORDER BY a.at DESC, a.id DESC LIMIT {}",
        PAGE_SIZE + 1
    ));

    type Row = (
        String,
        i64,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows = binds.query_as::<Row>(&sql).fetch_all(&db.pool).await?;
    let mut entries: Vec<AuditEntry> = rows
        .into_iter()
        .map(
            |(id, at, actor_email, action, target_type, target_id, detail, ip, user_agent)| {
                AuditEntry {
                    id,
                    at,
                    actor_email,
                    action,
                    target_type,
                    target_id,
                    detail,
                    ip,
                    user_agent,
                }
            },
        )
        .collect();
    let next = if entries.len() > PAGE_SIZE {
        entries.truncate(PAGE_SIZE);
        entries
            .last()
            .map(|e| Cursor::new(e.at, [e.id.clone()]).encode())
    } else {
        None
    };
    let actions = crate::audit::types::AUDIT_ACTIONS
        .iter()
        .map(|a| a.to_string())
        .collect();
    Ok(AuditPage {
        entries,
        next,
        actions,
    })
}

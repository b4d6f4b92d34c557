//! Reading a tenant's audit log: keyset pages over the (tenant, time, id) indexes.

use crate::audit::types::{AuditEntry, AuditFilter, AuditPage};
use crate::error::{quote, AppError, AppResult};
use crate::ssr::db::Db;
use time::macros::format_description;

pub const PAGE_SIZE: usize = 50;

const VISIBLE: &str = "a.tenant_id = $1";

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

/// The cursor is `"{at}:{id}"` of the last entry shown.
fn parse_cursor(raw: &str) -> AppResult<(i64, String)> {
    raw.split_once(':')
        .and_then(|(at, id)| Some((at.parse().ok()?, id.to_string())))
        .ok_or_else(|| AppError::BadRequest("the page cursor is malformed".into()))
}

enum Arg {
    Int(i64),
    Text(String),
}

/// One page of the audit log of `tenant_id`, newest first.
pub async fn list(db: &Db, tenant_id: &str, filter: &AuditFilter) -> AppResult<AuditPage> {
    let mut sql = format!(
        "SELECT a.id, a.at, a.actor_email, a.action, a.target_type, a.target_id, a.detail, a.ip,
         a.user_agent FROM audit_log a WHERE {VISIBLE}"
    );
    let mut args: Vec<Arg> = vec![Arg::Text(tenant_id.to_string())];
    let mut push = |sql: &mut String, clause: &str, arg: Arg| {
        args.push(arg);
        sql.push_str(&clause.replace("$?", &format!("${}", args.len())));
    };
    if let Some(actor) = non_empty(&filter.actor) {
        push(
            &mut sql,
            " AND a.actor_email = $?",
            Arg::Text(actor.to_lowercase()),
        );
    }
    if let Some(action) = non_empty(&filter.action) {
        push(
            &mut sql,
            " AND a.action = $?",
            Arg::Text(action.to_string()),
        );
    }
    if let Some(target) = non_empty(&filter.target) {
        push(
            &mut sql,
            " AND a.target_id = $?",
            Arg::Text(target.to_string()),
        );
    }
    if let Some(from) = non_empty(&filter.from) {
        push(
            &mut sql,
            " AND a.at >= $?",
            Arg::Int(day_start_ms(from, "from")?),
        );
    }
    if let Some(to) = non_empty(&filter.to) {
        let end = day_start_ms(to, "to")? + 24 * 3600 * 1000;
        push(&mut sql, " AND a.at < $?", Arg::Int(end));
    }
    if let Some(cursor) = non_empty(&filter.before) {
        let (at, id) = parse_cursor(cursor)?;
        // A row comparison, which both databases answer from the (tenant, at, id) index.
        push(&mut sql, " AND (a.at, a.id) < ($?", Arg::Int(at));
        push(&mut sql, ", $?)", Arg::Text(id));
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
    let mut query = sqlx::query_as::<_, Row>(&sql);
    for arg in args {
        query = match arg {
            Arg::Int(v) => query.bind(v),
            Arg::Text(v) => query.bind(v),
        };
    }
    let rows = query.fetch_all(&db.pool).await?;
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
        entries.last().map(|e| format!("{}:{}", e.at, e.id))
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

//! `GET /audit.csv?…`: the audit log with the Audit page's filters (actor, action, target,
//! dates) as CSV, streamed page by page; the export itself is audited.

use super::export::{csv_download, refuse, CsvPage};
use app::audit::ssr::audit_service;
use app::audit::types::{AuditEntry, AuditFilter, AuditPage};
use app::model::Permission;
use app::ssr::audit::{record, Entry};
use app::ssr::caller::resolve;
use app::ssr::{AppState, Caller, ClientMeta};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use tower_sessions::Session;

const HEADER: [&str; 9] = [
    "time_utc",
    "actor",
    "action",
    "target_type",
    "target_id",
    "detail",
    "ip",
    "user_agent",
    "id",
];

fn row(e: &AuditEntry) -> [String; 9] {
    [
        app::time_fmt::datetime_seconds(e.at),
        e.actor_email.clone().unwrap_or_default(),
        e.action.clone(),
        e.target_type.clone().unwrap_or_default(),
        e.target_id.clone().unwrap_or_default(),
        e.detail.clone().unwrap_or_default(),
        e.ip.clone().unwrap_or_default(),
        e.user_agent.clone().unwrap_or_default(),
        e.id.clone(),
    ]
}

fn page(page: AuditPage) -> CsvPage<[String; 9]> {
    CsvPage {
        rows: page.entries.iter().map(row).collect(),
        next: page.next,
    }
}

pub async fn audit_csv(
    State(state): State<AppState>,
    session: Session,
    meta: Option<Extension<ClientMeta>>,
    Query(filter): Query<AuditFilter>,
) -> Response {
    let meta = meta.map(|Extension(m)| m).unwrap_or_default();
    let caller = match resolve(state, session, meta).await {
        Ok(c) if !c.tenant_id.is_empty() && c.can(Permission::ViewAudit) => c,
        Ok(_) => return refuse(403, app::error::AppError::forbidden().to_string()),
        Err(err) => return refuse(err.status(), err.to_string()),
    };
    let held = match super::export::hold_export(&caller) {
        Ok(held) => held,
        Err(busy) => return busy.into_response(),
    };
    let filter = AuditFilter {
        before: None,
        ..filter
    };
    // The first page answers now, so a bad filter is a clear 400 rather than a broken file; the
    // export's own entry is written after it, so it is not in the file.
    let first = match audit_service::list(caller.db(), &caller.tenant_id, &filter).await {
        Ok(first) => page(first),
        Err(err) => return refuse(err.status(), err.to_string()),
    };
    if let Err(err) = audit_export(&caller, &filter).await {
        return refuse(err.status(), err.to_string());
    }
    csv_download(
        "audit-log.csv",
        &HEADER,
        first,
        (caller, filter),
        |(caller, mut filter), cursor| async move {
            filter.before = Some(cursor);
            let next = audit_service::list(caller.db(), &caller.tenant_id, &filter)
                .await
                .map(page);
            ((caller, filter), next)
        },
        held,
    )
}

async fn audit_export(caller: &Caller, filter: &AuditFilter) -> Result<(), app::error::AppError> {
    let described: Vec<String> = [
        ("actor", &filter.actor),
        ("action", &filter.action),
        ("target", &filter.target),
        ("from", &filter.from),
        ("to", &filter.to),
    ]
    .into_iter()
    .filter_map(|(k, v)| {
        v.as_ref()
            .filter(|v| !v.is_empty())
            .map(|v| format!("{k}={v}"))
    })
    .collect();
    let mut tx = caller.db().begin_write().await?;
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, "audit.exported").detail(if described.is_empty() {
            "everything".to_string()
        } else {
            described.join(", ")
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

//! `GET /audit.csv?…`: the audit log with the Audit page's filters (actor, action, target,
//! dates) as CSV, streamed page by page; the export itself is audited.

use super::export::{start_export, CsvPage, ExportRecord};
use app::audit::ssr::audit_service;
use app::audit::types::{AuditEntry, AuditFilter, AuditPage};
use app::model::Permission;
use app::ssr::{AppState, ClientMeta};
use axum::extract::{Query, State};
use axum::response::Response;
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
    let filter = AuditFilter {
        before: None,
        ..filter
    };
    let record = ExportRecord {
        action: "audit.exported",
        detail: Some(described(&filter)),
    };
    let started = start_export(
        state,
        session,
        meta,
        Permission::ViewAudit,
        record,
        async |caller| {
            audit_service::list(caller.db(), &caller.tenant_id, &filter)
                .await
                .map(page)
        },
    )
    .await;
    match started {
        Ok(export) => export.download(
            "audit-log.csv",
            &HEADER,
            filter,
            |(caller, mut filter), cursor| async move {
                filter.before = Some(cursor);
                let next = audit_service::list(caller.db(), &caller.tenant_id, &filter)
                    .await
                    .map(page);
                ((caller, filter), next)
            },
        ),
        Err(refused) => refused,
    }
}

/// The filters of an export as its audit entry says them: `actor=…, from=…`, or "everything".
fn described(filter: &AuditFilter) -> String {
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
    if described.is_empty() {
        "everything".to_string()
    } else {
        described.join(", ")
    }
}

use super::types::AuditPage as AuditPageData;
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {super::ssr::audit_service, crate::ssr::require};
#[cfg(feature = "ssr")]
use {super::types::AuditFilter, crate::model::Permission};

#[server(prefix = "/sf", endpoint = "list_audit")]
pub async fn list_audit(
    actor: Option<String>,
    action: Option<String>,
    target: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<String>,
) -> Result<AuditPageData, AppError> {
    let filter = AuditFilter {
        actor,
        action,
        target,
        from,
        to,
        before,
    };
    let c = require(Permission::ViewAudit).await?;
    audit_service::list(c.db(), &c.tenant_id, &filter).await
}

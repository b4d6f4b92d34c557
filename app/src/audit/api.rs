use crate::error::AppError;
use crate::model::{AuditFilter, AuditPage as AuditPageData};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::model::Permission;
#[cfg(feature = "ssr")]
use crate::ssr::{audit_service, require, respond};

#[server(prefix = "/sf", endpoint = "list_audit")]
pub async fn list_audit(filter: AuditFilter) -> Result<AuditPageData, AppError> {
    respond(
        async {
            let c = require(Permission::ViewAudit).await?;
            audit_service::list(&c, &filter).await
        }
        .await,
    )
}

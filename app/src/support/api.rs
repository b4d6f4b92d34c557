//! Server functions of Settings → Support access.

use super::types::SupportView;
use crate::error::AppError;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use {
    super::ssr::support_service as svc,
    crate::model::Permission,
    crate::ssr::{caller, require},
};

#[server(prefix = "/sf", endpoint = "list_support_grants")]
pub async fn list_support_grants() -> Result<SupportView, AppError> {
    let c = caller::signed_in().await?;
    if !(c.can(Permission::ManageMembers) || c.can(Permission::ViewAudit)) {
        return Err(AppError::forbidden());
    }
    svc::list(&c).await
}

#[server(prefix = "/sf", endpoint = "grant_support_access")]
pub async fn grant_support_access(
    email: String,
    hours: String,
    reason: String,
) -> Result<(), AppError> {
    let c = require(Permission::ManageTenant).await?;
    svc::grant(&c, &email, &hours, &reason).await
}

#[server(prefix = "/sf", endpoint = "revoke_support_access")]
pub async fn revoke_support_access(grant_id: String) -> Result<(), AppError> {
    let c = require(Permission::ManageTenant).await?;
    svc::revoke(&c, &grant_id).await
}

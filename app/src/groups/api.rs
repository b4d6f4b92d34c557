//! Server functions of the Store groups page.

use super::types::StoreGroupsView;
use crate::error::AppError;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use {
    super::ssr::groups_service as svc,
    crate::model::Permission,
    crate::ssr::{caller, require},
};

#[server(prefix = "/sf", endpoint = "list_store_groups")]
pub async fn list_store_groups() -> Result<StoreGroupsView, AppError> {
    let c = caller::signed_in().await?;
    if !(c.can(Permission::ManageFleet) || c.can(Permission::ViewAudit)) {
        return Err(AppError::forbidden());
    }
    svc::list(&c).await
}

#[server(prefix = "/sf", endpoint = "create_store_group")]
pub async fn create_store_group(name: String) -> Result<String, AppError> {
    let c = require(Permission::ManageFleet).await?;
    svc::create(&c, &name).await
}

#[server(prefix = "/sf", endpoint = "delete_store_group")]
pub async fn delete_store_group(group_id: String) -> Result<(), AppError> {
    let c = require(Permission::ManageFleet).await?;
    svc::delete(&c, &group_id).await
}

/// Adds a location to a group (`member` = `true`) or takes it out.
#[server(prefix = "/sf", endpoint = "set_group_location")]
pub async fn set_group_location(
    group_id: String,
    location_id: String,
    member: bool,
) -> Result<(), AppError> {
    let c = require(Permission::ManageFleet).await?;
    svc::set_location(&c, &group_id, &location_id, member).await
}

/// Grants an operator every location of a group (`granted` = `true`) or takes it back.
#[server(prefix = "/sf", endpoint = "set_group_grant")]
pub async fn set_group_grant(
    group_id: String,
    user_id: String,
    granted: bool,
) -> Result<(), AppError> {
    let c = require(Permission::ManageFleet).await?;
    svc::set_grant(&c, &group_id, &user_id, granted).await
}

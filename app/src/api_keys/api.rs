//! Server functions of Settings → API keys.

use super::types::{ApiKeyCreated, ApiKeysView};
use crate::error::AppError;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use {
    super::ssr::api_keys_service as svc,
    crate::model::Permission,
    crate::ssr::{require, reveal},
};

#[cfg(feature = "ssr")]
const REVEAL_KIND: &str = "api_key";

#[server(prefix = "/sf", endpoint = "list_api_keys")]
pub async fn list_api_keys() -> Result<ApiKeysView, AppError> {
    let c = crate::ssr::caller::signed_in().await?;
    if !(c.can(Permission::ManageFleet) || c.can(Permission::ViewAudit)) {
        return Err(AppError::forbidden());
    }
    svc::list(&c).await
}

#[server(prefix = "/sf", endpoint = "create_api_key")]
pub async fn create_api_key(name: String, scope: String) -> Result<ApiKeyCreated, AppError> {
    let c = require(Permission::ManageFleet).await?;
    let made = svc::create(&c, &name, &scope).await?;
    reveal::hand_over(&c, REVEAL_KIND, "/settings/api-keys", &made).await?;
    Ok(made)
}

/// A key made by a form sent before hydration, handed to the page it redirected to (see
/// `crate::ssr::reveal`); nothing once taken.
#[server(prefix = "/sf", endpoint = "revealed_api_key")]
pub async fn revealed_api_key(token: String) -> Result<Option<ApiKeyCreated>, AppError> {
    let c = require(Permission::ManageFleet).await?;
    reveal::take(&c, REVEAL_KIND, &token).await
}

#[server(prefix = "/sf", endpoint = "revoke_api_key")]
pub async fn revoke_api_key(id: String) -> Result<(), AppError> {
    let c = require(Permission::ManageFleet).await?;
    svc::revoke(&c, &id).await
}

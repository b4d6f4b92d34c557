//! Reader configurations' server functions: each resolves the caller with the permission it
//! needs and hands over to the service. Splash screens upload through an axum route
//! (`server/src/routes/splash.rs`): a multipart form, so it works before hydration.

use super::types::{ConfigurationForm, ConfigurationsView, LocationConfigurationView};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::model::Permission;
#[cfg(feature = "ssr")]
use {
    super::ssr::{configurations_service as svc, in_force, splash},
    crate::ssr::require,
};

/// Every configuration of every Stripe account of the organisation. Owners, admins and
/// auditors; operators see the configuration in force on their locations' and readers' pages.
#[server(prefix = "/sf", endpoint = "list_configurations")]
pub async fn list_configurations() -> Result<ConfigurationsView, AppError> {
    let c = require(Permission::View).await?;
    if !(c.can(Permission::ManageFleet) || c.can(Permission::ViewAudit)) {
        return Err(AppError::forbidden());
    }
    svc::list(&c).await
}

#[server(prefix = "/sf", endpoint = "create_configuration")]
pub async fn create_configuration(
    connection_id: String,
    #[server(default)] form: ConfigurationForm,
) -> Result<String, AppError> {
    let c = require(Permission::ManageFleet).await?;
    svc::create(&c, &connection_id, &form).await
}

#[server(prefix = "/sf", endpoint = "update_configuration")]
pub async fn update_configuration(
    connection_id: String,
    id: String,
    #[server(default)] form: ConfigurationForm,
) -> Result<(), AppError> {
    let c = require(Permission::ManageFleet).await?;
    svc::update(&c, &connection_id, &id, &form).await
}

#[server(prefix = "/sf", endpoint = "delete_configuration")]
pub async fn delete_configuration(connection_id: String, id: String) -> Result<(), AppError> {
    let c = require(Permission::ManageFleet).await?;
    svc::delete(&c, &connection_id, &id).await
}

/// Copies a configuration's settings into the account default (Stripe does not let anyone
/// choose which configuration is the default).
#[server(prefix = "/sf", endpoint = "copy_configuration_to_default")]
pub async fn copy_configuration_to_default(
    connection_id: String,
    id: String,
) -> Result<(), AppError> {
    let c = require(Permission::ManageFleet).await?;
    svc::copy_to_default(&c, &connection_id, &id).await
}

#[server(prefix = "/sf", endpoint = "remove_splashscreen")]
pub async fn remove_splashscreen(
    connection_id: String,
    id: String,
    device_type: String,
) -> Result<(), AppError> {
    let c = require(Permission::ManageFleet).await?;
    splash::remove(&c, &connection_id, &id, &device_type).await
}

#[server(prefix = "/sf", endpoint = "location_configuration")]
pub async fn location_configuration(
    location_id: String,
) -> Result<LocationConfigurationView, AppError> {
    let c = require(Permission::View).await?;
    in_force::for_location(&c, &location_id).await
}

#[server(prefix = "/sf", endpoint = "set_location_configuration")]
pub async fn set_location_configuration(
    location_id: String,
    #[server(default)] configuration_id: String,
) -> Result<(), AppError> {
    let c = require(Permission::ManageFleet).await?;
    in_force::set_override(&c, &location_id, &configuration_id).await
}

//! The fleet's server functions: thin, each resolves the caller with the permission it needs
//! and hands over to a service that scopes every query to the caller's tenant (and, for
//! operators, their granted locations).

// A location form's server function takes each form field as an argument (that is how
// ActionForm posts them), so it has more than clippy's default of seven.
#![allow(clippy::too_many_arguments)]

use super::types::{LocationDetail, LocationsView, ReaderQuery, ReadersView, RegisterOptions};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::model::Permission;
#[cfg(feature = "ssr")]
use {
    super::ssr::{locations_service, readers_service},
    crate::ssr::require,
};

#[cfg(feature = "ssr")]
fn location_form(
    display_name: String,
    line1: String,
    line2: String,
    city: String,
    state: String,
    postal_code: String,
    country: String,
) -> locations_service::LocationForm {
    locations_service::LocationForm {
        display_name,
        address: super::address::AddressInput {
            line1,
            line2,
            city,
            state,
            postal_code,
            country,
        },
    }
}

#[server(prefix = "/sf", endpoint = "list_locations")]
pub async fn list_locations() -> Result<LocationsView, AppError> {
    let c = require(Permission::View).await?;
    locations_service::list(&c).await
}

#[server(prefix = "/sf", endpoint = "location_detail")]
pub async fn load_location(id: String) -> Result<LocationDetail, AppError> {
    let c = require(Permission::View).await?;
    locations_service::detail(&c, &id).await
}

#[server(prefix = "/sf", endpoint = "create_location")]
pub async fn create_location(
    connection_id: String,
    display_name: String,
    line1: String,
    #[server(default)] line2: String,
    #[server(default)] city: String,
    #[server(default)] state: String,
    #[server(default)] postal_code: String,
    country: String,
) -> Result<String, AppError> {
    let c = require(Permission::ManageFleet).await?;
    let form = location_form(
        display_name,
        line1,
        line2,
        city,
        state,
        postal_code,
        country,
    );
    locations_service::create(&c, &connection_id, &form).await
}

#[server(prefix = "/sf", endpoint = "update_location")]
pub async fn update_location(
    id: String,
    display_name: String,
    line1: String,
    #[server(default)] line2: String,
    #[server(default)] city: String,
    #[server(default)] state: String,
    #[server(default)] postal_code: String,
    country: String,
) -> Result<(), AppError> {
    let c = require(Permission::ManageFleet).await?;
    let form = location_form(
        display_name,
        line1,
        line2,
        city,
        state,
        postal_code,
        country,
    );
    locations_service::update(&c, &id, &form).await
}

#[server(prefix = "/sf", endpoint = "delete_location")]
pub async fn delete_location(
    id: String,
    #[server(default)] confirm: Option<String>,
) -> Result<(), AppError> {
    let c = require(Permission::ManageFleet).await?;
    locations_service::delete(&c, &id, confirm.is_some_and(|v| !v.is_empty())).await?;
    leptos_axum::redirect("/locations");
    Ok(())
}

#[server(prefix = "/sf", endpoint = "set_location_grant")]
pub async fn set_location_grant(
    location_id: String,
    user_id: String,
    granted: bool,
) -> Result<(), AppError> {
    let c = require(Permission::ManageFleet).await?;
    locations_service::set_grant(&c, &location_id, &user_id, granted).await
}

#[server(prefix = "/sf", endpoint = "list_readers")]
pub async fn list_readers(#[server(default)] query: ReaderQuery) -> Result<ReadersView, AppError> {
    let c = require(Permission::View).await?;
    readers_service::list(&c, &query).await
}

/// Where the caller may register a reader, for the register form.
#[server(prefix = "/sf", endpoint = "reader_register_options")]
pub async fn reader_register_options() -> Result<RegisterOptions, AppError> {
    let c = require(Permission::View).await?;
    readers_service::register_options(&c).await
}

#[server(prefix = "/sf", endpoint = "register_reader")]
pub async fn register_reader(
    location: String,
    registration_code: String,
    #[server(default)] label: String,
) -> Result<String, AppError> {
    let c = require(Permission::ManageFleet).await?;
    readers_service::register(&c, &location, &registration_code, &label).await
}

#[server(prefix = "/sf", endpoint = "relabel_reader")]
pub async fn relabel_reader(id: String, label: String) -> Result<(), AppError> {
    let c = require(Permission::ManageFleet).await?;
    readers_service::relabel(&c, &id, &label).await
}

#[server(prefix = "/sf", endpoint = "delete_reader")]
pub async fn delete_reader(id: String) -> Result<(), AppError> {
    let c = require(Permission::ManageFleet).await?;
    readers_service::delete(&c, &id).await?;
    leptos_axum::redirect("/readers");
    Ok(())
}

#[server(prefix = "/sf", endpoint = "cancel_reader_action")]
pub async fn cancel_reader_action(id: String) -> Result<(), AppError> {
    let c = require(Permission::Charge).await?;
    readers_service::cancel_action(&c, &id).await
}

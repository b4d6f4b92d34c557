//! Server functions of bulk work on the fleet and of the inventory. Registering from a CSV is
//! posted to a route of its own (`BULK_REGISTER_PATH`, a multipart form that takes a file
//! before the page hydrates); these read jobs and start bulk actions on selected readers.

// A bulk action's form posts the Readers list's filter beside the selection, one argument each.
#![allow(clippy::too_many_arguments)]

use super::bulk_types::{BulkJobView, BulkJobsView, BulkPreview, InventoryView};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::bulk_types::BulkSelection,
    super::ssr::{bulk_jobs, inventory_service},
    crate::model::Permission,
    crate::ssr::require,
};

#[server(prefix = "/sf", endpoint = "list_bulk_jobs")]
pub async fn list_bulk_jobs() -> Result<BulkJobsView, AppError> {
    let c = require(Permission::View).await?;
    bulk_jobs::jobs(&c).await
}

#[server(prefix = "/sf", endpoint = "bulk_job")]
pub async fn bulk_job(id: String) -> Result<BulkJobView, AppError> {
    let c = require(Permission::View).await?;
    bulk_jobs::job(&c, &id).await
}

#[cfg(feature = "ssr")]
async fn acting_caller() -> Result<crate::ssr::Caller, AppError> {
    let c = require(Permission::View).await?;
    if c.can(Permission::ManageFleet) || c.can(Permission::Charge) {
        Ok(c)
    } else {
        Err(AppError::forbidden())
    }
}

#[cfg(feature = "ssr")]
fn selection(
    action: Option<String>,
    ids: Option<String>,
    all: Option<String>,
    location: Option<String>,
    status: Option<String>,
    device_type: Option<String>,
    q: Option<String>,
    pattern: Option<String>,
) -> BulkSelection {
    BulkSelection {
        action,
        ids,
        all,
        location,
        status,
        device_type,
        q,
        pattern,
    }
}

/// What a bulk action would do to each selected reader, for its confirm step.
#[server(prefix = "/sf", endpoint = "preview_bulk_action")]
pub async fn preview_bulk_action(
    #[server(default)] action: Option<String>,
    #[server(default)] ids: Option<String>,
    #[server(default)] all: Option<String>,
    #[server(default)] location: Option<String>,
    #[server(default)] status: Option<String>,
    #[server(default)] device_type: Option<String>,
    #[server(default)] q: Option<String>,
    #[server(default)] pattern: Option<String>,
) -> Result<BulkPreview, AppError> {
    let c = acting_caller().await?;
    let s = selection(action, ids, all, location, status, device_type, q, pattern);
    bulk_jobs::preview(&c, &s).await
}

/// Starts a confirmed bulk action and goes to its job's page.
#[server(prefix = "/sf", endpoint = "start_bulk_action")]
pub async fn start_bulk_action(
    #[server(default)] action: Option<String>,
    #[server(default)] ids: Option<String>,
    #[server(default)] all: Option<String>,
    #[server(default)] location: Option<String>,
    #[server(default)] status: Option<String>,
    #[server(default)] device_type: Option<String>,
    #[server(default)] q: Option<String>,
    #[server(default)] pattern: Option<String>,
) -> Result<String, AppError> {
    let c = acting_caller().await?;
    let s = selection(action, ids, all, location, status, device_type, q, pattern);
    let job = bulk_jobs::start_action(&c, &s).await?;
    leptos_axum::redirect(&format!("/readers/jobs/{job}"));
    Ok(job)
}

#[server(prefix = "/sf", endpoint = "fleet_inventory")]
pub async fn fleet_inventory() -> Result<InventoryView, AppError> {
    let c = require(Permission::View).await?;
    inventory_service::inventory(&c).await
}

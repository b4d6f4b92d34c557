//! Server functions of Settings → Notifications. Owners and admins manage endpoints; auditors
//! (and support, with an auditor's rights) read the endpoints and the delivery log.

use super::types::{EndpointSecret, NotificationsView};
use crate::error::AppError;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use {
    super::ssr::endpoints_service as svc,
    crate::model::Permission,
    crate::ssr::{caller, require, reveal},
};

#[cfg(feature = "ssr")]
const REVEAL_KIND: &str = "notification_secret";
#[cfg(feature = "ssr")]
const PAGE: &str = "/settings/notifications";

/// The event groups ticked on a form (each a checkbox named after its group).
#[cfg(feature = "ssr")]
fn ticked<'a>(boxes: [(&'a str, &str); 4]) -> Vec<&'a str> {
    boxes
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, _)| name)
        .collect()
}

/// `endpoint`: show only that endpoint's deliveries (empty: all).
#[server(prefix = "/sf", endpoint = "notification_settings")]
pub async fn notification_settings(
    #[server(default)] endpoint: String,
) -> Result<NotificationsView, AppError> {
    let c = caller::signed_in().await?;
    if !(c.can(Permission::ManageFleet) || c.can(Permission::ViewAudit)) {
        return Err(AppError::forbidden());
    }
    svc::list(&c, Some(endpoint.trim()).filter(|e| !e.is_empty())).await
}

#[server(prefix = "/sf", endpoint = "create_notification_endpoint")]
pub async fn create_notification_endpoint(
    url: String,
    #[server(default)] offline: String,
    #[server(default)] stuck: String,
    #[server(default)] declines: String,
    #[server(default)] webhooks: String,
) -> Result<EndpointSecret, AppError> {
    let c = require(Permission::ManageFleet).await?;
    let groups = ticked([
        ("offline", &offline),
        ("stuck", &stuck),
        ("declines", &declines),
        ("webhooks", &webhooks),
    ]);
    let made = svc::create(&c, &url, &groups).await?;
    reveal::hand_over(&c, REVEAL_KIND, PAGE, &made).await?;
    Ok(made)
}

#[server(prefix = "/sf", endpoint = "update_notification_endpoint")]
pub async fn update_notification_endpoint(
    id: String,
    #[server(default)] enabled: String,
    #[server(default)] offline: String,
    #[server(default)] stuck: String,
    #[server(default)] declines: String,
    #[server(default)] webhooks: String,
) -> Result<(), AppError> {
    let c = require(Permission::ManageFleet).await?;
    let groups = ticked([
        ("offline", &offline),
        ("stuck", &stuck),
        ("declines", &declines),
        ("webhooks", &webhooks),
    ]);
    svc::update(&c, &id, !enabled.is_empty(), &groups).await
}

#[server(prefix = "/sf", endpoint = "rotate_notification_secret")]
pub async fn rotate_notification_secret(id: String) -> Result<EndpointSecret, AppError> {
    let c = require(Permission::ManageFleet).await?;
    let made = svc::rotate(&c, &id).await?;
    reveal::hand_over(&c, REVEAL_KIND, PAGE, &made).await?;
    Ok(made)
}

/// A secret made by a form sent before hydration, handed to the page it redirected to (see
/// `crate::ssr::reveal`); nothing once taken.
#[server(prefix = "/sf", endpoint = "revealed_notification_secret")]
pub async fn revealed_notification_secret(
    token: String,
) -> Result<Option<EndpointSecret>, AppError> {
    let c = require(Permission::ManageFleet).await?;
    reveal::take(&c, REVEAL_KIND, &token).await
}

#[server(prefix = "/sf", endpoint = "delete_notification_endpoint")]
pub async fn delete_notification_endpoint(id: String) -> Result<(), AppError> {
    let c = require(Permission::ManageFleet).await?;
    svc::delete(&c, &id).await
}

#[server(prefix = "/sf", endpoint = "send_test_notification")]
pub async fn send_test_notification(id: String) -> Result<String, AppError> {
    let c = require(Permission::ManageFleet).await?;
    svc::send_test(&c, &id).await
}

#[server(prefix = "/sf", endpoint = "redeliver_notification")]
pub async fn redeliver_notification(delivery_id: String) -> Result<String, AppError> {
    let c = require(Permission::ManageFleet).await?;
    svc::redeliver(&c, &delivery_id).await
}

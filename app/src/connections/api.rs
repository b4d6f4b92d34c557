use super::types::ConnectionsView;
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::model::Permission;
#[cfg(feature = "ssr")]
use {super::ssr::connections_service as svc, crate::ssr::require};

/// `notice` is the id in the page's URL of what Stripe's pages came back with, if any.
#[server(prefix = "/sf", endpoint = "list_connections")]
pub async fn list_connections(notice: Option<String>) -> Result<ConnectionsView, AppError> {
    let c = require(Permission::View).await?;
    svc::list(&c, notice.as_deref()).await
}

#[server(prefix = "/sf", endpoint = "connect_simulator")]
pub async fn connect_simulator(name: String) -> Result<String, AppError> {
    let c = require(Permission::ManageFleet).await?;
    svc::connect_simulator(&c, &name).await
}

#[server(prefix = "/sf", endpoint = "connect_stripe_key")]
pub async fn connect_stripe_key(name: String, secret_key: String) -> Result<String, AppError> {
    let c = require(Permission::ManageFleet).await?;
    svc::connect_key(&c, &name, &secret_key).await
}

#[server(prefix = "/sf", endpoint = "rotate_stripe_key")]
pub async fn rotate_stripe_key(connection_id: String, secret_key: String) -> Result<(), AppError> {
    let c = require(Permission::ManageFleet).await?;
    svc::rotate_key(&c, &connection_id, &secret_key).await
}

#[server(prefix = "/sf", endpoint = "set_webhook_secret")]
pub async fn set_webhook_secret(
    connection_id: String,
    webhook_secret: String,
) -> Result<(), AppError> {
    let c = require(Permission::ManageFleet).await?;
    svc::set_webhook_secret(&c, &connection_id, &webhook_secret).await
}

#[server(prefix = "/sf", endpoint = "remove_connection")]
pub async fn remove_connection(connection_id: String) -> Result<(), AppError> {
    let c = require(Permission::ManageFleet).await?;
    svc::remove(&c, &connection_id).await
}

/// Creates a Stripe account for this organisation through the platform and sends the member
/// to Stripe's hosted onboarding.
#[server(prefix = "/sf", endpoint = "create_stripe_account")]
pub async fn create_stripe_account(name: String, country: String) -> Result<String, AppError> {
    let c = require(Permission::ManageFleet).await?;
    let url = super::ssr::connected_accounts::create_account(&c, &name, &country).await?;
    leptos_axum::redirect(&url);
    Ok(url)
}

/// Sends the member to Stripe to sign in and grant the platform access to an existing account
/// (Connect OAuth); Stripe sends them back to `/connect/oauth/callback`.
#[server(prefix = "/sf", endpoint = "connect_with_stripe")]
pub async fn connect_with_stripe(#[server(default)] name: String) -> Result<String, AppError> {
    let c = require(Permission::ManageFleet).await?;
    let url = super::ssr::connected_accounts::start_oauth(&c, &name).await?;
    leptos_axum::redirect(&url);
    Ok(url)
}

/// A fresh onboarding link for a connected account whose holder has not finished.
#[server(prefix = "/sf", endpoint = "continue_onboarding")]
pub async fn continue_onboarding(connection_id: String) -> Result<String, AppError> {
    let c = require(Permission::ManageFleet).await?;
    let url = super::ssr::connected_accounts::continue_onboarding(&c, &connection_id).await?;
    leptos_axum::redirect(&url);
    Ok(url)
}

/// `operators_may` is the checkbox: present (any value) when ticked.
#[server(prefix = "/sf", endpoint = "set_refund_rule")]
pub async fn set_refund_rule(#[server(default)] operators_may: String) -> Result<(), AppError> {
    let c = require(Permission::ManageMembers).await?;
    svc::set_refund_rule(&c, !operators_may.is_empty()).await
}

#[server(prefix = "/sf", endpoint = "set_stuck_threshold")]
pub async fn set_stuck_threshold(minutes: String) -> Result<(), AppError> {
    let c = require(Permission::ManageFleet).await?;
    let minutes = minutes
        .trim()
        .parse::<i64>()
        .map_err(|_| AppError::invalid("minutes", "Enter a whole number of minutes, e.g. 5."))?;
    svc::set_stuck_threshold(&c, minutes).await
}

#[server(prefix = "/sf", endpoint = "set_alert_threshold")]
pub async fn set_alert_threshold(minutes: String) -> Result<(), AppError> {
    let c = require(Permission::ManageFleet).await?;
    let minutes = minutes
        .trim()
        .parse::<i64>()
        .map_err(|_| AppError::invalid("minutes", "Enter a whole number of minutes, e.g. 5."))?;
    svc::set_alert_threshold(&c, minutes).await
}

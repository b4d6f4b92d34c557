//! Payment server functions: each resolves the caller with the permission it needs; services
//! scope every query to the tenant and, for operators, their granted locations.

use super::types::{CurrencyTotal, EventsView, PaymentDetail, TransactionQuery, TransactionsView};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::model::Permission;
#[cfg(feature = "ssr")]
use {super::ssr::payments_service as svc, crate::ssr::require};

#[server(prefix = "/sf", endpoint = "start_test_charge")]
pub async fn start_test_charge(
    reader_id: String,
    amount: String,
    currency: String,
    #[server(default)] description: String,
    #[server(default)] capture: String,
    op: String,
) -> Result<String, AppError> {
    let c = require(Permission::Charge).await?;
    let payment = svc::test_charge(
        &c,
        &reader_id,
        &amount,
        &currency,
        &description,
        &capture,
        &op,
    )
    .await?;
    // A charge started from a plain form (the Overview's quick charge before hydration, or
    // any page rendered on the server alone) continues on its reader's page, as in the app.
    if crate::ssr::reveal::plain_form_post() {
        let reader = crate::components::url::path_segment(&reader_id);
        leptos_axum::redirect(&format!("/readers/{reader}"));
    }
    Ok(payment)
}

#[server(prefix = "/sf", endpoint = "present_test_card")]
pub async fn present_test_card(
    reader_id: String,
    card: String,
    #[server(default)] tip: String,
    op: String,
) -> Result<(), AppError> {
    let c = require(Permission::Charge).await?;
    svc::present_card(&c, &reader_id, &card, &tip, &op).await
}

#[server(prefix = "/sf", endpoint = "capture_payment")]
pub async fn capture_payment(id: String, op: String) -> Result<(), AppError> {
    let c = require(Permission::Charge).await?;
    svc::capture(&c, &id, &op).await
}

#[server(prefix = "/sf", endpoint = "cancel_payment")]
pub async fn cancel_payment(id: String, op: String) -> Result<(), AppError> {
    let c = require(Permission::Charge).await?;
    svc::cancel(&c, &id, &op).await
}

#[server(prefix = "/sf", endpoint = "refund_payment")]
pub async fn refund_payment(
    id: String,
    #[server(default)] amount: String,
    op: String,
) -> Result<(), AppError> {
    let c = require(Permission::Charge).await?;
    svc::refund(&c, &id, &amount, &op).await
}

#[server(prefix = "/sf", endpoint = "list_transactions")]
pub async fn list_transactions(
    #[server(default)] query: TransactionQuery,
) -> Result<TransactionsView, AppError> {
    let c = require(Permission::View).await?;
    svc::list(&c, &query).await
}

#[server(prefix = "/sf", endpoint = "transaction_totals")]
pub async fn transaction_totals(
    #[server(default)] query: TransactionQuery,
) -> Result<Vec<CurrencyTotal>, AppError> {
    let c = require(Permission::View).await?;
    svc::totals(&c, &query).await
}

#[server(prefix = "/sf", endpoint = "payment_detail")]
pub async fn load_payment(id: String) -> Result<PaymentDetail, AppError> {
    let c = require(Permission::View).await?;
    svc::detail(&c, &id).await
}

#[server(prefix = "/sf", endpoint = "list_webhook_events")]
pub async fn list_webhook_events(
    #[server(default)] kind: Option<String>,
    #[server(default)] before: Option<String>,
) -> Result<EventsView, AppError> {
    let c = require(Permission::ViewAudit).await?;
    super::ssr::webhook_service::list(&c, kind.as_deref(), before.as_deref()).await
}

#[server(prefix = "/sf", endpoint = "reapply_webhook_event")]
pub async fn reapply_webhook_event(
    connection_id: String,
    event_id: String,
) -> Result<(), AppError> {
    let c = require(Permission::ManageFleet).await?;
    super::ssr::webhook_service::reapply(&c, &connection_id, &event_id).await
}

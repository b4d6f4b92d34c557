//! `POST /webhooks/stripe/{connection}`: Stripe's events for one connection.

use app::error::AppError;
use app::payments::ssr::webhook_service::{receive, Received, WebhookError};
use app::payments::ssr::webhook_writer::WebhookIngest;
use app::ssr::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;

/// Seconds a sender turned away for a full queue is asked to wait (Stripe retries anyway).
const RETRY_AFTER_SECS: &str = "1";

pub async fn stripe(
    State(state): State<AppState>,
    Extension(ingest): Extension<WebhookIngest>,
    Path(connection): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    match receive(&state, &ingest, &connection, signature, &body).await {
        Ok(Received::Stored) => (StatusCode::OK, "received").into_response(),
        Ok(Received::Duplicate) => (StatusCode::OK, "already received").into_response(),
        Err(WebhookError::Busy) => {
            tracing::info!(connection = %connection, "webhook queue full; asked to retry");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, RETRY_AFTER_SECS)],
                WebhookError::Busy.to_string(),
            )
                .into_response()
        }
        Err(err) => {
            let status =
                StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            if status.is_server_error() {
                // Our own failure (the database, an unreadable secret): the details are for
                // the log; the sender gets a reference to quote, and retries.
                let message = AppError::internal_with(
                    "webhook not stored",
                    format_args!("connection {connection}: {err}"),
                )
                .to_string();
                return (status, message).into_response();
            }
            tracing::info!(connection = %connection, error = %err, "webhook refused");
            (status, err.to_string()).into_response()
        }
    }
}

//! How the server reaches Stripe for one connection: which API (the built-in simulator or
//! Stripe) and with which credentials (the tenant's own key, or the platform key acting on a
//! connected account). Keys are unsealed here, per call, and never leave this module's callers.

use super::secrets;
use super::state::AppState;
use crate::error::{AppError, AppResult};
use crate::model::ConnectionKind;
use fleet_stripe::{Credentials, StripeClient, StripeError};

/// The client for a kind of connection.
pub fn client(state: &AppState, kind: ConnectionKind) -> AppResult<StripeClient> {
    match kind {
        ConnectionKind::Simulator => state.stripe.simulator.clone().ok_or_else(|| {
            AppError::Conflict(
                "The built-in Stripe simulator is turned off on this server (FLEET_SIMULATOR=false)."
                    .into(),
            )
        }),
        _ => Ok(state.stripe.api.clone()),
    }
}

/// Everything needed to call Stripe for one connection.
#[derive(Debug, Clone)]
pub struct Access {
    pub connection_id: String,
    pub tenant_id: String,
    pub kind: ConnectionKind,
    pub account_id: String,
    pub creds: Credentials,
    pub client: StripeClient,
}

/// A connection row as stored, secrets still sealed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SealedConnection {
    pub id: String,
    pub tenant_id: String,
    pub kind: String,
    pub account_id: String,
    pub secret_key: Option<String>,
}

pub const SEALED_COLUMNS: &str = "id, tenant_id, kind, account_id, secret_key";

pub fn purpose(connection: &str, what: &str) -> String {
    format!("stripe_connection:{connection}:{what}")
}

/// Logs a Stripe failure that is not the user's to fix and answers with a reference.
pub fn internal(err: StripeError) -> AppError {
    let reference = super::ids::new_id("err");
    tracing::error!(%reference, error = %err, request_id = err.request_id().unwrap_or("-"), "Stripe call failed");
    AppError::Internal(reference)
}

/// Stripe's answer to a change the user asked for: refusals (4xx) are theirs to read, in plain
/// words, on `field`; anything else is ours.
pub fn refusal(field: &str, err: StripeError) -> AppError {
    match err.api() {
        Some(api) if api.status < 500 && api.status != 401 && api.status != 429 => {
            tracing::info!(error = %err, request_id = err.request_id().unwrap_or("-"), "Stripe refused");
            AppError::invalid(field, err.user_message())
        }
        Some(api) if api.status == 429 => AppError::TooManyRequests(
            "Stripe is asking us to slow down for this account. Try again in a few seconds.".into(),
        ),
        _ => internal(err),
    }
}

pub fn open(state: &AppState, row: &SealedConnection) -> AppResult<Access> {
    let kind = ConnectionKind::parse(&row.kind).ok_or_else(|| internal_msg("unknown kind"))?;
    let creds = match kind {
        ConnectionKind::Simulator | ConnectionKind::Key => {
            let sealed = row
                .secret_key
                .as_deref()
                .ok_or_else(|| internal_msg("connection without a key"))?;
            let key = secrets::open(
                &state.settings.master_key,
                &purpose(&row.id, "secret_key"),
                sealed,
            )
            .map_err(|e| internal_msg(&e.to_string()))?;
            Credentials::key(key)
        }
        ConnectionKind::Connect => {
            let platform = state.settings.platform_key.as_ref().ok_or_else(|| {
                AppError::Conflict(
                    "This connection acts through the platform key, which is not configured on this server (FLEET_PLATFORM_KEY).".into(),
                )
            })?;
            Credentials::key(platform.expose()).on_account(row.account_id.clone())
        }
    };
    Ok(Access {
        connection_id: row.id.clone(),
        tenant_id: row.tenant_id.clone(),
        kind,
        account_id: row.account_id.clone(),
        creds,
        client: client(state, kind)?,
    })
}

fn internal_msg(what: &str) -> AppError {
    let reference = super::ids::new_id("err");
    tracing::error!(%reference, what, "Stripe connection unusable");
    AppError::Internal(reference)
}

/// The caller's tenant's connection `id`, ready to call Stripe.
pub async fn load(state: &AppState, tenant_id: &str, id: &str) -> AppResult<Access> {
    let row: Option<SealedConnection> = sqlx::query_as(&format!(
        "SELECT {SEALED_COLUMNS} FROM stripe_connections WHERE id = $1 AND tenant_id = $2"
    ))
    .bind(id)
    .bind(tenant_id)
    .fetch_optional(&state.db.pool)
    .await?;
    let row = row.ok_or_else(|| AppError::not_found("Stripe connection"))?;
    open(state, &row)
}

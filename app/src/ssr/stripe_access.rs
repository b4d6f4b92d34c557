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
    /// How the organisation proved control of a connected account; `None` for one claimed by
    /// typing its id before proof was required.
    pub proof: Option<String>,
}

pub const SEALED_COLUMNS: &str = "id, tenant_id, kind, account_id, secret_key, proof";

/// Refused for a connected account claimed by typing its id before proof of control was
/// required: typing an id proves nothing, so such a claim reaches nothing at Stripe.
pub const UNVERIFIED: &str = "This connected account was claimed by typing its id, which does not prove the organisation controls it, so Terminal Fleet does not use it. Connect it again with \"Connect with Stripe\" (its holder grants access at Stripe), or ask the platform operator to assign it.";

pub fn purpose(connection: &str, what: &str) -> String {
    format!("stripe_connection:{connection}:{what}")
}

/// Stripe's idempotency key for one step of one of our operations: a retry of the operation
/// (same `op`) repeats nothing at Stripe.
pub fn step_key(op: &str, step: &str) -> fleet_stripe::IdempotencyKey {
    fleet_stripe::IdempotencyKey::new(format!("fleet:{op}:{step}"))
}

/// Who a Stripe failure is answered to, and how: the one decision [`from_stripe`] needs.
#[derive(Clone, Copy, Debug)]
pub enum Asked<'a> {
    /// Nothing the user gave is in question (an account's own setup, a read): every failure
    /// is ours, logged under a reference.
    Nothing,
    /// A change the user asked for: Stripe's refusal (a 4xx other than 401 and 429) is theirs
    /// to read, in plain words, on this form field.
    Field(&'a str),
    /// A reader or payment action: Stripe's refusal (offline, busy, timeout…) is a conflict
    /// carrying Stripe's code for API clients.
    Action,
    /// Whether Stripe accepts something the user typed (a key, an account id): whatever goes
    /// wrong, a network failure included, goes on this field, since nothing is saved and the
    /// user can try again.
    Check(&'a str),
    /// Confirming a connection Stripe started (OAuth): any failure is a conflict, in Stripe's
    /// own words when it gives some, after this sentence.
    Confirm(&'a str),
}

/// Stripe's failure as our error, answered as `asked` says.
pub fn from_stripe(err: StripeError, asked: Asked<'_>) -> AppError {
    let request_id = err.request_id().unwrap_or("-").to_string();
    let status = err.status();
    // What the user asked is refused; 401 (our key) and 429 (our pace) are not about the ask.
    let refused = status.is_some_and(|s| s < 500 && s != 401 && s != 429);
    match asked {
        Asked::Check(field) => {
            tracing::info!(error = %err, %request_id, "Stripe did not accept what was checked");
            AppError::invalid(field, err.user_message())
        }
        Asked::Confirm(sentence) => {
            tracing::info!(error = %err, %request_id, "Stripe did not confirm");
            let why = err
                .api()
                .and_then(|a| a.message.clone())
                .unwrap_or_else(|| err.user_message());
            AppError::Conflict(format!("{sentence}: {why}"))
        }
        Asked::Field(field) if refused => {
            tracing::info!(error = %err, %request_id, "Stripe refused");
            AppError::invalid(field, err.user_message())
        }
        Asked::Action if refused => {
            tracing::info!(error = %err, %request_id, "Stripe refused");
            AppError::Refused {
                code: err
                    .api()
                    .and_then(|a| a.code.clone())
                    .unwrap_or_else(|| "stripe_refused".into()),
                message: err.user_message(),
            }
        }
        Asked::Field(_) | Asked::Action if status == Some(429) => AppError::TooManyRequests(
            "Stripe is asking us to slow down for this account. Try again in a few seconds.".into(),
        ),
        _ => AppError::internal_with(
            "Stripe call failed",
            format_args!("{err} (request_id {request_id})"),
        ),
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
        ConnectionKind::Connect if row.proof.is_none() => {
            return Err(AppError::Conflict(UNVERIFIED.into()));
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
    AppError::internal_with("Stripe connection unusable", what)
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

#[cfg(test)]
mod tests {
    use super::*;
    use fleet_stripe::ApiError;

    fn answered(status: u16, code: &str) -> StripeError {
        StripeError::Api(Box::new(ApiError {
            status,
            code: Some(code.into()),
            message: Some("Stripe's words".into()),
            ..ApiError::default()
        }))
    }

    #[test]
    fn a_refusal_is_the_users_and_anything_else_ours() {
        let offline = || answered(400, "terminal_reader_offline");
        assert_eq!(
            from_stripe(offline(), Asked::Field("reader")).field(),
            Some("reader")
        );
        assert!(matches!(
            from_stripe(offline(), Asked::Action),
            AppError::Refused { code, .. } if code == "terminal_reader_offline"
        ));
        assert!(matches!(
            from_stripe(offline(), Asked::Nothing),
            AppError::Internal(reference) if reference.starts_with("err_")
        ));
        assert!(matches!(
            from_stripe(answered(429, "rate_limit"), Asked::Action),
            AppError::TooManyRequests(_)
        ));
        for status in [401, 500] {
            assert!(matches!(
                from_stripe(answered(status, "x"), Asked::Field("reader")),
                AppError::Internal(_)
            ));
        }
        assert_eq!(
            from_stripe(answered(401, "x"), Asked::Check("secret_key")).field(),
            Some("secret_key")
        );
        assert_eq!(
            from_stripe(answered(400, "x"), Asked::Confirm("Stripe did not confirm")),
            AppError::Conflict("Stripe did not confirm: Stripe's words".into())
        );
    }
}

//! A tenant's Stripe connections. Every change is checked against Stripe first (a key is only
//! saved once Stripe has accepted it), secrets are sealed at rest and never leave the server.

use super::audit::{record, Entry};
use super::caller::Caller;
use super::ids::{new_id, now_ms};
use super::secrets;
use super::state::AppState;
use crate::error::{AppError, AppResult};
use crate::model::{ConnectionKind, ConnectionView, ConnectionsView, Permission};
use fleet_stripe::params::CreateWebhookEndpoint;
use fleet_stripe::{Account, ClientConfig, Credentials, IdempotencyKey, StripeClient, StripeError};

/// Events Terminal Fleet listens to on every connection.
const WEBHOOK_EVENTS: &[&str] = &["*"];

fn client_for(state: &AppState, kind: ConnectionKind) -> AppResult<StripeClient> {
    let base_url = match kind {
        ConnectionKind::Simulator => state.settings.stripe_simulator_url.clone().ok_or_else(|| {
            AppError::Conflict("The built-in Stripe simulator is turned off on this server (FLEET_SIMULATOR=false).".into())
        })?,
        _ => state.settings.stripe_api_base.clone(),
    };
    StripeClient::new(ClientConfig {
        base_url,
        ..ClientConfig::default()
    })
    .map_err(stripe_internal)
}

fn stripe_internal(err: StripeError) -> AppError {
    let reference = new_id("err");
    tracing::error!(%reference, error = %err, request_id = err.request_id().unwrap_or("-"), "Stripe call failed");
    AppError::Internal(reference)
}

/// Stripe's refusal of something the user typed, in plain words, on that field.
fn stripe_refused(field: &str, err: &StripeError) -> AppError {
    tracing::info!(error = %err, request_id = err.request_id().unwrap_or("-"), "Stripe refused");
    AppError::invalid(field, err.user_message())
}

fn purpose(connection: &str, what: &str) -> String {
    format!("stripe_connection:{connection}:{what}")
}

fn webhook_url(state: &AppState, connection: &str) -> String {
    format!(
        "{}/webhooks/stripe/{connection}",
        state.settings.public_url.trim_end_matches('/')
    )
}

type Row = (
    String,
    String,
    String,
    String,
    Option<String>,
    i64,
    Option<String>,
    Option<String>,
    i64,
);

pub async fn list(caller: &Caller) -> AppResult<ConnectionsView> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, kind, name, account_id, account_name, livemode, key_hint, webhook_secret, created_at
         FROM stripe_connections WHERE tenant_id = $1 ORDER BY created_at, id",
    )
    .bind(&caller.tenant_id)
    .fetch_all(&caller.db().pool)
    .await?;
    let connections = rows
        .into_iter()
        .filter_map(
            |(
                id,
                kind,
                name,
                account_id,
                account_name,
                livemode,
                key_hint,
                webhook_secret,
                created_at,
            )| {
                Some(ConnectionView {
                    webhook_url: webhook_url(&caller.state, &id),
                    kind: ConnectionKind::parse(&kind)?,
                    id,
                    name,
                    account_id,
                    account_name,
                    livemode: livemode != 0,
                    key_hint: key_hint.filter(|_| kind != "simulator"),
                    webhook_configured: webhook_secret.is_some(),
                    created_at,
                })
            },
        )
        .collect();
    Ok(ConnectionsView {
        connections,
        can_manage: caller.can(Permission::ManageFleet),
        simulator_available: caller.state.settings.stripe_simulator_url.is_some(),
    })
}

fn clean_name(raw: &str, fallback: &str) -> AppResult<String> {
    let name = raw.trim();
    if name.chars().count() > 80 {
        return Err(AppError::invalid(
            "name",
            "Keep the connection name under 80 characters.",
        ));
    }
    Ok(if name.is_empty() {
        fallback.to_string()
    } else {
        name.to_string()
    })
}

struct NewConnection {
    kind: ConnectionKind,
    name: String,
    account: Account,
    livemode: bool,
    key: Option<String>,
}

/// Stores a verified connection and, where Stripe can reach us (always for the simulator),
/// creates its webhook endpoint so events flow without manual set-up.
async fn insert(
    state: &AppState,
    caller: Option<&Caller>,
    tenant_id: &str,
    new: NewConnection,
) -> AppResult<String> {
    let id = new_id("con");
    let now = now_ms();
    let key_hint = new
        .key
        .as_ref()
        .map(|k| fleet_stripe::SecretKey::new(k.clone()).masked());
    let sealed_key = new
        .key
        .as_ref()
        .map(|k| secrets::seal(&state.settings.master_key, &purpose(&id, "secret_key"), k));
    let mut webhook: Option<(String, String)> = None;
    if let (ConnectionKind::Simulator, Some(key)) = (new.kind, &new.key) {
        let client = client_for(state, new.kind)?;
        let endpoint = client
            .create_webhook_endpoint(
                &Credentials::key(key.clone()),
                &CreateWebhookEndpoint {
                    url: webhook_url(state, &id),
                    enabled_events: WEBHOOK_EVENTS.iter().map(|s| s.to_string()).collect(),
                    description: Some("Terminal Fleet".into()),
                    connect: None,
                },
                &IdempotencyKey::new(format!("{id}:webhook")),
            )
            .await
            .map_err(stripe_internal)?;
        if let Some(secret) = endpoint.secret {
            webhook = Some((
                endpoint.id,
                secrets::seal(
                    &state.settings.master_key,
                    &purpose(&id, "webhook_secret"),
                    &secret,
                ),
            ));
        }
    }
    let mut tx = state.db.pool.begin().await?;
    sqlx::query(
        "INSERT INTO stripe_connections (id, tenant_id, kind, name, account_id, account_name, livemode,
         secret_key, key_hint, webhook_secret, webhook_endpoint_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
    )
    .bind(&id)
    .bind(tenant_id)
    .bind(new.kind.as_str())
    .bind(&new.name)
    .bind(&new.account.id)
    .bind(new.account.display_name())
    .bind(i64::from(new.livemode))
    .bind(sealed_key)
    .bind(key_hint)
    .bind(webhook.as_ref().map(|w| w.1.clone()))
    .bind(webhook.as_ref().map(|w| w.0.clone()))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let detail = format!(
        "{} ({}) account {}",
        new.name,
        new.kind.as_str(),
        new.account.id
    );
    let entry = match caller {
        Some(c) => Entry::by(c, "stripe.connected"),
        None => Entry {
            tenant_id: Some(tenant_id),
            action: "stripe.connected",
            ..Entry::default()
        },
    };
    let meta = caller.map(|c| c.meta.clone()).unwrap_or_default();
    record(
        &mut tx,
        &meta,
        entry.target("stripe_connection", &id).detail(detail),
    )
    .await?;
    tx.commit().await?;
    state.bus.publish(tenant_id, "connections", Some(&id)).await;
    Ok(id)
}

/// Connects `tenant_id` to the built-in simulator with an account of its own.
pub async fn connect_simulator_for(
    state: &AppState,
    caller: Option<&Caller>,
    tenant_id: &str,
    name: &str,
) -> AppResult<String> {
    let key = format!(
        "sk_test_sim{}",
        super::ids::new_token().replace(['-', '_'], "")
    );
    let client = client_for(state, ConnectionKind::Simulator)?;
    let account = client
        .retrieve_own_account(&Credentials::key(key.clone()))
        .await
        .map_err(stripe_internal)?;
    insert(
        state,
        caller,
        tenant_id,
        NewConnection {
            kind: ConnectionKind::Simulator,
            name: clean_name(name, "Simulator")?,
            account,
            livemode: false,
            key: Some(key),
        },
    )
    .await
}

/// A new tenant starts on the simulator, so it can register `simulated-wpe` readers and take
/// test payments at once. Best effort: the tenant exists either way and can connect later.
pub async fn connect_default_simulator(state: &AppState, tenant_id: &str) {
    if state.settings.stripe_simulator_url.is_none() {
        return;
    }
    if let Err(err) = connect_simulator_for(state, None, tenant_id, "Simulator").await {
        tracing::warn!(tenant = tenant_id, error = %err, "could not connect the new tenant to the simulator");
    }
}

pub async fn connect_simulator(caller: &Caller, name: &str) -> AppResult<String> {
    connect_simulator_for(&caller.state, Some(caller), &caller.tenant_id, name).await
}

fn check_key_shape(key: &str) -> AppResult<()> {
    let ok = ["sk_test_", "sk_live_", "rk_test_", "rk_live_"]
        .iter()
        .any(|p| key.starts_with(p));
    if !ok {
        return Err(AppError::invalid(
            "secret_key",
            "That is not a Stripe secret key: it starts with sk_test_, sk_live_, rk_test_ or rk_live_ (Dashboard → Developers → API keys).",
        ));
    }
    Ok(())
}

/// Adds the tenant's own key after Stripe accepts it; a refused key saves nothing.
pub async fn connect_key(caller: &Caller, name: &str, key: &str) -> AppResult<String> {
    let key = key.trim().to_string();
    check_key_shape(&key)?;
    let name = clean_name(name, "Stripe")?;
    let client = client_for(&caller.state, ConnectionKind::Key)?;
    let account = client
        .retrieve_own_account(&Credentials::key(key.clone()))
        .await
        .map_err(|e| {
            if e.api().is_some() {
                stripe_refused("secret_key", &e)
            } else {
                AppError::invalid("secret_key", e.user_message())
            }
        })?;
    let livemode = fleet_stripe::SecretKey::new(key.clone()).is_live();
    insert(
        &caller.state,
        Some(caller),
        &caller.tenant_id,
        NewConnection {
            kind: ConnectionKind::Key,
            name,
            account,
            livemode,
            key: Some(key),
        },
    )
    .await
}

async fn owned(caller: &Caller, id: &str) -> AppResult<(String, String)> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT kind, account_id FROM stripe_connections WHERE id = $1 AND tenant_id = $2",
    )
    .bind(id)
    .bind(&caller.tenant_id)
    .fetch_optional(&caller.db().pool)
    .await?;
    row.ok_or_else(|| AppError::not_found("Stripe connection"))
}

/// Replaces a key with a new one of the same Stripe account.
pub async fn rotate_key(caller: &Caller, id: &str, key: &str) -> AppResult<()> {
    let (kind, account_id) = owned(caller, id).await?;
    if kind != "key" {
        return Err(AppError::Conflict(
            "Only connections made with your own key have a key to rotate.".into(),
        ));
    }
    let key = key.trim().to_string();
    check_key_shape(&key)?;
    let client = client_for(&caller.state, ConnectionKind::Key)?;
    let account = client
        .retrieve_own_account(&Credentials::key(key.clone()))
        .await
        .map_err(|e| stripe_refused("secret_key", &e))?;
    if account.id != account_id {
        return Err(AppError::invalid(
            "secret_key",
            format!("This key belongs to Stripe account {}, not {account_id}. Add it as a new connection instead.", account.id),
        ));
    }
    let hint = fleet_stripe::SecretKey::new(key.clone()).masked();
    let sealed = secrets::seal(
        &caller.state.settings.master_key,
        &purpose(id, "secret_key"),
        &key,
    );
    let mut tx = caller.db().pool.begin().await?;
    sqlx::query("UPDATE stripe_connections SET secret_key = $1, key_hint = $2, updated_at = $3 WHERE id = $4 AND tenant_id = $5")
        .bind(sealed)
        .bind(&hint)
        .bind(now_ms())
        .bind(id)
        .bind(&caller.tenant_id)
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, "stripe.key_rotated")
            .target("stripe_connection", id)
            .detail(hint),
    )
    .await?;
    tx.commit().await?;
    caller
        .state
        .bus
        .publish(&caller.tenant_id, "connections", Some(id))
        .await;
    Ok(())
}

pub async fn set_webhook_secret(caller: &Caller, id: &str, secret: &str) -> AppResult<()> {
    owned(caller, id).await?;
    let secret = secret.trim();
    if !secret.starts_with("whsec_") || secret.len() < 12 {
        return Err(AppError::invalid(
            "webhook_secret",
            "A webhook signing secret starts with whsec_ (Dashboard → Developers → Webhooks → your endpoint → Signing secret).",
        ));
    }
    let sealed = secrets::seal(
        &caller.state.settings.master_key,
        &purpose(id, "webhook_secret"),
        secret,
    );
    let mut tx = caller.db().pool.begin().await?;
    sqlx::query("UPDATE stripe_connections SET webhook_secret = $1, updated_at = $2 WHERE id = $3 AND tenant_id = $4")
        .bind(sealed)
        .bind(now_ms())
        .bind(id)
        .bind(&caller.tenant_id)
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, "stripe.webhook_secret_set").target("stripe_connection", id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn remove(caller: &Caller, id: &str) -> AppResult<()> {
    owned(caller, id).await?;
    let mut tx = caller.db().pool.begin().await?;
    sqlx::query("DELETE FROM stripe_connections WHERE id = $1 AND tenant_id = $2")
        .bind(id)
        .bind(&caller.tenant_id)
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, "stripe.disconnected").target("stripe_connection", id),
    )
    .await?;
    tx.commit().await?;
    caller
        .state
        .bus
        .publish(&caller.tenant_id, "connections", Some(id))
        .await;
    Ok(())
}

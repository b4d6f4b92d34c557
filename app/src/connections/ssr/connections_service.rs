//! A tenant's Stripe connections. Every change is checked against Stripe first (a key is only
//! saved once Stripe has accepted it), secrets are sealed at rest and never leave the server.

use crate::connections::types::{ConnectNotice, ConnectionView, ConnectionsView};
use crate::error::{AppError, AppResult};
use crate::fleet::ssr::sync;
use crate::model::{ConnectionKind, Permission};
use crate::payments::ssr::payments_service;
use crate::ssr::audit::{record, Entry};
use crate::ssr::caller::Caller;
use crate::ssr::ids::{new_id, now_ms};
use crate::ssr::secrets;
use crate::ssr::state::AppState;
use crate::ssr::stripe_access::{self, internal as stripe_internal, purpose};
use fleet_stripe::params::CreateWebhookEndpoint;
use fleet_stripe::{Account, Credentials, IdempotencyKey};

/// Where the Connect pages leave their notice for Settings → Stripe, in the session.
pub const NOTICE_KEY: &str = "connect_notice";

/// Events Terminal Fleet listens to on every connection.
const WEBHOOK_EVENTS: &[&str] = &["*"];

fn webhook_url(state: &AppState, connection: &str) -> String {
    format!(
        "{}/webhooks/stripe/{connection}",
        state.settings.public_url.trim_end_matches('/')
    )
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    kind: String,
    name: String,
    account_id: String,
    account_name: Option<String>,
    livemode: i64,
    key_hint: Option<String>,
    webhook_secret: Option<String>,
    created_at: i64,
    synced_at: Option<i64>,
    sync_error: Option<String>,
    proof: Option<String>,
    onboarded: i64,
}

pub async fn list(caller: &Caller) -> AppResult<ConnectionsView> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, kind, name, account_id, account_name, livemode, key_hint, webhook_secret,
                created_at, synced_at, sync_error, proof, onboarded
         FROM stripe_connections WHERE tenant_id = $1 ORDER BY created_at, id",
    )
    .bind(&caller.tenant_id)
    .fetch_all(&caller.db().pool)
    .await?;
    let alert_minutes: i64 =
        sqlx::query_scalar("SELECT offline_alert_minutes FROM tenants WHERE id = $1")
            .bind(&caller.tenant_id)
            .fetch_one(&caller.db().pool)
            .await?;
    let connections = rows
        .into_iter()
        .filter_map(|r| {
            Some(ConnectionView {
                webhook_url: webhook_url(&caller.state, &r.id),
                kind: ConnectionKind::parse(&r.kind)?,
                key_hint: r.key_hint.filter(|_| r.kind != "simulator"),
                id: r.id,
                name: r.name,
                account_id: r.account_id,
                account_name: r.account_name,
                livemode: r.livemode != 0,
                webhook_configured: r.webhook_secret.is_some(),
                created_at: r.created_at,
                synced_at: r.synced_at,
                sync_error: r.sync_error,
                proof: r.proof,
                onboarded: r.onboarded != 0,
            })
        })
        .collect();
    let notice = match &caller.session {
        Some(session) => session
            .remove::<ConnectNotice>(NOTICE_KEY)
            .await
            .ok()
            .flatten(),
        None => None,
    };
    Ok(ConnectionsView {
        notice,
        connections,
        can_manage: caller.can(Permission::ManageFleet),
        simulator_available: caller.state.settings.stripe_simulator_url.is_some(),
        platform_available: caller.state.settings.platform_key.is_some(),
        oauth_available: super::connected_accounts::oauth_available(&caller.state),
        alert_minutes,
        operators_may_refund: payments_service::operators_may_refund(caller).await?,
    })
}

pub(super) fn clean_name(raw: &str, fallback: &str) -> AppResult<String> {
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

pub(super) struct NewConnection {
    pub kind: ConnectionKind,
    pub name: String,
    pub account: Account,
    pub livemode: bool,
    pub key: Option<String>,
    /// How a connected account was proven to be the organisation's (`connected_accounts`).
    pub proof: Option<&'static str>,
}

/// Stores a verified connection and, where Stripe can reach us (always for the simulator),
/// creates its webhook endpoint so events flow without manual set-up.
pub(super) async fn insert(
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
    let existing: Option<String> = sqlx::query_scalar(
        "SELECT name FROM stripe_connections WHERE tenant_id = $1 AND account_id = $2",
    )
    .bind(tenant_id)
    .bind(&new.account.id)
    .fetch_optional(&state.db.pool)
    .await?;
    if let Some(name) = existing {
        let field = match new.kind {
            ConnectionKind::Connect => "account_id",
            _ => "secret_key",
        };
        return Err(AppError::invalid(
            field,
            format!(
                "Stripe account {} is already connected here as “{name}”.",
                new.account.id
            ),
        ));
    }
    let mut webhook: Option<(String, String)> = None;
    if let (true, Some(key)) = (stripe_can_reach_us(state, new.kind), &new.key) {
        let client = stripe_access::client(state, new.kind)?;
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
    let mut tx = state.db.begin_write().await?;
    sqlx::query(
        "INSERT INTO stripe_connections (id, tenant_id, kind, name, account_id, account_name, livemode,
         secret_key, key_hint, webhook_secret, webhook_endpoint_id, created_at, updated_at, proof,
         onboarded)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14)",
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
    .bind(new.proof)
    .bind(i64::from(new.kind != ConnectionKind::Connect || new.account.details_submitted))
    .execute(&mut *tx)
    .await
    .map_err(|e| match &e {
        // Two organisations raced for one connected account: the database let one have it.
        sqlx::Error::Database(db) if db.is_unique_violation() => AppError::Forbidden(
            "This connected account belongs to another organisation on Terminal Fleet.".into(),
        ),
        _ => AppError::from(e),
    })?;
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
    // The account's existing locations and readers appear at once; a failure here is not the
    // connection's: the sync task retries on its own schedule.
    if let Err(err) = sync::import(state, tenant_id, &id).await {
        tracing::warn!(connection = %id, error = %err, "first import failed; the sync task will retry");
    }
    Ok(id)
}

/// Whether Stripe can deliver webhooks to our public URL, so the endpoint can be created for
/// the user: always for the simulator and for a stand-in API (tests, local Stripe mocks); for
/// Stripe itself only over https to a host that is not local. A connected account's events go
/// to the platform's Connect endpoint, which the platform sets up once.
fn stripe_can_reach_us(state: &AppState, kind: ConnectionKind) -> bool {
    match kind {
        ConnectionKind::Simulator => true,
        ConnectionKind::Connect => false,
        ConnectionKind::Key => {
            let url = &state.settings.public_url;
            let local = ["://localhost", "://127.", "://[::1]", "://0.0.0.0"]
                .iter()
                .any(|p| url.contains(p));
            !state
                .settings
                .stripe_api_base
                .starts_with("https://api.stripe.com")
                || (url.starts_with("https://") && !local)
        }
    }
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
        crate::ssr::ids::new_token().replace(['-', '_'], "")
    );
    let client = stripe_access::client(state, ConnectionKind::Simulator)?;
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
            proof: None,
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

/// Why Stripe would not take a key, on the key field: Stripe's own words for a refusal, plain
/// words for a network failure (the key may be fine, so nothing is saved and the user can retry).
fn key_refused(err: &fleet_stripe::StripeError) -> AppError {
    tracing::info!(error = %err, request_id = err.request_id().unwrap_or("-"), "Stripe did not accept a key");
    AppError::invalid("secret_key", err.user_message())
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
    let client = stripe_access::client(&caller.state, ConnectionKind::Key)?;
    let account = client
        .retrieve_own_account(&Credentials::key(key.clone()))
        .await
        .map_err(|e| key_refused(&e))?;
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
            proof: None,
        },
    )
    .await
}

/// Whether operators may capture and refund (owners and admins always may).
pub async fn set_refund_rule(caller: &Caller, operators_may: bool) -> AppResult<()> {
    let detail = if operators_may {
        "operators may capture and refund"
    } else {
        "only owners and admins capture and refund"
    };
    set_tenant_number(
        caller,
        "operators_may_refund",
        i64::from(operators_may),
        Entry::by(caller, "payments.refund_rule_set").detail(detail),
    )
    .await
}

/// How long a reader may stay offline before the tenant is alerted.
pub async fn set_alert_threshold(caller: &Caller, minutes: i64) -> AppResult<()> {
    if !(1..=1440).contains(&minutes) {
        return Err(AppError::invalid(
            "minutes",
            "Choose between 1 and 1440 minutes (one day).",
        ));
    }
    set_tenant_number(
        caller,
        "offline_alert_minutes",
        minutes,
        Entry::by(caller, "fleet.alert_threshold_set").detail(format!("{minutes} min")),
    )
    .await
}

/// Sets one of the organisation's numeric settings on this page (`column` is ours, never
/// input), audited in the same transaction, and tells the page's other viewers.
async fn set_tenant_number(
    caller: &Caller,
    column: &'static str,
    value: i64,
    entry: Entry<'_>,
) -> AppResult<()> {
    let mut tx = caller.db().begin_write().await?;
    sqlx::query(&format!("UPDATE tenants SET {column} = $1 WHERE id = $2"))
        .bind(value)
        .bind(&caller.tenant_id)
        .execute(&mut *tx)
        .await?;
    record(&mut tx, &caller.meta, entry).await?;
    tx.commit().await?;
    caller
        .state
        .bus
        .publish(&caller.tenant_id, "connections", None)
        .await;
    Ok(())
}

pub(super) async fn owned(caller: &Caller, id: &str) -> AppResult<(String, String)> {
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
    let client = stripe_access::client(&caller.state, ConnectionKind::Key)?;
    let account = client
        .retrieve_own_account(&Credentials::key(key.clone()))
        .await
        .map_err(|e| key_refused(&e))?;
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
    let mut tx = caller.db().begin_write().await?;
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
    caller
        .state
        .bus
        .publish(&caller.tenant_id, "readers", None)
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
    let mut tx = caller.db().begin_write().await?;
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
    let (kind, account_id) = owned(caller, id).await?;
    remove_webhook_endpoint(caller, id).await;
    if kind == "connect" {
        super::connected_accounts::release_at_stripe(caller, id, &account_id).await;
    }
    let mut tx = caller.db().begin_write().await?;
    for table in ["location_grants", "store_group_locations"] {
        sqlx::query(&format!(
            "DELETE FROM {table} WHERE tenant_id = $1 AND location_id IN
             (SELECT id FROM locations WHERE connection_id = $2 AND tenant_id = $1)"
        ))
        .bind(&caller.tenant_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
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
    caller
        .state
        .bus
        .publish(&caller.tenant_id, "readers", None)
        .await;
    Ok(())
}

/// Deletes the webhook endpoint we created, so Stripe stops sending to a connection that is
/// gone. Best effort: the receiver answers 404 for an unknown connection either way.
async fn remove_webhook_endpoint(caller: &Caller, id: &str) {
    let endpoint = sqlx::query_scalar::<_, Option<String>>(
        "SELECT webhook_endpoint_id FROM stripe_connections WHERE id = $1 AND tenant_id = $2",
    )
    .bind(id)
    .bind(&caller.tenant_id)
    .fetch_optional(&caller.db().pool)
    .await
    .ok()
    .flatten()
    .flatten();
    let Some(endpoint) = endpoint else {
        return;
    };
    let Ok(access) = stripe_access::load(&caller.state, &caller.tenant_id, id).await else {
        return;
    };
    if let Err(err) = access
        .client
        .delete_webhook_endpoint(&access.creds, &endpoint)
        .await
    {
        tracing::info!(connection = id, error = %err, "could not delete the webhook endpoint");
    }
}

//! A tenant's Stripe connections. Every change is checked against Stripe first (a key is only
//! saved once Stripe has accepted it), secrets are sealed at rest and never leave the server.

use super::connected_accounts;
use super::connection_rows::{self, clean_name, insert, owned, webhook_url, NewConnection};
use crate::connections::types::{ConnectionView, ConnectionsView, KeptNotice};
use crate::error::{AppError, AppResult};
use crate::model::{ConnectionKind, Permission};
use crate::payments::ssr::payments_service;
use crate::ssr::audit::{record, Entry};
use crate::ssr::caller::Caller;
use crate::ssr::ids::now_ms;
use crate::ssr::secrets;
use crate::ssr::state::AppState;
use crate::ssr::stripe_access::{self, from_stripe, purpose, Asked};
use crate::topic::Topic;
use fleet_stripe::Credentials;

/// Where the Connect pages leave their notice for Settings → Stripe, in the session.
pub const NOTICE_KEY: &str = "connect_notice";

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

pub async fn list(caller: &Caller, notice_id: Option<&str>) -> AppResult<ConnectionsView> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, kind, name, account_id, account_name, livemode, key_hint, webhook_secret,
                created_at, synced_at, sync_error, proof, onboarded
         FROM stripe_connections WHERE tenant_id = $1 ORDER BY created_at, id",
    )
    .bind(&caller.tenant_id)
    .fetch_all(&caller.db().pool)
    .await?;
    let (alert_minutes, stuck_minutes): (i64, i64) = sqlx::query_as(
        "SELECT offline_alert_minutes, stuck_action_minutes FROM tenants WHERE id = $1",
    )
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
    let notice = match (&caller.session, notice_id) {
        (Some(session), Some(id)) => session
            .get::<KeptNotice>(NOTICE_KEY)
            .await
            .ok()
            .flatten()
            .filter(|kept| kept.id == id)
            .map(|kept| kept.notice),
        _ => None,
    };
    Ok(ConnectionsView {
        notice,
        connections,
        can_manage: caller.can(Permission::ManageFleet),
        simulator_available: caller.state.settings.stripe_simulator_url.is_some(),
        platform_available: caller.state.settings.platform_key.is_some(),
        oauth_available: connected_accounts::oauth_available(&caller.state),
        alert_minutes,
        stuck_minutes,
        operators_may_refund: payments_service::operators_may_refund(caller).await?,
    })
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
        .map_err(|e| from_stripe(e, Asked::Nothing))?;
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
        .map_err(|e| from_stripe(e, Asked::Check("secret_key")))?;
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

/// How long a reader action may stay in progress before the tenant is alerted.
pub async fn set_stuck_threshold(caller: &Caller, minutes: i64) -> AppResult<()> {
    if !(1..=1440).contains(&minutes) {
        return Err(AppError::invalid(
            "minutes",
            "Choose between 1 and 1440 minutes (one day).",
        ));
    }
    set_tenant_number(
        caller,
        "stuck_action_minutes",
        minutes,
        Entry::by(caller, "fleet.stuck_threshold_set").detail(format!("{minutes} min")),
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
        .publish(&caller.tenant_id, Topic::Connections, None)
        .await;
    Ok(())
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
        .map_err(|e| from_stripe(e, Asked::Check("secret_key")))?;
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
        .publish(&caller.tenant_id, Topic::Connections, Some(id))
        .await;
    caller
        .state
        .bus
        .publish(&caller.tenant_id, Topic::Readers, None)
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
        connected_accounts::release_at_stripe(caller, id, &account_id).await;
    }
    let mut tx = caller.db().begin_write().await?;
    connection_rows::delete(&mut tx, &caller.tenant_id, id).await?;
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
        .publish(&caller.tenant_id, Topic::Connections, Some(id))
        .await;
    caller
        .state
        .bus
        .publish(&caller.tenant_id, Topic::Readers, None)
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

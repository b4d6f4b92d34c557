//! Storing a connection, as every way of connecting does it (a key, the simulator, a connected
//! account): the name check, the insert with its webhook endpoint and first import, and the
//! lookup of one of the tenant's connections.

use crate::error::{AppError, AppResult};
use crate::fleet::ssr::sync;
use crate::model::ConnectionKind;
use crate::payments::ssr::reconcile::ReconcilePayments;
use crate::ssr::audit::{record, Entry};
use crate::ssr::caller::Caller;
use crate::ssr::ids::{new_id, now_ms};
use crate::ssr::secrets;
use crate::ssr::state::AppState;
use crate::ssr::stripe_access::{self, from_stripe, purpose, Asked};
use crate::topic::Topic;
use fleet_stripe::params::CreateWebhookEndpoint;
use fleet_stripe::{Account, Credentials, IdempotencyKey};

/// Events Terminal Fleet listens to on every connection.
const WEBHOOK_EVENTS: &[&str] = &["*"];

pub(super) fn webhook_url(state: &AppState, connection: &str) -> String {
    format!(
        "{}/webhooks/stripe/{connection}",
        state.settings.public_url.trim_end_matches('/')
    )
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
    if let Some(proof) = new.proof.filter(|_| new.kind == ConnectionKind::Connect) {
        if let Some(id) =
            supersede_unverified(state, caller, tenant_id, &new.account.id, proof).await?
        {
            return Ok(id);
        }
    }
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
            .map_err(|e| from_stripe(e, Asked::Nothing))?;
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
    record(
        &mut tx,
        &meta_of(caller),
        entry_for(caller, tenant_id, "stripe.connected")
            .target("stripe_connection", &id)
            .detail(detail),
    )
    .await?;
    tx.commit().await?;
    state
        .bus
        .publish(tenant_id, Topic::Connections, Some(&id))
        .await;
    // The account's existing locations and readers appear at once; a failure here is not the
    // connection's: the sync task retries on its own schedule.
    if let Err(err) = sync::import(state, tenant_id, &id, &ReconcilePayments).await {
        tracing::warn!(connection = %id, error = %err, "first import failed; the sync task will retry");
    }
    Ok(id)
}

/// The audit entry of a change made by `caller`, or by the platform operator when `None`.
fn entry_for<'a>(caller: Option<&'a Caller>, tenant_id: &'a str, action: &'a str) -> Entry<'a> {
    match caller {
        Some(c) => Entry::by(c, action),
        None => Entry {
            tenant_id: Some(tenant_id),
            action,
            ..Entry::default()
        },
    }
}

fn meta_of(caller: Option<&Caller>) -> crate::ssr::client_meta::ClientMeta {
    caller.map(|c| c.meta.clone()).unwrap_or_default()
}

/// A claim of `account` made by typing its id, before proof was required, gives way to a
/// proven one: the same organisation's claim becomes proven (and usable) in place; another
/// organisation's is removed, audited there, since typing an id never made it theirs. Returns
/// the connection's id when the claim was the same organisation's.
async fn supersede_unverified(
    state: &AppState,
    caller: Option<&Caller>,
    tenant_id: &str,
    account: &str,
    proof: &'static str,
) -> AppResult<Option<String>> {
    let mut tx = state.db.begin_write().await?;
    let held: Option<(String, String)> = sqlx::query_as(
        "SELECT id, tenant_id FROM stripe_connections
         WHERE kind = 'connect' AND account_id = $1 AND proof IS NULL",
    )
    .bind(account)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((id, holder)) = held else {
        return Ok(None);
    };
    let same = holder == tenant_id;
    if same {
        sqlx::query("UPDATE stripe_connections SET proof = $1, updated_at = $2 WHERE id = $3")
            .bind(proof)
            .bind(now_ms())
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            &meta_of(caller),
            entry_for(caller, tenant_id, "stripe.proven")
                .target("stripe_connection", &id)
                .detail(format!("account {account}: {proof}")),
        )
        .await?;
    } else {
        delete(&mut tx, &holder, &id).await?;
        record(
            &mut tx,
            &Default::default(),
            Entry {
                tenant_id: Some(&holder),
                action: "stripe.unverified_claim_superseded",
                ..Entry::default()
            }
            .target("stripe_connection", &id)
            .detail(format!(
                "account {account}: another organisation proved control"
            )),
        )
        .await?;
    }
    tx.commit().await?;
    state
        .bus
        .publish(&holder, Topic::Connections, Some(&id))
        .await;
    if !same {
        state.bus.publish(&holder, Topic::Readers, None).await;
    }
    Ok(same.then_some(id))
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

/// Deletes connection `id` of `tenant_id` inside `tx`: its locations, readers and payments go
/// with it (foreign keys), and so do the grants and group memberships of those locations, which
/// do not cascade; the organisation's store figures and totals are counted afresh.
pub(super) async fn delete(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    tenant_id: &str,
    id: &str,
) -> AppResult<()> {
    for table in ["location_grants", "store_group_locations"] {
        sqlx::query(&format!(
            "DELETE FROM {table} WHERE tenant_id = $1 AND location_id IN
             (SELECT id FROM locations WHERE connection_id = $2 AND tenant_id = $1)"
        ))
        .bind(tenant_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query("DELETE FROM stripe_connections WHERE id = $1 AND tenant_id = $2")
        .bind(id)
        .bind(tenant_id)
        .execute(&mut **tx)
        .await?;
    // The cascade went around the figures kept beside those rows.
    crate::payments::ssr::figures_repair::rebuild_in(tx, tenant_id).await?;
    Ok(())
}

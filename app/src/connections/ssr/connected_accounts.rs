//! Connected accounts (Stripe Connect, with `FLEET_PLATFORM_KEY`): an organisation holds one
//! only once it has proven control of it, in one of three ways real platforms use:
//! - **onboarding** — the platform creates the account for the organisation and hands its
//!   holder a Stripe-hosted onboarding link (Account Links); nobody else can have it, it is new;
//! - **oauth** — the holder of an existing account signs in at Stripe and grants the platform
//!   access (Connect OAuth); the `state` ties Stripe's answer to the member who asked;
//! - **operator** — a platform operator assigns it from the command line
//!   (`terminal-fleet assign-account`).
//!
//! Typing an account id proves nothing and is no longer accepted. A unique index keeps one
//! account with one organisation, whatever races.

use super::connection_rows::{self, clean_name, insert, owned, NewConnection};
use crate::error::{AppError, AppResult};
use crate::model::ConnectionKind;
use crate::ssr::audit::{record, Entry};
use crate::ssr::caller::{Caller, Principal};
use crate::ssr::ids::{new_id, new_token, now_ms};
use crate::ssr::state::AppState;
use crate::ssr::stripe_access::{self, from_stripe, Asked};
use crate::topic::Topic;
use fleet_stripe::params::{AccountProfile, CreateAccount, CreateAccountLink};
use fleet_stripe::{Account, Credentials, IdempotencyKey, SecretKey};

/// How long a member has to finish Stripe's consent page.
const FLOW_TTL_MS: i64 = 15 * 60 * 1000;
/// Consents one member may have in progress; older ones are dropped first.
const FLOWS_PER_USER: i64 = 5;
/// Accounts an organisation may have created and not yet onboarded: each one is a real Stripe
/// account of the platform, so a caller cannot create them without end.
const UNFINISHED_ACCOUNTS: i64 = 3;
/// A reservation for an account being created outlives any Stripe call; an older one was left
/// by a crash.
const CREATION_TTL_MS: i64 = 5 * 60 * 1000;

pub const PROOF_ONBOARDING: &str = "onboarding";
pub const PROOF_OAUTH: &str = "oauth";
pub const PROOF_OPERATOR: &str = "operator";

fn platform_key(state: &AppState) -> AppResult<SecretKey> {
    state.settings.platform_key.clone().ok_or_else(|| {
        AppError::Conflict(
            "Connected accounts need the platform key, which this server does not have (FLEET_PLATFORM_KEY).".into(),
        )
    })
}

/// Whether this server talks to Stripe itself (not a simulator standing in for it).
fn is_real_stripe(state: &AppState) -> bool {
    state
        .settings
        .stripe_api_base
        .starts_with("https://api.stripe.com")
}

/// Connect OAuth needs the platform's client id, configured for Stripe; the simulator derives
/// it from the platform account.
pub fn oauth_available(state: &AppState) -> bool {
    state.settings.platform_key.is_some()
        && (state.settings.connect_client_id.is_some() || !is_real_stripe(state))
}

/// The platform's Connect client id (`ca_…`).
async fn client_id(state: &AppState) -> AppResult<String> {
    if let Some(id) = &state.settings.connect_client_id {
        return Ok(id.clone());
    }
    if is_real_stripe(state) {
        return Err(AppError::Conflict(
            "Connecting existing accounts needs the platform's Connect client id (FLEET_CONNECT_CLIENT_ID, ca_…).".into(),
        ));
    }
    // The simulator names a platform's client `ca_` + the tail of its account id.
    let key = platform_key(state)?;
    let client = stripe_access::client(state, ConnectionKind::Connect)?;
    let platform = client
        .retrieve_own_account(&Credentials::key(key.expose()))
        .await
        .map_err(|e| from_stripe(e, Asked::Nothing))?;
    Ok(format!("ca_{}", platform.id.trim_start_matches("acct_")))
}

fn public(state: &AppState, path: &str) -> String {
    format!("{}{path}", state.settings.public_url.trim_end_matches('/'))
}

pub fn check_account_shape(account: &str) -> AppResult<()> {
    let ok = account.starts_with("acct_")
        && account.len() > 8
        && account.len() <= 255
        && account
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(
            "account_id",
            "A connected account id looks like acct_1Nv0FGQ9RKHgCVdK.",
        ))
    }
}

fn check_country(raw: &str) -> AppResult<String> {
    let country = raw.trim().to_ascii_uppercase();
    if country.len() == 2 && country.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(country)
    } else {
        Err(AppError::invalid(
            "country",
            "Choose the country of the business as a two-letter code, e.g. US or GB.",
        ))
    }
}

/// The Stripe-hosted onboarding URL for connection `id` (account `account`); single use and
/// short-lived, so one is made whenever the holder needs one.
async fn onboarding_url(state: &AppState, id: &str, account: &str) -> AppResult<String> {
    let key = platform_key(state)?;
    let client = stripe_access::client(state, ConnectionKind::Connect)?;
    let link = client
        .create_account_link(
            &Credentials::key(key.expose()),
            &CreateAccountLink {
                account: account.to_string(),
                kind: "account_onboarding".into(),
                refresh_url: public(state, &format!("/connect/onboarding/{id}/refresh")),
                return_url: public(state, &format!("/connect/onboarding/{id}/return")),
            },
            &IdempotencyKey::new(new_id("link")),
        )
        .await
        .map_err(|e| from_stripe(e, Asked::Nothing))?;
    Ok(link.url)
}

/// Creates a Stripe account for the caller's organisation and returns the URL of Stripe's
/// hosted onboarding, where its holder tells Stripe about the business.
pub async fn create_account(caller: &Caller, name: &str, country: &str) -> AppResult<String> {
    let name = clean_name(name, "Stripe account")?;
    let country = check_country(country)?;
    let key = platform_key(&caller.state)?;
    let creation = reserve_creation(caller).await?;
    let stored = async {
        let account = create_at_stripe(caller, &key, &name, country).await?;
        // From here the reservation counts only until the connection holding the account is
        // stored, so no moment counts the account twice.
        sqlx::query("UPDATE account_creations SET account_id = $1 WHERE id = $2")
            .bind(&account.id)
            .bind(&creation)
            .execute(&caller.db().pool)
            .await?;
        store_created(caller, &key, name, account).await
    }
    .await;
    // Stored or failed, the reservation goes.
    if let Err(err) = sqlx::query("DELETE FROM account_creations WHERE id = $1")
        .bind(&creation)
        .execute(&caller.db().pool)
        .await
    {
        tracing::warn!(error = %err, "could not release an account creation");
    }
    let (id, account_id) = stored?;
    onboarding_url(&caller.state, &id, &account_id).await
}

/// Takes one of the organisation's places for accounts not yet onboarded, before Stripe is
/// called: counted with the organisation's row locked, so parallel requests queue and the
/// last place goes to one of them. Returns the reservation's id.
async fn reserve_creation(caller: &Caller) -> AppResult<String> {
    let now = now_ms();
    let mut tx = caller.db().begin_write().await?;
    crate::ssr::db::lock_tenant(&mut tx, &caller.tenant_id).await?;
    sqlx::query("DELETE FROM account_creations WHERE tenant_id = $1 AND created_at < $2")
        .bind(&caller.tenant_id)
        .bind(now - CREATION_TTL_MS)
        .execute(&mut *tx)
        .await?;
    let unfinished: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM stripe_connections
                 WHERE tenant_id = $1 AND kind = 'connect' AND onboarded = 0)
              + (SELECT COUNT(*) FROM account_creations a WHERE a.tenant_id = $1
                 AND NOT EXISTS (SELECT 1 FROM stripe_connections c
                                 WHERE c.tenant_id = a.tenant_id AND c.account_id = a.account_id))",
    )
    .bind(&caller.tenant_id)
    .fetch_one(&mut *tx)
    .await?;
    if unfinished >= UNFINISHED_ACCOUNTS {
        return Err(AppError::TooManyRequests(format!(
            "This organisation already has {unfinished} Stripe accounts waiting for onboarding: finish or disconnect one first."
        )));
    }
    let id = new_id("acr");
    sqlx::query("INSERT INTO account_creations (id, tenant_id, created_at) VALUES ($1, $2, $3)")
        .bind(&id)
        .bind(&caller.tenant_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(id)
}

async fn create_at_stripe(
    caller: &Caller,
    key: &SecretKey,
    name: &str,
    country: String,
) -> AppResult<Account> {
    let client = stripe_access::client(&caller.state, ConnectionKind::Connect)?;
    client
        .create_account(
            &Credentials::key(key.expose()),
            &CreateAccount {
                kind: Some("standard".into()),
                country: Some(country),
                email: Some(caller.member()?.1.to_string()),
                business_profile: Some(AccountProfile {
                    name: name.to_string(),
                }),
            },
            &IdempotencyKey::new(new_id("acct")),
        )
        .await
        .map_err(|e| from_stripe(e, Asked::Field("country")))
}

/// Stores the account Stripe created; returns the connection's id and the account's.
async fn store_created(
    caller: &Caller,
    key: &SecretKey,
    name: String,
    account: Account,
) -> AppResult<(String, String)> {
    let account_id = account.id.clone();
    let id = insert(
        &caller.state,
        Some(caller),
        &caller.tenant_id,
        NewConnection {
            kind: ConnectionKind::Connect,
            name,
            account,
            livemode: key.is_live(),
            key: None,
            proof: Some(PROOF_ONBOARDING),
        },
    )
    .await?;
    Ok((id, account_id))
}

/// A fresh onboarding link for a connection whose holder has not finished (the return and
/// refresh pages, and "Continue onboarding").
pub async fn continue_onboarding(caller: &Caller, id: &str) -> AppResult<String> {
    let (kind, account) = owned(caller, id).await?;
    if kind != "connect" {
        return Err(AppError::Conflict(
            "Only connected accounts are onboarded through Terminal Fleet.".into(),
        ));
    }
    onboarding_url(&caller.state, id, &account).await
}

/// Reads the account back from Stripe after its holder returns from onboarding and records
/// whether they finished. Returns whether they did.
pub async fn finish_onboarding(caller: &Caller, id: &str) -> AppResult<bool> {
    let (kind, account_id) = owned(caller, id).await?;
    if kind != "connect" {
        return Err(AppError::not_found("Stripe connection"));
    }
    let key = platform_key(&caller.state)?;
    let client = stripe_access::client(&caller.state, ConnectionKind::Connect)?;
    let account = client
        .retrieve_account(&Credentials::key(key.expose()), &account_id)
        .await
        .map_err(|e| from_stripe(e, Asked::Nothing))?;
    let mut tx = caller.db().begin_write().await?;
    let changed = sqlx::query(
        "UPDATE stripe_connections SET onboarded = $1, account_name = $2, updated_at = $3
         WHERE id = $4 AND tenant_id = $5 AND onboarded <> $1",
    )
    .bind(i64::from(account.details_submitted))
    .bind(account.display_name())
    .bind(now_ms())
    .bind(id)
    .bind(&caller.tenant_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed > 0 && account.details_submitted {
        record(
            &mut tx,
            &caller.meta,
            Entry::by(caller, "stripe.onboarded")
                .target("stripe_connection", id)
                .detail(format!("account {account_id}")),
        )
        .await?;
    }
    tx.commit().await?;
    if changed > 0 {
        caller
            .state
            .bus
            .publish(&caller.tenant_id, Topic::Connections, Some(id))
            .await;
    }
    Ok(account.details_submitted)
}

/// Starts Connect OAuth: remembers who asked, for which organisation, and returns Stripe's
/// consent URL carrying that flow's `state`.
pub async fn start_oauth(caller: &Caller, name: &str) -> AppResult<String> {
    let name = clean_name(name, "")?;
    platform_key(&caller.state)?;
    let client_id = client_id(&caller.state).await?;
    let state = new_token();
    let now = now_ms();
    let user = member(caller)?;
    let mut tx = caller.db().begin_write().await?;
    sqlx::query("DELETE FROM connect_flows WHERE created_at < $1")
        .bind(now - FLOW_TTL_MS)
        .execute(&mut *tx)
        .await?;
    // A member who keeps starting consents keeps only the latest few.
    sqlx::query(
        "DELETE FROM connect_flows WHERE user_id = $1 AND state NOT IN
         (SELECT state FROM connect_flows WHERE user_id = $1
          ORDER BY created_at DESC LIMIT $2)",
    )
    .bind(user)
    .bind(FLOWS_PER_USER - 1)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO connect_flows (state, tenant_id, user_id, name, created_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&state)
    .bind(&caller.tenant_id)
    .bind(user)
    .bind(&name)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(fleet_stripe::oauth::authorize_url(
        &caller.state.settings.connect_base,
        &client_id,
        &public(&caller.state, "/connect/oauth/callback"),
        &state,
    ))
}

/// The signed-in member (not an API key) a consent belongs to.
fn member(caller: &Caller) -> AppResult<&str> {
    match &caller.principal {
        Principal::Member { user_id, .. } => Ok(user_id),
        Principal::ApiKey { .. } => Err(AppError::Forbidden(
            "Only a signed-in member can connect a Stripe account.".into(),
        )),
    }
}

/// What Stripe's consent page sent back.
pub struct OAuthAnswer {
    pub state: String,
    pub code: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// Finishes Connect OAuth: the `state` must be one this member started for the organisation
/// on screen, unused and recent; then the code is exchanged (by the platform, with its key)
/// for the account id Stripe vouches for, and that account joins the organisation.
pub async fn finish_oauth(caller: &Caller, answer: OAuthAnswer) -> AppResult<String> {
    let user = member(caller)?;
    let mut tx = caller.db().begin_write().await?;
    let flow: Option<(String, String, i64)> = sqlx::query_as(
        "DELETE FROM connect_flows WHERE state = $1 AND user_id = $2
         RETURNING tenant_id, name, created_at",
    )
    .bind(&answer.state)
    .bind(user)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    let Some((tenant_id, name, created_at)) = flow else {
        return Err(AppError::Forbidden(
            "This answer from Stripe does not match a connection you started (or it was already used). Start again from Settings → Stripe.".into(),
        ));
    };
    if now_ms() - created_at > FLOW_TTL_MS {
        return Err(AppError::Conflict(
            "The connection took too long to finish. Start again from Settings → Stripe.".into(),
        ));
    }
    if tenant_id != caller.tenant_id {
        return Err(AppError::Conflict(
            "You switched organisation while connecting. Switch back and start again from Settings → Stripe.".into(),
        ));
    }
    if let Some(error) = answer.error {
        let why = answer.error_description.unwrap_or(error);
        return Err(AppError::Conflict(format!(
            "Stripe did not connect the account: {why}."
        )));
    }
    let code = answer
        .code
        .filter(|c| !c.is_empty() && c.len() <= 255)
        .ok_or_else(|| {
            AppError::invalid("code", "Stripe's answer carried no authorization code.")
        })?;
    let key = platform_key(&caller.state)?;
    let client = stripe_access::client(&caller.state, ConnectionKind::Connect)?;
    let token = client
        .oauth_token(&caller.state.settings.connect_base, &key, &code)
        .await
        .map_err(|e| from_stripe(e, Asked::Confirm("Stripe did not confirm the connection")))?;
    let account = verified_account(&caller.state, &key, &token.stripe_user_id).await?;
    let name = clean_name(&name, &account.display_name())?;
    insert(
        &caller.state,
        Some(caller),
        &caller.tenant_id,
        NewConnection {
            kind: ConnectionKind::Connect,
            name,
            account,
            livemode: key.is_live(),
            key: None,
            proof: Some(PROOF_OAUTH),
        },
    )
    .await
}

/// The account as Stripe shows it to the platform: proof that the platform may act on it.
async fn verified_account(state: &AppState, key: &SecretKey, account: &str) -> AppResult<Account> {
    let client = stripe_access::client(state, ConnectionKind::Connect)?;
    client
        .retrieve_account(&Credentials::key(key.expose()), account)
        .await
        .map_err(|e| from_stripe(e, Asked::Check("account_id")))
}

/// A platform operator's assignment (`terminal-fleet assign-account`): the operator vouches
/// for the organisation, Stripe for the platform's access to the account.
pub async fn assign(
    state: &AppState,
    tenant: &str,
    account_id: &str,
    name: Option<&str>,
) -> AppResult<String> {
    check_account_shape(account_id)?;
    let tenant_id: Option<String> =
        sqlx::query_scalar("SELECT id FROM tenants WHERE id = $1 OR name = $1 ORDER BY id")
            .bind(tenant)
            .fetch_optional(&state.db.pool)
            .await?;
    let tenant_id =
        tenant_id.ok_or_else(|| AppError::not_found("organisation (give its id or exact name)"))?;
    let key = platform_key(state)?;
    let account = verified_account(state, &key, account_id).await?;
    let name = clean_name(name.unwrap_or_default(), &account.display_name())?;
    insert(
        state,
        None,
        &tenant_id,
        NewConnection {
            kind: ConnectionKind::Connect,
            name,
            account,
            livemode: key.is_live(),
            key: None,
            proof: Some(PROOF_OPERATOR),
        },
    )
    .await
}

/// A platform operator takes an account back from whichever organisation holds it
/// (`terminal-fleet release-account`), e.g. an unverified claim from before proof was needed.
/// Returns the organisation that held it.
pub async fn release(state: &AppState, account_id: &str) -> AppResult<Option<String>> {
    check_account_shape(account_id)?;
    let mut tx = state.db.begin_write().await?;
    let held: Option<(String, String)> = sqlx::query_as(
        "SELECT id, tenant_id FROM stripe_connections WHERE kind = 'connect' AND account_id = $1",
    )
    .bind(account_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((id, tenant_id)) = held else {
        return Ok(None);
    };
    connection_rows::delete(&mut tx, &tenant_id, &id).await?;
    record(
        &mut tx,
        &Default::default(),
        Entry {
            tenant_id: Some(&tenant_id),
            action: "stripe.released_by_operator",
            ..Entry::default()
        }
        .target("stripe_connection", &id)
        .detail(format!("account {account_id}")),
    )
    .await?;
    tx.commit().await?;
    state
        .bus
        .publish(&tenant_id, Topic::Connections, Some(&id))
        .await;
    state.bus.publish(&tenant_id, Topic::Readers, None).await;
    Ok(Some(tenant_id))
}

/// When an organisation disconnects an account it reached through OAuth, the platform gives up
/// its access at Stripe too, so a disconnected account is not left open to the platform.
/// Best effort: the connection goes either way.
pub async fn release_at_stripe(caller: &Caller, id: &str, account: &str) {
    let proof: Option<String> =
        sqlx::query_scalar("SELECT proof FROM stripe_connections WHERE id = $1 AND tenant_id = $2")
            .bind(id)
            .bind(&caller.tenant_id)
            .fetch_optional(&caller.db().pool)
            .await
            .ok()
            .flatten();
    if proof.as_deref() != Some(PROOF_OAUTH) {
        return;
    }
    let (Ok(key), Ok(client_id), Ok(client)) = (
        platform_key(&caller.state),
        client_id(&caller.state).await,
        stripe_access::client(&caller.state, ConnectionKind::Connect),
    ) else {
        return;
    };
    if let Err(err) = client
        .oauth_deauthorize(
            &caller.state.settings.connect_base,
            &key,
            &client_id,
            account,
        )
        .await
    {
        tracing::info!(connection = id, error = %err, "could not deauthorize the connected account");
    }
}

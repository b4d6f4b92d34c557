//! Accounts: sign-up, sign-in with throttling, sign-out, password change and tenant switching.

use crate::connections::ssr::connections_service;
use crate::error::{AppError, AppResult};
use crate::ssr::audit::{record, Entry};
use crate::ssr::caller::{session_err, tenants_of, Caller};
use crate::ssr::client_meta::ClientMeta;
use crate::ssr::db::Backend;
use crate::ssr::ids::{new_id, now_ms};
use crate::ssr::passwords;
use crate::ssr::session_store::{TENANT_KEY, USER_KEY};
use crate::ssr::state::AppState;
use crate::validate;
use std::time::Duration;
use tower_sessions::Session;

fn hash_err(e: passwords::HashError) -> AppError {
    match e {
        passwords::HashError::Busy { retry_after_secs } => AppError::Busy {
            message: "Too many passwords are being checked right now. Try again in a few seconds."
                .into(),
            retry_after_secs,
        },
        passwords::HashError::Failed(_) => AppError::internal_with("password hashing failed", e),
    }
}

fn window_ms(window: Duration) -> i64 {
    i64::try_from(window.as_millis()).unwrap_or(i64::MAX)
}

/// Advisory-lock namespaces, one per kind of key, so that an email and an address never share
/// a lock and two reservations cannot wait on each other in a cycle.
const LOCK_SIGN_IN_EMAIL: i32 = 7_001;
const LOCK_SIGN_IN_ADDRESS: i32 = 7_002;
const LOCK_SIGN_UP_ADDRESS: i32 = 7_003;

/// Makes reservations for one key take turns until the transaction ends, so "count, then
/// decide" sees every earlier reservation. PostgreSQL needs a lock for that (under READ
/// COMMITTED two transactions would each miss the other's uncommitted row); on SQLite the write
/// transaction (`BEGIN IMMEDIATE`) already runs alone.
async fn take_turn(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    class: i32,
    key: &str,
) -> Result<(), sqlx::Error> {
    if backend == Backend::Postgres {
        // `class` is one of the constants above, never user input.
        sqlx::query(&format!(
            "SELECT 1 FROM pg_advisory_xact_lock({class}, hashtext($1))"
        ))
        .bind(key)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Starts a fresh session for `user_id`: a new id (so a planted id is useless) and the tenant.
async fn start_session(session: &Session, user_id: &str, tenant_id: &str) -> AppResult<()> {
    session.cycle_id().await.map_err(session_err)?;
    session
        .insert(USER_KEY, user_id.to_string())
        .await
        .map_err(session_err)?;
    session
        .insert(TENANT_KEY, tenant_id.to_string())
        .await
        .map_err(session_err)?;
    Ok(())
}

pub struct SignUp {
    pub email: String,
    pub password: String,
    pub organisation: String,
}

/// Creates the user, their first tenant (they own it) and signs them in.
pub async fn sign_up(
    state: &AppState,
    session: &Session,
    meta: &ClientMeta,
    input: SignUp,
) -> AppResult<String> {
    let email = validate::email(&input.email)?;
    validate::new_password(&input.password, &email)?;
    let organisation = validate::organisation_name(&input.organisation, &email)?;

    let exists: Option<String> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(&email)
        .fetch_optional(&state.db.pool)
        .await?;
    if exists.is_some() {
        return Err(AppError::Conflict(
            "An account with this email already exists. Sign in instead.".into(),
        ));
    }
    let reservation = reserve_sign_up(state, &meta.ip).await?;
    let hash = match state.hashing.hash(input.password).await {
        Ok(hash) => hash,
        Err(e) => {
            // Refused before any work was done: it does not count against the address.
            forget(state, "sign_up_attempts", &reservation).await;
            return Err(hash_err(e));
        }
    };
    let now = now_ms();
    let user_id = new_id("usr");
    let tenant_id = new_id("ten");

    let mut tx = state.db.begin_write().await?;
    let inserted = sqlx::query(
        "INSERT INTO users (id, email, password_hash, created_at, password_changed_at, last_tenant_id)
         VALUES ($1, $2, $3, $4, $4, $5) ON CONFLICT (email) DO NOTHING",
    )
    .bind(&user_id)
    .bind(&email)
    .bind(&hash)
    .bind(now)
    .bind(&tenant_id)
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(AppError::Conflict(
            "An account with this email already exists. Sign in instead.".into(),
        ));
    }
    super::tenants_service::insert_owned(&mut tx, &tenant_id, &organisation, &user_id, now).await?;
    record(
        &mut tx,
        meta,
        Entry {
            tenant_id: Some(&tenant_id),
            actor_user_id: Some(&user_id),
            actor_email: Some(&email),
            action: "tenant.created",
            target_type: Some("tenant"),
            target_id: Some(&tenant_id),
            detail: Some(organisation.clone()),
        },
    )
    .await?;
    record(
        &mut tx,
        meta,
        Entry {
            actor_user_id: Some(&user_id),
            actor_email: Some(&email),
            action: "user.signed_up",
            target_type: Some("user"),
            target_id: Some(&user_id),
            ..Entry::default()
        },
    )
    .await?;
    tx.commit().await?;
    start_session(session, &user_id, &tenant_id).await?;
    connections_service::connect_default_simulator(state, &tenant_id).await;
    Ok(user_id)
}

/// Counts a sign-up from `ip` before its password is hashed, refusing it beyond the limit.
/// Returns the reservation's id.
async fn reserve_sign_up(state: &AppState, ip: &str) -> AppResult<String> {
    let now = now_ms();
    let since = now - window_ms(state.settings.sign_up_window);
    let id = new_id("sua");
    let mut tx = state.db.begin_write().await?;
    take_turn(&mut tx, state.db.backend, LOCK_SIGN_UP_ADDRESS, ip).await?;
    sqlx::query("INSERT INTO sign_up_attempts (id, ip, at) VALUES ($1, $2, $3)")
        .bind(&id)
        .bind(ip)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sign_up_attempts WHERE ip = $1 AND at > $2")
            .bind(ip)
            .bind(since)
            .fetch_one(&mut *tx)
            .await?;
    if count > state.settings.sign_ups_per_address {
        tx.rollback().await?;
        let minutes = state.settings.sign_up_window.as_secs().div_ceil(60);
        return Err(AppError::Throttled {
            message: format!(
                "Too many accounts were created from your network address. Try again in {minutes} minutes."
            ),
            retry_after_secs: state.settings.sign_up_window.as_secs().max(1),
        });
    }
    tx.commit().await?;
    Ok(id)
}

/// Drops a reservation whose request was refused before its password was looked at.
async fn forget(state: &AppState, table: &'static str, id: &str) {
    // `table` is one of two literals, never user input.
    let sql = format!("DELETE FROM {table} WHERE id = $1");
    if let Err(err) = sqlx::query(&sql).bind(id).execute(&state.db.pool).await {
        tracing::warn!(error = %err, table, "could not drop a refused attempt; it counts until it ages out");
    }
}

async fn failures_since(
    conn: &mut sqlx::AnyConnection,
    column: &str,
    value: &str,
    since: i64,
) -> Result<i64, sqlx::Error> {
    // `column` is one of two literals chosen below, never user input.
    let sql = format!(
        "SELECT COUNT(*) FROM login_attempts WHERE {column} = $1 AND success = 0 AND at > $2"
    );
    sqlx::query_scalar(&sql)
        .bind(value)
        .bind(since)
        .fetch_one(&mut *conn)
        .await
}

/// Records the attempt as a failure before the password is checked, and refuses it when that
/// goes over the limit for its email or its address. Reserving first, under a per-key turn, is
/// what makes the limits exact under concurrency: reading the count before hashing and writing
/// after it let 39 of 50 parallel attempts through a limit of 5. A success is marked as such
/// afterwards, so it never counts.
async fn reserve_sign_in(state: &AppState, email: &str, ip: &str) -> AppResult<String> {
    let window = state.settings.throttle_window;
    let now = now_ms();
    let since = now - window_ms(window);
    let id = new_id("la");
    let mut tx = state.db.begin_write().await?;
    take_turn(&mut tx, state.db.backend, LOCK_SIGN_IN_EMAIL, email).await?;
    take_turn(&mut tx, state.db.backend, LOCK_SIGN_IN_ADDRESS, ip).await?;
    sqlx::query(
        "INSERT INTO login_attempts (id, email, ip, at, success) VALUES ($1, $2, $3, $4, 0)",
    )
    .bind(&id)
    .bind(email)
    .bind(ip)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let by_email = failures_since(&mut tx, "email", email, since).await?;
    let by_ip = failures_since(&mut tx, "ip", ip, since).await?;
    if by_email > state.settings.throttle_per_email || by_ip > state.settings.throttle_per_ip {
        tx.rollback().await?;
        let minutes = window.as_secs().div_ceil(60);
        return Err(AppError::Throttled {
            message: format!(
                "Too many failed sign-in attempts. Wait {minutes} minutes, then try again."
            ),
            retry_after_secs: window.as_secs().max(1),
        });
    }
    tx.commit().await?;
    Ok(id)
}

/// The one message for "no such user" and "wrong password", so sign-in reveals neither.
pub const BAD_CREDENTIALS: &str = "The email or password is incorrect.";

pub async fn sign_in(
    state: &AppState,
    session: &Session,
    meta: &ClientMeta,
    email: &str,
    password: String,
) -> AppResult<String> {
    let email = email.trim().to_lowercase();
    if email.is_empty() || password.is_empty() {
        return Err(AppError::invalid("email", "Enter your email and password."));
    }
    let attempt = reserve_sign_in(state, &email, &meta.ip).await?;

    let user: Option<(String, String, Option<String>)> =
        sqlx::query_as("SELECT id, password_hash, last_tenant_id FROM users WHERE email = $1")
            .bind(&email)
            .fetch_optional(&state.db.pool)
            .await?;
    let ok = match state
        .hashing
        .verify(password, user.as_ref().map(|u| u.1.clone()))
        .await
    {
        Ok(ok) => ok,
        Err(e) => {
            // Nothing was checked, so this must not count as a failure for the email.
            forget(state, "login_attempts", &attempt).await;
            return Err(hash_err(e));
        }
    };

    let mut tx = state.db.begin_write().await?;
    if ok {
        sqlx::query("UPDATE login_attempts SET success = 1 WHERE id = $1")
            .bind(&attempt)
            .execute(&mut *tx)
            .await?;
    }
    let user_id = user.as_ref().map(|u| u.0.as_str());
    record(
        &mut tx,
        meta,
        Entry {
            actor_user_id: user_id,
            actor_email: Some(&email),
            action: if ok {
                "user.signed_in"
            } else {
                "user.sign_in_failed"
            },
            target_type: Some("user"),
            target_id: user_id,
            ..Entry::default()
        },
    )
    .await?;
    tx.commit().await?;

    let (Some((user_id, _, last_tenant)), true) = (user, ok) else {
        return Err(AppError::invalid("password", BAD_CREDENTIALS));
    };
    let tenants = tenants_of(&state.db, &user_id).await?;
    let tenant = last_tenant
        .filter(|id| tenants.iter().any(|t| &t.id == id))
        .or_else(|| tenants.first().map(|t| t.id.clone()))
        .unwrap_or_default();
    start_session(session, &user_id, &tenant).await?;
    Ok(user_id)
}

pub async fn sign_out(caller: &Caller) -> AppResult<()> {
    let (user_id, email) = caller.member()?;
    let mut conn = caller.db().pool.acquire().await?;
    record(
        &mut conn,
        &caller.meta,
        Entry {
            actor_user_id: Some(user_id),
            actor_email: Some(email),
            action: "user.signed_out",
            target_type: Some("user"),
            target_id: Some(user_id),
            ..Entry::default()
        },
    )
    .await?;
    caller.session()?.flush().await.map_err(session_err)?;
    caller.state.bus.publish_session_change(user_id).await;
    Ok(())
}

/// Changes the password after checking the current one, then revokes every other session of the
/// user and gives this one a new id.
pub async fn change_password(caller: &Caller, current: String, new: String) -> AppResult<()> {
    let (user_id, email) = caller.member()?;
    let stored: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(&caller.db().pool)
        .await?;
    let state = &caller.state;
    if !state
        .hashing
        .verify(current, Some(stored))
        .await
        .map_err(hash_err)?
    {
        return Err(AppError::invalid(
            "current_password",
            "Your current password is not correct.",
        ));
    }
    validate::new_password(&new, email)?;
    let hash = state.hashing.hash(new).await.map_err(hash_err)?;
    let current_session = caller
        .session()?
        .id()
        .map(|id| id.to_string())
        .unwrap_or_default();

    let mut tx = caller.db().begin_write().await?;
    sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE id = $3")
        .bind(&hash)
        .bind(now_ms())
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    let revoked = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
        .bind(user_id)
        .bind(&current_session)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    record(
        &mut tx,
        &caller.meta,
        Entry {
            actor_user_id: Some(user_id),
            actor_email: Some(email),
            action: "user.password_changed",
            target_type: Some("user"),
            target_id: Some(user_id),
            detail: Some(format!("{revoked} other session(s) signed out")),
            ..Entry::default()
        },
    )
    .await?;
    tx.commit().await?;
    caller.session()?.cycle_id().await.map_err(session_err)?;
    caller.state.bus.publish_session_change(user_id).await;
    Ok(())
}

/// Makes `tenant_id` the caller's current tenant, if they belong to it.
pub async fn switch_tenant(caller: &Caller, tenant_id: &str) -> AppResult<()> {
    switch_tenant_because(caller, tenant_id, None).await
}

/// [`switch_tenant`], with why in the audit entry (e.g. opening a store from All stores).
pub async fn switch_tenant_because(
    caller: &Caller,
    tenant_id: &str,
    why: Option<String>,
) -> AppResult<()> {
    let (user_id, email) = caller.member()?;
    let Some(target) = caller.tenants.iter().find(|t| t.id == tenant_id) else {
        return Err(AppError::not_found("organisation"));
    };
    let mut tx = caller.db().begin_write().await?;
    sqlx::query("UPDATE users SET last_tenant_id = $1 WHERE id = $2")
        .bind(&target.id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        &caller.meta,
        Entry {
            tenant_id: Some(&target.id),
            actor_user_id: Some(user_id),
            actor_email: Some(email),
            action: "tenant.switched",
            target_type: Some("tenant"),
            target_id: Some(&target.id),
            detail: why,
        },
    )
    .await?;
    tx.commit().await?;
    crate::ssr::caller::enter_tenant(&caller.state, caller.session()?, user_id, &target.id).await
}

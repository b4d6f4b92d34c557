//! API keys: created by admins in Settings, shown once, stored as a hash, revocable; and turning
//! a bearer token into a [`Caller`] for `/api/v1`.

use crate::api_keys::types::{ApiKeyCreated, ApiKeyView, ApiKeysView, ApiScope};
use crate::error::{AppError, AppResult};
use crate::model::{Permission, Role, TenantChoice};
use crate::ssr::audit::{record, Entry};
use crate::ssr::caller::{Caller, Principal};
use crate::ssr::client_meta::ClientMeta;
use crate::ssr::ids::{new_id, new_token, now_ms, token_hash};
use crate::ssr::state::AppState;

/// Every secret starts with this, so a leaked one is recognisable (secret scanners, logs).
pub const SECRET_PREFIX: &str = "tfk_";

/// `last_used_at` is written at most this often per key, so reads do not each cost a write.
const TOUCH_EVERY_MS: i64 = 60_000;

type KeyRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    i64,
    Option<i64>,
    Option<i64>,
);

pub async fn list(caller: &Caller) -> AppResult<ApiKeysView> {
    let rows: Vec<KeyRow> = sqlx::query_as(
        "SELECT k.id, k.name, k.scope, k.prefix, u.email, k.created_at, k.last_used_at,
         k.revoked_at FROM api_keys k LEFT JOIN users u ON u.id = k.created_by
         WHERE k.tenant_id = $1 ORDER BY k.revoked_at IS NOT NULL, k.created_at DESC, k.id",
    )
    .bind(&caller.tenant_id)
    .fetch_all(&caller.db().pool)
    .await?;
    let keys = rows
        .into_iter()
        .filter_map(
            |(id, name, scope, prefix, created_by, created_at, last_used_at, revoked_at)| {
                Some(ApiKeyView {
                    id,
                    name,
                    scope: scope.parse().ok()?,
                    prefix,
                    created_by,
                    created_at,
                    last_used_at,
                    revoked_at,
                })
            },
        )
        .collect();
    Ok(ApiKeysView {
        keys,
        can_manage: caller.can(Permission::ManageFleet),
        base_url: format!("{}/api/v1", caller.state.settings.public_url),
    })
}

pub async fn create(caller: &Caller, name: &str, scope: &str) -> AppResult<ApiKeyCreated> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::invalid(
            "name",
            "Name the key after what will use it, such as “Till 3, Main Street”.",
        ));
    }
    if name.chars().count() > 80 {
        return Err(AppError::invalid(
            "name",
            "Keep the name under 80 characters.",
        ));
    }
    let scope: ApiScope = scope
        .parse()
        .map_err(|m: String| AppError::invalid("scope", m))?;
    let taken: Option<String> = sqlx::query_scalar(
        "SELECT id FROM api_keys WHERE tenant_id = $1 AND name = $2 AND revoked_at IS NULL",
    )
    .bind(&caller.tenant_id)
    .bind(name)
    .fetch_optional(&caller.db().pool)
    .await?;
    if taken.is_some() {
        return Err(AppError::invalid(
            "name",
            "A key with this name is already in use; choose another name or revoke that key.",
        ));
    }
    let id = new_id("key");
    let secret = format!("{SECRET_PREFIX}{}", new_token());
    let prefix: String = secret.chars().take(SECRET_PREFIX.len() + 6).collect();
    let mut tx = caller.db().begin_write().await?;
    crate::ssr::limits::room_for_one(
        &mut tx,
        &caller.tenant_id,
        "SELECT COUNT(*) FROM api_keys WHERE tenant_id = $1 AND revoked_at IS NULL",
        caller.state.settings.limits.api_keys_per_tenant,
        "active API keys",
    )
    .await?;
    sqlx::query(
        "INSERT INTO api_keys (id, tenant_id, name, scope, secret_hash, prefix, created_by,
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(&caller.tenant_id)
    .bind(name)
    .bind(scope.as_str())
    .bind(token_hash(&secret))
    .bind(&prefix)
    .bind(caller.person())
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, "api_key.created")
            .target("api_key", &id)
            .detail(format!("{name} ({})", scope.label())),
    )
    .await?;
    tx.commit().await?;
    Ok(ApiKeyCreated {
        id,
        name: name.to_string(),
        scope,
        secret,
    })
}

pub async fn revoke(caller: &Caller, id: &str) -> AppResult<()> {
    let mut tx = caller.db().begin_write().await?;
    let name: Option<String> = sqlx::query_scalar(
        "SELECT name FROM api_keys WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL",
    )
    .bind(&caller.tenant_id)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(name) = name else {
        return Err(AppError::not_found("API key"));
    };
    sqlx::query("UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2")
        .bind(&caller.tenant_id)
        .bind(id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, "api_key.revoked")
            .target("api_key", id)
            .detail(name),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct LiveKey {
    id: String,
    tenant_id: String,
    tenant_name: String,
    name: String,
    scope: String,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

/// The key behind a bearer token, as a caller in its tenant, with its scope; `None` when no
/// live key has this secret (unknown, mistyped or revoked: the caller is not told which).
pub async fn authenticate(
    state: &AppState,
    secret: &str,
    meta: ClientMeta,
) -> AppResult<Option<(Caller, ApiScope)>> {
    if !secret.starts_with(SECRET_PREFIX) || secret.len() > 200 {
        return Ok(None);
    }
    let row: Option<LiveKey> = sqlx::query_as(
        "SELECT k.id, k.tenant_id, t.name AS tenant_name, k.name, k.scope, k.last_used_at,
         k.revoked_at FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
         WHERE k.secret_hash = $1",
    )
    .bind(token_hash(secret))
    .fetch_optional(&state.db.pool)
    .await?;
    let Some(LiveKey {
        id,
        tenant_id,
        tenant_name,
        name,
        scope,
        last_used_at: last_used,
        revoked_at: None,
    }) = row
    else {
        return Ok(None);
    };
    let Ok(scope) = scope.parse::<ApiScope>() else {
        return Ok(None);
    };
    let now = now_ms();
    if last_used.is_none_or(|at| now - at >= TOUCH_EVERY_MS) {
        sqlx::query("UPDATE api_keys SET last_used_at = $2 WHERE id = $1")
            .bind(&id)
            .bind(now)
            .execute(&state.db.pool)
            .await?;
    }
    // A key reads the whole tenant, like an auditor; what it may change is its scope, checked
    // by the API before any service is called.
    let role = Role::Auditor;
    Ok(Some((
        Caller {
            principal: Principal::ApiKey {
                id,
                label: format!("API key {name}"),
            },
            tenants: vec![TenantChoice {
                id: tenant_id.clone(),
                name: tenant_name.clone(),
                role,
                support_until: None,
            }],
            tenant_id,
            tenant_name,
            role,
            meta,
            state: state.clone(),
            session: None,
        },
        scope,
    )))
}

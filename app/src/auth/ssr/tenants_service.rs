//! Organisations: creating another one (franchise operators run several) and renaming.

use crate::connections::ssr::connections_service;
use crate::error::{AppError, AppResult};
use crate::ssr::audit::{record, Entry};
use crate::ssr::caller::Caller;
use crate::ssr::ids::{new_id, now_ms};
use crate::topic::Topic;

fn clean_name(raw: &str) -> AppResult<String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(AppError::invalid(
            "name",
            "Enter a name for the organisation.",
        ));
    }
    if name.chars().count() > 100 {
        return Err(AppError::invalid(
            "name",
            "Keep the organisation name under 100 characters.",
        ));
    }
    Ok(name.to_string())
}

/// Inserts a tenant and its first owner.
pub async fn insert_owned(
    conn: &mut sqlx::AnyConnection,
    tenant_id: &str,
    name: &str,
    owner_id: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(tenant_id)
        .bind(name)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO memberships (tenant_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)",
    )
    .bind(tenant_id)
    .bind(owner_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Creates an organisation owned by the caller and makes it their current one.
pub async fn create(caller: &Caller, name: &str) -> AppResult<String> {
    let (user_id, _) = caller.member()?;
    let name = clean_name(name)?;
    let id = new_id("ten");
    let now = now_ms();
    let mut tx = caller.db().begin_write().await?;
    // Touching the user's row first holds it until commit (on PostgreSQL), so two creations
    // racing each other count one another's organisation.
    sqlx::query("UPDATE users SET last_tenant_id = last_tenant_id WHERE id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    let owned: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM memberships WHERE user_id = $1 AND role = 'owner'",
    )
    .bind(user_id)
    .fetch_one(&mut *tx)
    .await?;
    let cap = caller.state.settings.organisations_per_user;
    if owned >= cap {
        tx.rollback().await?;
        return Err(AppError::Conflict(format!(
            "You already own {owned} organisations; one account may own at most {cap}."
        )));
    }
    insert_owned(&mut tx, &id, &name, user_id, now).await?;
    sqlx::query("UPDATE users SET last_tenant_id = $1 WHERE id = $2")
        .bind(&id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        &caller.meta,
        Entry {
            tenant_id: Some(&id),
            ..Entry::by(caller, "tenant.created")
        }
        .target("tenant", &id)
        .detail(name),
    )
    .await?;
    tx.commit().await?;
    connections_service::connect_default_simulator(&caller.state, &id).await;
    crate::ssr::caller::enter_tenant(&caller.state, caller.session()?, user_id, &id).await?;
    Ok(id)
}

/// Renames the caller's current organisation.
pub async fn rename(caller: &Caller, name: &str) -> AppResult<()> {
    let name = clean_name(name)?;
    let mut tx = caller.db().begin_write().await?;
    sqlx::query("UPDATE tenants SET name = $1 WHERE id = $2")
        .bind(&name)
        .bind(&caller.tenant_id)
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, "tenant.renamed")
            .target("tenant", &caller.tenant_id)
            .detail(format!("{} → {name}", caller.tenant_name)),
    )
    .await?;
    tx.commit().await?;
    // The name is part of what each member's requests resolve (the header, the switcher): a
    // members message is what drops it from every instance's cache.
    caller
        .state
        .bus
        .publish(&caller.tenant_id, Topic::Members, None)
        .await;
    Ok(())
}

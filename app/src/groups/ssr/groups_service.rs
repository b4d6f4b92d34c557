//! Store groups: named sets of a tenant's locations (a region, a franchisee). Granting an
//! operator a group lets them see and use every location in it, as the group changes.

use crate::error::{AppError, AppResult};
use crate::groups::types::{StoreGroupView, StoreGroupsView};
use crate::model::Permission;
use crate::ssr::audit::{record, Entry};
use crate::ssr::caller::Caller;
use crate::ssr::ids::{new_id, now_ms};
use crate::topic::Topic;
use std::collections::HashMap;

pub async fn list(caller: &Caller) -> AppResult<StoreGroupsView> {
    let pool = &caller.db().pool;
    let groups: Vec<(String, String)> =
        sqlx::query_as("SELECT id, name FROM store_groups WHERE tenant_id = $1 ORDER BY name, id")
            .bind(&caller.tenant_id)
            .fetch_all(pool)
            .await?;
    let members: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT gl.group_id, l.id, l.display_name FROM store_group_locations gl
         JOIN locations l ON l.tenant_id = gl.tenant_id AND l.id = gl.location_id
         WHERE gl.tenant_id = $1 ORDER BY l.display_name, l.id",
    )
    .bind(&caller.tenant_id)
    .fetch_all(pool)
    .await?;
    let grants: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT gg.group_id, u.id, u.email FROM group_grants gg JOIN users u ON u.id = gg.user_id
         WHERE gg.tenant_id = $1 ORDER BY u.email",
    )
    .bind(&caller.tenant_id)
    .fetch_all(pool)
    .await?;
    let locations: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, display_name FROM locations WHERE tenant_id = $1 ORDER BY display_name, id",
    )
    .bind(&caller.tenant_id)
    .fetch_all(pool)
    .await?;
    let operators: Vec<(String, String)> = sqlx::query_as(
        "SELECT u.id, u.email FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.tenant_id = $1 AND m.role = 'operator' ORDER BY u.email",
    )
    .bind(&caller.tenant_id)
    .fetch_all(pool)
    .await?;
    let mut by_group: HashMap<String, StoreGroupView> = groups
        .into_iter()
        .map(|(id, name)| {
            (
                id.clone(),
                StoreGroupView {
                    id,
                    name,
                    locations: Vec::new(),
                    operators: Vec::new(),
                },
            )
        })
        .collect();
    for (group, id, name) in members {
        if let Some(g) = by_group.get_mut(&group) {
            g.locations.push((id, name));
        }
    }
    for (group, id, email) in grants {
        if let Some(g) = by_group.get_mut(&group) {
            g.operators.push((id, email));
        }
    }
    let mut groups: Vec<StoreGroupView> = by_group.into_values().collect();
    groups.sort_by(|a, b| (a.name.to_lowercase(), &a.id).cmp(&(b.name.to_lowercase(), &b.id)));
    Ok(StoreGroupsView {
        groups,
        locations,
        operators,
        can_manage: caller.can(Permission::ManageFleet),
    })
}

async fn group_name(caller: &Caller, group_id: &str) -> AppResult<String> {
    sqlx::query_scalar("SELECT name FROM store_groups WHERE tenant_id = $1 AND id = $2")
        .bind(&caller.tenant_id)
        .bind(group_id)
        .fetch_optional(&caller.db().pool)
        .await?
        .ok_or_else(|| AppError::not_found("store group"))
}

async fn changed(caller: &Caller) {
    // Operators' visible locations may have changed: their pages refetch.
    caller
        .state
        .bus
        .publish(&caller.tenant_id, Topic::Locations, None)
        .await;
}

pub async fn create(caller: &Caller, name: &str) -> AppResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(AppError::invalid(
            "name",
            "Name the group (up to 80 characters), such as “North region” or “Franchisee: Dupont”.",
        ));
    }
    let taken: Option<String> =
        sqlx::query_scalar("SELECT id FROM store_groups WHERE tenant_id = $1 AND name = $2")
            .bind(&caller.tenant_id)
            .bind(name)
            .fetch_optional(&caller.db().pool)
            .await?;
    if taken.is_some() {
        return Err(AppError::invalid(
            "name",
            "A group with this name already exists.",
        ));
    }
    let id = new_id("grp");
    let mut tx = caller.db().begin_write().await?;
    crate::ssr::limits::room_for_one(
        &mut tx,
        &caller.tenant_id,
        "SELECT COUNT(*) FROM store_groups WHERE tenant_id = $1",
        caller.state.settings.limits.groups_per_tenant,
        "store groups",
    )
    .await?;
    sqlx::query(
        "INSERT INTO store_groups (id, tenant_id, name, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&id)
    .bind(&caller.tenant_id)
    .bind(name)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, "group.created")
            .target("store_group", &id)
            .detail(name),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn delete(caller: &Caller, group_id: &str) -> AppResult<()> {
    let name = group_name(caller, group_id).await?;
    let mut tx = caller.db().begin_write().await?;
    sqlx::query("DELETE FROM store_groups WHERE tenant_id = $1 AND id = $2")
        .bind(&caller.tenant_id)
        .bind(group_id)
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, "group.deleted")
            .target("store_group", group_id)
            .detail(name),
    )
    .await?;
    tx.commit().await?;
    changed(caller).await;
    Ok(())
}

pub async fn set_location(
    caller: &Caller,
    group_id: &str,
    location_id: &str,
    member: bool,
) -> AppResult<()> {
    let name = group_name(caller, group_id).await?;
    let location: String =
        sqlx::query_scalar("SELECT display_name FROM locations WHERE tenant_id = $1 AND id = $2")
            .bind(&caller.tenant_id)
            .bind(location_id)
            .fetch_optional(&caller.db().pool)
            .await?
            .ok_or_else(|| AppError::not_found("location"))?;
    let mut tx = caller.db().begin_write().await?;
    if member {
        sqlx::query(
            "INSERT INTO store_group_locations (group_id, tenant_id, location_id)
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(group_id)
        .bind(&caller.tenant_id)
        .bind(location_id)
        .execute(&mut *tx)
        .await?;
    } else {
        sqlx::query(
            "DELETE FROM store_group_locations
             WHERE group_id = $1 AND tenant_id = $2 AND location_id = $3",
        )
        .bind(group_id)
        .bind(&caller.tenant_id)
        .bind(location_id)
        .execute(&mut *tx)
        .await?;
    }
    let verb = if member { "added to" } else { "taken out of" };
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, "group.location_changed")
            .target("store_group", group_id)
            .detail(format!("{location} {verb} {name}")),
    )
    .await?;
    tx.commit().await?;
    changed(caller).await;
    Ok(())
}

pub async fn set_grant(
    caller: &Caller,
    group_id: &str,
    user_id: &str,
    granted: bool,
) -> AppResult<()> {
    let name = group_name(caller, group_id).await?;
    let member: Option<(String, String)> = sqlx::query_as(
        "SELECT m.role, u.email FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.tenant_id = $1 AND m.user_id = $2",
    )
    .bind(&caller.tenant_id)
    .bind(user_id)
    .fetch_optional(&caller.db().pool)
    .await?;
    let email = match member {
        Some((role, email)) if role == "operator" => email,
        Some(_) => {
            return Err(AppError::Conflict(
                "Only operators are limited to locations; other roles see every location.".into(),
            ))
        }
        None => return Err(AppError::not_found("member")),
    };
    let mut tx = caller.db().begin_write().await?;
    if granted {
        sqlx::query(
            "INSERT INTO group_grants (group_id, tenant_id, user_id, created_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(group_id)
        .bind(&caller.tenant_id)
        .bind(user_id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    } else {
        sqlx::query(
            "DELETE FROM group_grants WHERE group_id = $1 AND tenant_id = $2 AND user_id = $3",
        )
        .bind(group_id)
        .bind(&caller.tenant_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    }
    let verb = if granted { "granted" } else { "revoked" };
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, "group.grant_changed")
            .target("store_group", group_id)
            .detail(format!("{email} {verb} {name}")),
    )
    .await?;
    tx.commit().await?;
    changed(caller).await;
    Ok(())
}

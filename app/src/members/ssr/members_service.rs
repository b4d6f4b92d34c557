//! Members of a tenant: invites (links shown to the inviter, since there is no mail server),
//! role changes and removals, with the rule that a tenant always keeps an owner.

use crate::error::{AppError, AppResult};
use crate::members::types::{InviteCreated, InviteInfo, Member, MembersView, PendingInvite};
use crate::model::{Permission, Role};
use crate::ssr::audit::{record, Entry};
use crate::ssr::caller::Caller;
use crate::ssr::client_meta::ClientMeta;
use crate::ssr::ids::{new_id, new_token, now_ms, token_hash};
use crate::ssr::state::AppState;
use crate::topic::Topic;
use crate::validate;
use sqlx::AnyConnection;
use tower_sessions::Session;

pub async fn list(caller: &Caller) -> AppResult<MembersView> {
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT u.id, u.email, m.role, m.created_at FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.tenant_id = $1 ORDER BY m.created_at, u.email",
    )
    .bind(&caller.tenant_id)
    .fetch_all(&caller.db().pool)
    .await?;
    let members = rows
        .into_iter()
        .filter_map(|(user_id, email, role, joined_at)| {
            let role = role.parse().ok()?;
            Some(Member {
                is_you: caller.person() == Some(user_id.as_str()),
                user_id,
                email,
                role,
                joined_at,
            })
        })
        .collect();
    let can_manage = caller.can(Permission::ManageMembers);
    let invites = if can_manage {
        let rows: Vec<(String, String, String, i64, i64)> = sqlx::query_as(
            "SELECT id, email, role, created_at, expires_at FROM invites
             WHERE tenant_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2
             ORDER BY created_at DESC",
        )
        .bind(&caller.tenant_id)
        .bind(now_ms())
        .fetch_all(&caller.db().pool)
        .await?;
        rows.into_iter()
            .filter_map(|(id, email, role, created_at, expires_at)| {
                Some(PendingInvite {
                    id,
                    email,
                    role: role.parse().ok()?,
                    created_at,
                    expires_at,
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(MembersView {
        members,
        invites,
        can_manage,
        you_are_owner: caller.role == Role::Owner,
    })
}

fn parse_role(raw: &str) -> AppResult<Role> {
    raw.parse()
        .map_err(|msg: String| AppError::invalid("role", msg))
}

fn only_owner_grants_owner(caller: &Caller, role: Role) -> AppResult<()> {
    if role == Role::Owner && caller.role != Role::Owner {
        return Err(AppError::Forbidden(
            "Only an owner can make someone an owner.".into(),
        ));
    }
    Ok(())
}

pub async fn invite(caller: &Caller, email: &str, role: &str) -> AppResult<InviteCreated> {
    let email = validate::email(email)?;
    let role = parse_role(role)?;
    only_owner_grants_owner(caller, role)?;
    let already: Option<String> = sqlx::query_scalar(
        "SELECT u.id FROM users u JOIN memberships m ON m.user_id = u.id
         WHERE m.tenant_id = $1 AND u.email = $2",
    )
    .bind(&caller.tenant_id)
    .bind(&email)
    .fetch_optional(&caller.db().pool)
    .await?;
    if already.is_some() {
        return Err(AppError::Conflict(format!(
            "{email} is already a member of {}.",
            caller.tenant_name
        )));
    }
    let token = new_token();
    let id = new_id("inv");
    let now = now_ms();
    let ttl = i64::try_from(caller.state.settings.invite_ttl.as_millis()).unwrap_or(i64::MAX);
    let expires_at = now.saturating_add(ttl);
    let mut tx = caller.db().begin_write().await?;
    crate::ssr::limits::room_for_one(
        &mut tx,
        &caller.tenant_id,
        &format!(
            "SELECT COUNT(*) FROM invites WHERE tenant_id = $1 AND accepted_at IS NULL
             AND revoked_at IS NULL AND expires_at > {now}"
        ),
        caller.state.settings.limits.pending_invites_per_tenant,
        "pending invites",
    )
    .await?;
    sqlx::query(
        "INSERT INTO invites (id, tenant_id, email, role, token_hash, created_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(&caller.tenant_id)
    .bind(&email)
    .bind(role.as_str())
    .bind(token_hash(&token))
    .bind(caller.principal.id())
    .bind(now)
    .bind(expires_at)
    .execute(&mut *tx)
    .await?;
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, "member.invited")
            .target("invite", &id)
            .detail(format!("{email} as {role}")),
    )
    .await?;
    tx.commit().await?;
    caller
        .state
        .bus
        .publish(&caller.tenant_id, Topic::Members, None)
        .await;
    let base = caller.state.settings.public_url.trim_end_matches('/');
    Ok(InviteCreated {
        id,
        email,
        role,
        link: format!("{base}/invite/{token}"),
        expires_at,
    })
}

pub async fn revoke_invite(caller: &Caller, invite_id: &str) -> AppResult<()> {
    let mut tx = caller.db().begin_write().await?;
    let done = sqlx::query(
        "UPDATE invites SET revoked_at = $1 WHERE id = $2 AND tenant_id = $3
         AND accepted_at IS NULL AND revoked_at IS NULL",
    )
    .bind(now_ms())
    .bind(invite_id)
    .bind(&caller.tenant_id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::not_found("invite"));
    }
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, "member.invite_revoked").target("invite", invite_id),
    )
    .await?;
    tx.commit().await?;
    caller
        .state
        .bus
        .publish(&caller.tenant_id, Topic::Members, None)
        .await;
    Ok(())
}

async fn role_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> AppResult<Option<Role>> {
    let role: Option<String> =
        sqlx::query_scalar("SELECT role FROM memberships WHERE tenant_id = $1 AND user_id = $2")
            .bind(tenant_id)
            .bind(user_id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(role.and_then(|r| r.parse().ok()))
}

async fn owner_count(conn: &mut AnyConnection, tenant_id: &str) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM memberships WHERE tenant_id = $1 AND role = 'owner'",
    )
    .bind(tenant_id)
    .fetch_one(&mut *conn)
    .await?)
}

const LAST_OWNER: &str =
    "An organisation needs at least one owner. Make someone else an owner first.";

/// The caller's role as it stands inside this transaction, with the organisation locked: two
/// owners changing each other at once are decided one after the other, each on the roles the
/// other left, so neither can leave the organisation without an owner.
async fn acting_role(conn: &mut AnyConnection, caller: &Caller) -> AppResult<Role> {
    crate::ssr::db::lock_tenant(conn, &caller.tenant_id).await?;
    role_of(conn, &caller.tenant_id, caller.principal.id())
        .await?
        .filter(|role| role.allows(Permission::ManageMembers))
        .ok_or_else(AppError::forbidden)
}

pub async fn change_role(caller: &Caller, user_id: &str, role: &str) -> AppResult<()> {
    let role = parse_role(role)?;
    only_owner_grants_owner(caller, role)?;
    let mut tx = caller.db().begin_write().await?;
    let acting = acting_role(&mut tx, caller).await?;
    if role == Role::Owner && acting != Role::Owner {
        return Err(AppError::Forbidden(
            "Only an owner can make someone an owner.".into(),
        ));
    }
    let Some(current) = role_of(&mut tx, &caller.tenant_id, user_id).await? else {
        return Err(AppError::not_found("member"));
    };
    if current == Role::Owner && acting != Role::Owner {
        return Err(AppError::Forbidden(
            "Only an owner can change an owner's role.".into(),
        ));
    }
    if current == role {
        return Ok(());
    }
    if current == Role::Owner && owner_count(&mut tx, &caller.tenant_id).await? <= 1 {
        return Err(AppError::Conflict(LAST_OWNER.into()));
    }
    sqlx::query("UPDATE memberships SET role = $1 WHERE tenant_id = $2 AND user_id = $3")
        .bind(role.as_str())
        .bind(&caller.tenant_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, "member.role_changed")
            .target("user", user_id)
            .detail(format!("{current} → {role}")),
    )
    .await?;
    tx.commit().await?;
    caller
        .state
        .bus
        .publish(&caller.tenant_id, Topic::Members, None)
        .await;
    caller.state.bus.publish_session_change(user_id).await;
    Ok(())
}

pub async fn remove(caller: &Caller, user_id: &str) -> AppResult<()> {
    let mut tx = caller.db().begin_write().await?;
    let acting = acting_role(&mut tx, caller).await?;
    let Some(current) = role_of(&mut tx, &caller.tenant_id, user_id).await? else {
        return Err(AppError::not_found("member"));
    };
    if current == Role::Owner && acting != Role::Owner {
        return Err(AppError::Forbidden(
            "Only an owner can remove an owner.".into(),
        ));
    }
    if current == Role::Owner && owner_count(&mut tx, &caller.tenant_id).await? <= 1 {
        return Err(AppError::Conflict(LAST_OWNER.into()));
    }
    // Grants go with the membership: a later invite must start from nothing, not silently
    // restore the stores this person could reach before.
    for sql in [
        "DELETE FROM memberships WHERE tenant_id = $1 AND user_id = $2",
        "DELETE FROM location_grants WHERE tenant_id = $1 AND user_id = $2",
        "DELETE FROM group_grants WHERE tenant_id = $1 AND user_id = $2",
    ] {
        sqlx::query(sql)
            .bind(&caller.tenant_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
    }
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, "member.removed").target("user", user_id),
    )
    .await?;
    tx.commit().await?;
    caller
        .state
        .bus
        .publish(&caller.tenant_id, Topic::Members, None)
        .await;
    caller.state.bus.publish_session_change(user_id).await;
    Ok(())
}

/// id, tenant id, tenant name, email, role, expires, accepted, revoked.
type InviteRecord = (
    String,
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
);

struct InviteRow {
    id: String,
    tenant_id: String,
    tenant_name: String,
    email: String,
    role: Role,
    expires_at: i64,
}

async fn live_invite(state: &AppState, token: &str) -> AppResult<InviteRow> {
    let row: Option<InviteRecord> =
        sqlx::query_as(
            "SELECT i.id, i.tenant_id, t.name, i.email, i.role, i.expires_at, i.accepted_at, i.revoked_at
             FROM invites i JOIN tenants t ON t.id = i.tenant_id WHERE i.token_hash = $1",
        )
        .bind(token_hash(token))
        .fetch_optional(&state.db.pool)
        .await?;
    let Some((id, tenant_id, tenant_name, email, role, expires_at, accepted, revoked)) = row else {
        return Err(AppError::NotFound(
            "This invite link is not valid. Check that you copied all of it.".into(),
        ));
    };
    if accepted.is_some() {
        return Err(AppError::Conflict(
            "This invite has already been used.".into(),
        ));
    }
    if revoked.is_some() {
        return Err(AppError::Conflict(
            "This invite was withdrawn. Ask for a new one.".into(),
        ));
    }
    if expires_at <= now_ms() {
        return Err(AppError::Conflict(
            "This invite has expired. Ask for a new one.".into(),
        ));
    }
    let role = role
        .parse()
        .map_err(|_| AppError::internal(format_args!("invite {id} has an unknown role")))?;
    Ok(InviteRow {
        id,
        tenant_id,
        tenant_name,
        email,
        role,
        expires_at,
    })
}

pub async fn invite_info(
    state: &AppState,
    token: &str,
    signed_in_as: Option<String>,
) -> AppResult<InviteInfo> {
    let invite = live_invite(state, token).await?;
    Ok(InviteInfo {
        tenant_name: invite.tenant_name,
        email: invite.email,
        role: invite.role,
        expires_at: invite.expires_at,
        signed_in_as,
    })
}

/// Joins the invite's tenant as the signed-in user (whose email must be the invited one) and
/// makes it their current tenant.
pub async fn accept(
    state: &AppState,
    session: &Session,
    meta: &ClientMeta,
    user_id: &str,
    token: &str,
) -> AppResult<String> {
    let invite = live_invite(state, token).await?;
    let email: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(&state.db.pool)
        .await?;
    if email != invite.email {
        return Err(AppError::Forbidden(format!(
            "This invite is for {}, but you are signed in as {email}. Sign in as {} to accept it.",
            invite.email, invite.email
        )));
    }
    let now = now_ms();
    let mut tx = state.db.begin_write().await?;
    // The conditional update is what makes a link work once, even if it is opened twice at once.
    let claimed = sqlx::query(
        "UPDATE invites SET accepted_at = $1, accepted_by = $2
         WHERE id = $3 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(user_id)
    .bind(&invite.id)
    .execute(&mut *tx)
    .await?;
    if claimed.rows_affected() == 0 {
        return Err(AppError::Conflict(
            "This invite has already been used.".into(),
        ));
    }
    sqlx::query(
        "INSERT INTO memberships (tenant_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id, user_id) DO NOTHING",
    )
    .bind(&invite.tenant_id)
    .bind(user_id)
    .bind(invite.role.as_str())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE users SET last_tenant_id = $1 WHERE id = $2")
        .bind(&invite.tenant_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        meta,
        Entry {
            tenant_id: Some(&invite.tenant_id),
            actor_user_id: Some(user_id),
            actor_email: Some(&email),
            action: "member.joined",
            target_type: Some("invite"),
            target_id: Some(&invite.id),
            detail: Some(format!("as {}", invite.role)),
        },
    )
    .await?;
    tx.commit().await?;
    state
        .bus
        .publish(&invite.tenant_id, Topic::Members, None)
        .await;
    crate::ssr::caller::enter_tenant(state, session, user_id, &invite.tenant_id).await?;
    Ok(invite.tenant_id)
}

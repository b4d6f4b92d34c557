//! Support access: an owner grants a named user (someone from support, with an account here)
//! read-only access to the organisation for a limited time. While it lasts the user sees the
//! organisation as an auditor without being a member, and everything they open is audited; it
//! ends by itself at its expiry or when revoked, checked on every request (by caller resolution,
//! through `crate::ssr::support_access`).

use crate::error::{AppError, AppResult};
use crate::model::Permission;
use crate::ssr::audit::{record, Entry};
use crate::ssr::caller::Caller;
use crate::ssr::ids::{new_id, now_ms};
use crate::support::types::{SupportGrantView, SupportView, DURATIONS};

pub async fn list(caller: &Caller) -> AppResult<SupportView> {
    type Row = (
        String,
        String,
        String,
        Option<String>,
        i64,
        i64,
        Option<i64>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT s.id, u.email, s.reason, g.email, s.created_at, s.expires_at, s.revoked_at
         FROM support_grants s JOIN users u ON u.id = s.user_id
         LEFT JOIN users g ON g.id = s.granted_by
         WHERE s.tenant_id = $1 ORDER BY s.created_at DESC, s.id LIMIT 100",
    )
    .bind(&caller.tenant_id)
    .fetch_all(&caller.db().pool)
    .await?;
    let now = now_ms();
    Ok(SupportView {
        grants: rows
            .into_iter()
            .map(
                |(id, email, reason, granted_by, created_at, expires_at, revoked_at)| {
                    SupportGrantView {
                        active: revoked_at.is_none() && expires_at > now,
                        id,
                        email,
                        reason,
                        granted_by,
                        created_at,
                        expires_at,
                        revoked_at,
                    }
                },
            )
            .collect(),
        now,
        can_grant: caller.can(Permission::ManageTenant),
    })
}

pub async fn grant(caller: &Caller, email: &str, hours: &str, reason: &str) -> AppResult<()> {
    let email = crate::validate::email(email)?;
    let Some((hours, label)) = hours
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|h| DURATIONS.iter().find(|(d, _)| *d == h).copied())
    else {
        return Err(AppError::invalid(
            "hours",
            "Choose how long access lasts, from 1 hour to 7 days.",
        ));
    };
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(AppError::invalid(
            "reason",
            "Say why support needs access (a ticket number, say), in up to 200 characters.",
        ));
    }
    let user: Option<String> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(&email)
        .fetch_optional(&caller.db().pool)
        .await?;
    let Some(user_id) = user else {
        return Err(AppError::invalid(
            "email",
            "No one has an account with this email; the support person must sign up first.",
        ));
    };
    let member: Option<String> =
        sqlx::query_scalar("SELECT role FROM memberships WHERE tenant_id = $1 AND user_id = $2")
            .bind(&caller.tenant_id)
            .bind(&user_id)
            .fetch_optional(&caller.db().pool)
            .await?;
    if member.is_some() {
        return Err(AppError::invalid(
            "email",
            "This person is already a member of the organisation.",
        ));
    }
    let id = new_id("sup");
    let now = now_ms();
    let mut tx = caller.db().begin_write().await?;
    sqlx::query(
        "INSERT INTO support_grants (id, tenant_id, user_id, granted_by, reason, created_at,
         expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(&caller.tenant_id)
    .bind(&user_id)
    .bind(caller.person())
    .bind(reason)
    .bind(now)
    .bind(now + hours * 3_600_000)
    .execute(&mut *tx)
    .await?;
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, "support.granted")
            .target("support_grant", &id)
            .detail(format!("{email} for {label}: {reason}")),
    )
    .await?;
    tx.commit().await?;
    caller.state.bus.publish_session_change(&user_id).await;
    Ok(())
}

pub async fn revoke(caller: &Caller, grant_id: &str) -> AppResult<()> {
    let mut tx = caller.db().begin_write().await?;
    let found: Option<(String, String)> = sqlx::query_as(
        "SELECT u.email, u.id FROM support_grants s JOIN users u ON u.id = s.user_id
         WHERE s.tenant_id = $1 AND s.id = $2 AND s.revoked_at IS NULL",
    )
    .bind(&caller.tenant_id)
    .bind(grant_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((email, user_id)) = found else {
        return Err(AppError::not_found("support access"));
    };
    sqlx::query("UPDATE support_grants SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2")
        .bind(&caller.tenant_id)
        .bind(grant_id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, "support.revoked")
            .target("support_grant", grant_id)
            .detail(email),
    )
    .await?;
    tx.commit().await?;
    caller.state.bus.publish_session_change(&user_id).await;
    Ok(())
}

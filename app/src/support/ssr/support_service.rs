//! Support access: an owner grants a named user (someone from support, with an account here)
//! read-only access to the organisation for a limited time. While it lasts the user sees the
//! organisation as an auditor without being a member, and everything they open is audited; it
//! ends by itself at its expiry or when revoked, checked on every request.

use crate::error::{AppError, AppResult};
use crate::model::Permission;
use crate::ssr::audit::{record, Entry};
use crate::ssr::caller::{Caller, ClientMeta};
use crate::ssr::db::Db;
use crate::ssr::ids::{new_id, now_ms};
use crate::ssr::state::AppState;
use crate::support::types::{SupportGrantView, SupportView, DURATIONS};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// User, tenant and path of a support user's read.
type ViewKey = (String, String, String);

/// The same page read again within this long by the same support user is one audit entry.
const SAME_VIEW_MS: i64 = 5_000;

/// Organisations `user_id` has live support access to: id, name and when access ends.
pub async fn active_for(db: &Db, user_id: &str) -> AppResult<Vec<(String, String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT t.id, t.name, MAX(s.expires_at) FROM support_grants s
         JOIN tenants t ON t.id = s.tenant_id
         WHERE s.user_id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2
         GROUP BY t.id, t.name ORDER BY t.name",
    )
    .bind(user_id)
    .bind(now_ms())
    .fetch_all(&db.pool)
    .await?)
}

/// Records that a support user read `meta.path` in `tenant_id`. SSR renders a page with several
/// reads in one request, so repeats of one path within a few seconds are one entry.
pub async fn audit_view(
    state: &AppState,
    user_id: &str,
    email: &str,
    tenant_id: &str,
    meta: &ClientMeta,
) {
    static RECENT: OnceLock<Mutex<HashMap<ViewKey, i64>>> = OnceLock::new();
    let now = now_ms();
    let key = (
        user_id.to_string(),
        tenant_id.to_string(),
        meta.path.clone(),
    );
    {
        let mut recent = RECENT
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if recent.get(&key).is_some_and(|at| now - at < SAME_VIEW_MS) {
            return;
        }
        recent.retain(|_, at| now - *at < SAME_VIEW_MS);
        recent.insert(key, now);
    }
    let written = async {
        let mut tx = state.db.begin_write().await?;
        record(
            &mut tx,
            meta,
            Entry {
                tenant_id: Some(tenant_id),
                actor_user_id: Some(user_id),
                actor_email: Some(email),
                action: "support.viewed",
                detail: Some(if meta.path.is_empty() {
                    "(unknown page)".to_string()
                } else {
                    meta.path.clone()
                }),
                ..Entry::default()
            },
        )
        .await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(())
    };
    if let Err(err) = written.await {
        tracing::warn!(error = %err, "could not audit a support user's view");
    }
}

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

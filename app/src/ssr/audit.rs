//! Writing audit entries. Callers pass their open transaction, so the entry commits or rolls back
//! with the change it records.

use super::client_meta::ClientMeta;
use super::ids::{new_id, now_ms};
use sqlx::AnyConnection;

/// One audit entry about to be written.
#[derive(Debug, Clone, Default)]
pub struct Entry<'a> {
    /// `None` for account-level events (sign-in, password change): see [`record`].
    pub tenant_id: Option<&'a str>,
    pub actor_user_id: Option<&'a str>,
    pub actor_email: Option<&'a str>,
    pub action: &'a str,
    pub target_type: Option<&'a str>,
    pub target_id: Option<&'a str>,
    pub detail: Option<String>,
}

impl<'a> Entry<'a> {
    pub fn target(mut self, kind: &'a str, id: &'a str) -> Self {
        self.target_type = Some(kind);
        self.target_id = Some(id);
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// Writes `entry` on `conn` (normally the change's own transaction). An account-level entry
/// (no tenant) of a known user is written once into each tenant the user belongs to, so every
/// tenant's log reads with one indexed condition; without a known user it is kept untenanted.
pub async fn record(
    conn: &mut AnyConnection,
    meta: &ClientMeta,
    entry: Entry<'_>,
) -> Result<(), sqlx::Error> {
    if let (None, Some(user_id)) = (entry.tenant_id, entry.actor_user_id) {
        let tenants: Vec<String> =
            sqlx::query_scalar("SELECT tenant_id FROM memberships WHERE user_id = $1")
                .bind(user_id)
                .fetch_all(&mut *conn)
                .await?;
        for tenant in &tenants {
            let entry = Entry {
                tenant_id: Some(tenant),
                ..entry.clone()
            };
            insert(conn, meta, entry).await?;
        }
        if !tenants.is_empty() {
            return Ok(());
        }
    }
    insert(conn, meta, entry).await
}

async fn insert(
    conn: &mut AnyConnection,
    meta: &ClientMeta,
    entry: Entry<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (id, tenant_id, actor_user_id, actor_email, action, target_type,
         target_id, detail, ip, user_agent, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(new_id("aud"))
    .bind(entry.tenant_id)
    .bind(entry.actor_user_id)
    .bind(entry.actor_email)
    .bind(entry.action)
    .bind(entry.target_type)
    .bind(entry.target_id)
    .bind(entry.detail)
    .bind(truncate(&meta.ip, 64))
    .bind(truncate(&meta.user_agent, 512))
    .bind(now_ms())
    .execute(conn)
    .await?;
    Ok(())
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

//! A user as every request needs them: their email and the organisations they may work in,
//! read in one query. Caller resolution (`super::caller`) reads it through the read cache
//! (`super::read_cache`), which holds it; this module imports neither.

use super::db::Db;
use crate::error::AppResult;
use crate::model::TenantChoice;

/// A user as every request needs them: their email, and the organisations they may work in.
#[derive(Clone)]
pub struct Identity {
    pub email: String,
    pub tenants: Vec<TenantChoice>,
}

/// The organisations `user_id` may work in: their memberships in the order they joined, then the
/// organisations they have live support access to (read-only, while a grant lasts), by name.
pub async fn tenants_of(db: &Db, user_id: &str) -> AppResult<Vec<TenantChoice>> {
    Ok(identity(db, user_id)
        .await?
        .map(|identity| identity.tenants)
        .unwrap_or_default())
}

/// The user's email and [`tenants_of`] in one query, since every call resolves both; `None`
/// when the user no longer exists.
pub async fn identity(db: &Db, user_id: &str) -> AppResult<Option<Identity>> {
    type Row = (
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<i64>,
    );
    // A support grant never shadows a membership of the same organisation: membership rows
    // sort first and the second sighting of an id is skipped below.
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT u.email, x.id, x.name, x.role, x.support_until FROM users u
         LEFT JOIN (
           SELECT m.user_id AS user_id, t.id, t.name, m.role,
                  CAST(NULL AS BIGINT) AS support_until, 0 AS source, m.created_at AS position,
                  t.id AS tie
           FROM memberships m JOIN tenants t ON t.id = m.tenant_id WHERE m.user_id = $1
           UNION ALL
           SELECT s.user_id, t.id, t.name, 'auditor', MAX(s.expires_at), 1, 0, t.name
           FROM support_grants s JOIN tenants t ON t.id = s.tenant_id
           WHERE s.user_id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2
           GROUP BY s.user_id, t.id, t.name
         ) x ON x.user_id = u.id
         WHERE u.id = $1
         ORDER BY x.source, x.position, x.tie",
    )
    .bind(user_id)
    .bind(super::ids::now_ms())
    .fetch_all(&db.pool)
    .await?;
    let Some(email) = rows.first().map(|row| row.0.clone()) else {
        return Ok(None);
    };
    let mut tenants: Vec<TenantChoice> = Vec::with_capacity(rows.len());
    for (_, id, name, role, support_until) in rows {
        let (Some(id), Some(name), Some(role)) = (id, name, role) else {
            continue;
        };
        let Ok(role) = role.parse() else { continue };
        if tenants.iter().any(|t| t.id == id) {
            continue;
        }
        tenants.push(TenantChoice {
            id,
            name,
            role,
            support_until,
        });
    }
    Ok(Some(Identity { email, tenants }))
}

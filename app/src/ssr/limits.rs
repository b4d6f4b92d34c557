//! Bounds on what one principal (a user, an API key, an organisation) may hold open or own, so
//! one careless or hostile caller cannot exhaust what everyone shares: concurrent long-polls per
//! API key and exports per user (counted per server instance), and API keys, pending invites
//! and store groups per organisation (counted in the database).

use crate::error::AppError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `GET /api/v1/payments/{id}?wait=` requests one API key may hold open at once.
    pub long_polls_per_key: usize,
    /// CSV exports (transactions, audit) one user may stream at once.
    pub exports_per_user: usize,
    /// Active (not revoked) API keys per organisation.
    pub api_keys_per_tenant: i64,
    /// Invites not yet accepted nor expired, per organisation.
    pub pending_invites_per_tenant: i64,
    /// Store groups per organisation.
    pub groups_per_tenant: i64,
    /// Verified webhook events waiting for this instance's writer; beyond it the sender gets
    /// 503 with Retry-After (Stripe retries).
    pub webhook_queue: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            long_polls_per_key: 20,
            exports_per_user: 2,
            api_keys_per_tenant: 50,
            pending_invites_per_tenant: 100,
            groups_per_tenant: 200,
            webhook_queue: 4096,
        }
    }
}

/// Refuses one more of something an organisation holds `held` of, at most `cap`.
pub fn check_count(held: i64, cap: i64, what: &str) -> Result<(), AppError> {
    if held < cap {
        Ok(())
    } else {
        Err(AppError::TooManyRequests(format!(
            "This organisation already has {held} {what}, the most it may have. Remove one first."
        )))
    }
}

/// Refuses one more of what `count_sql` counts for a tenant (its one bind is the tenant id) when
/// it holds `cap` already. The tenant's row is locked first: PostgreSQL's writers queue on it and
/// SQLite has one writer anyway, so two creators at once cannot both take the last place.
pub async fn room_for_one(
    conn: &mut sqlx::AnyConnection,
    tenant_id: &str,
    count_sql: &str,
    cap: i64,
    what: &str,
) -> Result<(), AppError> {
    super::db::lock_tenant(conn, tenant_id).await?;
    let held: i64 = sqlx::query_scalar(count_sql)
        .bind(tenant_id)
        .fetch_one(&mut *conn)
        .await?;
    check_count(held, cap, what)
}

/// Concurrent uses per principal, in this instance. A use ends when its [`Held`] is dropped,
/// however the request ends (finished, failed, or the client hung up).
#[derive(Debug, Clone, Default)]
pub struct InFlight {
    counts: Arc<Mutex<HashMap<String, usize>>>,
}

#[derive(Debug)]
pub struct Held {
    counts: Arc<Mutex<HashMap<String, usize>>>,
    principal: String,
}

impl InFlight {
    /// Takes one use for `principal` if it holds fewer than `cap`.
    pub fn try_hold(&self, principal: &str, cap: usize) -> Option<Held> {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let count = counts.entry(principal.to_string()).or_insert(0);
        if *count >= cap {
            return None;
        }
        *count += 1;
        Some(Held {
            counts: self.counts.clone(),
            principal: principal.to_string(),
        })
    }

    /// How many uses all principals hold now (the metrics).
    pub fn total(&self) -> usize {
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.values().sum()
    }

    /// How many uses `principal` holds now.
    pub fn held(&self, principal: &str) -> usize {
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.get(principal).copied().unwrap_or(0)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = counts.get_mut(&self.principal) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.principal);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_principal_holds_at_most_its_cap_and_gets_uses_back() {
        let flight = InFlight::default();
        let a = flight.try_hold("key_1", 2).expect("first");
        let _b = flight.try_hold("key_1", 2).expect("second");
        assert!(flight.try_hold("key_1", 2).is_none(), "third refused");
        assert!(flight.try_hold("key_2", 2).is_some(), "others unaffected");
        drop(a);
        assert_eq!(flight.held("key_1"), 1);
        assert!(flight.try_hold("key_1", 2).is_some(), "a use came back");
    }

    #[test]
    fn counts_say_what_is_full() {
        assert!(check_count(49, 50, "API keys").is_ok());
        let err = check_count(50, 50, "API keys").expect_err("full");
        assert!(err.to_string().contains("50 API keys"), "{err}");
    }
}

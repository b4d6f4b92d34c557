//! The audit entry for each page a support user reads. Which organisations they may read right
//! now is part of caller resolution (`super::identity`); granting and revoking access
//! belongs to the support feature.

use super::audit::{record, Entry};
use super::client_meta::ClientMeta;
use super::ids::now_ms;
use super::state::AppState;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// User, tenant and path of a support user's read.
type ViewKey = (String, String, String);

/// The same page read again within this long by the same support user is one audit entry.
const SAME_VIEW_MS: i64 = 5_000;

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

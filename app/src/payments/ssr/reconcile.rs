//! The payments' part of a connection's sync (`fleet/ssr/sync.rs` calls it through
//! [`PaymentsSync`]): repairing payments whose webhooks never arrived, and settling doubts no
//! point-of-sale request settled.

use super::deferred::Deferred;
use super::{payment_doubts, payment_rows};
use crate::fleet::ssr::sync::{pages, PaymentsSync, SyncError, PAGE};
use crate::ssr::ids::now_ms;
use crate::ssr::state::AppState;
use crate::ssr::stripe_access::Access;
use crate::topic::Topic;
use fleet_stripe::params::ListParams;
use fleet_stripe::StripeClient;
use futures::TryStreamExt;

/// The payments feature's steps of a sync; the sync task and a connection's first import pass it.
pub struct ReconcilePayments;

#[async_trait::async_trait]
impl PaymentsSync for ReconcilePayments {
    async fn reconcile(
        &self,
        state: &AppState,
        access: &Access,
        client: &StripeClient,
    ) -> Result<u32, SyncError> {
        reconcile(state, access, client).await
    }

    /// Doubts the point-of-sale API did not settle on its own (nobody asked) are settled here,
    /// so pages move from "waiting" to what Stripe confirms.
    async fn settle_doubts(&self, state: &AppState, access: &Access) -> Result<u32, SyncError> {
        Ok(payment_doubts::settle_connection(state, access).await?)
    }
}

/// How far back the reconciliation looks for PaymentIntents a missed webhook left behind.
const RECONCILE_WINDOW_SECS: i64 = 24 * 3600;

/// Lists the last day's PaymentIntents and applies each in-person one we hold or should hold,
/// so a webhook that never arrived (or arrived while the endpoint was misconfigured) leaves no
/// payment stuck. Applying is forward-only, so repeating it is harmless.
async fn reconcile(
    state: &AppState,
    access: &Access,
    client: &StripeClient,
) -> Result<u32, SyncError> {
    let params = fleet_stripe::params::ListPaymentIntents {
        page: ListParams {
            limit: Some(PAGE),
            ..ListParams::default()
        },
        created: Some(fleet_stripe::params::CreatedFilter {
            gte: Some(now_ms() / 1000 - RECONCILE_WINDOW_SECS),
            ..Default::default()
        }),
        expand: Vec::new(),
    };
    let intents: Vec<fleet_stripe::PaymentIntent> = client
        .all_payment_intents(&access.creds, params)
        .try_collect()
        .await?;
    let calls = pages(intents.len());
    let mut changed = Vec::new();
    let mut tx = state.db.begin_write().await?;
    let mut deferred = Deferred::new();
    for pi in intents.iter().filter(|pi| {
        pi.payment_method_types
            .iter()
            .any(|t| t == "card_present" || t == "interac_present")
    }) {
        let applied = payment_rows::apply_intent(
            &mut tx,
            &mut deferred,
            &access.tenant_id,
            &access.connection_id,
            pi,
            &payment_rows::Context::default(),
        )
        .await?;
        if applied.changed {
            changed.push(pi.id.clone());
        }
    }
    deferred.flush(&mut tx).await?;
    tx.commit().await?;
    if !changed.is_empty() {
        tracing::info!(connection = %access.connection_id, repaired = changed.len(), "reconciliation repaired payments");
        state
            .bus
            .publish(&access.tenant_id, Topic::Payments, None)
            .await;
    }
    Ok(calls)
}

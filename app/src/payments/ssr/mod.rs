//! Payments' server half: charges and their follow-ups, the payments mirror, doubts settled with
//! Stripe, the reconciliation a sync runs, and Stripe's webhooks (received, queued and applied).

pub mod deferred;
pub mod figures_repair;
pub mod payment_doubts;
pub mod payment_figures;
pub mod payment_rows;
pub mod payments_service;
pub mod reconcile;
pub mod webhook_apply;
pub mod webhook_service;
pub mod webhook_writer;

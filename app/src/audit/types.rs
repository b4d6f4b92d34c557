//! The audit log as its page and export see it.

use leptos_router::params::Params;
use serde::{Deserialize, Serialize};

/// Every action the audit log records, for the filter; each feature adds its own.
pub const AUDIT_ACTIONS: &[&str] = &[
    "api.request",
    "api_key.created",
    "api_key.revoked",
    "audit.exported",
    "fleet.alert_threshold_set",
    "fleet.stuck_threshold_set",
    "group.created",
    "group.deleted",
    "group.grant_changed",
    "group.location_changed",
    "location.created",
    "location.deleted",
    "location.grant_changed",
    "location.updated",
    "member.invite_revoked",
    "member.invited",
    "member.joined",
    "member.removed",
    "member.role_changed",
    "notification.endpoint_added",
    "notification.endpoint_changed",
    "notification.endpoint_deleted",
    "notification.redelivered",
    "notification.secret_rotated",
    "notification.test_sent",
    "payment.canceled",
    "payment.captured",
    "payment.card_presented",
    "payment.exported",
    "payment.refunded",
    "payment.test_charge_failed",
    "payment.test_charge_started",
    "reader.action_canceled",
    "reader.action_stuck",
    "reader.action_stuck_cleared",
    "reader.alert_cleared",
    "reader.deleted",
    "reader.offline_alert",
    "reader.registered",
    "reader.relabeled",
    "stripe.connected",
    "stripe.disconnected",
    "stripe.key_rotated",
    "stripe.webhook_secret_set",
    "support.granted",
    "support.revoked",
    "support.viewed",
    "tenant.created",
    "tenant.renamed",
    "tenant.switched",
    "user.password_changed",
    "user.sign_in_failed",
    "user.signed_in",
    "user.signed_out",
    "user.signed_up",
    "webhook.reapplied",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: String,
    pub at: i64,
    pub actor_email: Option<String>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub detail: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Filters of the audit log; each is a URL query parameter of the page and of its CSV.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, leptos::Params)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    /// The id of the object the entries are about (a payment, a reader, a key…).
    pub target: Option<String>,
    /// `YYYY-MM-DD`, inclusive, UTC.
    pub from: Option<String>,
    pub to: Option<String>,
    /// Keyset cursor: the last entry of the previous page.
    pub before: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Cursor for the next (older) page.
    pub next: Option<String>,
    pub actions: Vec<String>,
}

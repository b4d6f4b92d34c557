//! Alert notifications as Settings → Notifications sees them.

use serde::{Deserialize, Serialize};

/// The event groups an endpoint can choose, each a form field's name, its label, and the event
/// types it brings (the alert and its end travel together).
pub const EVENT_GROUPS: &[(&str, &str, &[&str])] = &[
    (
        "offline",
        "Reader offline / back online",
        &["reader.offline", "reader.online"],
    ),
    (
        "stuck",
        "Action stuck / cleared",
        &["reader.action_stuck", "reader.action_cleared"],
    ),
    (
        "declines",
        "Payment declines above the rate",
        &["payments.declines_high"],
    ),
    (
        "webhooks",
        "Stripe webhook events that keep failing",
        &["webhooks.failing"],
    ),
];

/// The type of the deliveries "Send test" makes.
pub const TEST_EVENT: &str = "test";

/// A run of declines worth telling: at least this many of the last [`DECLINE_WINDOW_PAYMENTS`]
/// payments at one location within [`DECLINE_WINDOW_MINUTES`] were declined.
pub const DECLINES_AT_LEAST: i64 = 5;
pub const DECLINE_WINDOW_PAYMENTS: i64 = 10;
pub const DECLINE_WINDOW_MINUTES: i64 = 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointView {
    pub id: String,
    pub url: String,
    /// The event types it receives.
    pub events: Vec<String>,
    pub enabled: bool,
    pub created_at: i64,
    /// Deliveries not yet delivered nor given up.
    pub pending: i64,
    pub failed: i64,
}

impl EndpointView {
    /// Whether it receives the group named `group` (see [`EVENT_GROUPS`]).
    pub fn has_group(&self, group: &str) -> bool {
        EVENT_GROUPS
            .iter()
            .find(|(name, _, _)| *name == group)
            .is_some_and(|(_, _, kinds)| kinds.iter().all(|k| self.events.iter().any(|e| e == k)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub id: String,
    pub endpoint_id: String,
    pub endpoint_url: String,
    pub event_id: String,
    pub event_type: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    /// The receiver's last HTTP status, or what went wrong before one.
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationsView {
    pub endpoints: Vec<EndpointView>,
    /// The newest deliveries (of one endpoint when the page names one).
    pub deliveries: Vec<DeliveryView>,
    /// Owners and admins manage endpoints; auditors read.
    pub can_manage: bool,
    /// `http://` URLs are accepted (development only).
    pub allows_http: bool,
    pub now: i64,
}

/// An endpoint's signing secret, shown once: when it is made and when it is rotated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointSecret {
    pub endpoint_id: String,
    pub secret: String,
}

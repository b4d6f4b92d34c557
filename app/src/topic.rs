//! What the live bus carries: the topic of a change and the message about it. Shared by the
//! server's bus (`ssr/bus.rs`, `/events`) and the pages that listen (`live.rs`), so the server
//! half never imports browser code to name a topic.

use serde::{Deserialize, Serialize};

/// What a live message is about. The bus publishes it and pages listen for it; on the wire
/// (SSE, NOTIFY) it is the lowercase word, e.g. `readers`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Topic {
    Readers,
    Payments,
    Locations,
    Connections,
    Members,
    /// Webhook events (a reapplied event), for the Events page.
    Events,
    /// Notification endpoints and their deliveries, for Settings → Notifications.
    Notifications,
    /// Messages were missed (the stream lagged or reconnected): refetch everything shown.
    Resync,
    /// A user's sessions may grant something else now (signed out, password changed, removed,
    /// new role, support ended, another organisation chosen): every instance re-checks that
    /// user's open streams at once. Addressed to no tenant, so never forwarded to a browser.
    Session,
}

impl Topic {
    /// The wire word, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Readers => "readers",
            Topic::Payments => "payments",
            Topic::Locations => "locations",
            Topic::Connections => "connections",
            Topic::Members => "members",
            Topic::Events => "events",
            Topic::Notifications => "notifications",
            Topic::Resync => "resync",
            Topic::Session => "session",
        }
    }
}

/// One change pushed to the browsers of a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveMessage {
    /// What changed.
    pub topic: Topic,
    /// The changed object's id, when there is one.
    pub id: Option<String>,
}

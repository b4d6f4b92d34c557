//! Stripe connections as Settings → Stripe sees them.

use crate::model::ConnectionKind;
use serde::{Deserialize, Serialize};

/// A Stripe connection as pages show it: never the key, only its hint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionView {
    pub id: String,
    pub kind: ConnectionKind,
    pub name: String,
    pub account_id: String,
    pub account_name: Option<String>,
    pub livemode: bool,
    pub key_hint: Option<String>,
    /// The URL to give Stripe for this connection's webhooks.
    pub webhook_url: String,
    pub webhook_configured: bool,
    pub created_at: i64,
    /// When the sync task last listed this account's readers, and what went wrong if it failed.
    pub synced_at: Option<i64>,
    pub sync_error: Option<String>,
    /// How a connected account was proven to be this organisation's: `onboarding` (created
    /// through us), `oauth` (its holder signed in with Stripe) or `operator` (assigned by the
    /// platform); `None` for other kinds and for claims from before proof was required.
    pub proof: Option<String>,
    /// Whether the account's holder finished Stripe's onboarding (always for other kinds).
    pub onboarded: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionsView {
    pub connections: Vec<ConnectionView>,
    pub can_manage: bool,
    pub simulator_available: bool,
    /// Whether connected accounts can be added (`FLEET_PLATFORM_KEY` is set).
    pub platform_available: bool,
    /// Whether existing accounts can be connected with Stripe Connect OAuth (a client id is
    /// configured, or the platform is the simulator, which derives one).
    pub oauth_available: bool,
    /// Minutes a reader may stay offline before the tenant is alerted.
    pub alert_minutes: i64,
    /// Minutes a reader action may stay in progress before the tenant is alerted.
    pub stuck_minutes: i64,
    /// Operators may capture and refund (otherwise only owners and admins).
    pub operators_may_refund: bool,
    /// What happened when Stripe last sent this member back (Connect OAuth, onboarding).
    pub notice: Option<ConnectNotice>,
}

/// The outcome of a trip to Stripe's pages, shown on Settings → Stripe when its URL names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectNotice {
    pub ok: bool,
    pub text: String,
}

impl ConnectNotice {
    pub fn done(text: impl Into<String>) -> Self {
        ConnectNotice {
            ok: true,
            text: text.into(),
        }
    }

    pub fn failed(text: impl Into<String>) -> Self {
        ConnectNotice {
            ok: false,
            text: text.into(),
        }
    }
}

/// A notice as the session keeps it: the page that shows it is `/settings/stripe?notice=<id>`.
/// Reading it does not remove it, so every render of that page (a page's data may be fetched
/// more than once while the server renders it, and again when it hydrates or goes live) shows
/// the same thing; the next notice replaces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptNotice {
    pub id: String,
    pub notice: ConnectNotice,
}

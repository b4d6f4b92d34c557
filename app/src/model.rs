//! Types that cross the wire between server functions and pages.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A member's role in a tenant. What each may do is decided by [`Role::allows`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Operator,
    Auditor,
}

/// Things a role may do; every server function asks for one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read the tenant's fleet, payments and settings.
    View,
    /// Invite, re-role and remove members.
    ManageMembers,
    /// Read the audit log.
    ViewAudit,
    /// Change the Stripe connection, locations and readers.
    ManageFleet,
    /// Start and manage test charges.
    Charge,
    /// Rename or delete the organisation.
    ManageTenant,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Operator, Role::Auditor];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Auditor => "auditor",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Operator => "Operator",
            Role::Auditor => "Auditor",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Role::Owner => "Everything, including deleting the organisation and managing owners.",
            Role::Admin => "Stripe connection, locations, readers, charges and members.",
            Role::Operator => "Readers and test charges in the locations they are granted.",
            Role::Auditor => "Read-only access to everything, including the audit log.",
        }
    }

    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Owner => true,
            Role::Admin => !matches!(permission, ManageTenant),
            Role::Operator => matches!(permission, View | Charge),
            Role::Auditor => matches!(permission, View | ViewAudit),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "owner" => Ok(Role::Owner),
            "admin" => Ok(Role::Admin),
            "operator" => Ok(Role::Operator),
            "auditor" => Ok(Role::Auditor),
            other => Err(format!(
                "'{}' is not a role; choose owner, admin, operator or auditor.",
                crate::error::quote(other)
            )),
        }
    }
}

/// A tenant the signed-in user belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantChoice {
    pub id: String,
    pub name: String,
    pub role: Role,
    /// Set when the user is not a member but has read-only support access, until then.
    #[serde(default)]
    pub support_until: Option<i64>,
}

/// Who is signed in, and in which tenant they are working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub user_id: String,
    pub email: String,
    pub tenant: TenantChoice,
    pub tenants: Vec<TenantChoice>,
}

impl Me {
    pub fn can(&self, permission: Permission) -> bool {
        self.tenant.role.allows(permission)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub user_id: String,
    pub email: String,
    pub role: Role,
    pub joined_at: i64,
    pub is_you: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingInvite {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembersView {
    pub members: Vec<Member>,
    pub invites: Vec<PendingInvite>,
    pub can_manage: bool,
    pub you_are_owner: bool,
}

/// Returned once, to the inviter: the link is not stored in a form that can be shown again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteCreated {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub link: String,
    pub expires_at: i64,
}

/// What the invite page shows before the invite is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteInfo {
    pub tenant_name: String,
    pub email: String,
    pub role: Role,
    pub expires_at: i64,
    /// The email of the visitor, if signed in.
    pub signed_in_as: Option<String>,
}

/// Every action the audit log records, for the filter; each feature adds its own.
pub const AUDIT_ACTIONS: &[&str] = &[
    "api.request",
    "api_key.created",
    "api_key.revoked",
    "audit.exported",
    "fleet.alert_threshold_set",
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
    "payment.canceled",
    "payment.captured",
    "payment.card_presented",
    "payment.exported",
    "payment.refunded",
    "payment.test_charge_failed",
    "payment.test_charge_started",
    "reader.action_canceled",
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

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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

/// How a tenant reaches Stripe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectionKind {
    /// The built-in simulator: no Stripe account, no real money.
    Simulator,
    /// The tenant's own secret or restricted key.
    Key,
    /// A connected account under the platform key (`Stripe-Account`).
    Connect,
}

impl ConnectionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionKind::Simulator => "simulator",
            ConnectionKind::Key => "key",
            ConnectionKind::Connect => "connect",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "simulator" => Some(ConnectionKind::Simulator),
            "key" => Some(ConnectionKind::Key),
            "connect" => Some(ConnectionKind::Connect),
            _ => None,
        }
    }
}

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
    /// Operators may capture and refund (otherwise only owners and admins).
    pub operators_may_refund: bool,
    /// What happened when Stripe last sent this member back (Connect OAuth, onboarding).
    pub notice: Option<ConnectNotice>,
}

/// The outcome of a trip to Stripe's pages, shown once on Settings → Stripe.
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

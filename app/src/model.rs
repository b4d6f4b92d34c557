//! Wire types every feature shares: roles and permissions, who is signed in and where, and how a
//! tenant reaches Stripe. Each feature keeps its own wire types in its `types.rs`.

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

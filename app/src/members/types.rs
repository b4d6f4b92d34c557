//! Members and invitations as the pages see them.

use crate::model::Role;
use serde::{Deserialize, Serialize};

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

//! Store groups as the page sees them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreGroupView {
    pub id: String,
    pub name: String,
    /// Location id and name.
    pub locations: Vec<(String, String)>,
    /// Operator user id and email.
    pub operators: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreGroupsView {
    pub groups: Vec<StoreGroupView>,
    /// Every location of the organisation, to add to a group.
    pub locations: Vec<(String, String)>,
    /// Every operator of the organisation, to grant a group.
    pub operators: Vec<(String, String)>,
    pub can_manage: bool,
}

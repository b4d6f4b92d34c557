//! Support access as the Settings page sees it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportGrantView {
    pub id: String,
    pub email: String,
    pub reason: String,
    pub granted_by: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    /// Neither revoked nor expired.
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportView {
    pub grants: Vec<SupportGrantView>,
    pub now: i64,
    /// Owners grant and revoke.
    pub can_grant: bool,
}

/// How long access may be granted for, in hours, with their labels.
pub const DURATIONS: &[(i64, &str)] = &[
    (1, "1 hour"),
    (4, "4 hours"),
    (24, "1 day"),
    (72, "3 days"),
    (168, "7 days"),
];

//! API keys as pages and server functions see them.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a key may do on `/api/v1`. Each scope includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiScope {
    /// Read readers and payments.
    Read,
    /// A till: also start payments, cancel them and the reader's action, present test cards.
    Pos,
    /// A back office: also capture and refund.
    Payments,
}

impl ApiScope {
    pub const ALL: [ApiScope; 3] = [ApiScope::Read, ApiScope::Pos, ApiScope::Payments];

    pub fn as_str(self) -> &'static str {
        match self {
            ApiScope::Read => "read",
            ApiScope::Pos => "pos",
            ApiScope::Payments => "payments",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ApiScope::Read => "Read only",
            ApiScope::Pos => "Point of sale",
            ApiScope::Payments => "Payments",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            ApiScope::Read => "Read readers and payments.",
            ApiScope::Pos => {
                "Read readers and payments, start and cancel payments, cancel a reader's action."
            }
            ApiScope::Payments => "Everything a till may do, plus capture and refund.",
        }
    }

    /// True when this scope includes `needed`.
    pub fn covers(self, needed: ApiScope) -> bool {
        self >= needed
    }
}

impl fmt::Display for ApiScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ApiScope {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "read" => Ok(ApiScope::Read),
            "pos" => Ok(ApiScope::Pos),
            "payments" => Ok(ApiScope::Payments),
            other => Err(format!(
                "'{}' is not a scope; choose read, pos or payments.",
                crate::error::quote(other)
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    pub scope: ApiScope,
    /// The start of the secret, to tell keys apart.
    pub prefix: String,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeysView {
    pub keys: Vec<ApiKeyView>,
    pub can_manage: bool,
    /// Where the API lives, for the page's example.
    pub base_url: String,
}

/// Returned once, to the person who created the key: only a hash is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyCreated {
    pub id: String,
    pub name: String,
    pub scope: ApiScope,
    pub secret: String,
}

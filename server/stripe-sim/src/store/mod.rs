//! The simulator's state: accounts (one per test key, plus the connected accounts platforms
//! create) and, in each, its objects in creation order. Objects are kept as the JSON Stripe
//! returns, so what is stored is what is served.

mod reader;

pub use reader::Reader;

use serde_json::Value;
use std::collections::HashMap;

/// A webhook endpoint and its signing secret (shown once, at creation).
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub json: Value,
    pub secret: String,
}

/// A card a reader collected in the `collect_payment_method` flow, until it is confirmed.
#[derive(Debug, Clone)]
pub struct CollectedCard {
    pub kind: String,
    pub number: String,
    /// The tip chosen on the tipping screen; `None` when the reader showed none.
    pub tip: Option<i64>,
}

/// An uploaded file: the `file` object and its bytes, served at the object's `url`.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub json: Value,
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
}

/// A refund whose status changes later, as Stripe's refund test cards do.
#[derive(Debug, Clone)]
pub struct RefundTimer {
    pub refund: String,
    pub at: i64,
    pub to: &'static str,
}

#[derive(Debug, Default)]
pub struct Account {
    /// The platform that created this connected account, if it is one.
    pub parent: Option<String>,
    pub json: Value,
    pub locations: Vec<Value>,
    pub readers: Vec<Reader>,
    /// `terminal.configuration`s; the account default among them once anything asked for it.
    pub configurations: Vec<Value>,
    pub files: Vec<StoredFile>,
    pub payment_intents: Vec<Value>,
    pub charges: Vec<Value>,
    pub refunds: Vec<Value>,
    pub events: Vec<Value>,
    pub endpoints: Vec<Endpoint>,
    pub collected: HashMap<String, CollectedCard>,
    /// Charge id → the card number presented, for the refund test cards.
    pub cards: HashMap<String, String>,
    pub refund_timers: Vec<RefundTimer>,
    /// Keys `/oauth/token` minted for this account, revoked when the platform deauthorizes.
    pub oauth_keys: Vec<String>,
}

/// An Account Link: a single-use URL into the hosted onboarding of a connected account.
#[derive(Debug, Clone)]
pub struct AccountLink {
    pub account: String,
    pub refresh_url: Option<String>,
    pub return_url: Option<String>,
    pub expires_at: i64,
    /// Opened once: Stripe sends a second visit to `refresh_url`.
    pub visited: bool,
    pub completed: bool,
}

/// An OAuth authorization code the platform exchanges once at `/oauth/token`.
#[derive(Debug, Clone)]
pub struct OAuthCode {
    pub platform: String,
    pub account: String,
    pub scope: String,
    pub created: i64,
    pub used: bool,
}

/// A code issued by the control API that registers a "physical" reader, once.
#[derive(Debug, Clone)]
pub struct RegistrationCode {
    pub account: String,
    pub device_type: String,
}

#[derive(Debug, Default)]
pub struct Store {
    pub accounts: HashMap<String, Account>,
    /// API key → its account.
    pub keys: HashMap<String, String>,
    pub codes: HashMap<String, RegistrationCode>,
    /// Account Link token → link.
    pub account_links: HashMap<String, AccountLink>,
    /// `ac_…` → code.
    pub oauth_codes: HashMap<String, OAuthCode>,
}

impl Store {
    /// The account of a key, created on first use: every well-formed test key is its own
    /// account, with an id derived from the key so a client restarted with the same key finds
    /// the same account id.
    pub fn account_for_key(&mut self, key: &str, now: i64) -> String {
        if let Some(id) = self.keys.get(key) {
            return id.clone();
        }
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(key.as_bytes());
        let tail: String = digest.iter().take(8).map(|b| format!("{b:02X}")).collect();
        let id = format!("acct_1{tail}");
        self.accounts.entry(id.clone()).or_insert_with(|| Account {
            json: crate::routes::accounts::account_json(&id, None, None, now, true),
            ..Account::default()
        });
        self.keys.insert(key.to_string(), id.clone());
        id
    }

    /// The platform whose Connect client id is `client_id` (`ca_` + its account id's tail).
    pub fn platform_of_client(&self, client_id: &str) -> Option<String> {
        let id = format!("acct_{}", client_id.strip_prefix("ca_")?);
        self.accounts
            .get(&id)
            .filter(|a| a.parent.is_none())
            .map(|_| id)
    }

    pub fn reader_anywhere(&mut self, id: &str) -> Option<&mut Reader> {
        self.accounts
            .values_mut()
            .flat_map(|a| a.readers.iter_mut())
            .find(|r| r.id() == id)
    }
}

/// The object with `id` in `items`.
pub fn find<'a>(items: &'a [Value], id: &str) -> Option<&'a Value> {
    items.iter().find(|v| v["id"] == id)
}

pub fn find_mut<'a>(items: &'a mut [Value], id: &str) -> Option<&'a mut Value> {
    items.iter_mut().find(|v| v["id"] == id)
}

//! The simulator's state: accounts (one per test key, plus connected accounts) and, in each,
//! the objects in creation order.

use serde_json::Value;
use std::collections::{HashMap, VecDeque};

#[derive(Debug, Clone)]
pub struct SimReader {
    pub json: Value,
    pub online: bool,
    /// Held "authorising a card" by the control API: every command is `terminal_reader_busy`.
    pub busy: bool,
    /// When the current action started (simulator clock), for action timeouts.
    pub action_started: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Endpoint {
    pub json: Value,
    pub secret: String,
}

/// A saved POST answer for an idempotency key.
#[derive(Debug, Clone)]
pub struct Saved {
    pub fingerprint: String,
    pub status: u16,
    pub body: Value,
    pub at: i64,
    pub in_flight: bool,
}

#[derive(Debug, Default)]
pub struct Account {
    pub id: String,
    /// The platform that created this connected account, if it is one.
    pub parent: Option<String>,
    pub json: Value,
    pub locations: Vec<Value>,
    pub readers: Vec<SimReader>,
    pub payment_intents: Vec<Value>,
    pub charges: Vec<Value>,
    pub refunds: Vec<Value>,
    pub events: Vec<Value>,
    pub endpoints: Vec<Endpoint>,
    pub idempotency: HashMap<String, Saved>,
    pub reads: VecDeque<std::time::Instant>,
    pub writes: VecDeque<std::time::Instant>,
}

/// A code issued by the control API that registers a "physical" reader.
#[derive(Debug, Clone)]
pub struct RegistrationCode {
    pub account: String,
    pub device_type: String,
}

#[derive(Debug, Clone, Default)]
pub struct Fault {
    /// 500, 429 or 0 for "hang".
    pub status: u16,
    /// How many more calls it applies to; `None` for a rate.
    pub remaining: Option<u32>,
    /// Probability per call when `remaining` is `None`.
    pub rate: f64,
    pub hang_ms: u64,
    pub path_prefix: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Delivery {
    pub event: String,
    pub event_type: String,
    pub url: String,
    pub attempts: u32,
    pub status: Option<u16>,
    pub delivered: bool,
}

#[derive(Debug, Default)]
pub struct Store {
    pub accounts: HashMap<String, Account>,
    pub keys: HashMap<String, String>,
    pub codes: HashMap<String, RegistrationCode>,
    pub clock_offset: i64,
    pub faults: Vec<Fault>,
    pub webhook_delay_ms: u64,
    pub webhook_drop: u32,
    pub deliveries: Vec<Delivery>,
}

impl Store {
    pub fn now(&self) -> i64 {
        crate::ids::now(self.clock_offset)
    }

    /// The account of a key, created on first use: every well-formed test key is its own account.
    pub fn account_for_key(&mut self, key: &str) -> String {
        if let Some(id) = self.keys.get(key) {
            return id.clone();
        }
        // Stable per key, so restarting a client with the same key finds the same account id.
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(key.as_bytes());
        let tail: String = digest.iter().take(8).map(|b| format!("{b:02X}")).collect();
        let id = format!("acct_1{tail}");
        let now = self.now();
        self.accounts.entry(id.clone()).or_insert_with(|| Account {
            id: id.clone(),
            json: crate::routes::platform::account_json(&id, None, None, now),
            ..Account::default()
        });
        self.keys.insert(key.to_string(), id.clone());
        id
    }
}

//! What a `/v1` handler works with: the locked state, the account acted on, and the events
//! the call emits (delivered once the lock is released).

use crate::store::{Account, Store};
use crate::webhooks::Target;
use crate::Simulator;
use serde_json::Value;

/// An event to deliver to its endpoints.
pub struct Emitted {
    pub account: String,
    pub event: Value,
    pub targets: Vec<Target>,
}

/// The file part of a multipart request (`POST /v1/files`).
pub struct Upload {
    pub filename: Option<String>,
    pub bytes: Vec<u8>,
}

pub struct Ctx<'a> {
    pub sim: &'a Simulator,
    pub store: &'a mut Store,
    /// The account acted on (the key's own, or the `Stripe-Account`).
    pub account: String,
    /// `request.id` and `request.idempotency_key` of the events; `None` for automatic changes
    /// (timeouts, refund settlement), which Stripe reports with a null request id.
    pub request_id: Option<String>,
    pub idempotency_key: Option<String>,
    pub emitted: Vec<Emitted>,
    /// Where the caller reached the simulator (`http://{Host}`): hosted pages (onboarding) are
    /// served from the same address, so the links a call returns use it.
    pub origin: String,
    /// The file of a multipart upload, taken by the handler that stores it.
    pub upload: Option<Upload>,
}

impl<'a> Ctx<'a> {
    pub fn new(sim: &'a Simulator, store: &'a mut Store, account: String) -> Self {
        Ctx {
            sim,
            store,
            account,
            request_id: None,
            idempotency_key: None,
            emitted: Vec::new(),
            origin: "http://127.0.0.1".into(),
            upload: None,
        }
    }

    pub fn now(&self) -> i64 {
        self.sim.clock().now()
    }

    pub fn now_ms(&self) -> i64 {
        self.sim.clock().now_ms()
    }

    pub fn new_id(&self, prefix: &str) -> String {
        self.sim.ids().new_id(prefix)
    }

    pub fn acct(&mut self) -> &mut Account {
        // The account was resolved (and created) before the handler ran.
        self.store.accounts.entry(self.account.clone()).or_default()
    }

    pub fn is_connected(&self) -> bool {
        self.store
            .accounts
            .get(&self.account)
            .is_some_and(|a| a.parent.is_some())
    }
}

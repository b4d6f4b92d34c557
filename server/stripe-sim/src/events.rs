//! Stripe's events: every state change records one on the account (for `GET /v1/events`) and
//! queues it for the webhook endpoints that want it.

use crate::config::API_VERSION;
use crate::ctx::{Ctx, Emitted};
use serde_json::{json, Value};

impl Ctx<'_> {
    /// Records `kind` for `object` (with `previous_attributes` for what changed, where Stripe
    /// sends them).
    pub fn emit(&mut self, kind: &str, object: &Value, previous: Option<Value>) {
        let targets = crate::webhooks::targets(self.store, &self.account, kind);
        let mut data = json!({ "object": object });
        if let Some(previous) = previous {
            data["previous_attributes"] = previous;
        }
        let mut event = json!({
            "id": self.new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": self.now(),
            "data": data,
            "livemode": false,
            "pending_webhooks": targets.len(),
            "request": { "id": self.request_id, "idempotency_key": self.idempotency_key },
            "type": kind,
        });
        // Only events of connected accounts name their account.
        if self.is_connected() {
            event["account"] = json!(self.account);
        }
        self.acct().events.push(event.clone());
        self.emitted.push(Emitted {
            account: self.account.clone(),
            event,
            targets,
        });
    }
}

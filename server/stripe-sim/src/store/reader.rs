//! A reader as the simulator keeps it: Stripe's JSON plus what Stripe knows but does not show
//! (connectivity, whether a card is being authorised, when the current action started).

use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub struct Reader {
    json: Value,
    pub online: bool,
    /// Held "authorising a card" by the control API: every command is `terminal_reader_busy`.
    pub busy: bool,
    /// When the current action started waiting for a card (simulated seconds).
    pub action_started: Option<i64>,
    /// The last heartbeat (ms); an online reader heartbeats continuously.
    pub last_seen_ms: i64,
}

impl Reader {
    pub fn new(json: Value, now_ms: i64) -> Self {
        Reader {
            json,
            online: true,
            busy: false,
            action_started: None,
            last_seen_ms: now_ms,
        }
    }

    pub fn id(&self) -> &str {
        self.json["id"].as_str().unwrap_or_default()
    }

    /// The stored object, for changes other than connectivity.
    pub fn json_mut(&mut self) -> &mut Value {
        &mut self.json
    }

    pub fn raw(&self) -> &Value {
        &self.json
    }

    /// The reader as Stripe shows it at `now_ms`: an online reader was seen just now.
    pub fn view(&self, now_ms: i64) -> Value {
        let mut v = self.json.clone();
        let seen = if self.online {
            now_ms
        } else {
            self.last_seen_ms
        };
        v["status"] = json!(if self.online { "online" } else { "offline" });
        v["last_seen_at"] = json!(seen);
        v
    }

    pub fn set_online(&mut self, online: bool, now_ms: i64) {
        // Going offline freezes `last_seen_at` at the last heartbeat.
        self.last_seen_ms = now_ms;
        self.online = online;
    }

    /// The action waiting for a card, if any.
    pub fn waiting_action(&self) -> Option<&Value> {
        let a = &self.json["action"];
        (a["status"] == "in_progress").then_some(a)
    }

    pub fn set_action(&mut self, action: Value, started: Option<i64>) {
        self.json["action"] = action;
        self.action_started = started;
    }
}

//! Webhook delivery: each event goes to every matching endpoint as an HTTP POST signed like
//! Stripe's (`Stripe-Signature: t=…,v1=…`), retried with back-off until a 2xx or the attempt
//! limit. Deliveries run concurrently, so order is not guaranteed (as with Stripe). The
//! control API can delay every attempt or drop the next few; the log lists every delivery.

use crate::clock::Clock;
use crate::ctx::Emitted;
use crate::store::Store;
use crate::Simulator;
use parking_lot::Mutex;
use serde::Serialize;
use std::time::Duration;
use tokio::sync::mpsc;

/// An endpoint an event goes to.
#[derive(Debug, Clone)]
pub struct Target {
    pub endpoint: String,
    pub url: String,
    pub secret: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub id: u64,
    pub event: String,
    pub event_type: String,
    pub account: String,
    pub endpoint: String,
    pub url: String,
    pub attempts: u32,
    /// HTTP status of the last attempt; null when it got no answer (or was dropped).
    pub status: Option<u16>,
    pub delivered: bool,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Control {
    /// Added before every attempt.
    pub delay_ms: u64,
    /// The next N attempts are dropped (counted as failed, then retried).
    pub drop: u32,
}

struct Job {
    delivery: u64,
    account: String,
    event_id: String,
    url: String,
    secret: String,
    payload: String,
}

pub struct Outbox {
    sender: mpsc::UnboundedSender<Job>,
    receiver: Mutex<Option<mpsc::UnboundedReceiver<Job>>>,
    control: Mutex<Control>,
    log: Mutex<Vec<Delivery>>,
    next_id: Mutex<u64>,
}

/// The endpoints that want `kind` from `account`: its own, and the `connect` endpoints of its
/// platform when it is a connected account.
pub fn targets(store: &Store, account: &str, kind: &str) -> Vec<Target> {
    let Some(acct) = store.accounts.get(account) else {
        return Vec::new();
    };
    let wants = |e: &crate::store::Endpoint, connect: bool| {
        e.json["status"] == "enabled"
            && e.json["connect"].as_bool().unwrap_or(false) == connect
            && e.json["enabled_events"]
                .as_array()
                .is_some_and(|list| list.iter().any(|v| v == "*" || v == kind))
    };
    let target = |e: &crate::store::Endpoint| Target {
        endpoint: e.json["id"].as_str().unwrap_or_default().to_string(),
        url: e.json["url"].as_str().unwrap_or_default().to_string(),
        secret: e.secret.clone(),
    };
    let mut out: Vec<Target> = acct
        .endpoints
        .iter()
        .filter(|e| wants(e, false))
        .map(target)
        .collect();
    if let Some(parent) = acct.parent.as_ref().and_then(|p| store.accounts.get(p)) {
        out.extend(
            parent
                .endpoints
                .iter()
                .filter(|e| wants(e, true))
                .map(target),
        );
    }
    out
}

impl Outbox {
    pub fn new() -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        Outbox {
            sender,
            receiver: Mutex::new(Some(receiver)),
            control: Mutex::new(Control::default()),
            log: Mutex::new(Vec::new()),
            next_id: Mutex::new(0),
        }
    }

    pub fn enqueue(&self, emitted: Vec<Emitted>) {
        for e in emitted {
            if e.targets.is_empty() {
                continue;
            }
            // Stripe sends the event as JSON, pretty-printed; receivers verify the raw bytes.
            let payload = serde_json::to_string_pretty(&e.event).unwrap_or_default();
            let event_id = e.event["id"].as_str().unwrap_or_default().to_string();
            let event_type = e.event["type"].as_str().unwrap_or_default().to_string();
            for t in e.targets {
                let id = {
                    let mut next = self.next_id.lock();
                    *next += 1;
                    *next
                };
                self.log.lock().push(Delivery {
                    id,
                    event: event_id.clone(),
                    event_type: event_type.clone(),
                    account: e.account.clone(),
                    endpoint: t.endpoint.clone(),
                    url: t.url.clone(),
                    attempts: 0,
                    status: None,
                    delivered: false,
                });
                // The receiver lives as long as the outbox; a send error means no worker yet,
                // and the job waits in the channel until one starts.
                let _ = self.sender.send(Job {
                    delivery: id,
                    account: e.account.clone(),
                    event_id: event_id.clone(),
                    url: t.url,
                    secret: t.secret,
                    payload: payload.clone(),
                });
            }
        }
    }

    pub fn control(&self) -> Control {
        *self.control.lock()
    }

    pub fn set_control(&self, delay_ms: Option<u64>, drop: Option<u32>) -> Control {
        let mut c = self.control.lock();
        if let Some(d) = delay_ms {
            c.delay_ms = d;
        }
        if let Some(n) = drop {
            c.drop = n;
        }
        *c
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        self.log.lock().clone()
    }

    pub fn clear(&self) {
        self.log.lock().clear();
        *self.control.lock() = Control::default();
    }

    /// Delay to apply and whether to drop this attempt.
    fn next_attempt(&self) -> (u64, bool) {
        let mut c = self.control.lock();
        let drop = c.drop > 0;
        if drop {
            c.drop -= 1;
        }
        (c.delay_ms, drop)
    }

    fn record(&self, delivery: u64, attempt: u32, status: Option<u16>, delivered: bool) {
        if let Some(d) = self.log.lock().iter_mut().find(|d| d.id == delivery) {
            d.attempts = attempt;
            d.status = status;
            d.delivered = delivered;
        }
    }
}

impl Default for Outbox {
    fn default() -> Self {
        Self::new()
    }
}

/// Starts the delivery worker (once per simulator).
pub fn spawn(sim: Simulator) {
    let Some(mut receiver) = sim.inner.webhooks.receiver.lock().take() else {
        return;
    };
    tokio::spawn(async move {
        let http = match reqwest::Client::builder()
            .timeout(sim.config().webhook_retry.timeout)
            .build()
        {
            Ok(http) => http,
            Err(err) => {
                tracing::error!(error = %err, "webhook delivery cannot start");
                return;
            }
        };
        while let Some(job) = receiver.recv().await {
            tokio::spawn(deliver(sim.clone(), http.clone(), job));
        }
    });
}

async fn deliver(sim: Simulator, http: reqwest::Client, job: Job) {
    let retry = sim.config().webhook_retry.clone();
    let outbox = &sim.inner.webhooks;
    let mut wait = retry.first_delay;
    for attempt in 1..=retry.attempts.max(1) {
        let (delay, drop) = outbox.next_attempt();
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        let status = if drop {
            None
        } else {
            // Signed with the real clock: receivers check freshness against theirs.
            let signature = fleet_stripe::webhook::sign_header(
                &job.secret,
                Clock::wall_now(),
                job.payload.as_bytes(),
            );
            http.post(&job.url)
                .header("content-type", "application/json; charset=utf-8")
                .header("stripe-signature", signature)
                .header(
                    "user-agent",
                    "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                )
                .body(job.payload.clone())
                .send()
                .await
                .ok()
                .map(|r| r.status().as_u16())
        };
        let delivered = status.is_some_and(|s| (200..300).contains(&s));
        outbox.record(job.delivery, attempt, status, delivered);
        if delivered {
            delivered_one(&sim, &job.account, &job.event_id);
            return;
        }
        if attempt < retry.attempts {
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(retry.max_delay);
        }
    }
    tracing::warn!(event = %job.event_id, url = %job.url, "webhook delivery gave up");
}

/// One endpoint fewer waits for the event (`pending_webhooks`).
fn delivered_one(sim: &Simulator, account: &str, event: &str) {
    let mut store = sim.store();
    if let Some(e) = store
        .accounts
        .get_mut(account)
        .and_then(|a| a.events.iter_mut().find(|e| e["id"] == event))
    {
        let pending = e["pending_webhooks"].as_i64().unwrap_or(0);
        e["pending_webhooks"] = serde_json::json!((pending - 1).max(0));
    }
}

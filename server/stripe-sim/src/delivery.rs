//! Webhook delivery: each event goes to every matching endpoint as an HTTP POST signed like
//! Stripe's (`Stripe-Signature: t=…,v1=…`), retried with back-off until a 2xx or the attempt
//! limit. Deliveries run concurrently, so order is not guaranteed (as with Stripe).

use crate::store::Delivery;
use crate::Simulator;
use serde_json::Value;
use std::time::Duration;
use tokio::sync::mpsc;

pub struct Queue {
    sender: mpsc::UnboundedSender<Job>,
    receiver: std::sync::Mutex<Option<mpsc::UnboundedReceiver<Job>>>,
}

pub struct Job {
    url: String,
    secret: String,
    event_id: String,
    event_type: String,
    payload: String,
}

impl Queue {
    pub fn new() -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        Queue {
            sender,
            receiver: std::sync::Mutex::new(Some(receiver)),
        }
    }
}

impl Default for Queue {
    fn default() -> Self {
        Self::new()
    }
}

/// Queues `event` of `account` for the endpoints that want it: the account's own, and the
/// `connect` endpoints of its platform when it is a connected account.
pub fn enqueue(sim: &Simulator, account: &str, event: Value) {
    let kind = event["type"].as_str().unwrap_or_default().to_string();
    let id = event["id"].as_str().unwrap_or_default().to_string();
    let payload = serde_json::to_string_pretty(&event).unwrap_or_default();
    let targets: Vec<(String, String)> = {
        let store = sim.store();
        let Some(acct) = store.accounts.get(account) else {
            return;
        };
        let wants = |e: &crate::store::Endpoint, connect: bool| {
            let enabled = e.json["enabled_events"].as_array().is_some_and(|list| {
                list.iter()
                    .any(|v| v == "*" || v.as_str() == Some(kind.as_str()))
            });
            enabled
                && e.json["connect"].as_bool().unwrap_or(false) == connect
                && e.json["status"] == "enabled"
        };
        let mut targets: Vec<(String, String)> = acct
            .endpoints
            .iter()
            .filter(|e| wants(e, false))
            .map(|e| {
                (
                    e.json["url"].as_str().unwrap_or_default().to_string(),
                    e.secret.clone(),
                )
            })
            .collect();
        if let Some(parent) = acct.parent.as_ref().and_then(|p| store.accounts.get(p)) {
            targets.extend(parent.endpoints.iter().filter(|e| wants(e, true)).map(|e| {
                (
                    e.json["url"].as_str().unwrap_or_default().to_string(),
                    e.secret.clone(),
                )
            }));
        }
        targets
    };
    for (url, secret) in targets {
        let _ = sim.queue().sender.send(Job {
            url,
            secret,
            event_id: id.clone(),
            event_type: kind.clone(),
            payload: payload.clone(),
        });
    }
}

pub fn spawn(sim: Simulator) {
    let receiver = sim.queue().receiver.lock().ok().and_then(|mut r| r.take());
    let Some(mut receiver) = receiver else {
        return; // already running
    };
    tokio::spawn(async move {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        while let Some(job) = receiver.recv().await {
            tokio::spawn(deliver(sim.clone(), http.clone(), job));
        }
    });
}

async fn deliver(sim: Simulator, http: reqwest::Client, job: Job) {
    let index = {
        let mut store = sim.store();
        store.deliveries.push(Delivery {
            event: job.event_id.clone(),
            event_type: job.event_type.clone(),
            url: job.url.clone(),
            attempts: 0,
            status: None,
            delivered: false,
        });
        store.deliveries.len() - 1
    };
    let mut wait = sim.config().webhook_first_retry;
    for attempt in 1..=sim.config().webhook_attempts {
        let (delay, drop) = {
            let mut store = sim.store();
            let drop = store.webhook_drop > 0;
            if drop {
                store.webhook_drop -= 1;
            }
            (store.webhook_delay_ms, drop)
        };
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        let status = if drop {
            None
        } else {
            let timestamp = crate::ids::now(0);
            let signature =
                fleet_stripe::webhook::sign_header(&job.secret, timestamp, job.payload.as_bytes());
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
        {
            let mut store = sim.store();
            if let Some(d) = store.deliveries.get_mut(index) {
                d.attempts = attempt;
                d.status = status;
                d.delivered = delivered;
            }
        }
        if delivered {
            return;
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(60));
    }
    tracing::warn!(event = %job.event_id, url = %job.url, "webhook delivery gave up");
}

//! A stateful, in-memory Stripe for the Terminal subset, speaking Stripe's wire format: test
//! keys are accounts, objects live per account, reader actions follow Stripe's state machine,
//! and state changes emit events delivered as signed webhooks. `/_sim/…` is a control API for
//! tests and demos (offline readers, faults, clock). SIMULATOR.md lists the choices made.

pub mod control;
pub mod delivery;
pub mod dispatch;
pub mod error;
pub mod form;
pub mod ids;
pub mod params;
pub mod routes;
pub mod store;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Stripe's test-mode limits: requests per second per account, reads and writes apart.
    pub rate_limit: Option<u32>,
    /// Webhook deliveries tried before giving up on one event.
    pub webhook_attempts: u32,
    pub webhook_first_retry: Duration,
    /// How long a reader waits for a card before its action fails with a timeout.
    pub action_timeout_secs: i64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            rate_limit: Some(25),
            webhook_attempts: 8,
            webhook_first_retry: Duration::from_millis(500),
            action_timeout_secs: 300,
        }
    }
}

/// The simulator: clone it freely, every clone shares the same state.
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

struct Inner {
    config: SimConfig,
    store: Mutex<store::Store>,
    deliveries: delivery::Queue,
}

impl Simulator {
    pub fn new(config: SimConfig) -> Self {
        let deliveries = delivery::Queue::new();
        Simulator {
            inner: Arc::new(Inner {
                config,
                store: Mutex::new(store::Store::default()),
                deliveries,
            }),
        }
    }

    pub fn config(&self) -> &SimConfig {
        &self.inner.config
    }

    /// The state, recovering from a poisoned lock (a panicking handler must not stop the rest).
    pub(crate) fn store(&self) -> MutexGuard<'_, store::Store> {
        self.inner.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn queue(&self) -> &delivery::Queue {
        &self.inner.deliveries
    }

    /// Stripe's `/v1` API and the `/_sim` control API.
    pub fn router(&self) -> axum::Router {
        axum::Router::new()
            .nest("/_sim", control::router())
            .fallback(dispatch::handle)
            .with_state(self.clone())
    }

    /// Serves on `listener` and runs webhook delivery until the server stops.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        self.start_delivery();
        axum::serve(listener, self.router()).await
    }

    /// Starts the webhook delivery worker (done by [`serve`]; call it when mounting
    /// [`router`] elsewhere).
    pub fn start_delivery(&self) {
        delivery::spawn(self.clone());
    }
}

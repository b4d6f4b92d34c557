//! A stateful, in-memory Stripe for the Terminal subset, speaking Stripe's wire format so that
//! official SDKs pointed at it cannot tell it from test mode: test keys are accounts, objects
//! live per account, reader actions follow Stripe's state machine, and state changes emit
//! events delivered as signed webhooks. `/_sim/…` is a control API for tests and demos
//! (offline and busy readers, faults, webhook delays, the clock). SIMULATOR.md lists the
//! choices made where Stripe's behaviour is not documented.

mod auth;
mod clock;
mod config;
mod control;
mod ctx;
mod dispatch;
mod errors;
mod events;
mod expand;
mod faults;
mod form;
mod hosted;
mod idempotency;
mod ids;
mod params;
mod rate_limit;
mod routes;
mod store;
mod tick;
mod webhooks;

pub use config::{RateLimit, SimConfig, WebhookRetry, API_VERSION};
pub use errors::SimError;
pub use rate_limit::Tally;

use parking_lot::{Mutex, MutexGuard};
use std::net::SocketAddr;
use std::sync::Arc;

/// The simulator was asked to listen where other machines could drive its control API.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the simulator's /_sim control API has no credentials, so it listens only on a loopback address such as 127.0.0.1, not on {addr}")]
pub struct RemoteControlRefused {
    pub addr: SocketAddr,
}

/// Refuses `addr` unless it is a loopback address or remote control is allowed.
pub fn ensure_local_control(
    addr: SocketAddr,
    allow_remote: bool,
) -> Result<(), RemoteControlRefused> {
    if allow_remote || addr.ip().is_loopback() {
        Ok(())
    } else {
        Err(RemoteControlRefused { addr })
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
    ids: ids::IdGen,
    clock: clock::Clock,
    idempotency: idempotency::Keys,
    limiter: rate_limit::Limiter,
    faults: faults::Faults,
    webhooks: webhooks::Outbox,
    /// Whether the background timers run (started once).
    ticking: std::sync::atomic::AtomicBool,
}

impl Simulator {
    pub fn new(config: SimConfig) -> Self {
        Simulator {
            inner: Arc::new(Inner {
                ids: ids::IdGen::new(config.seed),
                limiter: rate_limit::Limiter::new(config.rate_limit),
                config,
                store: Mutex::new(store::Store::default()),
                clock: clock::Clock::default(),
                idempotency: idempotency::Keys::default(),
                faults: faults::Faults::default(),
                webhooks: webhooks::Outbox::new(),
                ticking: std::sync::atomic::AtomicBool::new(false),
            }),
        }
    }

    pub fn config(&self) -> &SimConfig {
        &self.inner.config
    }

    /// Stripe's `/v1` API and the `/_sim` control API.
    pub fn router(&self) -> axum::Router {
        axum::Router::new()
            .nest("/_sim", control::router())
            .merge(hosted::router())
            .fallback(dispatch::handle)
            // File uploads are larger than axum's 2 MB default; the handler answers Stripe's
            // errors for files over the limit.
            .layer(axum::extract::DefaultBodyLimit::max(
                routes::files::MAX_FILE_BYTES + 64 * 1024,
            ))
            .with_state(self.clone())
    }

    /// Serves on `listener`, delivering webhooks and running timers until the server stops.
    /// A non-loopback listener is refused unless `allow_remote_control` is set.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        ensure_local_control(listener.local_addr()?, self.config().allow_remote_control)
            .map_err(std::io::Error::other)?;
        self.start_background();
        axum::serve(listener, self.router()).await
    }

    /// Starts webhook delivery and the timers (action timeouts, refund settlement). `serve`
    /// does this; call it when mounting `router()` in another server. Idempotent.
    pub fn start_background(&self) {
        webhooks::spawn(self.clone());
        tick::spawn(self.clone());
    }

    /// Former name of [`Simulator::start_background`].
    pub fn start_delivery(&self) {
        self.start_background();
    }

    /// The `terminal.configuration` in force for `reader` of `account` (an `acct_…` id): its
    /// location's `configuration_overrides`, else the account default, which this provisions
    /// if nothing asked for it yet. Stripe shows neither on the reader object, so callers
    /// that need a reader's tipping or splash screen ask here. `None` when the account has no
    /// such reader.
    pub fn configuration_in_force(&self, account: &str, reader: &str) -> Option<serde_json::Value> {
        let mut store = self.store();
        if !store.accounts.contains_key(account) {
            return None;
        }
        let mut ctx = ctx::Ctx::new(self, &mut store, account.to_string());
        routes::configurations::in_force(&mut ctx, reader)
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, store::Store> {
        self.inner.store.lock()
    }

    pub(crate) fn ids(&self) -> &ids::IdGen {
        &self.inner.ids
    }

    pub(crate) fn clock(&self) -> &clock::Clock {
        &self.inner.clock
    }

    /// Forgets every account, object, key, fault and delivery, and resets the clock.
    pub(crate) fn reset(&self) {
        *self.store() = store::Store::default();
        self.inner.idempotency.clear();
        self.inner.limiter.clear();
        self.inner.faults.clear();
        self.inner.webhooks.clear();
        self.inner.clock.reset();
    }
}

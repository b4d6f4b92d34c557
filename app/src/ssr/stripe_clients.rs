//! The HTTP clients that reach Stripe (and the built-in simulator), built once at start-up and
//! held in [`AppState`](super::state::AppState); which one a connection uses, and with which
//! credentials, is [`stripe_access`](super::stripe_access)'s business.

use fleet_stripe::{ClientConfig, Observer, StripeClient, StripeError};
use std::sync::Arc;

/// The shared HTTP clients (one connection pool each), built once at start-up.
#[derive(Debug, Clone)]
pub struct StripeClients {
    pub simulator: Option<StripeClient>,
    pub api: StripeClient,
    /// Told of every exchange with Stripe (the server's metrics); clients built elsewhere
    /// (the reader sync's) report to it too.
    pub observer: Option<Arc<dyn Observer>>,
}

impl StripeClients {
    pub fn new(
        simulator_url: Option<&str>,
        api_base: &str,
        observer: Option<Arc<dyn Observer>>,
    ) -> Result<Self, StripeError> {
        let build = |base_url: &str| {
            StripeClient::new(ClientConfig {
                base_url: base_url.to_string(),
                ..ClientConfig::default()
            })
            .map(|client| observed(client, observer.as_ref()))
        };
        Ok(StripeClients {
            simulator: simulator_url.map(build).transpose()?,
            api: build(api_base)?,
            observer: observer.clone(),
        })
    }
}

/// `client`, reporting to `observer` when there is one.
pub fn observed(client: StripeClient, observer: Option<&Arc<dyn Observer>>) -> StripeClient {
    match observer {
        Some(observer) => client.with_observer(observer.clone()),
        None => client,
    }
}

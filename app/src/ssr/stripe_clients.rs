//! The HTTP clients that reach Stripe (and the built-in simulator), built once at start-up and
//! held in [`AppState`](super::state::AppState); which one a connection uses, and with which
//! credentials, is [`stripe_access`](super::stripe_access)'s business.

use fleet_stripe::{ClientConfig, StripeClient, StripeError};

/// The shared HTTP clients (one connection pool each), built once at start-up.
#[derive(Debug, Clone)]
pub struct StripeClients {
    pub simulator: Option<StripeClient>,
    pub api: StripeClient,
}

impl StripeClients {
    pub fn new(simulator_url: Option<&str>, api_base: &str) -> Result<Self, StripeError> {
        let build = |base_url: &str| {
            StripeClient::new(ClientConfig {
                base_url: base_url.to_string(),
                ..ClientConfig::default()
            })
        };
        Ok(StripeClients {
            simulator: simulator_url.map(build).transpose()?,
            api: build(api_base)?,
        })
    }
}

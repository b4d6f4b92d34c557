use super::db::Db;
use super::secrets::MasterKey;
use std::sync::Arc;
use std::time::Duration;

/// Server-side settings the services need (the rest of the configuration stays in the binary).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where people reach the app, e.g. `http://127.0.0.1:3000`; used for invite links.
    pub public_url: String,
    pub invite_ttl: Duration,
    /// Failed sign-ins allowed per email, and per client IP, within `throttle_window`.
    pub throttle_per_email: i64,
    pub throttle_per_ip: i64,
    pub throttle_window: Duration,
    /// Sign-ups allowed per client address within `sign_up_window`: each one costs a hash, an
    /// organisation and a synced simulator connection.
    pub sign_ups_per_address: i64,
    pub sign_up_window: Duration,
    /// Organisations one user may own; each starts a synced simulator connection.
    pub organisations_per_user: i64,
    /// Encrypts secrets at rest (Stripe keys, webhook secrets).
    pub master_key: MasterKey,
    /// Base URL of the built-in Stripe simulator, when it runs.
    pub stripe_simulator_url: Option<String>,
    /// Stripe's API for tenants' own keys (`https://api.stripe.com`; tests point it elsewhere).
    pub stripe_api_base: String,
    /// The platform's key, for connected accounts (`Stripe-Account`); `FLEET_PLATFORM_KEY`.
    pub platform_key: Option<fleet_stripe::SecretKey>,
    /// Where Connect OAuth and hosted onboarding live (`https://connect.stripe.com`; the
    /// simulator's address when it stands in for Stripe).
    pub connect_base: String,
    /// `scheme://host[:port]` of `connect_base` when connected accounts are on (a platform key
    /// is set): pages allow forms to lead there. Worked out once, not on every page.
    pub connect_origin: Option<String>,
    /// The platform's Connect client id (`ca_…`, `FLEET_CONNECT_CLIENT_ID`).
    pub connect_client_id: Option<String>,
    /// What one principal may hold open or own.
    pub limits: super::limits::Limits,
    /// `FLEET_ENV=production`: notification URLs must be https and public.
    pub production: bool,
    /// The first wait before a failed notification is retried (`FLEET_NOTIFY_BACKOFF_MS`); each
    /// later wait doubles, up to an hour.
    pub notify_backoff: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            public_url: "http://127.0.0.1:3000".into(),
            invite_ttl: Duration::from_secs(7 * 24 * 3600),
            throttle_per_email: 5,
            throttle_per_ip: 30,
            throttle_window: Duration::from_secs(15 * 60),
            sign_ups_per_address: 10,
            sign_up_window: Duration::from_secs(3600),
            organisations_per_user: 20,
            master_key: MasterKey([0; 32]),
            stripe_simulator_url: None,
            stripe_api_base: "https://api.stripe.com".into(),
            platform_key: None,
            connect_base: "https://connect.stripe.com".into(),
            connect_origin: None,
            connect_client_id: None,
            limits: super::limits::Limits::default(),
            production: false,
            notify_backoff: Duration::from_secs(30),
        }
    }
}

/// Shared by every request; provided to server functions as Leptos context.
#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub bus: super::bus::Bus,
    pub stripe: Arc<super::stripe_clients::StripeClients>,
    /// The cap on concurrent password hashes.
    pub hashing: super::passwords::Hashing,
    /// Long-polls per API key and exports per user running in this instance.
    pub in_flight: InFlightUses,
}

#[derive(Clone, Debug, Default)]
pub struct InFlightUses {
    pub long_polls: super::limits::InFlight,
    pub exports: super::limits::InFlight,
}

impl AppState {
    /// The state of the current request. Server functions run inside the context the server
    /// provides, so its absence is a wiring bug, reported rather than panicking.
    pub fn current() -> Result<AppState, crate::error::AppError> {
        leptos::prelude::use_context::<AppState>().ok_or_else(|| {
            crate::error::AppError::internal("AppState missing from the Leptos context")
        })
    }
}

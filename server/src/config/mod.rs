//! Configuration from the environment (and an optional `.env`), read by clap: each setting is
//! an option of the commands that need it ([`ConfigArgs`]) with its variable. Every setting has
//! a safe default; a bad one stops start-up with one sentence saying what to fix.

mod args;
mod limits;
mod master_key;
mod values;
mod vars;

pub use args::{ConfigArgs, ServerArgs, StripeArgs};
pub use limits::LimitArgs;
pub use values::ProxyNetworks;
pub use vars::{prepare_environment, variables};

use crate::middleware::client_meta::TrustedProxies;
use app::ssr::MasterKey;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Invalid(String),
    #[error("could not {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: String,
        source: std::io::Error,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Environment {
    #[value(alias = "dev")]
    Development,
    #[value(alias = "prod")]
    Production,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub env: Environment,
    pub database_url: String,
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub public_url: String,
    pub cookie_secure: bool,
    pub master_key: MasterKey,
    pub session_idle_minutes: i64,
    /// Which reverse proxies' `X-Forwarded-For` to believe about the client's address.
    pub trusted_proxies: crate::middleware::client_meta::TrustedProxies,
    /// Whether the built-in simulator may listen on a non-loopback address, where anyone who
    /// reaches it could drive its `/_sim` control API.
    pub simulator_allow_remote_control: bool,
    /// Where the built-in Stripe simulator listens (port 0: any free port); `None` turns it off.
    pub simulator_listen: Option<SocketAddr>,
    /// A simulator run elsewhere (`terminal-fleet stripe-sim`), shared by several instances;
    /// when set, none is started in-process.
    pub simulator_url: Option<String>,
    /// Stripe's API base for tenants' own keys; only tests and staging change it.
    pub stripe_api_base: String,
    /// The platform's secret key, for connected accounts (Connect).
    pub platform_key: Option<fleet_stripe::SecretKey>,
    /// Connect OAuth and hosted onboarding.
    pub connect: ConnectConfig,
    /// The reader status sync.
    pub sync: crate::tasks::reader_sync::SyncConfig,
    /// Sending alert notifications.
    pub notifications: crate::tasks::notifications::NotifyConfig,
    /// Requests per second each API key may make on `/api/v1`.
    pub api_rate: crate::api::RateLimit,
    /// What one principal may hold open or own (`FLEET_MAX_…`).
    pub limits: app::ssr::limits::Limits,
    /// Live streams (`/events`) one user may hold open on this instance.
    pub max_streams_per_user: usize,
    /// What an unauthenticated client may cost: password hashing, sign-ups, organisations.
    pub accounts: AccountLimits,
    /// Where Prometheus reads the metrics, if anywhere.
    pub metrics: MetricsConfig,
}

/// `/metrics` on an address of its own, or on the main one behind a token, or both; neither
/// by default.
#[derive(Debug, Clone, Default)]
pub struct MetricsConfig {
    pub listen: Option<SocketAddr>,
    pub token: Option<String>,
}

/// Where Connect's pages live and the platform's client id there.
#[derive(Debug, Clone, Default)]
pub struct ConnectConfig {
    /// `FLEET_STRIPE_CONNECT_BASE`; by default `https://connect.stripe.com` for Stripe and the
    /// API base itself for a simulator standing in for Stripe.
    pub base: Option<String>,
    /// `FLEET_CONNECT_CLIENT_ID` (`ca_…`, Dashboard → Connect → Settings); the simulator
    /// derives one when it is unset.
    pub client_id: Option<String>,
}

impl ConnectConfig {
    /// The base in force for `api_base`.
    pub fn base_for(&self, api_base: &str) -> String {
        match &self.base {
            Some(base) => base.clone(),
            None if api_base.starts_with("https://api.stripe.com") => {
                "https://connect.stripe.com".into()
            }
            None => api_base.to_string(),
        }
    }
}

/// Limits on the work that accounts cost the server.
#[derive(Debug, Clone)]
pub struct AccountLimits {
    /// Password hashes (19 MiB each) running at once; more wait up to `hash_wait`, then get 503.
    pub hash_concurrency: usize,
    pub hash_wait: std::time::Duration,
    /// Sign-ups per client address per hour.
    pub sign_ups_per_hour: i64,
    /// Organisations one user may own.
    pub organisations_per_user: i64,
    /// Failed sign-ins allowed per email, and per client address, in 15 minutes (not set from
    /// the environment; tests and benchmarks change them).
    pub sign_in_failures_per_email: i64,
    pub sign_in_failures_per_address: i64,
}

impl Default for AccountLimits {
    fn default() -> Self {
        let settings = app::ssr::Settings::default();
        AccountLimits {
            hash_concurrency: app::ssr::passwords::default_concurrency(),
            hash_wait: std::time::Duration::from_secs(3),
            sign_ups_per_hour: settings.sign_ups_per_address,
            organisations_per_user: settings.organisations_per_user,
            sign_in_failures_per_email: settings.throttle_per_email,
            sign_in_failures_per_address: settings.throttle_per_ip,
        }
    }
}

/// A tab holds one live stream, two on All stores; sixteen is eight such tabs.
pub const DEFAULT_MAX_STREAMS_PER_USER: usize = 16;

/// Where the server listens when neither FLEET_LISTEN nor LEPTOS_SITE_ADDR says.
const DEFAULT_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 3000);

fn invalid(msg: impl Into<String>) -> ConfigError {
    ConfigError::Invalid(msg.into())
}

impl Config {
    /// The configuration the parsed settings describe. Clap has checked each setting alone;
    /// here are the defaults worked out from other settings, the checks that involve several,
    /// the secrets (whose messages must not repeat them) and the files: the data directory and
    /// the development master key.
    pub fn load(args: ConfigArgs) -> Result<Config, ConfigError> {
        let ConfigArgs {
            server,
            stripe,
            limits,
        } = args;
        let env = server.env;
        let data_dir = server.data_dir;
        let database_url = match server.database_url {
            Some(url) => url,
            None => {
                create_dir(&data_dir)?;
                format!("sqlite://{}/terminal-fleet.db?mode=rwc", data_dir.display())
            }
        };
        if database_url.starts_with("sqlite:") {
            if let Some(parent) = sqlite_parent(&database_url) {
                create_dir(&parent)?;
            }
        } else if !(database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(invalid(
                "DATABASE_URL must start with sqlite:// or postgres:// (for example postgres://user@127.0.0.1/fleet).",
            ));
        }
        let listen = server.listen.or(server.site_addr).unwrap_or(DEFAULT_LISTEN);
        let public_url = server.public_url.unwrap_or_else(|| {
            let host = if listen.ip().is_unspecified() {
                "127.0.0.1".to_string()
            } else {
                listen.ip().to_string()
            };
            format!("http://{host}:{}", listen.port())
        });
        let cookie_secure = server
            .cookie_secure
            .unwrap_or_else(|| public_url.starts_with("https://"));
        if env == Environment::Production && !cookie_secure {
            return Err(invalid(
                "In production cookies must be Secure: serve over https (FLEET_PUBLIC_URL=https://…) or set FLEET_COOKIE_SECURE=true.",
            ));
        }
        let master_key = master_key::master_key(server.master_key.as_deref(), env, &data_dir)?;
        let trusted_proxies = trusted_proxies(
            server.trusted_proxies,
            server.trust_proxy_hops,
            server.trust_proxy,
        );
        let simulator_listen = stripe.simulator.then_some(stripe.simulator_listen);
        if let Some(addr) = simulator_listen {
            if !stripe.simulator_allow_remote_control {
                fleet_stripe_sim::ensure_local_control(addr, false).map_err(|e| {
                    invalid(format!(
                        "FLEET_SIMULATOR_LISTEN: {e}; set FLEET_SIMULATOR_ALLOW_REMOTE_CONTROL=true if other machines must reach it."
                    ))
                })?;
            }
        }
        let platform_key = match stripe.platform_key {
            Some(key) if key.starts_with("sk_") || key.starts_with("rk_") => {
                Some(fleet_stripe::SecretKey::new(key))
            }
            Some(_) => return Err(invalid(
                "FLEET_PLATFORM_KEY must be the platform's secret key (sk_live_… or sk_test_…).",
            )),
            None => None,
        };
        let metrics = MetricsConfig {
            listen: server.metrics_listen,
            token: match server.metrics_token {
                Some(token) if token.chars().count() < 16 || token.chars().any(char::is_whitespace) => {
                    return Err(invalid(
                        "FLEET_METRICS_TOKEN must be at least 16 characters without spaces (openssl rand -hex 24).",
                    ))
                }
                token => token,
            },
        };
        Ok(Config {
            env,
            database_url,
            data_dir,
            listen,
            public_url,
            cookie_secure,
            master_key,
            session_idle_minutes: server.session_idle_minutes,
            trusted_proxies,
            simulator_allow_remote_control: stripe.simulator_allow_remote_control,
            simulator_listen,
            simulator_url: stripe.simulator_url,
            stripe_api_base: stripe.stripe_api_base,
            platform_key,
            connect: ConnectConfig {
                base: stripe.stripe_connect_base,
                client_id: stripe.connect_client_id,
            },
            sync: limits.sync(),
            notifications: limits.notifications(),
            api_rate: limits.api_rate(),
            limits: limits.limits(),
            max_streams_per_user: limits.max_streams_per_user,
            accounts: limits.accounts(),
            metrics,
        })
    }
}

/// `FLEET_TRUSTED_PROXIES` (networks), else `FLEET_TRUST_PROXY_HOPS`, else the older
/// `FLEET_TRUST_PROXY=true`, which means one proxy.
fn trusted_proxies(
    networks: Option<ProxyNetworks>,
    hops: Option<usize>,
    trust: bool,
) -> TrustedProxies {
    match (networks, hops) {
        (Some(ProxyNetworks(networks)), _) => TrustedProxies::Networks(networks),
        (None, Some(hops)) => TrustedProxies::Hops(hops),
        (None, None) if trust => TrustedProxies::Hops(1),
        (None, None) => TrustedProxies::None,
    }
}

fn create_dir(dir: &Path) -> Result<(), ConfigError> {
    std::fs::create_dir_all(dir).map_err(|source| ConfigError::Io {
        action: "create the data directory",
        path: dir.display().to_string(),
        source,
    })
}

/// The directory of a `sqlite://path/file.db?…` URL, so the file can be created on first run.
fn sqlite_parent(url: &str) -> Option<PathBuf> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()?;
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
}

#[cfg(test)]
mod tests;

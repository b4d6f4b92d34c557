//! The settings as command-line options, each also read from its environment variable. The
//! value name is the variable's name, so clap's message about a bad value names the variable
//! whichever way it was given.

use super::limits::LimitArgs;
use super::values::{self, ProxyNetworks};
use super::Environment;
use clap::builder::BoolishValueParser;
use clap::ArgAction;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Everything `serve` (and the commands that open the deployment's database) is configured by.
#[derive(Debug, Clone, clap::Args)]
pub struct ConfigArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub stripe: StripeArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Server")]
pub struct ServerArgs {
    /// `production` requires a master key and Secure cookies.
    #[arg(
        long = "env",
        env = "FLEET_ENV",
        value_name = "FLEET_ENV",
        value_enum,
        ignore_case = true,
        default_value_t = Environment::Development
    )]
    pub env: Environment,

    /// Where the default SQLite file and the development master key live.
    #[arg(
        long,
        env = "FLEET_DATA_DIR",
        value_name = "FLEET_DATA_DIR",
        default_value = "./data"
    )]
    pub data_dir: PathBuf,

    /// `sqlite://…` (file created on first run, WAL mode) or `postgres://user:pass@host/db`.
    /// Default: sqlite://<FLEET_DATA_DIR>/terminal-fleet.db?mode=rwc.
    // Its check is in `Config::load`: clap's messages quote the value, which may hold a password.
    #[arg(
        long,
        env = "DATABASE_URL",
        value_name = "DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,

    /// Address and port to listen on. Default: LEPTOS_SITE_ADDR, else 127.0.0.1:3000.
    #[arg(long, env = "FLEET_LISTEN", value_name = "FLEET_LISTEN", value_parser = values::address)]
    pub listen: Option<SocketAddr>,

    /// The address cargo-leptos gives when it runs the server; FLEET_LISTEN takes precedence.
    #[arg(
        long,
        env = "LEPTOS_SITE_ADDR",
        value_name = "LEPTOS_SITE_ADDR",
        value_parser = values::address
    )]
    pub site_addr: Option<SocketAddr>,

    /// The URL people use; invite links and the cross-origin check use it.
    /// Default: http://<listen address>.
    #[arg(
        long,
        env = "FLEET_PUBLIC_URL",
        value_name = "FLEET_PUBLIC_URL",
        value_parser = values::public_url
    )]
    pub public_url: Option<String>,

    /// Mark the session cookie Secure. Default: true when the public URL is https://.
    #[arg(
        long,
        env = "FLEET_COOKIE_SECURE",
        value_name = "FLEET_COOKIE_SECURE",
        action = ArgAction::Set,
        value_parser = BoolishValueParser::new()
    )]
    pub cookie_secure: Option<bool>,

    /// 32 bytes (base64 or hex) encrypting secrets at rest; required in production
    /// (`openssl rand -base64 32`). Default in development: generated once into
    /// <FLEET_DATA_DIR>/master.key. Prefer the variable: a command line is visible to others.
    // Checked in `Config::load`, whose message does not repeat a rejected key.
    #[arg(
        long,
        env = "FLEET_MASTER_KEY",
        value_name = "FLEET_MASTER_KEY",
        hide_env_values = true
    )]
    pub master_key: Option<String>,

    /// Sessions end after this many minutes without a request.
    #[arg(
        long,
        env = "FLEET_SESSION_IDLE_MINUTES",
        value_name = "FLEET_SESSION_IDLE_MINUTES",
        value_parser = clap::value_parser!(i64).range(5..=60 * 24 * 30),
        default_value_t = 8 * 60
    )]
    pub session_idle_minutes: i64,

    /// Instead of a count, your proxies' networks or addresses (10.0.0.0/8,192.0.2.10): from
    /// the right, every address inside them is skipped and the first one outside is the
    /// client. Takes precedence over FLEET_TRUST_PROXY_HOPS.
    #[arg(
        long,
        env = "FLEET_TRUSTED_PROXIES",
        value_name = "FLEET_TRUSTED_PROXIES",
        value_parser = values::proxy_networks
    )]
    pub trusted_proxies: Option<ProxyNetworks>,

    /// How many reverse proxies stand in front of the server, each appending to
    /// X-Forwarded-For; the client is the first address from the right that is not one of
    /// them. 0 ignores the header. Default: 0 (or 1 with FLEET_TRUST_PROXY=true).
    #[arg(
        long,
        env = "FLEET_TRUST_PROXY_HOPS",
        value_name = "FLEET_TRUST_PROXY_HOPS",
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=10)
    )]
    pub trust_proxy_hops: Option<usize>,

    /// Older switch: true means FLEET_TRUST_PROXY_HOPS=1.
    #[arg(
        long,
        env = "FLEET_TRUST_PROXY",
        value_name = "FLEET_TRUST_PROXY",
        action = ArgAction::Set,
        value_parser = BoolishValueParser::new(),
        default_value_t = false
    )]
    pub trust_proxy: bool,

    /// Serve Prometheus metrics at /metrics on this address of its own (e.g. 127.0.0.1:9464),
    /// without a token: put it where only your monitoring reaches.
    #[arg(
        long,
        env = "FLEET_METRICS_LISTEN",
        value_name = "FLEET_METRICS_LISTEN",
        value_parser = values::address
    )]
    pub metrics_listen: Option<SocketAddr>,

    /// Serve Prometheus metrics at /metrics on the main address to requests that send this
    /// token as `Authorization: Bearer …` (at least 16 characters).
    #[arg(
        long,
        env = "FLEET_METRICS_TOKEN",
        value_name = "FLEET_METRICS_TOKEN",
        hide_env_values = true
    )]
    pub metrics_token: Option<String>,
}

#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Stripe")]
pub struct StripeArgs {
    /// Run the built-in Stripe simulator in-process (the default Stripe of tenants without an
    /// account).
    #[arg(
        long,
        env = "FLEET_SIMULATOR",
        value_name = "FLEET_SIMULATOR",
        action = ArgAction::Set,
        value_parser = BoolishValueParser::new(),
        default_value_t = true
    )]
    pub simulator: bool,

    /// Where the built-in simulator listens (port 0: a free port, logged at start), e.g.
    /// 127.0.0.1:12111 to reach it with curl.
    #[arg(
        long,
        env = "FLEET_SIMULATOR_LISTEN",
        value_name = "FLEET_SIMULATOR_LISTEN",
        value_parser = values::address,
        default_value = "127.0.0.1:0"
    )]
    pub simulator_listen: SocketAddr,

    /// Let the simulator listen on a non-loopback address; its /_sim control API has no
    /// credentials, so by default it refuses to start anywhere but 127.0.0.1 / ::1.
    #[arg(
        long,
        env = "FLEET_SIMULATOR_ALLOW_REMOTE_CONTROL",
        value_name = "FLEET_SIMULATOR_ALLOW_REMOTE_CONTROL",
        action = ArgAction::Set,
        value_parser = BoolishValueParser::new(),
        default_value_t = false
    )]
    pub simulator_allow_remote_control: bool,

    /// Use a simulator run elsewhere (`terminal-fleet stripe-sim`) instead of starting one:
    /// several instances must share one.
    #[arg(
        long,
        env = "FLEET_SIMULATOR_URL",
        value_name = "FLEET_SIMULATOR_URL",
        value_parser = values::base_url
    )]
    pub simulator_url: Option<String>,

    /// Stripe's API for tenants' own keys (point it at a stripe-sim for staging).
    #[arg(
        long,
        env = "FLEET_STRIPE_API_BASE",
        value_name = "FLEET_STRIPE_API_BASE",
        value_parser = values::base_url,
        default_value = "https://api.stripe.com"
    )]
    pub stripe_api_base: String,

    /// The platform's secret key (sk_live_… or sk_test_…); when set, organisations can add
    /// connected accounts (Connect). Prefer the variable: a command line is visible to others.
    // Checked in `Config::load`, whose message does not repeat a rejected key.
    #[arg(
        long,
        env = "FLEET_PLATFORM_KEY",
        value_name = "FLEET_PLATFORM_KEY",
        hide_env_values = true
    )]
    pub platform_key: Option<String>,

    /// The platform's Connect client id (ca_…) for connecting existing accounts with Stripe
    /// OAuth; with the simulator it is derived (ca_ + the platform account id's tail).
    #[arg(
        long,
        env = "FLEET_CONNECT_CLIENT_ID",
        value_name = "FLEET_CONNECT_CLIENT_ID",
        value_parser = values::client_id
    )]
    pub connect_client_id: Option<String>,

    /// Where Connect OAuth lives. Default: https://connect.stripe.com, or FLEET_STRIPE_API_BASE
    /// when that is not Stripe.
    #[arg(
        long,
        env = "FLEET_STRIPE_CONNECT_BASE",
        value_name = "FLEET_STRIPE_CONNECT_BASE",
        value_parser = values::base_url
    )]
    pub stripe_connect_base: Option<String>,
}

//! Configuration from the environment (and an optional `.env`). Every setting has a safe
//! default; a bad one stops start-up with one sentence saying what to fix.

use crate::middleware::client_meta::TrustedProxies;
use app::ssr::MasterKey;
use base64::Engine;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
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
    /// Requests per second each API key may make on `/api/v1`.
    pub api_rate: crate::api::RateLimit,
    /// What one principal may hold open or own (`FLEET_MAX_…`).
    pub limits: app::ssr::limits::Limits,
    /// Live streams (`/events`) one user may hold open on this instance.
    pub max_streams_per_user: usize,
    /// What an unauthenticated client may cost: password hashing, sign-ups, organisations.
    pub accounts: AccountLimits,
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

/// A whole number in `range` from the variable `name`, or the sentence saying what to fix.
fn parse_count<T>(
    name: &str,
    raw: &str,
    range: std::ops::RangeInclusive<T>,
    unit: &str,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display,
{
    raw.parse::<T>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            invalid(format!(
                "{name} must be a whole number of {unit} from {} to {}, not '{raw}'.",
                range.start(),
                range.end()
            ))
        })
}

/// A tab holds one live stream, two on All stores; sixteen is eight such tabs.
pub const DEFAULT_MAX_STREAMS_PER_USER: usize = 16;

/// Reads a variable, treating an empty value as unset.
fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn invalid(msg: impl Into<String>) -> ConfigError {
    ConfigError::Invalid(msg.into())
}

fn parse_bool(name: &str, raw: &str) -> Result<bool, ConfigError> {
    match raw.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(invalid(format!(
            "{name} must be true or false, not '{raw}'."
        ))),
    }
}

impl Config {
    /// Loads `.env` if present, then the environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        // A missing .env is normal; a malformed one is reported.
        if let Err(err) = dotenvy::dotenv() {
            if !err.not_found() {
                return Err(invalid(format!("The .env file could not be read: {err}.")));
            }
        }
        Self::load()
    }

    fn load() -> Result<Config, ConfigError> {
        let env = match var("FLEET_ENV")
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("development") | Some("dev") => Environment::Development,
            Some("production") | Some("prod") => Environment::Production,
            Some(other) => {
                return Err(invalid(format!(
                    "FLEET_ENV must be 'development' or 'production', not '{other}'."
                )))
            }
        };
        let data_dir = PathBuf::from(var("FLEET_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = match var("DATABASE_URL") {
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
        let listen_raw = var("FLEET_LISTEN")
            .or_else(|| var("LEPTOS_SITE_ADDR"))
            .unwrap_or_else(|| "127.0.0.1:3000".into());
        let listen: SocketAddr = listen_raw.parse().map_err(|_| {
            invalid(format!(
                "FLEET_LISTEN must be an address like 127.0.0.1:3000, not '{listen_raw}'."
            ))
        })?;
        let public_url = match var("FLEET_PUBLIC_URL") {
            Some(url) => {
                let parsed = url::Url::parse(&url).map_err(|_| {
                    invalid(format!(
                        "FLEET_PUBLIC_URL must be a URL like https://fleet.example.com, not '{url}'."
                    ))
                })?;
                if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
                    return Err(invalid(
                        "FLEET_PUBLIC_URL must be an http:// or https:// URL.",
                    ));
                }
                parsed.origin().ascii_serialization()
            }
            None => {
                let host = if listen.ip().is_unspecified() {
                    "127.0.0.1".to_string()
                } else {
                    listen.ip().to_string()
                };
                format!("http://{host}:{}", listen.port())
            }
        };
        let cookie_secure = match var("FLEET_COOKIE_SECURE") {
            Some(raw) => parse_bool("FLEET_COOKIE_SECURE", &raw)?,
            None => public_url.starts_with("https://"),
        };
        if env == Environment::Production && !cookie_secure {
            return Err(invalid(
                "In production cookies must be Secure: serve over https (FLEET_PUBLIC_URL=https://…) or set FLEET_COOKIE_SECURE=true.",
            ));
        }
        let master_key = master_key(env, &data_dir)?;
        let session_idle_minutes = match var("FLEET_SESSION_IDLE_MINUTES") {
            Some(raw) => raw
                .parse::<i64>()
                .ok()
                .filter(|m| (5..=60 * 24 * 30).contains(m))
                .ok_or_else(|| {
                    invalid(format!(
                        "FLEET_SESSION_IDLE_MINUTES must be a number of minutes between 5 and 43200, not '{raw}'."
                    ))
                })?,
            None => 8 * 60,
        };
        let trusted_proxies = trusted_proxies(
            var("FLEET_TRUSTED_PROXIES"),
            var("FLEET_TRUST_PROXY_HOPS"),
            var("FLEET_TRUST_PROXY"),
        )?;
        let simulator_on = match var("FLEET_SIMULATOR") {
            Some(raw) => parse_bool("FLEET_SIMULATOR", &raw)?,
            None => true,
        };
        let simulator_listen = if simulator_on {
            let raw = var("FLEET_SIMULATOR_LISTEN").unwrap_or_else(|| "127.0.0.1:0".into());
            Some(raw.parse().map_err(|_| {
                invalid(format!(
                    "FLEET_SIMULATOR_LISTEN must be an address like 127.0.0.1:12111, not '{raw}'."
                ))
            })?)
        } else {
            None
        };
        let simulator_allow_remote_control = match var("FLEET_SIMULATOR_ALLOW_REMOTE_CONTROL") {
            Some(raw) => parse_bool("FLEET_SIMULATOR_ALLOW_REMOTE_CONTROL", &raw)?,
            None => false,
        };
        if let Some(addr) = simulator_listen {
            if !simulator_allow_remote_control {
                fleet_stripe_sim::ensure_local_control(addr, false)
                    .map_err(|e| {
                        invalid(format!(
                            "FLEET_SIMULATOR_LISTEN: {e}; set FLEET_SIMULATOR_ALLOW_REMOTE_CONTROL=true if other machines must reach it."
                        ))
                    })?;
            }
        }
        let simulator_url = match var("FLEET_SIMULATOR_URL") {
            Some(url) => {
                url::Url::parse(&url).map_err(|_| {
                    invalid(format!("FLEET_SIMULATOR_URL must be a URL like http://127.0.0.1:12111, not '{url}'."))
                })?;
                Some(url.trim_end_matches('/').to_string())
            }
            None => None,
        };
        let stripe_api_base = match var("FLEET_STRIPE_API_BASE") {
            Some(url) => {
                url::Url::parse(&url).map_err(|_| {
                    invalid(format!("FLEET_STRIPE_API_BASE must be a URL like https://api.stripe.com, not '{url}'."))
                })?;
                url.trim_end_matches('/').to_string()
            }
            None => "https://api.stripe.com".into(),
        };
        let platform_key = match var("FLEET_PLATFORM_KEY") {
            Some(key) if key.starts_with("sk_") || key.starts_with("rk_") => {
                Some(fleet_stripe::SecretKey::new(key))
            }
            Some(_) => return Err(invalid(
                "FLEET_PLATFORM_KEY must be the platform's secret key (sk_live_… or sk_test_…).",
            )),
            None => None,
        };
        let connect = ConnectConfig {
            base: match var("FLEET_STRIPE_CONNECT_BASE") {
                Some(url) => {
                    url::Url::parse(&url).map_err(|_| {
                        invalid(format!("FLEET_STRIPE_CONNECT_BASE must be a URL like https://connect.stripe.com, not '{url}'."))
                    })?;
                    Some(url.trim_end_matches('/').to_string())
                }
                None => None,
            },
            client_id: match var("FLEET_CONNECT_CLIENT_ID") {
                Some(id) if id.starts_with("ca_") && id.len() <= 255 => Some(id),
                Some(_) => {
                    return Err(invalid(
                        "FLEET_CONNECT_CLIENT_ID must be the platform's Connect client id (ca_…).",
                    ))
                }
                None => None,
            },
        };
        let mut sync = crate::tasks::reader_sync::SyncConfig::default();
        if let Some(raw) = var("FLEET_SYNC") {
            sync.enabled = parse_bool("FLEET_SYNC", &raw)?;
        }
        if let Some(raw) = var("FLEET_SYNC_INTERVAL_MS") {
            let ms = raw
                .parse::<u64>()
                .ok()
                .filter(|ms| (100..=600_000).contains(ms))
                .ok_or_else(|| {
                    invalid(format!(
                        "FLEET_SYNC_INTERVAL_MS must be between 100 and 600000 milliseconds, not '{raw}'."
                    ))
                })?;
            sync.interval = std::time::Duration::from_millis(ms);
        }
        let mut api_rate = crate::api::RateLimit::default();
        if let Some(raw) = var("FLEET_API_RATE_PER_SECOND") {
            api_rate.per_second = raw
                .parse::<u32>()
                .ok()
                .filter(|n| *n <= 10_000)
                .and_then(std::num::NonZeroU32::new)
                .ok_or_else(|| {
                    invalid(format!(
                        "FLEET_API_RATE_PER_SECOND must be a whole number from 1 to 10000, not '{raw}'."
                    ))
                })?;
        }
        let limits = limits()?;
        let max_streams_per_user = match var("FLEET_MAX_STREAMS_PER_USER") {
            None => DEFAULT_MAX_STREAMS_PER_USER,
            Some(raw) => raw
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or_else(|| {
                    invalid(format!(
                        "FLEET_MAX_STREAMS_PER_USER must be a whole number from 1 to 1000, not '{raw}'."
                    ))
                })?,
        };
        let mut accounts = AccountLimits::default();
        if let Some(raw) = var("FLEET_HASH_CONCURRENCY") {
            accounts.hash_concurrency =
                parse_count("FLEET_HASH_CONCURRENCY", &raw, 1..=1024, "hashes")?;
        }
        if let Some(raw) = var("FLEET_HASH_WAIT_MS") {
            accounts.hash_wait = std::time::Duration::from_millis(parse_count(
                "FLEET_HASH_WAIT_MS",
                &raw,
                0..=60_000,
                "milliseconds",
            )?);
        }
        if let Some(raw) = var("FLEET_SIGN_UPS_PER_HOUR") {
            accounts.sign_ups_per_hour =
                parse_count("FLEET_SIGN_UPS_PER_HOUR", &raw, 1..=1_000_000, "sign-ups")?;
        }
        if let Some(raw) = var("FLEET_ORGANISATIONS_PER_USER") {
            accounts.organisations_per_user = parse_count(
                "FLEET_ORGANISATIONS_PER_USER",
                &raw,
                1..=100_000,
                "organisations",
            )?;
        }
        Ok(Config {
            limits,
            accounts,
            api_rate,
            max_streams_per_user,
            platform_key,
            connect,
            sync,
            env,
            database_url,
            data_dir,
            listen,
            public_url,
            cookie_secure,
            master_key,
            session_idle_minutes,
            trusted_proxies,
            simulator_allow_remote_control,
            simulator_listen,
            simulator_url,
            stripe_api_base,
        })
    }
}

/// `FLEET_MAX_…`: each a whole number from 1 to 100,000, defaults in [`Limits::default`].
///
/// [`Limits::default`]: app::ssr::limits::Limits
fn limits() -> Result<app::ssr::limits::Limits, ConfigError> {
    let mut limits = app::ssr::limits::Limits::default();
    let number = |name: &str, default: i64| -> Result<i64, ConfigError> {
        match var(name) {
            None => Ok(default),
            Some(raw) => raw
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=100_000).contains(n))
                .ok_or_else(|| {
                    invalid(format!(
                        "{name} must be a whole number from 1 to 100000, not '{raw}'."
                    ))
                }),
        }
    };
    let count = |n: i64| usize::try_from(n).unwrap_or(1);
    limits.long_polls_per_key = count(number(
        "FLEET_MAX_LONG_POLLS_PER_KEY",
        limits.long_polls_per_key as i64,
    )?);
    limits.exports_per_user = count(number(
        "FLEET_MAX_EXPORTS_PER_USER",
        limits.exports_per_user as i64,
    )?);
    limits.api_keys_per_tenant = number("FLEET_MAX_API_KEYS", limits.api_keys_per_tenant)?;
    limits.pending_invites_per_tenant = number(
        "FLEET_MAX_PENDING_INVITES",
        limits.pending_invites_per_tenant,
    )?;
    limits.groups_per_tenant = number("FLEET_MAX_STORE_GROUPS", limits.groups_per_tenant)?;
    Ok(limits)
}

/// `FLEET_TRUSTED_PROXIES` (networks), else `FLEET_TRUST_PROXY_HOPS`, else the older
/// `FLEET_TRUST_PROXY=true`, which means one proxy.
fn trusted_proxies(
    networks: Option<String>,
    hops: Option<String>,
    trust: Option<String>,
) -> Result<TrustedProxies, ConfigError> {
    if let Some(raw) = networks {
        let networks = raw
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| {
                n.parse::<IpNet>()
                    .or_else(|_| n.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        invalid(format!(
                            "FLEET_TRUSTED_PROXIES must list your proxies' networks or addresses, like 10.0.0.0/8,192.0.2.10; '{n}' is neither."
                        ))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(TrustedProxies::Networks(networks));
    }
    if let Some(raw) = hops {
        return raw
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= 10)
            .map(TrustedProxies::Hops)
            .ok_or_else(|| {
                invalid(format!(
                    "FLEET_TRUST_PROXY_HOPS must be the number of proxies in front of the server, from 0 to 10, not '{raw}'."
                ))
            });
    }
    Ok(match trust {
        Some(raw) if parse_bool("FLEET_TRUST_PROXY", &raw)? => TrustedProxies::Hops(1),
        _ => TrustedProxies::None,
    })
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

fn decode_key(raw: &str) -> Option<[u8; 32]> {
    let raw = raw.trim();
    let bytes = if raw.len() == 64 && raw.chars().all(|c| c.is_ascii_hexdigit()) {
        (0..32)
            .map(|i| u8::from_str_radix(&raw[i * 2..i * 2 + 2], 16).ok())
            .collect::<Option<Vec<u8>>>()?
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(raw)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw))
            .ok()?
    };
    bytes.try_into().ok()
}

/// `FLEET_MASTER_KEY` (32 bytes, base64 or hex). In development a missing key is generated once
/// into the data directory; in production it must be given, since losing it loses every secret.
fn master_key(env: Environment, data_dir: &Path) -> Result<MasterKey, ConfigError> {
    const HOW: &str = "32 random bytes in base64, e.g. from `openssl rand -base64 32`";
    if let Some(raw) = var("FLEET_MASTER_KEY") {
        return decode_key(&raw)
            .map(MasterKey)
            .ok_or_else(|| invalid(format!("FLEET_MASTER_KEY must be {HOW}.")));
    }
    if env == Environment::Production {
        return Err(invalid(format!(
            "FLEET_MASTER_KEY is required when FLEET_ENV=production: set it to {HOW}."
        )));
    }
    let path = data_dir.join("master.key");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        return decode_key(&existing).map(MasterKey).ok_or_else(|| {
            invalid(format!(
                "{} is not a valid master key ({HOW}); restore it or remove it to start afresh.",
                path.display()
            ))
        });
    }
    create_dir(data_dir)?;
    let mut key = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
    let encoded = base64::engine::general_purpose::STANDARD.encode(key);
    write_private(&path, &encoded)?;
    tracing::warn!(
        path = %path.display(),
        "FLEET_MASTER_KEY is not set: generated a development key. Set FLEET_MASTER_KEY in production."
    );
    Ok(MasterKey(key))
}

fn write_private(path: &Path, contents: &str) -> Result<(), ConfigError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let io = |source| ConfigError::Io {
        action: "write the master key to",
        path: path.display().to_string(),
        source,
    };
    let mut file = options.open(path).map_err(io)?;
    file.write_all(contents.as_bytes()).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_decode_from_hex_and_base64() {
        let hex = "00".repeat(31) + "ff";
        assert_eq!(decode_key(&hex).map(|k| k[31]), Some(0xff));
        let b64 = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        assert_eq!(decode_key(&b64), Some([7u8; 32]));
        assert_eq!(decode_key("short"), None);
    }

    #[test]
    fn proxies_are_trusted_by_networks_hops_or_the_old_switch() {
        let parse = |n: Option<&str>, h: Option<&str>, t: Option<&str>| {
            trusted_proxies(n.map(Into::into), h.map(Into::into), t.map(Into::into))
        };
        assert_eq!(parse(None, None, None).ok(), Some(TrustedProxies::None));
        assert_eq!(
            parse(None, None, Some("false")).ok(),
            Some(TrustedProxies::None)
        );
        assert_eq!(
            parse(None, None, Some("true")).ok(),
            Some(TrustedProxies::Hops(1))
        );
        assert_eq!(
            parse(None, Some("2"), Some("true")).ok(),
            Some(TrustedProxies::Hops(2))
        );
        assert!(parse(None, Some("many"), None).is_err());
        assert!(parse(None, Some("11"), None).is_err());
        assert_eq!(
            parse(Some("10.0.0.0/8, 192.0.2.10"), Some("1"), None).ok(),
            Some(TrustedProxies::Networks(vec![
                "10.0.0.0/8".parse().expect("net"),
                "192.0.2.10/32".parse().expect("net"),
            ]))
        );
        assert!(parse(Some("10.0.0.0/33"), None, None).is_err());
        assert!(parse(None, None, Some("maybe")).is_err());
    }

    #[test]
    fn sqlite_parent_dirs() {
        assert_eq!(
            sqlite_parent("sqlite://data/x.db?mode=rwc"),
            Some(PathBuf::from("data"))
        );
        assert_eq!(sqlite_parent("sqlite://x.db"), None);
        assert_eq!(sqlite_parent("sqlite::memory:"), None);
    }
}

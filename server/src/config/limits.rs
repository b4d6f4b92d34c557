//! The settings for the reader sync and for what one principal may cost: rates, counts held
//! open and counts owned. Defaults come from the structs they fill, so they cannot drift.

use super::{AccountLimits, DEFAULT_MAX_STREAMS_PER_USER};
use crate::api::RateLimit;
use crate::tasks::notifications::NotifyConfig;
use crate::tasks::reader_sync::SyncConfig;
use app::ssr::limits::Limits;
use clap::builder::{BoolishValueParser, RangedI64ValueParser, RangedU64ValueParser};
use clap::ArgAction;
use std::num::NonZeroU32;
use std::time::Duration;

#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Sync and limits")]
pub struct LimitArgs {
    /// Run the reader status sync in this instance.
    #[arg(
        long,
        env = "FLEET_SYNC",
        value_name = "FLEET_SYNC",
        action = ArgAction::Set,
        value_parser = BoolishValueParser::new(),
        default_value_t = SyncConfig::default().enabled
    )]
    pub sync: bool,

    /// How often, in milliseconds, each connection's readers are listed at most (longer for
    /// fleets whose pages would exceed the account's read budget).
    #[arg(
        long,
        env = "FLEET_SYNC_INTERVAL_MS",
        value_name = "FLEET_SYNC_INTERVAL_MS",
        value_parser = clap::value_parser!(u64).range(100..=600_000),
        default_value_t = millis(SyncConfig::default().interval)
    )]
    pub sync_interval_ms: u64,

    /// The first wait, in milliseconds, before a failed notification is sent again; each
    /// later wait doubles, up to an hour, for a day.
    #[arg(
        long,
        env = "FLEET_NOTIFY_BACKOFF_MS",
        value_name = "FLEET_NOTIFY_BACKOFF_MS",
        value_parser = clap::value_parser!(u64).range(10..=3_600_000),
        default_value_t = millis(NotifyConfig::default().backoff)
    )]
    pub notify_backoff_ms: u64,

    /// How long, in milliseconds, one notification attempt may take before it counts as failed.
    #[arg(
        long,
        env = "FLEET_NOTIFY_TIMEOUT_MS",
        value_name = "FLEET_NOTIFY_TIMEOUT_MS",
        value_parser = clap::value_parser!(u64).range(100..=60_000),
        default_value_t = millis(NotifyConfig::default().timeout)
    )]
    pub notify_timeout_ms: u64,

    /// Requests per second each API key may make on /api/v1 (bursts of twice that).
    #[arg(
        long,
        env = "FLEET_API_RATE_PER_SECOND",
        value_name = "FLEET_API_RATE_PER_SECOND",
        value_parser = clap::value_parser!(u32).range(1..=10_000),
        default_value_t = RateLimit::default().per_second.get()
    )]
    pub api_rate_per_second: u32,

    /// ?wait= requests one API key may hold open at once (per instance); more get
    /// 429 too_many_waits.
    #[arg(
        long,
        env = "FLEET_MAX_LONG_POLLS_PER_KEY",
        value_name = "FLEET_MAX_LONG_POLLS_PER_KEY",
        value_parser = RangedU64ValueParser::<usize>::new().range(1..=100_000),
        default_value_t = Limits::default().long_polls_per_key
    )]
    pub max_long_polls_per_key: usize,

    /// CSV exports one user may stream at once (per instance); more get 429.
    #[arg(
        long,
        env = "FLEET_MAX_EXPORTS_PER_USER",
        value_name = "FLEET_MAX_EXPORTS_PER_USER",
        value_parser = RangedU64ValueParser::<usize>::new().range(1..=100_000),
        default_value_t = Limits::default().exports_per_user
    )]
    pub max_exports_per_user: usize,

    /// Active API keys per organisation.
    #[arg(
        long,
        env = "FLEET_MAX_API_KEYS",
        value_name = "FLEET_MAX_API_KEYS",
        value_parser = clap::value_parser!(i64).range(1..=100_000),
        default_value_t = Limits::default().api_keys_per_tenant
    )]
    pub max_api_keys: i64,

    /// Invites not yet accepted per organisation.
    #[arg(
        long,
        env = "FLEET_MAX_PENDING_INVITES",
        value_name = "FLEET_MAX_PENDING_INVITES",
        value_parser = clap::value_parser!(i64).range(1..=100_000),
        default_value_t = Limits::default().pending_invites_per_tenant
    )]
    pub max_pending_invites: i64,

    /// Store groups per organisation.
    #[arg(
        long,
        env = "FLEET_MAX_STORE_GROUPS",
        value_name = "FLEET_MAX_STORE_GROUPS",
        value_parser = clap::value_parser!(i64).range(1..=100_000),
        default_value_t = Limits::default().groups_per_tenant
    )]
    pub max_store_groups: i64,

    /// Verified webhook events waiting to be stored by this instance's writer; beyond it
    /// 503 with Retry-After (Stripe retries).
    #[arg(
        long,
        env = "FLEET_WEBHOOK_QUEUE",
        value_name = "FLEET_WEBHOOK_QUEUE",
        value_parser = RangedU64ValueParser::<usize>::new().range(1..=1_000_000),
        default_value_t = Limits::default().webhook_queue
    )]
    pub webhook_queue: usize,

    /// Live streams (/events) one user may hold open on each instance (a tab holds one, two
    /// on All stores); beyond it 429 with Retry-After.
    #[arg(
        long,
        env = "FLEET_MAX_STREAMS_PER_USER",
        value_name = "FLEET_MAX_STREAMS_PER_USER",
        value_parser = RangedU64ValueParser::<usize>::new().range(1..=1000),
        default_value_t = DEFAULT_MAX_STREAMS_PER_USER
    )]
    pub max_streams_per_user: usize,

    /// Password hashes (19 MiB each) computed at once; the memory they take is this times
    /// 19 MiB. Default: the number of cores.
    // Not a clap default: the help would show the cores of the machine that printed it.
    #[arg(
        long,
        env = "FLEET_HASH_CONCURRENCY",
        value_name = "FLEET_HASH_CONCURRENCY",
        value_parser = RangedU64ValueParser::<usize>::new().range(1..=1024)
    )]
    pub hash_concurrency: Option<usize>,

    /// How long, in milliseconds, a sign-in, sign-up or password change waits for a hashing
    /// turn before 503 with Retry-After.
    #[arg(
        long,
        env = "FLEET_HASH_WAIT_MS",
        value_name = "FLEET_HASH_WAIT_MS",
        value_parser = clap::value_parser!(u64).range(0..=60_000),
        default_value_t = millis(AccountLimits::default().hash_wait)
    )]
    pub hash_wait_ms: u64,

    /// Sign-ups allowed from one client address per hour (429 with Retry-After beyond).
    #[arg(
        long,
        env = "FLEET_SIGN_UPS_PER_HOUR",
        value_name = "FLEET_SIGN_UPS_PER_HOUR",
        value_parser = RangedI64ValueParser::<i64>::new().range(1..=1_000_000),
        default_value_t = AccountLimits::default().sign_ups_per_hour
    )]
    pub sign_ups_per_hour: i64,

    /// Organisations one user may own (sign-up and Settings → Create organisation).
    #[arg(
        long,
        env = "FLEET_ORGANISATIONS_PER_USER",
        value_name = "FLEET_ORGANISATIONS_PER_USER",
        value_parser = RangedI64ValueParser::<i64>::new().range(1..=100_000),
        default_value_t = AccountLimits::default().organisations_per_user
    )]
    pub organisations_per_user: i64,
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl LimitArgs {
    pub fn sync(&self) -> SyncConfig {
        SyncConfig {
            enabled: self.sync,
            interval: Duration::from_millis(self.sync_interval_ms),
            ..SyncConfig::default()
        }
    }

    pub fn notifications(&self) -> NotifyConfig {
        NotifyConfig {
            backoff: Duration::from_millis(self.notify_backoff_ms),
            timeout: Duration::from_millis(self.notify_timeout_ms),
            ..NotifyConfig::default()
        }
    }

    pub fn api_rate(&self) -> RateLimit {
        // The parser's range starts at 1; the default stands in should that ever change.
        NonZeroU32::new(self.api_rate_per_second)
            .map(|per_second| RateLimit { per_second })
            .unwrap_or_default()
    }

    pub fn limits(&self) -> Limits {
        Limits {
            long_polls_per_key: self.max_long_polls_per_key,
            exports_per_user: self.max_exports_per_user,
            api_keys_per_tenant: self.max_api_keys,
            pending_invites_per_tenant: self.max_pending_invites,
            groups_per_tenant: self.max_store_groups,
            webhook_queue: self.webhook_queue,
        }
    }

    pub fn accounts(&self) -> AccountLimits {
        let defaults = AccountLimits::default();
        AccountLimits {
            hash_concurrency: self.hash_concurrency.unwrap_or(defaults.hash_concurrency),
            hash_wait: Duration::from_millis(self.hash_wait_ms),
            sign_ups_per_hour: self.sign_ups_per_hour,
            organisations_per_user: self.organisations_per_user,
            ..defaults
        }
    }
}

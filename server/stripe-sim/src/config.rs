//! What a simulator instance is told at start: limits, timings and the id seed.

use std::time::Duration;

/// The API version events are rendered with and responses report (the simulator answers in
/// one version whatever `Stripe-Version` asks for).
pub const API_VERSION: &str = "2026-10-28.endive";

#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Per-account request limits; `None` turns rate limiting off.
    pub rate_limit: Option<RateLimit>,
    pub webhook_retry: WebhookRetry,
    /// How long (simulated clock) a reader waits for a card before its action fails with
    /// `terminal_reader_timeout`.
    pub action_timeout: Duration,
    /// How long (simulated clock) a refund of the "pending" test card stays pending, and a
    /// refund of the "refund fails" test card looks succeeded before it fails.
    pub refund_settle: Duration,
    /// Seeds the id generator for reproducible runs; `None` draws from the OS.
    pub seed: Option<u64>,
    /// Serve on a non-loopback address too. The `/_sim` control API has no credentials (it
    /// resets every account, takes readers offline, injects faults), so by default only this
    /// machine may reach it.
    pub allow_remote_control: bool,
    /// The bytes of uploaded files one account may keep (the simulator runs inside the app,
    /// in memory): an upload past it is refused.
    pub file_bytes_per_account: usize,
}

/// Stripe's test-mode limits: 25 reads and 25 writes per second per account.
#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    pub reads_per_second: u32,
    pub writes_per_second: u32,
}

/// Webhook retry schedule: `first_delay`, doubling up to `max_delay`, `attempts` tries in all.
/// Stripe retries for days; tests want seconds.
#[derive(Debug, Clone)]
pub struct WebhookRetry {
    pub attempts: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
    /// How long a receiver may take to answer one delivery.
    pub timeout: Duration,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            reads_per_second: 25,
            writes_per_second: 25,
        }
    }
}

impl Default for WebhookRetry {
    fn default() -> Self {
        WebhookRetry {
            attempts: 8,
            first_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
            timeout: Duration::from_secs(10),
        }
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            rate_limit: Some(RateLimit::default()),
            webhook_retry: WebhookRetry::default(),
            action_timeout: Duration::from_secs(300),
            refund_settle: Duration::from_secs(5),
            seed: None,
            allow_remote_control: false,
            file_bytes_per_account: 32 * 1024 * 1024,
        }
    }
}

//! The reader status sync: lists each connection's readers on a schedule that respects Stripe's
//! rate limits, spreads connections over the interval, backs off on 429, and — through a lease
//! row — lets one instance sync a given connection at a time (another takes over when the lease
//! of a dead instance expires).

use app::fleet::ssr::sync::{self, SyncError, SyncReport};
use app::model::ConnectionKind;
use app::payments::ssr::reconcile::ReconcilePayments;
use app::ssr::ids::new_id;
use app::ssr::stripe_access::{self, SealedConnection, SEALED_COLUMNS};
use app::ssr::AppState;
use fleet_stripe::retry::RetryPolicy;
use fleet_stripe::{ClientConfig, StripeClient};
use rand::Rng;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, Semaphore};
use tokio::time::Instant;

#[derive(Debug, Clone)]
pub struct SyncConfig {
    pub enabled: bool,
    /// How often each connection's readers are listed (when its fleet fits the read budget).
    pub interval: Duration,
    /// Reads per second the sync may spend on one account. Stripe allows about 25 in test mode
    /// and 100 in live mode; a fifth of test mode leaves the rest for payments and the dashboard.
    pub read_budget_per_second: f64,
    /// The longest wait after repeated 429s or failures.
    pub max_backoff: Duration,
    /// Connections synced at the same time by one instance.
    pub concurrency: usize,
    /// Locations change rarely: they are listed on every n-th sync.
    pub locations_every: u32,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            enabled: true,
            interval: Duration::from_secs(5),
            read_budget_per_second: 5.0,
            max_backoff: Duration::from_secs(300),
            concurrency: 8,
            locations_every: 12,
        }
    }
}

impl SyncConfig {
    /// The interval for a connection with `readers` readers: longer when listing them all at
    /// the base interval would spend more than the read budget.
    pub fn interval_for(&self, readers: usize) -> Duration {
        let calls = (readers / 100 + 1) as f64;
        let budget = Duration::from_secs_f64(calls / self.read_budget_per_second.max(0.1));
        self.interval.max(budget)
    }

    /// How long a lease lasts without renewal: a few intervals, so a dead instance's
    /// connections are taken over soon, while a live one renews well before.
    pub fn lease_ttl(&self) -> Duration {
        (self.interval * 3).max(Duration::from_secs(1))
    }
}

/// Counters for health pages, tests and benchmarks.
#[derive(Debug, Default)]
pub struct SyncStats {
    pub syncs: AtomicU64,
    pub calls: AtomicU64,
    pub rate_limited: AtomicU64,
    pub failures: AtomicU64,
    pub not_leased: AtomicU64,
    pub transitions: AtomicU64,
    /// Time spent in syncs, summed (µs).
    pub busy_micros: AtomicU64,
}

impl SyncStats {
    pub fn get(&self, counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

pub struct SyncHandle {
    pub holder: String,
    pub stats: Arc<SyncStats>,
    pub task: tokio::task::JoinHandle<()>,
}

enum Outcome {
    Synced(SyncReport, Duration),
    Failed(SyncError),
    NotLeased,
}

struct Slot {
    due: Instant,
    interval: Duration,
    backoff: Option<Duration>,
    runs: u32,
    running: bool,
}

struct Clients {
    simulator: Option<StripeClient>,
    api: StripeClient,
}

impl Clients {
    /// Clients that do not retry: a 429 must reach the scheduler, which backs off for the whole
    /// connection instead of hammering the account again within the same sync.
    fn new(state: &AppState) -> Result<Clients, fleet_stripe::StripeError> {
        let build = |base_url: &str| {
            StripeClient::new(ClientConfig {
                base_url: base_url.to_string(),
                timeout: Duration::from_secs(20),
                retry: RetryPolicy {
                    max_retries: 0,
                    ..RetryPolicy::default()
                },
            })
            .map(|client| {
                app::ssr::stripe_clients::observed(client, state.stripe.observer.as_ref())
            })
        };
        Ok(Clients {
            simulator: state
                .settings
                .stripe_simulator_url
                .as_deref()
                .map(build)
                .transpose()?,
            api: build(&state.settings.stripe_api_base)?,
        })
    }

    fn for_kind(&self, kind: ConnectionKind) -> Option<StripeClient> {
        match kind {
            ConnectionKind::Simulator => self.simulator.clone(),
            _ => Some(self.api.clone()),
        }
    }
}

/// Where in the interval a connection's syncs fall, so accounts are spread over time rather
/// than all listed at once.
fn phase(id: &str, interval: Duration) -> Duration {
    let mut hasher = DefaultHasher::new();
    id.hash(&mut hasher);
    let millis = u64::try_from(interval.as_millis())
        .unwrap_or(u64::MAX)
        .max(1);
    Duration::from_millis(hasher.finish() % millis)
}

fn jitter(d: Duration) -> Duration {
    d.mul_f64(rand::thread_rng().gen_range(0.5..=1.0))
}

pub fn spawn(state: AppState, config: SyncConfig) -> SyncHandle {
    let holder = new_id("sync");
    let stats = Arc::new(SyncStats::default());
    let task = tokio::spawn(run(state, config, holder.clone(), stats.clone()));
    SyncHandle {
        holder,
        stats,
        task,
    }
}

async fn run(state: AppState, config: SyncConfig, holder: String, stats: Arc<SyncStats>) {
    let clients = match Clients::new(&state) {
        Ok(c) => Arc::new(c),
        Err(err) => {
            tracing::error!(error = %err, "the reader sync could not start");
            return;
        }
    };
    let tick = (config.interval / 4).clamp(Duration::from_millis(20), Duration::from_millis(500));
    let permits = Arc::new(Semaphore::new(config.concurrency.max(1)));
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<(String, Outcome)>();
    let mut slots: HashMap<String, Slot> = HashMap::new();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            Some((id, outcome)) = done_rx.recv() => {
                finish(&config, &stats, &mut slots, &id, outcome);
                continue;
            }
        }
        let rows: Vec<SealedConnection> = match sqlx::query_as(&format!(
            // An unverified connected account is not used (stripe_access::UNVERIFIED): no
            // sync, rather than a failure recorded every few seconds.
            "SELECT {SEALED_COLUMNS} FROM stripe_connections
             WHERE kind <> 'connect' OR proof IS NOT NULL ORDER BY id"
        ))
        .fetch_all(&state.db.pool)
        .await
        {
            Ok(rows) => rows,
            Err(err) => {
                tracing::warn!(error = %err, "reader sync could not list connections");
                continue;
            }
        };
        let now = Instant::now();
        slots.retain(|id, _| rows.iter().any(|r| &r.id == id));
        for row in rows {
            let slot = slots.entry(row.id.clone()).or_insert_with(|| Slot {
                due: now + phase(&row.id, config.interval),
                interval: config.interval,
                backoff: None,
                runs: 0,
                running: false,
            });
            if slot.running || now < slot.due {
                continue;
            }
            slot.running = true;
            let with_locations = slot.runs.is_multiple_of(config.locations_every.max(1));
            let job = Job {
                state: state.clone(),
                clients: clients.clone(),
                holder: holder.clone(),
                ttl: config.lease_ttl(),
                with_locations,
            };
            let permits = permits.clone();
            let done = done_tx.clone();
            tokio::spawn(async move {
                let Ok(_permit) = permits.acquire_owned().await else {
                    return;
                };
                let id = row.id.clone();
                let outcome = job.run(row).await;
                let _ = done.send((id, outcome));
            });
        }
    }
}

struct Job {
    state: AppState,
    clients: Arc<Clients>,
    holder: String,
    ttl: Duration,
    with_locations: bool,
}

impl Job {
    async fn run(self, row: SealedConnection) -> Outcome {
        let ttl_ms = i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX);
        match sync::take_lease(&self.state, &row.id, &self.holder, ttl_ms).await {
            Ok(true) => {}
            Ok(false) => return Outcome::NotLeased,
            Err(err) => return Outcome::Failed(SyncError::Db(err)),
        }
        let access = match stripe_access::open(&self.state, &row) {
            Ok(a) => a,
            Err(err) => return Outcome::Failed(SyncError::App(err)),
        };
        let Some(client) = self.clients.for_kind(access.kind) else {
            return Outcome::Failed(SyncError::App(app::error::AppError::Conflict(
                "The built-in simulator is turned off on this server.".into(),
            )));
        };
        let started = std::time::Instant::now();
        match sync::sync_connection(
            &self.state,
            &access,
            &client,
            self.with_locations,
            &ReconcilePayments,
        )
        .await
        {
            Ok(report) => Outcome::Synced(report, started.elapsed()),
            Err(err) => {
                sync::record_failure(&self.state, &row.id, &err).await;
                Outcome::Failed(err)
            }
        }
    }
}

fn finish(
    config: &SyncConfig,
    stats: &SyncStats,
    slots: &mut HashMap<String, Slot>,
    id: &str,
    outcome: Outcome,
) {
    let Some(slot) = slots.get_mut(id) else {
        return;
    };
    let now = Instant::now();
    slot.running = false;
    match outcome {
        Outcome::Synced(report, took) => {
            stats.syncs.fetch_add(1, Ordering::Relaxed);
            stats.busy_micros.fetch_add(
                u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
                Ordering::Relaxed,
            );
            stats
                .calls
                .fetch_add(u64::from(report.calls), Ordering::Relaxed);
            stats
                .transitions
                .fetch_add(report.transitions as u64, Ordering::Relaxed);
            slot.runs = slot.runs.wrapping_add(1);
            slot.backoff = None;
            slot.interval = config.interval_for(report.readers);
            // Keep to the connection's own beat (its phase) unless a sync overran it.
            slot.due = (slot.due + slot.interval).max(now);
        }
        Outcome::NotLeased => {
            stats.not_leased.fetch_add(1, Ordering::Relaxed);
            slot.due = now + slot.interval;
        }
        Outcome::Failed(err) => {
            stats.calls.fetch_add(1, Ordering::Relaxed);
            if err.is_rate_limited() {
                stats.rate_limited.fetch_add(1, Ordering::Relaxed);
            } else {
                stats.failures.fetch_add(1, Ordering::Relaxed);
            }
            let next = slot
                .backoff
                .map(|b| b * 2)
                .unwrap_or(slot.interval * 2)
                .min(config.max_backoff);
            slot.backoff = Some(next);
            slot.due = now + jitter(next);
            tracing::info!(connection = id, error = %err, wait_ms = next.as_millis() as u64, "reader sync failed; backing off");
        }
    }
}

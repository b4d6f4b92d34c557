//! The reader status sync: lists each connection's readers on a schedule that respects Stripe's
//! rate limits, spreads connections over the interval, stretches every interval when syncs cannot
//! keep up ([`schedule`]), backs off on 429, and — through a lease row — lets one instance sync a
//! given connection at a time (another takes over when the lease of a dead instance expires).

mod bookkeeping;
mod schedule;

use app::fleet::ssr::sync::{self, PagePace, SyncError, SyncReport};
use app::model::ConnectionKind;
use app::payments::ssr::reconcile::ReconcilePayments;
use app::ssr::ids::new_id;
use app::ssr::stripe_access::{self, SealedConnection, SEALED_COLUMNS};
use app::ssr::AppState;
use bookkeeping::{Bookkeeping, Flush};
use fleet_stripe::retry::RetryPolicy;
use fleet_stripe::{ClientConfig, StripeClient};
use schedule::{Ended, Schedule};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

#[derive(Debug, Clone)]
pub struct SyncConfig {
    pub enabled: bool,
    /// The shortest wait between a connection's syncs: how often a fleet whose listing fits the
    /// read budget is listed, so its status is at most this old (plus the sync's own time).
    pub interval: Duration,
    /// Reads per second the sync may spend on one account.
    pub read_budget: ReadBudget,
    /// The longest wait after repeated 429s or failures.
    pub max_backoff: Duration,
    /// Connections synced at the same time by one instance.
    pub concurrency: usize,
    /// Locations change rarely: they are listed on every n-th sync.
    pub locations_every: u32,
}

/// A fifth of Stripe's read limit per account (25 reads/s in test mode, 100 in live mode): the
/// rest is left for payments, the dashboard and the account's other integrations.
#[derive(Debug, Clone, Copy)]
pub struct ReadBudget {
    pub test_mode: f64,
    pub live_mode: f64,
}

impl Default for ReadBudget {
    fn default() -> Self {
        ReadBudget {
            test_mode: 5.0,
            live_mode: 20.0,
        }
    }
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            enabled: true,
            interval: Duration::from_secs(1),
            read_budget: ReadBudget::default(),
            max_backoff: Duration::from_secs(300),
            concurrency: 8,
            locations_every: 12,
        }
    }
}

impl SyncConfig {
    fn reads_per_second(&self, live: bool) -> f64 {
        let budget = if live {
            self.read_budget.live_mode
        } else {
            self.read_budget.test_mode
        };
        budget.max(0.1)
    }

    /// The wait from the start of a sync that made `calls` Stripe calls to the start of the
    /// connection's next: the base interval, or the time those calls are worth at the read
    /// budget when that is longer. Each sync pays for its own calls, so an account's reads stay
    /// within its budget whatever the size of its fleet: a 50-reader fleet (one page) is listed
    /// every interval, a 10,000-reader one (101 pages) about every 20 s in test mode.
    pub fn interval_after(&self, calls: u32, live: bool) -> Duration {
        self.interval.max(self.paid(calls, live))
    }

    /// What `calls` Stripe calls are worth in time at the read budget.
    pub fn paid(&self, calls: u32, live: bool) -> Duration {
        Duration::from_secs_f64(f64::from(calls) / self.reads_per_second(live))
    }

    /// The wait between two pages of one listing, so a fleet of many pages is listed at the
    /// budget instead of in a burst that Stripe would answer with 429s.
    pub fn page_gap(&self, live: bool) -> Duration {
        Duration::from_secs_f64(1.0 / self.reads_per_second(live))
    }

    /// How long a lease lasts without renewal: a few intervals, so a dead instance's connections
    /// are taken over soon, while a live one renews well before (see [`bookkeeping`]).
    pub fn lease_ttl(&self) -> Duration {
        (self.interval * 3).max(Duration::from_secs(1))
    }

    /// How often the list of connections is read again, for new and removed connections.
    fn refresh_every(&self) -> Duration {
        self.interval
            .clamp(Duration::from_millis(100), Duration::from_secs(5))
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
    /// Time syncs held a sync slot, summed (µs): their waits between pages are not counted.
    pub busy_micros: AtomicU64,
    /// The least wait between one connection's syncs that the slots can serve now (ms): above
    /// the interval, every interval is stretched to it.
    pub fair_wait_millis: AtomicU64,
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
    /// Synced: what it did, when it started, how long it held a slot, whether the account is in
    /// live mode, and whether the pass took the lease itself.
    Synced {
        report: SyncReport,
        started: Instant,
        held: Duration,
        live: bool,
        took_lease: bool,
    },
    Failed(SyncError),
    NotLeased,
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
    let permits = Arc::new(Semaphore::new(config.concurrency.max(1)));
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<(String, Outcome)>();
    let mut schedule = Schedule::new(config.clone());
    let mut book = Bookkeeping::new(holder.clone(), config.lease_ttl());
    let mut rows: HashMap<String, SealedConnection> = HashMap::new();
    let mut next_refresh = Instant::now();
    let mut next_flush = Instant::now() + book.every();
    let mut flushing: Option<tokio::task::JoinHandle<FlushDone>> = None;
    loop {
        let now = Instant::now();
        if now >= next_refresh {
            next_refresh = now + config.refresh_every();
            refresh(&state, &mut schedule, &mut book, &mut rows, now).await;
        }
        if now >= next_flush && flushing.is_none() {
            next_flush = now + book.every();
            let (flush, state) = (book.flush(now), state.clone());
            flushing = Some(tokio::spawn(async move {
                let written = flush.write(&state).await;
                (flush, written)
            }));
        }
        let now = Instant::now();
        let due = schedule.most_overdue(now).map(str::to_string);
        // With a connection due, wait for a free slot; otherwise until one falls due. Either
        // way the list is read again and the bookkeeping written on time, and finished syncs
        // are scheduled as they end.
        let mut wake = match (&due, schedule.next_due()) {
            (None, Some(next)) => next.min(next_refresh),
            _ => next_refresh,
        };
        if flushing.is_none() {
            wake = wake.min(next_flush);
        }
        tokio::select! {
            done = async {
                match flushing.as_mut() {
                    Some(task) => task.await,
                    None => std::future::pending().await,
                }
            }, if flushing.is_some() => {
                flushing = None;
                match done {
                    Ok((flush, written)) => book.flushed(flush, written),
                    Err(err) => tracing::warn!(error = %err, "reader sync bookkeeping stopped"),
                }
            }
            permit = permits.clone().acquire_owned(), if due.is_some() => {
                let (Ok(permit), Some(id)) = (permit, due) else { continue };
                let (Some(row), Some(runs)) = (rows.get(&id), schedule.start(&id)) else {
                    continue;
                };
                let job = Job {
                    state: state.clone(),
                    clients: clients.clone(),
                    config: config.clone(),
                    holder: holder.clone(),
                    lease_ttl: (!book.holds(&id, now)).then(|| book.ttl()),
                    with_locations: runs.is_multiple_of(config.locations_every.max(1)),
                };
                let (row, permits, done) = (row.clone(), permits.clone(), done_tx.clone());
                // Its own task: a slow account (a long paced listing, a Stripe call that hangs
                // until its timeout) holds up no other account's sync nor this loop.
                tokio::spawn(async move {
                    let outcome = job.run(row, permit, permits).await;
                    let _ = done.send((id, outcome));
                });
            }
            _ = tokio::time::sleep_until(wake) => {}
            Some((id, outcome)) = done_rx.recv() => {
                finish(&stats, &mut schedule, &mut book, &id, outcome);
            }
        }
    }
}

/// A flush and what writing it found.
type FlushDone = (Flush, Result<Vec<String>, sqlx::Error>);

/// Reads the connections again: a new one is scheduled at its phase of the interval, a removed
/// one is forgotten. A failed read keeps the schedule as it was.
async fn refresh(
    state: &AppState,
    schedule: &mut Schedule,
    book: &mut Bookkeeping,
    rows: &mut HashMap<String, SealedConnection>,
    now: Instant,
) {
    let listed: Vec<SealedConnection> = match sqlx::query_as(&format!(
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
            return;
        }
    };
    *rows = listed
        .into_iter()
        .map(|row| (row.id.clone(), row))
        .collect();
    schedule.keep(rows.keys().map(String::as_str), now);
    book.keep(&rows.keys().map(String::as_str).collect::<HashSet<&str>>());
}

struct Job {
    state: AppState,
    clients: Arc<Clients>,
    config: SyncConfig,
    holder: String,
    /// Set when the pass must take the lease itself, for this long.
    lease_ttl: Option<Duration>,
    with_locations: bool,
}

/// Pages at the read budget. The sync slot is given back for each wait, so a fleet listed over
/// many seconds does not keep other accounts waiting for a slot, and the wait is not counted as
/// the sync's cost.
struct Paced {
    permits: Arc<Semaphore>,
    held: tokio::sync::Mutex<Option<OwnedSemaphorePermit>>,
    gap: Duration,
    /// Time spent without a slot: the waits, and taking a slot again after each.
    away: std::sync::Mutex<Duration>,
}

#[async_trait::async_trait]
impl PagePace for Paced {
    async fn between_pages(&self) {
        let left = std::time::Instant::now();
        let mut held = self.held.lock().await;
        held.take();
        tokio::time::sleep(self.gap).await;
        *held = self.permits.clone().acquire_owned().await.ok();
        *self
            .away
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) += left.elapsed();
    }
}

impl Paced {
    fn away(&self) -> Duration {
        *self
            .away
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Job {
    async fn run(
        self,
        row: SealedConnection,
        permit: OwnedSemaphorePermit,
        permits: Arc<Semaphore>,
    ) -> Outcome {
        let started = Instant::now();
        if let Some(ttl) = self.lease_ttl {
            let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
            match sync::take_lease(&self.state, &row.id, &self.holder, ttl_ms).await {
                Ok(true) => {}
                Ok(false) => return Outcome::NotLeased,
                Err(err) => return Outcome::Failed(SyncError::Db(err)),
            }
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
        let live = access.creds.key.is_live();
        let pace = Paced {
            permits,
            held: tokio::sync::Mutex::new(Some(permit)),
            gap: self.config.page_gap(live),
            away: std::sync::Mutex::default(),
        };
        match sync::sync_connection(
            &self.state,
            &access,
            &client,
            self.with_locations,
            &ReconcilePayments,
            &pace,
        )
        .await
        {
            Ok(report) => Outcome::Synced {
                report,
                started,
                held: started.elapsed().saturating_sub(pace.away()),
                live,
                took_lease: self.lease_ttl.is_some(),
            },
            Err(err) => {
                sync::record_failure(&self.state, &row.id, &err).await;
                Outcome::Failed(err)
            }
        }
    }
}

fn finish(
    stats: &SyncStats,
    schedule: &mut Schedule,
    book: &mut Bookkeeping,
    id: &str,
    outcome: Outcome,
) {
    let now = Instant::now();
    let ended = match outcome {
        Outcome::Synced {
            report,
            started,
            held,
            live,
            took_lease,
        } => {
            if took_lease {
                book.taken(id, started);
            }
            if !report.marked {
                book.synced(id, app::ssr::ids::now_ms());
            }
            stats.syncs.fetch_add(1, Ordering::Relaxed);
            stats.busy_micros.fetch_add(
                u64::try_from(held.as_micros()).unwrap_or(u64::MAX),
                Ordering::Relaxed,
            );
            stats
                .calls
                .fetch_add(u64::from(report.calls), Ordering::Relaxed);
            stats
                .transitions
                .fetch_add(report.transitions as u64, Ordering::Relaxed);
            Ended::Synced {
                calls: report.calls,
                live,
                started,
                held,
            }
        }
        Outcome::NotLeased => {
            stats.not_leased.fetch_add(1, Ordering::Relaxed);
            book.lost(id);
            Ended::NotLeased
        }
        Outcome::Failed(err) => {
            stats.calls.fetch_add(1, Ordering::Relaxed);
            if err.is_rate_limited() {
                stats.rate_limited.fetch_add(1, Ordering::Relaxed);
            } else {
                stats.failures.fetch_add(1, Ordering::Relaxed);
            }
            schedule.finish(id, Ended::Failed, now);
            let wait = schedule.backoff_of(id).unwrap_or_default();
            tracing::info!(connection = id, error = %err, wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX), "reader sync failed; backing off");
            return;
        }
    };
    schedule.finish(id, ended, now);
    stats.fair_wait_millis.store(
        u64::try_from(schedule.fair_wait().as_millis()).unwrap_or(u64::MAX),
        Ordering::Relaxed,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn a_small_fleet_is_listed_every_interval_and_a_large_one_at_its_read_budget() {
        let config = SyncConfig::default();
        // 50 readers: one page.
        assert_eq!(config.interval_after(1, false), secs(1.0));
        // One page plus locations and recent payments: still within a second's budget.
        assert_eq!(config.interval_after(4, false), secs(1.0));
        // 10,000 readers: 101 pages at 5 reads/s in test mode, 20 in live mode.
        assert_eq!(config.interval_after(101, false), secs(20.2));
        assert_eq!(config.interval_after(101, true), secs(5.05));
        assert_eq!(config.page_gap(false), secs(0.2));
        assert_eq!(config.page_gap(true), secs(0.05));
    }

    #[test]
    fn no_account_is_read_faster_than_its_budget() {
        let config = SyncConfig::default();
        for live in [false, true] {
            let budget = config.reads_per_second(live);
            for calls in [0, 1, 3, 5, 6, 20, 101, 1000] {
                let wait = config.interval_after(calls, live).as_secs_f64();
                assert!(
                    f64::from(calls) / wait <= budget + 1e-9,
                    "{calls} calls every {wait} s, live: {live}"
                );
                assert!(wait >= config.interval.as_secs_f64());
            }
        }
    }

    #[test]
    fn a_zero_budget_still_gives_a_finite_schedule() {
        let config = SyncConfig {
            read_budget: ReadBudget {
                test_mode: 0.0,
                live_mode: -1.0,
            },
            ..SyncConfig::default()
        };
        assert_eq!(config.interval_after(1, false), secs(10.0));
        assert_eq!(config.page_gap(true), secs(10.0));
    }

    #[test]
    fn a_lease_outlasts_a_few_intervals() {
        assert_eq!(SyncConfig::default().lease_ttl(), secs(3.0));
        let fast = SyncConfig {
            interval: secs(0.1),
            ..SyncConfig::default()
        };
        assert_eq!(fast.lease_ttl(), secs(1.0));
    }
}

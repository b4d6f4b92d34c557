//! Prometheus metrics for whoever runs the deployment: request latency per route, Stripe calls
//! with their errors and 429s per endpoint, the webhook queue, each connection's sync lag, open
//! live streams and long-polls, and the password-hash queue. Served in Prometheus' text format
//! on a listen address of its own or behind a token ([`http`]), never to tenants.
//!
//! Each server has its own registry (no process-wide globals), so several test servers in one
//! process count apart.

pub mod http;

use app::ssr::AppState;
use prometheus::{
    Encoder, Gauge, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};
use std::sync::Arc;

/// Latency buckets (seconds) for pages, server functions and Stripe calls.
const BUCKETS: &[f64] = &[
    0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("metrics: {0}")]
    Prometheus(#[from] prometheus::Error),
}

/// The counters and gauges of one server.
pub struct Metrics {
    registry: Registry,
    requests: HistogramVec,
    stripe_requests: IntCounterVec,
    stripe_seconds: HistogramVec,
    webhook_backlog: IntGauge,
    webhook_oldest: Gauge,
    webhook_ingest_waiting: IntGauge,
    sync_lag: GaugeVec,
    streams_open: IntGauge,
    long_polls_open: IntGauge,
    hashes_running: IntGauge,
    hashes_waiting: IntGauge,
    hash_capacity: IntGauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

fn registered<T: prometheus::core::Collector + Clone + 'static>(
    registry: &Registry,
    metric: T,
) -> Result<T, MetricsError> {
    registry.register(Box::new(metric.clone()))?;
    Ok(metric)
}

impl Metrics {
    pub fn new() -> Result<Arc<Metrics>, MetricsError> {
        let registry = Registry::new_custom(Some("fleet".into()), None)?;
        let r = &registry;
        let metrics = Metrics {
            requests: registered(
                r,
                HistogramVec::new(
                    HistogramOpts::new(
                        "http_request_duration_seconds",
                        "Time to answer a request (until its headers), by route template, method and status class.",
                    )
                    .buckets(BUCKETS.to_vec()),
                    &["route", "method", "status"],
                )?,
            )?,
            stripe_requests: registered(
                r,
                IntCounterVec::new(
                    Opts::new(
                        "stripe_requests_total",
                        "HTTP exchanges with Stripe (every attempt, retries included), by endpoint and result: the status code for 429, else its class, or timeout / connection_failed.",
                    ),
                    &["endpoint", "method", "result"],
                )?,
            )?,
            stripe_seconds: registered(
                r,
                HistogramVec::new(
                    HistogramOpts::new(
                        "stripe_request_duration_seconds",
                        "Time of one exchange with Stripe, by endpoint.",
                    )
                    .buckets(BUCKETS.to_vec()),
                    &["endpoint", "method"],
                )?,
            )?,
            webhook_backlog: registered(
                r,
                IntGauge::new(
                    "webhook_queue_depth",
                    "Stored Stripe events not yet applied (a crash or a failure left them for the queue).",
                )?,
            )?,
            webhook_oldest: registered(
                r,
                Gauge::new(
                    "webhook_queue_oldest_age_seconds",
                    "Age of the oldest stored event not yet applied; 0 when there is none.",
                )?,
            )?,
            webhook_ingest_waiting: registered(
                r,
                IntGauge::new(
                    "webhook_ingest_waiting",
                    "Verified webhook deliveries held in this instance's memory for the writer's next commit (their senders wait for it).",
                )?,
            )?,
            sync_lag: registered(
                r,
                GaugeVec::new(
                    Opts::new(
                        "sync_lag_seconds",
                        "Seconds since a connection's readers were last listed from Stripe (-1: never).",
                    ),
                    &["connection"],
                )?,
            )?,
            streams_open: registered(
                r,
                IntGauge::new(
                    "event_streams_open",
                    "Live update streams (/events) open on this instance.",
                )?,
            )?,
            long_polls_open: registered(
                r,
                IntGauge::new(
                    "api_long_polls_open",
                    "Point-of-sale API requests held with ?wait= on this instance.",
                )?,
            )?,
            hashes_running: registered(
                r,
                IntGauge::new(
                    "password_hashes_running",
                    "Password hashes or verifications running now.",
                )?,
            )?,
            hashes_waiting: registered(
                r,
                IntGauge::new(
                    "password_hash_queue",
                    "Sign-ins and sign-ups waiting for a password-hash slot.",
                )?,
            )?,
            hash_capacity: registered(
                r,
                IntGauge::new(
                    "password_hash_capacity",
                    "Password hashes allowed at once.",
                )?,
            )?,
            registry,
        };
        Ok(Arc::new(metrics))
    }

    /// Counts one answered request.
    pub fn request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let class = match status {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        self.requests
            .with_label_values(&[route, method, class])
            .observe(seconds);
    }

    /// Reads what is not counted as it happens (the queue, the sync, open streams) and renders
    /// everything in Prometheus' text format.
    pub async fn render(&self, state: &AppState, live: Live) -> String {
        let now_ms = app::ssr::ids::now_ms();
        match app::ssr::operations::webhook_backlog(
            &state.db,
            app::payments::ssr::webhook_service::MAX_ATTEMPTS,
        )
        .await
        {
            Ok((depth, oldest)) => {
                self.webhook_backlog.set(depth);
                self.webhook_oldest
                    .set(oldest.map_or(0.0, |at| (now_ms - at).max(0) as f64 / 1000.0));
            }
            Err(err) => tracing::warn!(error = %err, "metrics: could not read the webhook queue"),
        }
        match app::ssr::operations::sync_times(&state.db).await {
            Ok(times) => {
                // Connections removed since the last scrape must not linger.
                self.sync_lag.reset();
                for (connection, synced_at) in times {
                    let lag = synced_at.map_or(-1.0, |at| (now_ms - at).max(0) as f64 / 1000.0);
                    self.sync_lag
                        .with_label_values(&[connection.as_str()])
                        .set(lag);
                }
            }
            Err(err) => tracing::warn!(error = %err, "metrics: could not read the sync times"),
        }
        self.streams_open.set(gauge(live.streams_open));
        self.webhook_ingest_waiting
            .set(gauge(live.webhooks_waiting));
        self.long_polls_open
            .set(gauge(state.in_flight.long_polls.total()));
        self.hashes_running.set(gauge(state.hashing.running()));
        self.hashes_waiting.set(gauge(state.hashing.waiting()));
        self.hash_capacity.set(gauge(state.hashing.cap()));
        let mut out = Vec::new();
        if let Err(err) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::warn!(error = %err, "metrics: could not encode");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

/// What the scrape reads from this instance's memory, beside the state.
#[derive(Debug, Clone, Copy)]
pub struct Live {
    pub streams_open: usize,
    pub webhooks_waiting: usize,
}

fn gauge(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl fleet_stripe::Observer for Metrics {
    fn exchanged(&self, e: &fleet_stripe::Exchange<'_>) {
        let result = match e.status {
            Some(429) => "429",
            Some(code) if code < 300 => "2xx",
            Some(code) if code < 500 => "4xx",
            Some(_) => "5xx",
            None if e.timed_out => "timeout",
            None => "connection_failed",
        };
        self.stripe_requests
            .with_label_values(&[e.endpoint, e.method, result])
            .inc();
        self.stripe_seconds
            .with_label_values(&[e.endpoint, e.method])
            .observe(e.elapsed.as_secs_f64());
    }
}

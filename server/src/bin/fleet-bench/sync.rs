//! The reader status sync at fleet scale: N simulated readers across M connections on the
//! in-process simulator (with Stripe's test-mode rate limits on), synced by the real sync task at
//! its default settings. Reports Stripe calls per cycle, sync time, 429s, and the worst staleness
//! of a change made at Stripe (readers taken offline through the control API).

use super::common::{setup, start_syncing, BenchError};
use super::stats::summarise;
use app::connections::ssr::connections_service;
use app::ssr::ids;
use app::ssr::stripe_access;
use fleet_stripe::params::{AddressParams, CreateLocation, CreateReader};
use fleet_stripe::IdempotencyKey;
use fleet_stripe_sim::Tally;
use futures::StreamExt;
use server::tasks::reader_sync::SyncConfig;
use std::collections::HashMap;
use std::time::{Duration, Instant};

pub async fn run(
    database_url: &str,
    data_dir: &std::path::Path,
    connections: usize,
    readers: usize,
    flips: usize,
    interval_ms: Option<u64>,
) -> Result<(), BenchError> {
    let defaults = SyncConfig::default();
    let config = SyncConfig {
        interval: interval_ms.map_or(defaults.interval, Duration::from_millis),
        ..defaults
    };
    let interval = config.interval;
    println!(
        "Sync schedule: every {} ms at least, at most {} reads/s per test-mode account",
        interval.as_millis(),
        config.read_budget.test_mode
    );
    let running = start_syncing(database_url, data_dir, config).await?;
    let state = running.state.clone();
    let sync = running.sync.as_ref().ok_or_else(|| setup("sync is off"))?;
    let stats = sync.stats.clone();
    let simulator = state
        .settings
        .stripe_simulator_url
        .clone()
        .ok_or_else(|| setup("no simulator"))?;
    let per = readers.div_ceil(connections.max(1));
    println!(
        "Setting up {connections} connections × {per} readers on the simulator (rate limits on)…"
    );
    let started = Instant::now();
    let now = ids::now_ms();
    let mut tenants = Vec::new();
    for n in 0..connections {
        let tenant = ids::new_id("ten");
        sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(&tenant)
            .bind(format!("Bench store {n}"))
            .bind(now)
            .execute(&state.db.pool)
            .await
            .map_err(setup)?;
        tenants.push(tenant);
    }
    let made = futures::stream::iter(tenants.clone())
        .map(|tenant| {
            let state = state.clone();
            async move {
                let connection =
                    connections_service::connect_simulator_for(&state, None, &tenant, "Bench")
                        .await
                        .map_err(setup)?;
                let access = stripe_access::load(&state, &tenant, &connection)
                    .await
                    .map_err(setup)?;
                let location = access
                    .client
                    .create_location(
                        &access.creds,
                        &CreateLocation {
                            display_name: "Bench store".into(),
                            address: AddressParams {
                                line1: "1 Market St".into(),
                                city: Some("San Francisco".into()),
                                state: Some("CA".into()),
                                postal_code: Some("94105".into()),
                                country: "US".into(),
                                ..AddressParams::default()
                            },
                            metadata: None,
                        },
                        &IdempotencyKey::new(format!("{connection}-loc")),
                    )
                    .await
                    .map_err(setup)?;
                let mut ids = Vec::new();
                for r in 0..per {
                    let reader = access
                        .client
                        .create_reader(
                            &access.creds,
                            &CreateReader {
                                registration_code: "simulated-wpe".into(),
                                label: Some(format!("Till {r}")),
                                location: Some(location.id.clone()),
                                metadata: None,
                            },
                            &IdempotencyKey::new(format!("{connection}-r{r}")),
                        )
                        .await
                        .map_err(setup)?;
                    ids.push(reader.id);
                }
                Ok::<_, BenchError>(ids)
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    let mut reader_ids = Vec::new();
    for m in made {
        reader_ids.extend(m?);
    }
    println!(
        "  {} readers created at Stripe in {:.1} s",
        reader_ids.len(),
        started.elapsed().as_secs_f64()
    );

    // The first full mirror.
    let mirror_start = Instant::now();
    loop {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM readers")
            .fetch_one(&state.db.pool)
            .await
            .map_err(setup)?;
        if n as usize >= reader_ids.len() {
            break;
        }
        if mirror_start.elapsed() > Duration::from_secs(300) {
            return Err(setup(format!("only {n} readers mirrored after 300 s")));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "  all mirrored {:.1} s after creation finished",
        mirror_start.elapsed().as_secs_f64()
    );

    // What set-up asked of the simulator (creating readers with a client that retries 429s,
    // importing each account as it was connected) is reported apart, and the tallies start
    // afresh for what the sync alone asks from here on.
    let set_up = tallies(&simulator).await?;
    println!(
        "  set-up: {} requests refused (429) by the simulator, all retried by the set-up client; busiest second of any account: {} reads",
        set_up.values().map(|t| t.refused).sum::<u64>(),
        set_up
            .values()
            .map(|t| t.peak_reads_per_second)
            .max()
            .unwrap_or(0)
    );
    reqwest::Client::new()
        .delete(format!("{simulator}/_sim/requests"))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(setup)?;

    // Steady state over a fixed window (several intervals).
    let window = (interval * 4).max(Duration::from_secs(10));
    let (calls0, syncs0, limited0, failures0, busy0) = (
        stats.get(&stats.calls),
        stats.get(&stats.syncs),
        stats.get(&stats.rate_limited),
        stats.get(&stats.failures),
        stats.get(&stats.busy_micros),
    );
    let tallies0 = tallies(&simulator).await?;
    let window_start = Instant::now();
    tokio::time::sleep(window).await;
    let tallies1 = tallies(&simulator).await?;
    let seconds = window_start.elapsed().as_secs_f64();
    let calls = stats.get(&stats.calls) - calls0;
    let syncs = stats.get(&stats.syncs) - syncs0;
    let limited = stats.get(&stats.rate_limited) - limited0;
    let failures = stats.get(&stats.failures) - failures0;
    let busy = stats.get(&stats.busy_micros) - busy0;
    println!(
        "  steady state over {seconds:.1} s: {syncs} syncs ({:.1}/s), {calls} Stripe calls ({:.1}/s), {limited} × 429, {failures} failures",
        syncs as f64 / seconds,
        calls as f64 / seconds,
    );
    println!(
        "  one connection's sync takes {:.1} ms on average; syncs add up to {:.0} ms per second ({} at a time)",
        busy as f64 / 1000.0 / syncs.max(1) as f64,
        busy as f64 / 1000.0 / seconds,
        SyncConfig::default().concurrency
    );
    println!(
        "  the slots' fair share per connection: one sync every {} ms at least (the interval stretches past {} ms when it is longer)",
        stats.get(&stats.fair_wait_millis),
        interval.as_millis()
    );
    let rates: Vec<f64> = tallies1
        .iter()
        .map(|(account, t)| {
            let before = tallies0.get(account).map_or(0, |t| t.reads);
            (t.reads - before) as f64 / seconds
        })
        .collect();
    let max_rate = rates.iter().copied().fold(0.0, f64::max);
    let mean_rate = rates.iter().sum::<f64>() / rates.len().max(1) as f64;
    println!(
        "  reads per account over the window (counted by the simulator): mean {mean_rate:.2}/s, max {max_rate:.2}/s over {} accounts",
        rates.len()
    );

    // Staleness: take readers offline at Stripe and time until our rows say so.
    let http = reqwest::Client::new();
    let step = (reader_ids.len() / flips.max(1)).max(1);
    let chosen: Vec<String> = reader_ids
        .iter()
        .step_by(step)
        .take(flips)
        .cloned()
        .collect();
    let flipped_at = Instant::now();
    for id in &chosen {
        http.post(format!("{simulator}/_sim/readers/{id}/offline"))
            .send()
            .await
            .map_err(setup)?;
    }
    let mut pending: Vec<String> = chosen.clone();
    let mut seen = Vec::new();
    while !pending.is_empty() && flipped_at.elapsed() < Duration::from_secs(120) {
        let mut still = Vec::new();
        for id in pending {
            let status: Option<String> =
                sqlx::query_scalar("SELECT status FROM readers WHERE id = $1")
                    .bind(&id)
                    .fetch_optional(&state.db.pool)
                    .await
                    .map_err(setup)?;
            if status.as_deref() == Some("offline") {
                seen.push(flipped_at.elapsed());
            } else {
                still.push(id);
            }
        }
        pending = still;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let s = summarise(seen.clone());
    println!(
        "  staleness of {} readers taken offline at Stripe: p50 {:.0} ms, p99 {:.0} ms, worst {:.0} ms ({} not seen)",
        chosen.len(),
        s.p50_ms,
        s.p99_ms,
        s.max_ms,
        pending.len()
    );
    let tallies_end = tallies(&simulator).await?;
    println!(
        "  429s seen by the sync over the whole run: {}; after set-up, requests refused by the simulator: {}, busiest second of any account: {} reads",
        stats.get(&stats.rate_limited),
        tallies_end.values().map(|t| t.refused).sum::<u64>(),
        tallies_end
            .values()
            .map(|t| t.peak_reads_per_second)
            .max()
            .unwrap_or(0)
    );
    running.kill();
    Ok(())
}

/// What the simulator was asked, per account, since it started.
async fn tallies(simulator: &str) -> Result<HashMap<String, Tally>, BenchError> {
    #[derive(serde::Deserialize)]
    struct Tallies {
        accounts: HashMap<String, Tally>,
    }
    let tallies: Tallies = reqwest::get(format!("{simulator}/_sim/requests"))
        .await
        .map_err(setup)?
        .json()
        .await
        .map_err(setup)?;
    Ok(tallies.accounts)
}

//! What unauthenticated clients can cost: a burst of sign-ins (a wrong password for an existing
//! user), then a burst of sign-ups, while the process's resident memory and `/healthz` latency
//! are sampled. Before the hashing cap, 200 sign-ins held 3.7 GB (19 MiB of argon2 each) and
//! sign-ups had no limit at all.
//!
//! By default the sign-in and sign-up throttles are lifted, so every request reaches the hasher
//! as it would from many addresses; `--throttles` keeps them as deployed.

use super::common::{rss_mib, setup, signed_in_user, start_with, BenchError};
use super::stats::summarise;
use server::config::AccountLimits;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Options {
    pub requests: usize,
    pub hash_concurrency: usize,
    pub hash_wait: Duration,
    pub throttles: bool,
}

/// Memory and latency seen during one burst.
struct Observed {
    peak_rss_mib: f64,
    healthz: Vec<Duration>,
    healthz_failures: usize,
}

/// Samples VmRSS and `/healthz` on threads of their own, so the burst's tasks on the server's
/// runtime cannot delay the measurement itself.
struct Sampler {
    stop: Arc<AtomicBool>,
    rss: std::thread::JoinHandle<f64>,
    healthz: std::thread::JoinHandle<(Vec<Duration>, usize)>,
}

impl Sampler {
    fn start(base: String) -> Result<Sampler, BenchError> {
        let stop = Arc::new(AtomicBool::new(false));
        let rss = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut peak = rss_mib();
                while !stop.load(Ordering::Relaxed) {
                    peak = peak.max(rss_mib());
                    std::thread::sleep(Duration::from_millis(2));
                }
                peak.max(rss_mib())
            })
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(setup)?;
        let healthz = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                runtime.block_on(async move {
                    let http = reqwest::Client::new();
                    let (mut times, mut failures) = (Vec::new(), 0);
                    while !stop.load(Ordering::Relaxed) {
                        let started = Instant::now();
                        match http.get(format!("{base}/healthz")).send().await {
                            Ok(r) if r.status().is_success() => times.push(started.elapsed()),
                            _ => failures += 1,
                        }
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    (times, failures)
                })
            })
        };
        Ok(Sampler { stop, rss, healthz })
    }

    fn finish(self) -> Observed {
        self.stop.store(true, Ordering::Relaxed);
        let peak_rss_mib = self.rss.join().unwrap_or(0.0);
        let (healthz, healthz_failures) = self.healthz.join().unwrap_or_default();
        Observed {
            peak_rss_mib,
            healthz,
            healthz_failures,
        }
    }
}

/// The kernel's high-water mark of this process's resident memory, in MiB.
fn hwm_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
        })
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// Starts VmHWM afresh (Linux: writing 5 to clear_refs), so each burst has its own peak.
fn reset_hwm() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Sends `requests` calls of server function `name` at once; the answers by status, with how
/// many refusals carried `Retry-After`.
async fn burst(
    base: &str,
    name: &str,
    forms: Vec<Vec<(&'static str, String)>>,
) -> (BTreeMap<u16, usize>, usize, Duration) {
    let http = reqwest::Client::new();
    let started = Instant::now();
    let calls = forms.into_iter().map(|form| {
        let http = http.clone();
        let url = format!("{base}/sf/{name}");
        let origin = base.to_string();
        tokio::spawn(async move {
            match http
                .post(url)
                .header("origin", origin)
                .header("accept", "application/json")
                .form(&form)
                .send()
                .await
            {
                Ok(r) => (
                    r.status().as_u16(),
                    r.headers().contains_key(reqwest::header::RETRY_AFTER),
                ),
                Err(_) => (0, false),
            }
        })
    });
    let answers = futures::future::join_all(calls).await;
    let elapsed = started.elapsed();
    let mut by_status = BTreeMap::new();
    let mut retry_after = 0;
    for (status, has_retry_after) in answers.into_iter().flatten() {
        *by_status.entry(status).or_insert(0) += 1;
        retry_after += usize::from(has_retry_after);
    }
    (by_status, retry_after, elapsed)
}

pub async fn run(
    database_url: &str,
    data_dir: &std::path::Path,
    options: Options,
) -> Result<(), BenchError> {
    let lifted = 1_000_000;
    let limits = AccountLimits {
        hash_concurrency: options.hash_concurrency,
        hash_wait: options.hash_wait,
        ..if options.throttles {
            AccountLimits::default()
        } else {
            AccountLimits {
                sign_ups_per_hour: lifted,
                sign_in_failures_per_email: lifted,
                sign_in_failures_per_address: lifted,
                ..AccountLimits::default()
            }
        }
    };
    let running = start_with(database_url, data_dir, false, limits).await?;
    let base = format!("http://{}", running.addr);
    signed_in_user(&running, "hashing-bench@example.com").await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    println!(
        "hashing cap {} at once, wait {} ms; throttles {}; {} requests per burst",
        running.state.hashing.cap(),
        options.hash_wait.as_millis(),
        if options.throttles {
            "as deployed"
        } else {
            "lifted"
        },
        options.requests
    );
    println!("resident memory at rest: {:.1} MiB", rss_mib());

    let sign_ins = (0..options.requests)
        .map(|_| {
            vec![
                ("email", "hashing-bench@example.com".to_string()),
                ("password", "not the password at all".to_string()),
            ]
        })
        .collect();
    let sign_ups = (0..options.requests)
        .map(|i| {
            vec![
                ("email", format!("new-{i}@example.com")),
                ("password", "correct horse battery".to_string()),
                ("organisation", format!("Bench {i}")),
            ]
        })
        .collect();
    for (label, name, forms) in [
        ("sign-ins", "sign_in", sign_ins),
        ("sign-ups", "sign_up", sign_ups),
    ] {
        reset_hwm();
        let evaluated_before = running.state.hashing.evaluated();
        let sampler = Sampler::start(base.clone())?;
        let (by_status, retry_after, elapsed) = burst(&base, name, forms).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let observed = sampler.finish();
        let s = summarise(observed.healthz.clone());
        let statuses = by_status
            .iter()
            .map(|(status, n)| format!("{status}: {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        println!(
            "{label}: {} in {:.2} s — {statuses} ({retry_after} with Retry-After); {} hashes",
            options.requests,
            elapsed.as_secs_f64(),
            running.state.hashing.evaluated() - evaluated_before,
        );
        println!(
            "  peak resident memory {:.1} MiB sampled, {:.1} MiB VmHWM; after the burst {:.1} MiB",
            observed.peak_rss_mib,
            hwm_mib(),
            rss_mib()
        );
        println!(
            "  /healthz during the burst: {} answers, {} failed; p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            observed.healthz.len(),
            observed.healthz_failures,
            s.p50_ms,
            s.p99_ms,
            s.max_ms
        );
    }
    println!(
        "most hashes at once: {} (cap {})",
        running.state.hashing.peak(),
        running.state.hashing.cap()
    );
    running.kill();
    Ok(())
}

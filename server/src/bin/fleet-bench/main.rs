//! `fleet-bench`: the project's own benchmarks, each starting the real server (or the Stripe
//! simulator) and printing its figures. Figures go to docs/benchmarks.md. A binary of its own so
//! the `terminal-fleet` that is deployed carries none of this code.

mod audit;
mod common;
mod first_load;
mod hashing;
mod payments;
mod readers_page;
mod sse;
mod stats;
mod stores;
mod stripe_sim;
mod sync;

use clap::Parser;
use std::process::ExitCode;

// glibc's malloc took about a sixth of the CPU of a page request under load (arena locks,
// consolidating free chunks); mimalloc's per-thread heaps avoid both.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "fleet-bench",
    version,
    about = "Run one of Terminal Fleet's benchmarks and print its figures."
)]
struct Cli {
    #[command(subcommand)]
    which: Bench,
}

#[derive(clap::Subcommand)]
enum Bench {
    /// Audit log paging (first, filtered and deep keyset pages) at a given size. Uses a fresh
    /// SQLite file unless --database-url names an (empty, throwaway) database.
    Audit {
        #[arg(long, default_value_t = 100_000)]
        rows: usize,
        #[arg(long, default_value_t = 200)]
        samples: usize,
        #[arg(long)]
        database_url: Option<String>,
    },
    /// The reader sync at fleet scale: Stripe calls per cycle, sync time, 429s and staleness.
    Sync {
        #[arg(long, default_value_t = 200)]
        connections: usize,
        #[arg(long, default_value_t = 10_000)]
        readers: usize,
        /// Readers taken offline at Stripe to measure staleness.
        #[arg(long, default_value_t = 100)]
        flips: usize,
        /// The sync's shortest interval (its default unless given), e.g. 5000 for the schedule
        /// before issue 14.
        #[arg(long)]
        interval_ms: Option<u64>,
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Live updates: memory and delivery latency with many SSE streams open.
    Sse {
        #[arg(long, default_value_t = 1_000)]
        streams: usize,
        #[arg(long, default_value_t = 50)]
        messages: usize,
        /// Organisations the streams are spread over (one user each); messages go to the
        /// first, and every other organisation's streams must receive none of them.
        #[arg(long, default_value_t = 1)]
        tenants: usize,
        /// Milliseconds between two messages. At 20 (the default) 5,000 addressed streams take
        /// 250,000 deliveries a second, more than one message's fan-out takes on 2 cores shared
        /// with the clients, so messages overlap; a longer gap times one message at a time.
        #[arg(long, default_value_t = 20)]
        gap_ms: u64,
        #[arg(long)]
        database_url: Option<String>,
    },
    /// The SSE benchmark's clients, in a process of their own (started by `sse`).
    #[command(hide = true)]
    SseClients {
        #[arg(long)]
        addr: String,
        #[arg(long)]
        streams: usize,
    },
    /// Server-side rendering of the Readers page beside a bare axum handler.
    ReadersPage {
        #[arg(long, default_value_t = 1_000)]
        readers: usize,
        #[arg(long, default_value_t = 3_000)]
        requests: usize,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        #[arg(long)]
        database_url: Option<String>,
    },
    /// First load in Chromium: bytes and time until interactive for /login, /readers and
    /// /stores, unthrottled, at 10 Mbps / 40 ms and at Fast 3G, first and repeat visit. Needs
    /// a release build of the site and end2end/node_modules.
    FirstLoad {
        #[arg(long, default_value_t = 1_000)]
        readers: usize,
        #[arg(long)]
        database_url: Option<String>,
    },
    /// The All stores page of a franchise user across many organisations.
    Stores {
        #[arg(long, default_value_t = 10)]
        tenants: usize,
        #[arg(long, default_value_t = 500)]
        stores: usize,
        #[arg(long, default_value_t = 5_000)]
        readers: usize,
        #[arg(long, default_value_t = 50_000)]
        payments: usize,
        #[arg(long, default_value_t = 1_000)]
        requests: usize,
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Webhook ingest: verified + stored + applied events/s beside the raw insert rate.
    Webhooks {
        #[arg(long, default_value_t = 5_000)]
        events: usize,
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        #[arg(long)]
        database_url: Option<String>,
    },
    /// The transactions list (first and filtered pages, with totals) at many rows.
    Transactions {
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        #[arg(long, default_value_t = 100)]
        samples: usize,
        #[arg(long)]
        database_url: Option<String>,
    },
    /// What unauthenticated clients can cost: concurrent sign-ins (a wrong password for an
    /// existing user), then sign-ups, with peak memory, /healthz latency and answers by status.
    Hashing {
        #[arg(long, default_value_t = 200)]
        requests: usize,
        /// Password hashes at once (FLEET_HASH_CONCURRENCY; default one per core).
        #[arg(long)]
        hash_concurrency: Option<usize>,
        /// How long a request waits for a hashing slot before its 503 (FLEET_HASH_WAIT_MS).
        #[arg(long, default_value_t = 3_000)]
        hash_wait_ms: u64,
        /// Keep the sign-in and sign-up throttles as deployed; by default they are lifted so
        /// every request reaches the hasher, as it would from many addresses.
        #[arg(long)]
        throttles: bool,
        #[arg(long)]
        database_url: Option<String>,
    },
    /// The Stripe simulator's calls per second and the client's overhead per call.
    StripeSim {
        #[arg(long, default_value_t = 20_000)]
        requests: usize,
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
    },
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_sessions=warn")
    });
    tracing_subscriber::fmt().with_env_filter(filter).init();
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    bench(&cli.which).await
}

/// Runs a benchmark that needs a throwaway database (a fresh SQLite file unless one is given).
async fn with_database<F, Fut, E>(database_url: &Option<String>, run: F) -> ExitCode
where
    F: FnOnce(String, std::path::PathBuf) -> Fut,
    Fut: std::future::Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let dir = match tempfile_dir() {
        Ok(dir) => dir,
        Err(err) => {
            eprintln!("fleet-bench: {err}");
            return ExitCode::FAILURE;
        }
    };
    let url = database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}/bench.db?mode=rwc", dir.display()));
    let result = run(url, dir.clone()).await;
    let _ = std::fs::remove_dir_all(&dir);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("fleet-bench: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn bench(which: &Bench) -> ExitCode {
    match which {
        Bench::Webhooks {
            events,
            concurrency,
            database_url,
        } => {
            with_database(database_url, |url, dir| async move {
                payments::webhooks(&url, &dir, *events, (*concurrency).max(1)).await
            })
            .await
        }
        Bench::Transactions {
            rows,
            samples,
            database_url,
        } => {
            with_database(database_url, |url, dir| async move {
                payments::transactions(&url, &dir, *rows, (*samples).max(1)).await
            })
            .await
        }
        Bench::Sse {
            streams,
            messages,
            tenants,
            gap_ms,
            database_url,
        } => {
            with_database(database_url, |url, dir| async move {
                let gap = std::time::Duration::from_millis(*gap_ms);
                sse::run(&url, &dir, *streams, *messages, (*tenants).max(1), gap).await
            })
            .await
        }
        Bench::Stores {
            tenants,
            stores,
            readers,
            payments,
            requests,
            concurrency,
            database_url,
        } => {
            with_database(database_url, |url, dir| async move {
                let shape = stores::Shape {
                    tenants: *tenants,
                    stores: (*stores).max(1),
                    readers: *readers,
                    payments: *payments,
                    requests: *requests,
                    concurrency: (*concurrency).max(1),
                };
                stores::run(&url, &dir, shape).await
            })
            .await
        }
        Bench::FirstLoad {
            readers,
            database_url,
        } => {
            with_database(database_url, |url, dir| async move {
                first_load::run(&url, &dir, *readers).await
            })
            .await
        }
        Bench::ReadersPage {
            readers,
            requests,
            concurrency,
            database_url,
        } => {
            with_database(database_url, |url, dir| async move {
                readers_page::run(&url, &dir, *readers, *requests, (*concurrency).max(1)).await
            })
            .await
        }
        Bench::SseClients { addr, streams } => match sse::clients(addr, *streams).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("fleet-bench: {err}");
                ExitCode::FAILURE
            }
        },
        Bench::Sync {
            connections,
            readers,
            flips,
            interval_ms,
            database_url,
        } => {
            with_database(database_url, |url, dir| async move {
                sync::run(&url, &dir, *connections, *readers, *flips, *interval_ms).await
            })
            .await
        }
        Bench::Hashing {
            requests,
            hash_concurrency,
            hash_wait_ms,
            throttles,
            database_url,
        } => {
            let options = hashing::Options {
                requests: (*requests).max(1),
                hash_concurrency: hash_concurrency
                    .unwrap_or_else(app::ssr::passwords::default_concurrency)
                    .max(1),
                hash_wait: std::time::Duration::from_millis(*hash_wait_ms),
                throttles: *throttles,
            };
            with_database(database_url, |url, dir| async move {
                hashing::run(&url, &dir, options).await
            })
            .await
        }
        Bench::StripeSim {
            requests,
            concurrency,
        } => match stripe_sim::run(*requests, (*concurrency).max(1)).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("fleet-bench: {err}");
                ExitCode::FAILURE
            }
        },
        Bench::Audit {
            rows,
            samples,
            database_url,
        } => {
            let dir = match tempfile_dir() {
                Ok(dir) => dir,
                Err(err) => {
                    eprintln!("fleet-bench: {err}");
                    return ExitCode::FAILURE;
                }
            };
            let url = database_url
                .clone()
                .unwrap_or_else(|| format!("sqlite://{}/bench.db?mode=rwc", dir.display()));
            let result = audit::run(&url, *rows, *samples).await;
            let _ = std::fs::remove_dir_all(&dir);
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("fleet-bench: {err}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("terminal-fleet-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

//! `terminal-fleet`: the command line of the Terminal Fleet server.

use clap::{Parser, Subcommand};
use server::config::Config;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "terminal-fleet",
    version,
    about = "Terminal Fleet: a dashboard and POS backend for Stripe Terminal smart readers.",
    long_about = "Terminal Fleet: a dashboard and POS backend for Stripe Terminal smart readers.\n\n\
                  Configuration comes from environment variables (and an optional .env file); \
                  see README.md. With no subcommand, `serve` runs."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app, server functions and webhooks (the default). Applies pending
    /// migrations first.
    Serve,
    /// Apply pending database migrations to DATABASE_URL and exit.
    Migrate,
    /// Run the Stripe simulator alone (Terminal, PaymentIntents, refunds, webhooks, Connect),
    /// for SDKs, curl or another Terminal Fleet to talk to. See server/stripe-sim/SIMULATOR.md.
    StripeSim {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:12111")]
        listen: std::net::SocketAddr,
        /// Turn off Stripe's test-mode rate limits (25 reads + 25 writes per second per account).
        #[arg(long)]
        no_rate_limit: bool,
        /// Listen on a non-loopback address although anyone who reaches it can drive the
        /// credential-less /_sim control API (reset it, take readers offline, inject faults).
        #[arg(long, env = "FLEET_SIMULATOR_ALLOW_REMOTE_CONTROL")]
        allow_remote_control: bool,
    },
    /// As the platform operator, give an organisation a connected account (Connect), once
    /// Stripe confirms the platform may act on it. Needs FLEET_PLATFORM_KEY.
    AssignAccount {
        /// The organisation's id or exact name.
        #[arg(long)]
        organisation: String,
        /// The connected account (acct_…).
        #[arg(long)]
        account: String,
        /// The connection's name (default: the account's business name).
        #[arg(long)]
        name: Option<String>,
    },
    /// As the platform operator, take a connected account back from the organisation that
    /// holds it; its locations, readers and payments there go with it.
    ReleaseAccount {
        #[arg(long)]
        account: String,
    },
    /// Run one of the project's benchmarks and print its figures.
    Bench {
        #[command(subcommand)]
        which: Bench,
    },
}

#[derive(Subcommand)]
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
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Live updates: memory and delivery latency with many SSE streams open.
    Sse {
        #[arg(long, default_value_t = 1_000)]
        streams: usize,
        #[arg(long, default_value_t = 50)]
        messages: usize,
        #[arg(long)]
        database_url: Option<String>,
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
    if let Some(Command::Bench { which }) = &cli.command {
        return bench(which).await;
    }
    if let Some(Command::StripeSim {
        listen,
        no_rate_limit,
        allow_remote_control,
    }) = &cli.command
    {
        return stripe_sim(*listen, *no_rate_limit, *allow_remote_control).await;
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("terminal-fleet: configuration error: {err}");
            return ExitCode::from(2);
        }
    };
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Bench { .. } | Command::StripeSim { .. } => ExitCode::SUCCESS,
        Command::AssignAccount {
            organisation,
            account,
            name,
        } => {
            operator(&config, |state| async move {
                let id = app::ssr::connected_accounts::assign(
                    &state,
                    &organisation,
                    account.trim(),
                    name.as_deref(),
                )
                .await?;
                Ok(format!("Assigned {} as connection {id}.", account.trim()))
            })
            .await
        }
        Command::ReleaseAccount { account } => {
            operator(&config, |state| async move {
                let held = app::ssr::connected_accounts::release(&state, account.trim()).await?;
                Ok(match held {
                    Some(tenant) => {
                        format!("Released {} from organisation {tenant}.", account.trim())
                    }
                    None => format!("No organisation holds {}.", account.trim()),
                })
            })
            .await
        }
        Command::Migrate => match server::router::open_database(&config).await {
            Ok(_) => {
                println!("Migrations applied.");
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("terminal-fleet: {err}");
                ExitCode::FAILURE
            }
        },
    }
}

/// Runs a platform operator's command against the deployment's database and Stripe.
async fn operator<F, Fut>(config: &Config, run: F) -> ExitCode
where
    F: FnOnce(app::ssr::AppState) -> Fut,
    Fut: std::future::Future<Output = Result<String, app::error::AppError>>,
{
    let state = match server::router::app_state(config).await {
        Ok(state) => state,
        Err(err) => {
            eprintln!("terminal-fleet: {err}");
            return ExitCode::FAILURE;
        }
    };
    match run(state).await {
        Ok(done) => {
            println!("{done}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("terminal-fleet: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> ExitCode {
    let public = config.public_url.clone();
    let running = match server::start(config).await {
        Ok(running) => running,
        Err(err) => {
            eprintln!("terminal-fleet: {err}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(addr = %running.addr, url = %public, "Terminal Fleet is listening");
    tokio::select! {
        _ = running.handle => ExitCode::FAILURE,
        _ = tokio::signal::ctrl_c() => {
            tracing::info!("shutting down");
            ExitCode::SUCCESS
        }
    }
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
            eprintln!("terminal-fleet: {err}");
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
            eprintln!("terminal-fleet: {err}");
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
                server::bench::payments::webhooks(&url, &dir, *events, (*concurrency).max(1)).await
            })
            .await
        }
        Bench::Transactions {
            rows,
            samples,
            database_url,
        } => {
            with_database(database_url, |url, dir| async move {
                server::bench::payments::transactions(&url, &dir, *rows, (*samples).max(1)).await
            })
            .await
        }
        Bench::Sse {
            streams,
            messages,
            database_url,
        } => {
            with_database(database_url, |url, dir| async move {
                server::bench::sse::run(&url, &dir, *streams, *messages).await
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
                let shape = server::bench::stores::Shape {
                    tenants: *tenants,
                    stores: (*stores).max(1),
                    readers: *readers,
                    payments: *payments,
                    requests: *requests,
                    concurrency: (*concurrency).max(1),
                };
                server::bench::stores::run(&url, &dir, shape).await
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
                server::bench::readers_page::run(
                    &url,
                    &dir,
                    *readers,
                    *requests,
                    (*concurrency).max(1),
                )
                .await
            })
            .await
        }
        Bench::Sync {
            connections,
            readers,
            flips,
            database_url,
        } => {
            with_database(database_url, |url, dir| async move {
                server::bench::sync::run(&url, &dir, *connections, *readers, *flips).await
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
            let options = server::bench::hashing::Options {
                requests: (*requests).max(1),
                hash_concurrency: hash_concurrency
                    .unwrap_or_else(app::ssr::passwords::default_concurrency)
                    .max(1),
                hash_wait: std::time::Duration::from_millis(*hash_wait_ms),
                throttles: *throttles,
            };
            with_database(database_url, |url, dir| async move {
                server::bench::hashing::run(&url, &dir, options).await
            })
            .await
        }
        Bench::StripeSim {
            requests,
            concurrency,
        } => match server::bench::stripe_sim::run(*requests, (*concurrency).max(1)).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("terminal-fleet: {err}");
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
                    eprintln!("terminal-fleet: {err}");
                    return ExitCode::FAILURE;
                }
            };
            let url = database_url
                .clone()
                .unwrap_or_else(|| format!("sqlite://{}/bench.db?mode=rwc", dir.display()));
            let result = server::bench::audit::run(&url, *rows, *samples).await;
            let _ = std::fs::remove_dir_all(&dir);
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("terminal-fleet: {err}");
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

async fn stripe_sim(
    listen: std::net::SocketAddr,
    no_rate_limit: bool,
    allow_remote_control: bool,
) -> ExitCode {
    if let Err(err) = fleet_stripe_sim::ensure_local_control(listen, allow_remote_control) {
        eprintln!(
            "terminal-fleet: {err}; pass --allow-remote-control if other machines must reach it."
        );
        return ExitCode::from(2);
    }
    let mut config = fleet_stripe_sim::SimConfig {
        allow_remote_control,
        ..Default::default()
    };
    if no_rate_limit {
        config.rate_limit = None;
    }
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(err) => {
            eprintln!("terminal-fleet: could not listen on {listen}: {err}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(%listen, "Stripe simulator listening; point an SDK's API base at http://{listen}");
    let sim = fleet_stripe_sim::Simulator::new(config);
    tokio::select! {
        result = sim.serve(listener) => match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("terminal-fleet: simulator stopped: {err}");
                ExitCode::FAILURE
            }
        },
        _ = tokio::signal::ctrl_c() => ExitCode::SUCCESS,
    }
}

//! `terminal-fleet`: the command line of the Terminal Fleet server.

use clap::{CommandFactory, Parser, Subcommand};
use server::config::{Config, ConfigArgs};
use std::ffi::OsString;
use std::process::ExitCode;

// glibc's malloc took about a sixth of the CPU of a page request under load (arena locks,
// consolidating free chunks); mimalloc's per-thread heaps avoid both.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "terminal-fleet",
    version,
    about = "Terminal Fleet: a dashboard and POS backend for Stripe Terminal smart readers.",
    long_about = "Terminal Fleet: a dashboard and POS backend for Stripe Terminal smart readers.\n\n\
                  Configuration comes from environment variables (and an optional .env file), \
                  or the matching options; `terminal-fleet serve --help` lists them. \
                  With no subcommand, `serve` runs."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app, server functions and webhooks (the default). Applies pending
    /// migrations first.
    Serve(ConfigArgs),
    /// Apply pending database migrations to DATABASE_URL and exit.
    Migrate(ConfigArgs),
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
        // The variable takes the spellings it takes for `serve` (1, yes, on, …).
        #[arg(
            long,
            env = "FLEET_SIMULATOR_ALLOW_REMOTE_CONTROL",
            value_parser = clap::builder::BoolishValueParser::new()
        )]
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
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// As the platform operator, take a connected account back from the organisation that
    /// holds it; its locations, readers and payments there go with it.
    ReleaseAccount {
        #[arg(long)]
        account: String,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Recompute the figures kept beside payments and readers (All stores, the transactions'
    /// totals) from the rows, and write afresh those of every organisation where they differ.
    /// The server does this every hour; this is for after a change made by hand.
    RepairFigures(ConfigArgs),
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_sessions=warn")
    });
    tracing_subscriber::fmt().with_env_filter(filter).init();
}

fn main() -> ExitCode {
    // Before the runtime starts its threads: this changes the process environment, from which
    // clap then reads the settings.
    if let Err(err) = server::config::prepare_environment(&Cli::command()) {
        eprintln!("terminal-fleet: configuration error: {err}");
        return ExitCode::from(2);
    }
    let cli = Cli::parse_from(serve_by_default(std::env::args_os().collect()));
    init_tracing();
    match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime.block_on(run(cli.command)),
        Err(err) => {
            eprintln!("terminal-fleet: could not start the async runtime: {err}");
            ExitCode::FAILURE
        }
    }
}

/// The arguments with `serve` added when there are none, so a bare `terminal-fleet` serves and
/// reads serve's settings from the environment.
fn serve_by_default(mut args: Vec<OsString>) -> Vec<OsString> {
    if args.len() <= 1 {
        args.push("serve".into());
    }
    args
}

/// The configuration, or the exit status after saying what to fix.
fn load(args: ConfigArgs) -> Result<Config, ExitCode> {
    Config::load(args).map_err(|err| {
        eprintln!("terminal-fleet: configuration error: {err}");
        ExitCode::from(2)
    })
}

async fn run(command: Command) -> ExitCode {
    match command {
        Command::StripeSim {
            listen,
            no_rate_limit,
            allow_remote_control,
        } => stripe_sim(listen, no_rate_limit, allow_remote_control).await,
        Command::Serve(args) => match load(args) {
            Ok(config) => serve(config).await,
            Err(code) => code,
        },
        Command::AssignAccount {
            organisation,
            account,
            name,
            config,
        } => {
            let config = match load(config) {
                Ok(config) => config,
                Err(code) => return code,
            };
            operator(&config, |state| async move {
                let id = app::connections::ssr::connected_accounts::assign(
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
        Command::ReleaseAccount { account, config } => {
            let config = match load(config) {
                Ok(config) => config,
                Err(code) => return code,
            };
            operator(&config, |state| async move {
                let held =
                    app::connections::ssr::connected_accounts::release(&state, account.trim())
                        .await?;
                Ok(match held {
                    Some(tenant) => {
                        format!("Released {} from organisation {tenant}.", account.trim())
                    }
                    None => format!("No organisation holds {}.", account.trim()),
                })
            })
            .await
        }
        Command::RepairFigures(args) => {
            let config = match load(args) {
                Ok(config) => config,
                Err(code) => return code,
            };
            let repaired = match server::router::open_database(&config).await {
                Ok(db) => app::payments::ssr::figures_repair::repair_all(&db)
                    .await
                    .map_err(|err| err.to_string()),
                Err(err) => Err(err.to_string()),
            };
            match repaired {
                Ok(tenants) => {
                    println!(
                        "Figures checked; repaired in {} organisation(s){}{}.",
                        tenants.len(),
                        if tenants.is_empty() { "" } else { ": " },
                        tenants.join(", ")
                    );
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    eprintln!("terminal-fleet: {err}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Migrate(args) => {
            let config = match load(args) {
                Ok(config) => config,
                Err(code) => return code,
            };
            match server::router::open_database(&config).await {
                Ok(_) => {
                    println!("Migrations applied.");
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    eprintln!("terminal-fleet: {err}");
                    ExitCode::FAILURE
                }
            }
        }
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

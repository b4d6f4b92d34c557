//! The Stripe simulator on its own: `fleet-stripe-sim --listen 127.0.0.1:12111
//! [--no-rate-limit] [--seed N] [--allow-remote-control]`. Point an SDK's API base at the
//! printed URL.

use fleet_stripe_sim::{SimConfig, Simulator};
use std::net::SocketAddr;
use std::process::ExitCode;

const USAGE: &str =
    "usage: fleet-stripe-sim [--listen ADDR] [--no-rate-limit] [--seed N] [--allow-remote-control]";

fn parse(args: &[String]) -> Result<(SocketAddr, SimConfig), String> {
    let mut listen: SocketAddr = ([127, 0, 0, 1], 12111).into();
    let mut config = SimConfig {
        allow_remote_control: std::env::var("FLEET_SIMULATOR_ALLOW_REMOTE_CONTROL")
            .is_ok_and(|v| matches!(v.trim(), "1" | "true" | "yes" | "on")),
        ..SimConfig::default()
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--listen" => {
                let v = it.next().ok_or("--listen needs an address")?;
                listen = v.parse().map_err(|e| format!("--listen {v}: {e}"))?;
            }
            "--no-rate-limit" => config.rate_limit = None,
            "--allow-remote-control" => config.allow_remote_control = true,
            "--seed" => {
                let v = it.next().ok_or("--seed needs a number")?;
                config.seed = Some(v.parse().map_err(|e| format!("--seed {v}: {e}"))?);
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    fleet_stripe_sim::ensure_local_control(listen, config.allow_remote_control).map_err(|e| {
        format!(
            "fleet-stripe-sim: {e}; pass --allow-remote-control if other machines must reach it."
        )
    })?;
    Ok((listen, config))
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (listen, config) = match parse(&args) {
        Ok(v) => v,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(err) => {
            eprintln!("fleet-stripe-sim: cannot listen on {listen}: {err}");
            return ExitCode::FAILURE;
        }
    };
    let url = listener
        .local_addr()
        .map(|a| format!("http://{a}"))
        .unwrap_or_default();
    println!("Stripe simulator listening on {url}");
    tokio::select! {
        result = Simulator::new(config).serve(listener) => match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("fleet-stripe-sim: {err}");
                ExitCode::FAILURE
            }
        },
        _ = tokio::signal::ctrl_c() => ExitCode::SUCCESS,
    }
}

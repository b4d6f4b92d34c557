//! The simulator's throughput and our client's overhead per call: the same reader retrieval
//! made with a bare HTTP request and through `StripeClient` (encoding, headers, retry wrapper,
//! typed decoding), plus PaymentIntent creation with idempotency keys.

use fleet_stripe::params::{AddressParams, CreateLocation, CreatePaymentIntent, CreateReader};
use fleet_stripe::{ClientConfig, Credentials, IdempotencyKey, StripeClient};
use fleet_stripe_sim::{SimConfig, Simulator};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("bench set-up failed: {0}")]
    Setup(String),
}

fn setup(e: impl std::fmt::Display) -> BenchError {
    BenchError::Setup(e.to_string())
}

/// Runs `total` calls of `call` over `concurrency` tasks; returns calls per second and the mean
/// latency.
async fn measure<F, Fut>(total: usize, concurrency: usize, call: F) -> (f64, Duration)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let call = Arc::new(call);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let next = next.clone();
        let call = call.clone();
        tasks.push(tokio::spawn(async move {
            let mut busy = Duration::ZERO;
            let mut done = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let t = Instant::now();
                if call(i).await {
                    done += 1;
                }
                busy += t.elapsed();
            }
            (busy, done)
        }));
    }
    let mut busy = Duration::ZERO;
    let mut done = 0;
    for t in tasks {
        if let Ok((b, d)) = t.await {
            busy += b;
            done += d;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mean = busy / u32::try_from(done.max(1)).unwrap_or(u32::MAX);
    (done as f64 / elapsed, mean)
}

pub async fn run(requests: usize, concurrency: usize) -> Result<(), BenchError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(setup)?;
    let base = format!("http://{}", listener.local_addr().map_err(setup)?);
    let sim = Simulator::new(SimConfig {
        rate_limit: None,
        ..SimConfig::default()
    });
    tokio::spawn(sim.serve(listener));
    let client = Arc::new(
        StripeClient::new(ClientConfig {
            base_url: base.clone(),
            ..ClientConfig::default()
        })
        .map_err(setup)?,
    );
    let creds = Credentials::key("sk_test_benchmark01");
    let location = client
        .create_location(
            &creds,
            &CreateLocation {
                display_name: "Bench".into(),
                address: AddressParams {
                    line1: "1 Main".into(),
                    city: Some("Austin".into()),
                    state: Some("TX".into()),
                    postal_code: Some("78701".into()),
                    country: "US".into(),
                    line2: None,
                },
                metadata: None,
            },
            &IdempotencyKey::new("bench-location"),
        )
        .await
        .map_err(setup)?;
    let reader = client
        .create_reader(
            &creds,
            &CreateReader {
                registration_code: "simulated-wpe".into(),
                location: Some(location.id),
                ..Default::default()
            },
            &IdempotencyKey::new("bench-reader"),
        )
        .await
        .map_err(setup)?;
    let reader_url = format!("{base}/v1/terminal/readers/{}", reader.id);
    let http = reqwest::Client::new();

    println!(
        "stripe-sim bench: {requests} calls per case, {concurrency} concurrent, rate limits off"
    );
    println!("{:<40} {:>12} {:>14}", "case", "calls/s", "mean latency");
    let raw = {
        let (http, url) = (http.clone(), reader_url.clone());
        measure(requests, concurrency, move |_| {
            let (http, url) = (http.clone(), url.clone());
            async move {
                http.get(&url)
                    .bearer_auth("sk_test_benchmark01")
                    .send()
                    .await
                    .map(|r| r.status().is_success())
                    .unwrap_or(false)
            }
        })
        .await
    };
    println!(
        "{:<40} {:>12.0} {:>11.3} ms",
        "GET reader, bare HTTP",
        raw.0,
        raw.1.as_secs_f64() * 1e3
    );
    let typed = {
        let (client, creds, id) = (client.clone(), creds.clone(), reader.id.clone());
        measure(requests, concurrency, move |_| {
            let (client, creds, id) = (client.clone(), creds.clone(), id.clone());
            async move { client.retrieve_reader(&creds, &id).await.is_ok() }
        })
        .await
    };
    println!(
        "{:<40} {:>12.0} {:>11.3} ms",
        "GET reader, StripeClient",
        typed.0,
        typed.1.as_secs_f64() * 1e3
    );
    let creates = {
        let (client, creds) = (client.clone(), creds.clone());
        measure(requests, concurrency, move |i| {
            let (client, creds) = (client.clone(), creds.clone());
            async move {
                let p = CreatePaymentIntent {
                    amount: 1000,
                    currency: "usd".into(),
                    payment_method_types: vec!["card_present".into()],
                    ..Default::default()
                };
                client
                    .create_payment_intent(
                        &creds,
                        &p,
                        &IdempotencyKey::new(format!("bench-pi-{i}")),
                    )
                    .await
                    .is_ok()
            }
        })
        .await
    };
    println!(
        "{:<40} {:>12.0} {:>11.3} ms",
        "POST payment_intent, StripeClient",
        creates.0,
        creates.1.as_secs_f64() * 1e3
    );
    let overhead = typed.1.as_secs_f64() - raw.1.as_secs_f64();
    println!(
        "client overhead per call (mean latency difference): {:.1} µs",
        overhead * 1e6
    );
    Ok(())
}

//! Server-side rendering of the Readers page for a tenant with many readers, under concurrent
//! load, beside a bare axum handler measured the same way in the same run (the floor set by
//! HTTP, the runtime and the machine).

use super::common::{setup, signed_in_user, start, BenchError};
use super::stats::summarise;
use app::ssr::ids::{new_id, now_ms};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A bare axum handler on its own port answering a fixed page: the floor a page's load is
/// measured against, in the same run.
pub(crate) async fn bare_handler() -> Result<std::net::SocketAddr, BenchError> {
    let bare = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(setup)?;
    let bare_addr = bare.local_addr().map_err(setup)?;
    let page = "<!DOCTYPE html><html><body><h1>Readers</h1></body></html>";
    tokio::spawn(async move {
        let app = axum::Router::new().route(
            "/",
            axum::routing::get(move || async move { axum::response::Html(page) }),
        );
        let _ = axum::serve(bare, app).await;
    });
    Ok(bare_addr)
}

pub(crate) async fn load(
    url: String,
    post: bool,
    cookie: Option<String>,
    requests: usize,
    concurrency: usize,
) -> Result<(f64, Vec<Duration>, usize), BenchError> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .map_err(setup)?;
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, url, cookie, next) = (http.clone(), url.clone(), cookie.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            let mut failed = 0usize;
            while next.fetch_add(1, Ordering::Relaxed) < requests {
                let t = Instant::now();
                let mut req = if post {
                    http.post(&url)
                        .header("accept", "application/json")
                        .header("origin", url.split("/sf/").next().unwrap_or_default())
                        .header("content-type", "application/x-www-form-urlencoded")
                } else {
                    http.get(&url).header("accept", "text/html")
                };
                if let Some(c) = &cookie {
                    req = req.header("cookie", c);
                }
                match req.send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        times.push(t.elapsed());
                    }
                    _ => failed += 1,
                }
            }
            (times, failed)
        }));
    }
    let mut all = Vec::new();
    let mut failed = 0;
    for t in tasks {
        if let Ok((times, f)) = t.await {
            all.extend(times);
            failed += f;
        }
    }
    let rps = all.len() as f64 / started.elapsed().as_secs_f64();
    Ok((rps, all, failed))
}

pub async fn run(
    database_url: &str,
    data_dir: &std::path::Path,
    readers: usize,
    requests: usize,
    concurrency: usize,
) -> Result<(), BenchError> {
    let running = start(database_url, data_dir, false).await?;
    let (cookie, tenant) = signed_in_user(&running, "page-bench@example.com").await?;
    seed_readers(&running, &tenant, readers).await?;

    let bare_addr = bare_handler().await?;

    let payments = seed_payments(&running, &tenant, 10_000).await?;
    let reader: String =
        sqlx::query_scalar("SELECT id FROM readers WHERE tenant_id = $1 ORDER BY id LIMIT 1")
            .bind(&tenant)
            .fetch_one(&running.state.db.pool)
            .await
            .map_err(setup)?;
    let base = format!("http://{}", running.addr);

    let url = format!("{base}/readers");
    // Warm up (connection pools, caches), then measure.
    load(url.clone(), false, Some(cookie.clone()), 100, 8).await?;
    let measured = |label: String, url: String, post: bool, requests: usize| {
        let cookie = cookie.clone();
        async move {
            let (rps, times, failed) = load(url, post, Some(cookie), requests, concurrency).await?;
            let s = summarise(times);
            println!(
                "{label:<58} {rps:>6.0} requests/s, p50 {:.1} ms, p99 {:.1} ms at {concurrency} connections ({failed} failed)",
                s.p50_ms, s.p99_ms
            );
            Ok::<_, BenchError>(())
        }
    };
    measured(
        format!("Readers page ({readers} readers, first page of 50, signed in):"),
        url,
        false,
        requests,
    )
    .await?;
    // The same data without rendering: the server function the page calls.
    measured(
        "list_readers server function alone:".into(),
        format!("{base}/sf/list_readers"),
        true,
        requests,
    )
    .await?;
    // The other pages a merchant lives on, over the same fleet and its payments.
    measured(
        "Overview page (/):".into(),
        format!("{base}/"),
        false,
        requests,
    )
    .await?;
    measured(
        format!("Transactions page ({payments} payments, first page of 50):"),
        format!("{base}/transactions"),
        false,
        requests,
    )
    .await?;
    measured(
        "Reader page (/readers/{id}: status history, payments):".into(),
        format!("{base}/readers/{reader}"),
        false,
        requests,
    )
    .await?;
    let (rps, times, failed) = load(
        format!("http://{bare_addr}/"),
        false,
        None,
        requests * 5,
        concurrency,
    )
    .await?;
    let s = summarise(times);
    println!(
        "{:<58} {rps:>6.0} requests/s, p50 {:.1} ms, p99 {:.1} ms at {concurrency} connections ({failed} failed)",
        "Bare axum handler (same run):", s.p50_ms, s.p99_ms
    );
    running.kill();
    Ok(())
}

/// Gives `tenant`'s simulator connection 20 locations and `readers` readers, written directly
/// as the sync would, so a figure is the page's and not Stripe's.
pub(crate) async fn seed_readers(
    running: &server::Running,
    tenant: &str,
    readers: usize,
) -> Result<(), BenchError> {
    let db = &running.state.db.pool;
    // The new tenant's simulator connection holds the fleet.
    let connection: String =
        sqlx::query_scalar("SELECT id FROM stripe_connections WHERE tenant_id = $1")
            .bind(tenant)
            .fetch_one(db)
            .await
            .map_err(setup)?;
    let now = now_ms();
    let mut tx = running.state.db.begin_write().await.map_err(setup)?;
    let locations: Vec<String> = (0..20).map(|_| new_id("tml")).collect();
    for (n, id) in locations.iter().enumerate() {
        sqlx::query(
            "INSERT INTO locations (connection_id, id, tenant_id, display_name, line1, city, state,
             postal_code, country, synced_at) VALUES ($1, $2, $3, $4, '1 Market St', 'San Francisco', 'CA', '94105', 'US', $5)",
        )
        .bind(&connection)
        .bind(id)
        .bind(tenant)
        .bind(format!("Store {n:02}"))
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(setup)?;
    }
    for n in 0..readers {
        sqlx::query(
            "INSERT INTO readers (connection_id, id, tenant_id, label, location_id, device_type,
             serial_number, sw_version, ip_address, status, last_seen_at, status_since, synced_at)
             VALUES ($1, $2, $3, $4, $5, 'bbpos_wisepos_e', $6, '2.31.1.0', '10.0.0.12', $7, $8, $8, $8)",
        )
        .bind(&connection)
        .bind(new_id("tmr"))
        .bind(tenant)
        .bind(format!("Till {n:04}"))
        .bind(&locations[n % locations.len()])
        .bind(format!("WPE-{n:08}"))
        .bind(if n % 7 == 0 { "offline" } else { "online" })
        .bind(now - (n as i64) * 1000)
        .execute(&mut *tx)
        .await
        .map_err(setup)?;
    }
    tx.commit().await.map_err(setup)?;
    // Written behind the server's back, where the sync would have announced it on the live bus:
    // nothing cached before may hide it.
    running.state.bus.cache().forget_all();
    Ok(())
}

/// Gives the tenant `count` payments spread over its readers and locations, the newest first
/// page of which the Transactions, Overview and reader pages show; returns how many.
async fn seed_payments(
    running: &server::Running,
    tenant: &str,
    count: usize,
) -> Result<usize, BenchError> {
    let db = &running.state.db.pool;
    let readers: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT connection_id, id, location_id FROM readers WHERE tenant_id = $1 ORDER BY id",
    )
    .bind(tenant)
    .fetch_all(db)
    .await
    .map_err(setup)?;
    if readers.is_empty() {
        return Ok(0);
    }
    let statuses = [
        "succeeded",
        "succeeded",
        "succeeded",
        "canceled",
        "requires_capture",
    ];
    let base = now_ms() - count as i64 * 60_000;
    for chunk in (0..count).collect::<Vec<_>>().chunks(500) {
        let mut tx = running.state.db.begin_write().await.map_err(setup)?;
        for &i in chunk {
            let (connection, reader, location) = &readers[i % readers.len()];
            let status = statuses[i % statuses.len()];
            let amount = 100 + (i % 9_900) as i64;
            let at = base + i as i64 * 60_000;
            sqlx::query(
                "INSERT INTO payments (connection_id, id, tenant_id, location_id, reader_id, amount,
                 currency, capture_method, status, state_rank, amount_received, amount_refunded,
                 card_brand, card_last4, stripe_created, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, 'usd', 'automatic', $7, 4, $8, 0, 'visa', '4242', $9, $10, $10)",
            )
            .bind(connection)
            .bind(new_id("pi"))
            .bind(tenant)
            .bind(location)
            .bind(reader)
            .bind(amount)
            .bind(status)
            .bind(if status == "succeeded" { amount } else { 0 })
            .bind(at / 1000)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(setup)?;
        }
        tx.commit().await.map_err(setup)?;
    }
    Ok(count)
}

//! Server-side rendering of the Readers page for a tenant with many readers, under concurrent
//! load, beside a bare axum handler measured the same way in the same run (the floor set by
//! HTTP, the runtime and the machine).

use super::common::{setup, signed_in_user, start, BenchError};
use super::stats::summarise;
use app::ssr::ids::{new_id, now_ms};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

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

    // A bare handler on its own port, for the floor.
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

    let url = format!("http://{}/readers", running.addr);
    // Warm up (connection pools, caches), then measure.
    load(url.clone(), false, Some(cookie.clone()), 100, 8).await?;
    let (rps, times, failed) =
        load(url, false, Some(cookie.clone()), requests, concurrency).await?;
    let s = summarise(times);
    println!(
        "Readers page ({readers} readers, first page of 50, signed in): {rps:.0} requests/s, p50 {:.1} ms, p99 {:.1} ms at {concurrency} connections ({failed} failed)",
        s.p50_ms, s.p99_ms
    );
    // The same data without rendering: the server function the page calls.
    let (rps, times, failed) = load(
        format!("http://{}/sf/list_readers", running.addr),
        true,
        Some(cookie),
        requests,
        concurrency,
    )
    .await?;
    let s = summarise(times);
    println!(
        "list_readers server function alone:        {rps:.0} requests/s, p50 {:.1} ms, p99 {:.1} ms at {concurrency} connections ({failed} failed)",
        s.p50_ms, s.p99_ms
    );
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
        "Bare axum handler (same run):              {rps:.0} requests/s, p50 {:.1} ms, p99 {:.1} ms at {concurrency} connections ({failed} failed)",
        s.p50_ms, s.p99_ms
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
    Ok(())
}

//! The All stores page for a franchise user across many organisations: 500 stores and 5,000
//! readers by default, with a day of payments, rendered on the server and as its server
//! function, under concurrent load.

use super::common::{after_seeding, setup, signed_in_user, start, BenchError};
use super::readers_page::{bare_handler, load};
use super::stats::summarise;
use app::ssr::ids::{new_id, now_ms};

/// How big a franchise to build and how hard to load its page.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub tenants: usize,
    pub stores: usize,
    pub readers: usize,
    pub payments: usize,
    pub requests: usize,
    pub concurrency: usize,
}

pub async fn run(
    database_url: &str,
    data_dir: &std::path::Path,
    shape: Shape,
) -> Result<(), BenchError> {
    let Shape {
        tenants,
        stores,
        readers,
        payments,
        requests,
        concurrency,
    } = shape;
    let running = start(database_url, data_dir, false).await?;
    let base = format!("http://{}", running.addr);
    let (cookie, _) = signed_in_user(&running, "franchise-bench@example.com").await?;
    let http = reqwest::Client::new();
    for n in 1..tenants.max(1) {
        let r = http
            .post(format!("{base}/sf/create_tenant"))
            .header("origin", &base)
            .header("accept", "application/json")
            .header("cookie", &cookie)
            .form(&[("name", format!("Franchise {n:02}"))])
            .send()
            .await
            .map_err(setup)?;
        if !r.status().is_success() {
            return Err(setup(format!("create_tenant answered {}", r.status())));
        }
    }
    let db = &running.state.db.pool;
    let connections: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.tenant_id, c.id FROM stripe_connections c
         JOIN memberships m ON m.tenant_id = c.tenant_id
         JOIN users u ON u.id = m.user_id WHERE u.email = 'franchise-bench@example.com'",
    )
    .fetch_all(db)
    .await
    .map_err(setup)?;
    if connections.is_empty() {
        return Err(setup("no connections"));
    }
    let now = now_ms();
    let cities = [
        "Lyon", "Munich", "Austin", "Leeds", "Porto", "Osaka", "Perth", "Quebec",
    ];
    let mut tx = running.state.db.begin_write().await.map_err(setup)?;
    let mut placed: Vec<(String, String, String)> = Vec::new();
    for n in 0..stores {
        let (tenant, connection) = &connections[n % connections.len()];
        let id = new_id("tml");
        sqlx::query(
            "INSERT INTO locations (connection_id, id, tenant_id, display_name, line1, city, state,
             postal_code, country, synced_at) VALUES ($1, $2, $3, $4, '1 Main St', $5, 'CA', '94105', 'US', $6)",
        )
        .bind(connection)
        .bind(&id)
        .bind(tenant)
        .bind(format!("Store {n:03}"))
        .bind(cities[n % cities.len()])
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(setup)?;
        placed.push((tenant.clone(), connection.clone(), id));
    }
    // Readers and payments go in 500 rows a statement, so the large shape (50,000 readers,
    // 500,000 payments) seeds in seconds on PostgreSQL too.
    let mut tills: Vec<String> = Vec::new();
    for chunk in (0..readers).collect::<Vec<_>>().chunks(500) {
        let mut sql = String::from(
            "INSERT INTO readers (connection_id, id, tenant_id, label, location_id, device_type,
             serial_number, status, last_seen_at, status_since, synced_at, alert_since) VALUES ",
        );
        for (i, &n) in chunk.iter().enumerate() {
            let (tenant, connection, location) = &placed[n % placed.len()];
            let id = new_id("tmr");
            let seen = now - (n as i64) * 1000;
            let alert = if n % 27 == 0 {
                (now - 600_000).to_string()
            } else {
                "NULL".into()
            };
            let status = if n % 9 == 0 { "offline" } else { "online" };
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "('{connection}', '{id}', '{tenant}', 'Till {n:05}', '{location}', 'bbpos_wisepos_e', 'WPE-{n:08}', '{status}', {seen}, {seen}, {seen}, {alert})"
            ));
            tills.push(id);
        }
        sqlx::query(&sql).execute(&mut *tx).await.map_err(setup)?;
    }
    // Payments spread over the last ten days, so "today" is a tenth of them.
    for chunk in (0..payments).collect::<Vec<_>>().chunks(500) {
        let mut sql = String::from(
            "INSERT INTO payments (connection_id, id, tenant_id, reader_id, location_id, amount,
             currency, capture_method, status, state_rank, amount_received, stripe_created,
             created_at, updated_at) VALUES ",
        );
        for (i, &n) in chunk.iter().enumerate() {
            let store = n % placed.len();
            let (tenant, connection, location) = &placed[store];
            let at = now - (n as i64 % 10) * 86_400_000 - (n as i64 % 3_600) * 1000;
            let amount = 500 + (n as i64 % 5_000);
            let till = &tills[store % tills.len().max(1)];
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "('{connection}', '{}', '{tenant}', '{till}', '{location}', {amount}, 'usd', 'automatic', 'succeeded', 4, {amount}, {}, {at}, {at})",
                new_id("pi"),
                at / 1000
            ));
        }
        sqlx::query(&sql).execute(&mut *tx).await.map_err(setup)?;
    }
    tx.commit().await.map_err(setup)?;
    // The rows went in around the figures kept beside them.
    after_seeding(&running.state.db).await?;

    let page = format!("{base}/stores");
    load(page.clone(), false, Some(cookie.clone()), 50, 4).await?;
    let (rps, times, failed) =
        load(page, false, Some(cookie.clone()), requests, concurrency).await?;
    let s = summarise(times);
    println!(
        "All stores page, first page of {} ({} organisations, {stores} stores, {readers} readers, {payments} payments, signed in): {rps:.0} requests/s, p50 {:.1} ms, p99 {:.1} ms at {concurrency} connections ({failed} failed)",
        app::stores::types::STORES_PER_PAGE,
        connections.len(),
        s.p50_ms,
        s.p99_ms
    );
    let (rps, times, failed) = load(
        format!("{base}/sf/all_stores"),
        true,
        Some(cookie),
        requests,
        concurrency,
    )
    .await?;
    let s = summarise(times);
    println!(
        "all_stores server function alone: {rps:.0} requests/s, p50 {:.1} ms, p99 {:.1} ms at {concurrency} connections ({failed} failed)",
        s.p50_ms, s.p99_ms
    );
    let bare = bare_handler().await?;
    let (rps, times, failed) = load(
        format!("http://{bare}/"),
        false,
        None,
        requests,
        concurrency,
    )
    .await?;
    let s = summarise(times);
    println!(
        "bare axum handler (same run): {rps:.0} requests/s, p50 {:.1} ms, p99 {:.1} ms at {concurrency} connections ({failed} failed)",
        s.p50_ms, s.p99_ms
    );
    running.kill();
    Ok(())
}

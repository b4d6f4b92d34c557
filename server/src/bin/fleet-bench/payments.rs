//! Payments at scale: webhook ingest (verified, stored and applied events per second) beside the
//! raw insert rate of the same database, and the transactions list at a million rows.

use super::common::{
    after_seeding, cpu_seconds, cpu_seconds_of, setup, signed_in_user, start, BenchError,
};
use super::stats::summarise;
use app::ssr::ids::now_ms;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// What a run of jobs cost: jobs per second, and CPU microseconds per job of this process
/// (server and client both: the server runs in-process) and of a local PostgreSQL.
struct Cost {
    per_second: f64,
    cpu_us: f64,
    database_cpu_us: f64,
}

/// [`rate`], with the CPU time it took.
async fn cost<F, Fut>(total: usize, concurrency: usize, job: F) -> Result<Cost, BenchError>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), BenchError>> + Send,
{
    let (cpu, database) = (cpu_seconds("self"), cpu_seconds_of("postgres"));
    let per_second = rate(total, concurrency, job).await?;
    let per_job = |used: f64| used * 1e6 / total as f64;
    Ok(Cost {
        per_second,
        cpu_us: per_job(cpu_seconds("self") - cpu),
        database_cpu_us: per_job(cpu_seconds_of("postgres") - database),
    })
}

/// Runs `total` jobs over `concurrency` tasks; returns jobs per second.
async fn rate<F, Fut>(total: usize, concurrency: usize, job: F) -> Result<f64, BenchError>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), BenchError>> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let job = Arc::new(job);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (next, job) = (next.clone(), job.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    return Ok::<(), BenchError>(());
                }
                job(i).await?;
            }
        }));
    }
    for t in tasks {
        t.await.map_err(setup)??;
    }
    Ok(total as f64 / started.elapsed().as_secs_f64())
}

pub async fn webhooks(
    database_url: &str,
    data_dir: &std::path::Path,
    events: usize,
    concurrency: usize,
) -> Result<(), BenchError> {
    let running = start(database_url, data_dir, false).await?;
    let (_, tenant) = signed_in_user(&running, "ingest-bench@example.com").await?;
    let state = running.state.clone();
    let (connection, sealed): (String, String) =
        sqlx::query_as("SELECT id, webhook_secret FROM stripe_connections WHERE tenant_id = $1")
            .bind(&tenant)
            .fetch_one(&state.db.pool)
            .await
            .map_err(setup)?;
    let secret = app::ssr::secrets::open(
        &state.settings.master_key,
        &app::ssr::stripe_access::purpose(&connection, "webhook_secret"),
        &sealed,
    )
    .map_err(setup)?;
    let url = format!("http://{}/webhooks/stripe/{connection}", running.addr);
    let http = reqwest::Client::new();
    let now = now_ms() / 1000;
    // A warm-up of a fifth as many events (at most 1,000) goes first, then ANALYZE, as
    // autovacuum would run it within a minute of a new database filling: on tables PostgreSQL
    // has never analysed, the statements' cached plans scan, and each event would cost more
    // than the one before. What is measured is the steady state after it.
    let warmup = (events / 5).min(1000);
    let bodies: Arc<Vec<String>> = Arc::new(
        (0..events + warmup)
            .map(|n| {
                let n = if n < warmup {
                    n + 90_000_000
                } else {
                    n - warmup
                };
                serde_json::json!({
                    "id": format!("evt_bench{n:08}"), "object": "event",
                    "type": "payment_intent.succeeded", "created": now, "livemode": false,
                    "pending_webhooks": 1, "api_version": "2026-10-28.endive",
                    "request": {"id": null, "idempotency_key": null},
                    "data": {"object": {
                        "id": format!("pi_bench{n:08}"), "object": "payment_intent",
                        "amount": 1000 + n as i64, "amount_capturable": 0,
                        "amount_received": 1000 + n as i64, "currency": "usd",
                        "status": "succeeded", "capture_method": "automatic",
                        "payment_method_types": ["card_present"], "created": now,
                        "livemode": false, "metadata": {}
                    }}
                })
                .to_string()
            })
            .collect(),
    );
    let deliver = |offset: usize| {
        let (http, url, bodies, secret) =
            (http.clone(), url.clone(), bodies.clone(), secret.clone());
        move |n: usize| {
            let (http, url, bodies, secret) =
                (http.clone(), url.clone(), bodies.clone(), secret.clone());
            async move {
                let body = &bodies[offset + n];
                let signature =
                    fleet_stripe::webhook::sign_header(&secret, now_ms() / 1000, body.as_bytes());
                let r = http
                    .post(&url)
                    .header("stripe-signature", signature)
                    .body(body.clone())
                    .send()
                    .await
                    .map_err(setup)?;
                if r.status().is_success() {
                    Ok(())
                } else {
                    Err(setup(format!("webhook answered {}", r.status())))
                }
            }
        }
    };
    rate(warmup, concurrency, deliver(0)).await?;
    let warmed = running.webhooks.figures();
    if state.db.backend == app::ssr::db::Backend::Postgres {
        sqlx::query("ANALYZE")
            .execute(&state.db.pool)
            .await
            .map_err(setup)?;
    }
    let ingest = cost(events, concurrency, deliver(warmup)).await?;
    let applied: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM webhook_events WHERE outcome = 'applied' AND id < 'evt_bench9'",
    )
    .fetch_one(&state.db.pool)
    .await
    .map_err(setup)?;
    let payments: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM payments WHERE id < 'pi_bench9'")
        .fetch_one(&state.db.pool)
        .await
        .map_err(setup)?;

    sqlx::query("CREATE TABLE bench_raw (id TEXT PRIMARY KEY, payload TEXT NOT NULL)")
        .execute(&state.db.pool)
        .await
        .map_err(setup)?;
    let raw = {
        let (db, bodies) = (state.db.clone(), bodies.clone());
        cost(events, concurrency, move |n| {
            let (db, bodies) = (db.clone(), bodies.clone());
            async move {
                sqlx::query("INSERT INTO bench_raw (id, payload) VALUES ($1, $2)")
                    .bind(format!("raw{n:08}"))
                    .bind(&bodies[n])
                    .execute(&db.pool)
                    .await
                    .map_err(setup)?;
                Ok(())
            }
        })
        .await?
    };
    println!(
        "webhook ingest: {events} events over {concurrency} connections: {:.0} events/s verified + stored + applied ({applied} applied, {payments} payments); CPU per event {:.0} µs in-process (server + client), {:.0} µs local PostgreSQL",
        ingest.per_second, ingest.cpu_us, ingest.database_cpu_us
    );
    let all = running.webhooks.figures();
    let (batches, delivered) = (all.batches - warmed.batches, all.events - warmed.events);
    println!(
        "  group commit: {batches} transactions, {:.1} events each on average, {} at most, {} isolated after a failure (after {warmup} warm-up events{})",
        delivered as f64 / batches.max(1) as f64,
        all.largest,
        all.isolated,
        if state.db.backend == app::ssr::db::Backend::Postgres { " and ANALYZE" } else { "" }
    );
    println!(
        "raw insert of the same payloads, same database and concurrency: {:.0} rows/s; CPU per row {:.0} µs in-process, {:.0} µs local PostgreSQL",
        raw.per_second, raw.cpu_us, raw.database_cpu_us
    );
    running.kill();
    Ok(())
}

pub async fn transactions(
    database_url: &str,
    data_dir: &std::path::Path,
    rows: usize,
    samples: usize,
) -> Result<(), BenchError> {
    let running = start(database_url, data_dir, false).await?;
    let (cookie, tenant) = signed_in_user(&running, "tx-bench@example.com").await?;
    let db = &running.state.db;
    let connection: String =
        sqlx::query_scalar("SELECT id FROM stripe_connections WHERE tenant_id = $1")
            .bind(&tenant)
            .fetch_one(&db.pool)
            .await
            .map_err(setup)?;
    println!("Inserting {rows} payments…");
    let started = Instant::now();
    let base = now_ms() - rows as i64 * 1000;
    let batch = 500;
    let statuses = [
        "succeeded",
        "succeeded",
        "succeeded",
        "canceled",
        "requires_capture",
    ];
    let mut n = 0;
    while n < rows {
        let end = (n + batch).min(rows);
        let mut sql = String::from(
            "INSERT INTO payments (connection_id, id, tenant_id, location_id, reader_id, amount,
             currency, capture_method, status, state_rank, amount_received, amount_refunded,
             card_brand, card_last4, stripe_created, created_at, updated_at) VALUES ",
        );
        for i in n..end {
            let status = statuses[i % statuses.len()];
            let amount = 100 + (i % 9_900) as i64;
            let received = if status == "succeeded" { amount } else { 0 };
            let refunded = if i % 40 == 0 { received } else { 0 };
            let at = base + i as i64 * 1000;
            if i > n {
                sql.push(',');
            }
            sql.push_str(&format!(
                "('{connection}', 'pi_{i:09}', '{tenant}', 'tml_{:02}', 'tmr_{:03}', {amount}, 'usd', 'automatic', '{status}', 4, {received}, {refunded}, 'visa', '{:04}', {}, {at}, {at})",
                i % 20,
                // Five readers per store.
                i % 100,
                i % 10_000,
                at / 1000
            ));
        }
        sqlx::query(&sql).execute(&db.pool).await.map_err(setup)?;
        n = end;
    }
    println!("  inserted in {:.1} s", started.elapsed().as_secs_f64());
    // The rows went in around the figures kept beside them.
    after_seeding(db).await?;
    let http = reqwest::Client::new();
    let url = format!("http://{}/sf/list_transactions", running.addr);
    let origin = format!("http://{}", running.addr);
    let day = |days_ago: i64| {
        let at = time::OffsetDateTime::from_unix_timestamp(now_ms() / 1000 - days_ago * 86_400)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        format!(
            "{:04}-{:02}-{:02}",
            at.year(),
            u8::from(at.month()),
            at.day()
        )
    };
    let (from, to) = (day(6), day(3));
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("first page, no filter", vec![]),
        ("status succeeded", vec![("query[status]", "succeeded")]),
        ("status refunded", vec![("query[status]", "refunded")]),
        ("one location", vec![("query[location]", "tml_07")]),
        ("one reader", vec![("query[reader]", "tmr_042")]),
        (
            "date range, 4 days",
            vec![("query[from]", &from), ("query[to]", &to)],
        ),
        (
            "refunded at one location",
            vec![("query[status]", "refunded"), ("query[location]", "tml_07")],
        ),
        (
            "declined at one location (matches nothing)",
            vec![("query[status]", "declined"), ("query[location]", "tml_07")],
        ),
        (
            "canceled on one reader, 4 days",
            vec![
                ("query[status]", "canceled"),
                ("query[reader]", "tmr_042"),
                ("query[from]", &from),
                ("query[to]", &to),
            ],
        ),
        ("card last4 4242", vec![("query[card]", "4242")]),
    ];
    let totals_url = format!("http://{}/sf/transaction_totals", running.addr);
    for (name, form) in cases {
        for (what, url) in [("page of 50", &url), ("totals", &totals_url)] {
            let mut times = Vec::new();
            for _ in 0..samples {
                let t = Instant::now();
                let r = http
                    .post(url)
                    .header("cookie", &cookie)
                    .header("origin", &origin)
                    .header("accept", "application/json")
                    .form(&form)
                    .send()
                    .await
                    .map_err(setup)?;
                if !r.status().is_success() {
                    return Err(setup(format!("{name}: {}", r.status())));
                }
                let _ = r.bytes().await;
                times.push(t.elapsed());
            }
            let s = summarise(times);
            println!(
                "  {name}, {what}: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (over HTTP)",
                s.p50_ms, s.p99_ms, s.max_ms
            );
        }
    }
    running.kill();
    Ok(())
}

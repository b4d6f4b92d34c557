//! Audit log paging at scale: the first page, a filtered page and a deep keyset page, with the
//! tenant's log holding `rows` entries among other tenants' entries.

use super::stats::summarise;
use app::audit::ssr::audit_service;
use app::audit::types::AuditFilter;
use app::ssr::ids::{new_id, now_ms};
use app::ssr::{Db, StoreError};
use std::time::Instant;

const ACTIONS: [&str; 5] = [
    "member.invited",
    "member.role_changed",
    "reader.registered",
    "payment.refunded",
    "user.signed_in",
];

pub async fn run(database_url: &str, rows: usize, samples: usize) -> Result<(), StoreError> {
    let db = Db::connect(database_url).await?;
    db.migrate().await?;
    let tenant = new_id("ten");
    let other = new_id("ten");
    let now = now_ms();
    for id in [&tenant, &other] {
        sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, 'bench', $2)")
            .bind(id)
            .bind(now)
            .execute(&db.pool)
            .await?;
    }
    let started = Instant::now();
    const BATCH: usize = 500;
    let mut written = 0;
    while written < rows * 2 {
        let mut tx = db.begin_write().await?;
        for i in written..(written + BATCH).min(rows * 2) {
            // Every other row belongs to another tenant, so the scope filter has work to do.
            let t = if i % 2 == 0 { &tenant } else { &other };
            sqlx::query(
                "INSERT INTO audit_log (id, tenant_id, actor_email, action, target_type, target_id, at)
                 VALUES ($1, $2, $3, $4, 'reader', $5, $6)",
            )
            .bind(new_id("aud"))
            .bind(t)
            .bind(format!("user{}@example.com", i % 40))
            .bind(ACTIONS[i % ACTIONS.len()])
            .bind(format!("tmr_{i}"))
            .bind(now - (rows as i64 * 2 - i as i64) * 1000)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        written = (written + BATCH).min(rows * 2);
    }
    let insert_secs = started.elapsed().as_secs_f64();
    println!(
        "audit bench on {:?}: {} rows for the tenant ({} in all), inserted at {:.0} rows/s",
        db.backend,
        rows,
        rows * 2,
        (rows * 2) as f64 / insert_secs
    );

    let deep_cursor = {
        let mut filter = AuditFilter::default();
        let mut cursor = None;
        for _ in 0..20 {
            filter.before = cursor.clone();
            let page = audit_service::list(&db, &tenant, &filter)
                .await
                .map_err(|e| StoreError::Sql(sqlx::Error::Protocol(e.to_string())))?;
            cursor = page.next;
        }
        cursor
    };
    let cases = [
        ("first page", AuditFilter::default()),
        (
            "filtered by action",
            AuditFilter {
                action: Some("payment.refunded".into()),
                ..AuditFilter::default()
            },
        ),
        (
            "filtered by actor",
            AuditFilter {
                actor: Some("user7@example.com".into()),
                ..AuditFilter::default()
            },
        ),
        (
            "page 21 (keyset)",
            AuditFilter {
                before: deep_cursor,
                ..AuditFilter::default()
            },
        ),
    ];
    println!(
        "{:<22} {:>10} {:>10} {:>10}",
        "query", "p50 ms", "p99 ms", "max ms"
    );
    for (name, filter) in cases {
        let mut timings = Vec::with_capacity(samples);
        for _ in 0..samples {
            let t = Instant::now();
            let page = audit_service::list(&db, &tenant, &filter)
                .await
                .map_err(|e| StoreError::Sql(sqlx::Error::Protocol(e.to_string())))?;
            timings.push(t.elapsed());
            std::hint::black_box(page);
        }
        let s = summarise(timings);
        println!(
            "{name:<22} {:>10.2} {:>10.2} {:>10.2}",
            s.p50_ms, s.p99_ms, s.max_ms
        );
    }
    Ok(())
}

//! Periodic clean-up: expired sessions, old sign-in and sign-up attempts, old API idempotency
//! keys, finished notification deliveries and bulk jobs, and secrets nobody came to see; and
//! every hour, the repair pass of the figures kept beside payments and readers.

use app::ssr::Db;
use std::time::Duration;

const HOUR_MS: i64 = 3600 * 1000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// One clean-up: rows of `sql` older than `keep_ms` (bound as `$1`, a time in Unix ms) go.
struct Prune {
    what: &'static str,
    keep_ms: i64,
    sql: &'static str,
}

const PRUNES: &[Prune] = &[
    Prune {
        what: "expired sessions",
        keep_ms: 0,
        sql: "DELETE FROM sessions WHERE expiry_date <= $1",
    },
    // Attempts older than a day no longer count towards throttling.
    Prune {
        what: "sign-in attempts",
        keep_ms: DAY_MS,
        sql: "DELETE FROM login_attempts WHERE at < $1",
    },
    Prune {
        what: "sign-up attempts",
        keep_ms: DAY_MS,
        sql: "DELETE FROM sign_up_attempts WHERE at < $1",
    },
    // A Connect consent nobody came back from within an hour is only clutter.
    Prune {
        what: "Connect consents",
        keep_ms: HOUR_MS,
        sql: "DELETE FROM connect_flows WHERE created_at < $1",
    },
    // Like Stripe, an Idempotency-Key is remembered for 24 hours.
    Prune {
        what: "API idempotency keys",
        keep_ms: DAY_MS,
        sql: "DELETE FROM api_idempotency WHERE created_at < $1",
    },
    // The notification log keeps 30 days of finished deliveries, like Stripe's.
    Prune {
        what: "notification deliveries",
        keep_ms: 30 * DAY_MS,
        sql: "DELETE FROM notification_deliveries WHERE status <> 'pending' AND updated_at < $1",
    },
    // A finished bulk job's page is kept as long as the notification log; its rows go first
    // (the job's own delete would cascade to them only where foreign keys are enforced). The
    // registration codes it used stay, so a file sent again still registers nothing twice.
    Prune {
        what: "bulk job rows",
        keep_ms: 30 * DAY_MS,
        sql: "DELETE FROM reader_bulk_rows WHERE job_id IN
              (SELECT id FROM reader_bulk_jobs WHERE status = 'done' AND finished_at < $1)",
    },
    Prune {
        what: "bulk jobs",
        keep_ms: 30 * DAY_MS,
        sql: "DELETE FROM reader_bulk_jobs WHERE status = 'done' AND finished_at < $1",
    },
    Prune {
        what: "unclaimed secrets",
        keep_ms: 0,
        sql: "DELETE FROM secret_reveals WHERE expires_at <= $1",
    },
];

/// Runs every clean-up once; a failing one is logged and the others still run.
pub async fn prune(db: &Db) {
    let now = app::ssr::ids::now_ms();
    for p in PRUNES {
        if let Err(err) = sqlx::query(p.sql)
            .bind(now - p.keep_ms)
            .execute(&db.pool)
            .await
        {
            tracing::warn!(error = %err, what = p.what, "could not prune");
        }
    }
}

pub fn spawn(db: Db) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        for round in 0u64.. {
            tick.tick().await;
            // The first round too: an instance that starts after a hand-made change repairs it.
            if round % 6 == 0 {
                // Each repair is logged with what differed.
                if let Err(err) = app::payments::ssr::figures_repair::repair_all(&db).await {
                    tracing::warn!(error = %err, "could not check the kept figures");
                }
            }
            prune(&db).await;
        }
    })
}

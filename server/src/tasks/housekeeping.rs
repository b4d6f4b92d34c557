//! Periodic clean-up: expired sessions, old sign-in and sign-up attempts, old API
//! idempotency keys and finished notification deliveries; and every hour, the repair pass of
//! the figures kept beside payments and readers.

use app::ssr::Db;
use std::time::Duration;

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
            let now = app::ssr::ids::now_ms();
            if let Err(err) = sqlx::query("DELETE FROM sessions WHERE expiry_date <= $1")
                .bind(now)
                .execute(&db.pool)
                .await
            {
                tracing::warn!(error = %err, "could not delete expired sessions");
            }
            // Attempts older than a day no longer count towards throttling.
            if let Err(err) = sqlx::query("DELETE FROM login_attempts WHERE at < $1")
                .bind(now - 24 * 3600 * 1000)
                .execute(&db.pool)
                .await
            {
                tracing::warn!(error = %err, "could not prune sign-in attempts");
            }
            if let Err(err) = sqlx::query("DELETE FROM sign_up_attempts WHERE at < $1")
                .bind(now - 24 * 3600 * 1000)
                .execute(&db.pool)
                .await
            {
                tracing::warn!(error = %err, "could not prune sign-up attempts");
            }
            // A Connect consent nobody came back from within an hour is only clutter.
            if let Err(err) = sqlx::query("DELETE FROM connect_flows WHERE created_at < $1")
                .bind(now - 3600 * 1000)
                .execute(&db.pool)
                .await
            {
                tracing::warn!(error = %err, "could not prune Connect consents");
            }
            // Like Stripe, an Idempotency-Key is remembered for 24 hours.
            if let Err(err) = sqlx::query("DELETE FROM api_idempotency WHERE created_at < $1")
                .bind(now - 24 * 3600 * 1000)
                .execute(&db.pool)
                .await
            {
                tracing::warn!(error = %err, "could not prune API idempotency keys");
            }
            // The notification log keeps 30 days of finished deliveries, like Stripe's.
            if let Err(err) = sqlx::query(
                "DELETE FROM notification_deliveries WHERE status <> 'pending' AND updated_at < $1",
            )
            .bind(now - 30 * 24 * 3600 * 1000)
            .execute(&db.pool)
            .await
            {
                tracing::warn!(error = %err, "could not prune notification deliveries");
            }
        }
    })
}

//! Applies webhook events that were stored but not applied: after a crash between storing and
//! applying, or when applying failed. Runs at start-up and then every few seconds.

use app::payments::ssr::webhook_service::apply_pending;
use app::ssr::AppState;
use std::time::Duration;

pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        loop {
            tick.tick().await;
            // Drain in batches so a backlog after downtime does not wait for the next tick.
            loop {
                match apply_pending(&state, 200).await {
                    Ok(200) => continue,
                    Ok(n) => {
                        if n > 0 {
                            tracing::info!(events = n, "applied queued webhook events");
                        }
                        break;
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "could not apply queued webhook events");
                        break;
                    }
                }
            }
        }
    })
}

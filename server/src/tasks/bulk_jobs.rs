//! Takes over bulk jobs (many readers registered, relabeled, deleted or stopped) whose instance
//! stopped working on them: at start-up and then every few seconds, any running job whose
//! lease has expired is resumed here from its first row still waiting.

use app::fleet::ssr::bulk_runner;
use app::ssr::AppState;
use std::time::Duration;

pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(10));
        loop {
            tick.tick().await;
            match bulk_runner::resume(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(jobs = n, "resumed bulk jobs"),
                Err(err) => tracing::warn!(error = %err, "could not look for bulk jobs to resume"),
            }
        }
    })
}

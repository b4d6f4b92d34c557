//! Waiting for what the server does in its own time (the sync, the webhook queue, another
//! process): a test waits for the condition it needs, never for a guessed stretch of time.

use std::future::Future;
use std::time::Duration;

/// How often a condition is looked at again.
pub const POLL: Duration = Duration::from_millis(100);

/// Polls `check` until it holds; fails the test naming `what` once `seconds` pass.
pub async fn eventually<F, Fut>(what: &str, seconds: u64, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    until(what, seconds, POLL, move || {
        let holds = check();
        async move { holds.await.then_some(()) }
    })
    .await
}

/// Polls `check` every `every` until it gives a value, and returns that value; fails the test
/// naming `what` once `seconds` pass.
pub async fn until<T, F, Fut>(what: &str, seconds: u64, every: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {seconds} s waiting for: {what}"
        );
        tokio::time::sleep(every).await;
    }
}

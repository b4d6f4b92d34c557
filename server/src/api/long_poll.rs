//! Held requests (`?wait=30s`): a till asks and is answered when what it waits for has
//! happened, or when its time is up. Each key holds only so many at once, and a held request
//! wakes on the live bus rather than polling the database.

use super::error::{ApiError, ApiResult};
use app::ssr::Caller;
use app::topic::Topic;
use axum::http::StatusCode;
use std::future::Future;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

/// The longest `?wait=` a caller may ask for; proxies commonly cut idle requests at 60 s.
pub const MAX_WAIT_SECONDS: u64 = 50;

/// `?wait=30s` (or `30`): how long to hold the request.
pub fn wait_of(text: Option<&str>) -> ApiResult<Option<Duration>> {
    let Some(text) = text else {
        return Ok(None);
    };
    let seconds = text
        .trim()
        .strip_suffix('s')
        .unwrap_or(text.trim())
        .parse::<u64>()
        .ok()
        .filter(|s| *s <= MAX_WAIT_SECONDS)
        .ok_or_else(|| {
            ApiError::invalid(
                "wait",
                format!("wait is a number of seconds from 0 to {MAX_WAIT_SECONDS}, such as 30s."),
            )
        })?;
    Ok(Some(Duration::from_secs(seconds)))
}

/// Looks with `look` until it says the wait is over (`(answer, true)`) or `wait` has passed,
/// looking again whenever this tenant's payments or readers change (and at least every
/// second, for a change published by an instance we do not hear).
pub async fn until<T, F, Fut>(caller: &Caller, wait: Duration, mut look: F) -> ApiResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ApiResult<(T, bool)>>,
{
    let cap = caller.state.settings.limits.long_polls_per_key;
    let key = caller.principal.id();
    let _held = caller
        .state
        .in_flight
        .long_polls
        .try_hold(key, cap)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_waits",
                format!("This API key already holds {cap} waiting requests. Wait for one to answer, or ask without ?wait."),
            )
            .retry_after(1)
        })?;
    // Subscribed before the first look, so a change between the look and the wait is not missed.
    let mut changes = caller.state.bus.subscribe_tenant(&caller.tenant_id);
    let deadline = Instant::now() + wait;
    loop {
        let (answer, done) = look().await?;
        if done || Instant::now() >= deadline {
            return Ok(answer);
        }
        let next_look = deadline.min(Instant::now() + Duration::from_secs(1));
        let _ = tokio::time::timeout_at(next_look, async {
            loop {
                match changes.recv().await {
                    Ok(envelope)
                        if envelope.tenant_id == caller.tenant_id
                            && matches!(
                                envelope.message.topic,
                                Topic::Payments | Topic::Readers
                            ) =>
                    {
                        return;
                    }
                    Ok(_) => continue,
                    Err(RecvError::Lagged(_)) => return,
                    Err(RecvError::Closed) => {
                        tokio::time::sleep_until(next_look).await;
                        return;
                    }
                }
            }
        })
        .await;
    }
}

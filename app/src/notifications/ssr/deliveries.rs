//! The database half of the delivery worker (`server/src/tasks/notifications.rs`, which makes
//! the HTTP calls): which deliveries are due, taking one under a lease so that of several
//! instances exactly one sends it, and recording what the receiver answered with the next
//! attempt backed off exponentially (with jitter) until a day has passed, then `failed`.

use super::endpoints_service::purpose;
use crate::ssr::ids::now_ms;
use crate::ssr::secrets;
use crate::ssr::state::AppState;
use crate::topic::Topic;
use rand::Rng;
use std::time::Duration;

/// How long a delivery is retried before it is given up.
pub const GIVE_UP_AFTER_MS: i64 = 24 * 3_600_000;
/// The longest wait between two attempts.
const MAX_DELAY_MS: i64 = 3_600_000;

/// A delivery taken under a lease, with what sending it needs.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: String,
    pub tenant_id: String,
    pub endpoint_id: String,
    pub url: String,
    /// The endpoint's signing secret, opened.
    pub secret: String,
    pub payload: String,
    pub attempts: i64,
    pub created_at: i64,
}

/// What the receiver did with one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// Its HTTP status, when it answered.
    pub status: Option<u16>,
    /// Why the attempt failed before (or instead of) a 2xx, in a sentence.
    pub error: Option<String>,
}

impl Attempt {
    pub fn delivered(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Deliveries due now and not leased: (delivery, endpoint), oldest first. Deliveries of a
/// switched-off endpoint wait for it to be switched on, except tests.
pub async fn due(state: &AppState, limit: i64) -> Result<Vec<(String, String)>, sqlx::Error> {
    let now = now_ms();
    sqlx::query_as(
        "SELECT d.id, d.endpoint_id FROM notification_deliveries d
         JOIN notification_endpoints e ON e.id = d.endpoint_id
         WHERE d.status = 'pending' AND d.next_attempt_at <= $1
           AND (d.lease_until IS NULL OR d.lease_until < $1)
           AND (e.enabled = 1 OR d.event_type = 'test')
         ORDER BY d.next_attempt_at, d.id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&state.db.pool)
    .await
}

/// Takes the delivery for `holder` until `lease` from now; `None` when another instance has
/// it, it is no longer due, or its endpoint's secret cannot be opened (then it is failed).
pub async fn claim(
    state: &AppState,
    id: &str,
    holder: &str,
    lease: Duration,
) -> Result<Option<Claimed>, sqlx::Error> {
    let now = now_ms();
    let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
    // The conditions are checked again on the row itself, so two instances racing for one
    // delivery cannot both see one row changed.
    let taken = sqlx::query(
        "UPDATE notification_deliveries SET lease_holder = $1, lease_until = $2
         WHERE id = $3 AND status = 'pending' AND next_attempt_at <= $4
           AND (lease_until IS NULL OR lease_until < $4)",
    )
    .bind(holder)
    .bind(now.saturating_add(lease_ms))
    .bind(id)
    .bind(now)
    .execute(&state.db.pool)
    .await?;
    if taken.rows_affected() != 1 {
        return Ok(None);
    }
    type Row = (String, String, String, String, String, i64, i64);
    let row: Option<Row> = sqlx::query_as(
        "SELECT d.tenant_id, d.endpoint_id, e.url, e.secret, d.payload, d.attempts, d.created_at
         FROM notification_deliveries d JOIN notification_endpoints e ON e.id = d.endpoint_id
         WHERE d.id = $1",
    )
    .bind(id)
    .fetch_optional(&state.db.pool)
    .await?;
    let Some((tenant_id, endpoint_id, url, sealed, payload, attempts, created_at)) = row else {
        return Ok(None);
    };
    let secret = match secrets::open(&state.settings.master_key, &purpose(&endpoint_id), &sealed) {
        Ok(secret) => secret,
        Err(e) => {
            tracing::error!(delivery = id, error = %e, "a notification endpoint's secret does not open");
            let attempt = Attempt {
                status: None,
                error: Some("The endpoint's secret could not be read; rotate it.".into()),
            };
            give_up(state, id, holder, &tenant_id, &attempt).await?;
            return Ok(None);
        }
    };
    Ok(Some(Claimed {
        id: id.to_string(),
        tenant_id,
        endpoint_id,
        url,
        secret,
        payload,
        attempts,
        created_at,
    }))
}

/// The wait before attempt `attempts + 1` after `attempts` failures: `base` doubled each time,
/// at most an hour, then between 75 % and 125 % of that so that deliveries failed together
/// do not all come back together.
pub fn backoff(base: Duration, attempts: i64) -> i64 {
    let base = i64::try_from(base.as_millis())
        .unwrap_or(MAX_DELAY_MS)
        .max(1);
    let doublings = u32::try_from((attempts - 1).clamp(0, 30)).unwrap_or(30);
    let delay = base.saturating_mul(1_i64 << doublings).min(MAX_DELAY_MS);
    let jitter: f64 = rand::thread_rng().gen_range(0.75..1.25);
    // Rounded to whole milliseconds; the delay is at most an hour, far inside f64's range.
    ((delay as f64) * jitter).round() as i64
}

/// Records one attempt of a delivery `holder` leased: delivered, or retried later, or failed
/// for good once retrying would pass a day.
pub async fn record(
    state: &AppState,
    delivery: &Claimed,
    holder: &str,
    attempt: &Attempt,
    base: Duration,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    let attempts = delivery.attempts + 1;
    let (status, next) = if attempt.delivered() {
        ("delivered", now)
    } else {
        let next = now.saturating_add(backoff(base, attempts));
        if next - delivery.created_at > GIVE_UP_AFTER_MS {
            ("failed", now)
        } else {
            ("pending", next)
        }
    };
    sqlx::query(
        "UPDATE notification_deliveries SET status = $1, attempts = $2, next_attempt_at = $3,
           last_status = $4, last_error = $5, updated_at = $6,
           delivered_at = CASE WHEN $1 = 'delivered' THEN $6 ELSE delivered_at END,
           lease_holder = NULL, lease_until = NULL
         WHERE id = $7 AND lease_holder = $8",
    )
    .bind(status)
    .bind(attempts)
    .bind(next)
    .bind(attempt.status.map(i64::from))
    .bind(attempt.error.as_deref())
    .bind(now)
    .bind(&delivery.id)
    .bind(holder)
    .execute(&state.db.pool)
    .await?;
    state
        .bus
        .publish(&delivery.tenant_id, Topic::Notifications, None)
        .await;
    Ok(())
}

async fn give_up(
    state: &AppState,
    id: &str,
    holder: &str,
    tenant_id: &str,
    attempt: &Attempt,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE notification_deliveries SET status = 'failed', last_error = $1, updated_at = $2,
           lease_holder = NULL, lease_until = NULL
         WHERE id = $3 AND lease_holder = $4",
    )
    .bind(attempt.error.as_deref())
    .bind(now_ms())
    .bind(id)
    .bind(holder)
    .execute(&state.db.pool)
    .await?;
    state
        .bus
        .publish(tenant_id, Topic::Notifications, None)
        .await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_with_jitter_up_to_an_hour() {
        let base = Duration::from_secs(30);
        for (attempts, nominal) in [(1, 30_000), (2, 60_000), (3, 120_000), (12, MAX_DELAY_MS)] {
            let wait = backoff(base, attempts);
            assert!(
                (nominal * 3 / 4..=nominal * 5 / 4).contains(&wait),
                "{attempts}: {wait}"
            );
        }
        assert!(backoff(base, 500) <= MAX_DELAY_MS * 5 / 4);
    }
}

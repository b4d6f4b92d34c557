//! `Idempotency-Key` for API writes. The key names one operation of one API key: the first
//! request runs it and its answer is kept for 24 hours; a retry with the same key and the same
//! request gets that answer again (`Idempotent-Replayed: true`), with a different request an
//! error. The operation id handed to the services comes from the key, so even a retry of a
//! request whose answer was lost (a crash, a timeout) reaches Stripe with the same Stripe
//! idempotency keys and cannot charge twice.

use super::error::{ApiError, ApiResult};
use app::ssr::ids::{now_ms, token_hash};
use app::ssr::Caller;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::future::Future;

pub const HEADER: &str = "idempotency-key";
/// How often a running request proves its instance is alive.
const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(2);
/// A running request whose heartbeat is older than this died with its instance: a retry takes
/// over (with the same operation id, so Stripe's own idempotency keys keep it to one charge).
/// Four missed beats, so a slow database write is not mistaken for a death.
const ABANDONED_MS: i64 = 8_000;

/// The `Idempotency-Key` header, checked: 1–255 visible ASCII characters.
pub fn key_of(headers: &HeaderMap) -> ApiResult<Option<String>> {
    let Some(value) = headers.get(HEADER) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 255 && t.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::invalid(
                "Idempotency-Key",
                "The Idempotency-Key header must be 1 to 255 visible ASCII characters, such as a UUID.",
            )
        })?;
    Ok(Some(text.to_string()))
}

/// The operation id of one idempotency key of one API key (letters and digits, as the services
/// expect).
fn operation_of(api_key: &str, key: &str) -> String {
    token_hash(&format!("{api_key}\n{key}"))
        .chars()
        .take(40)
        .collect()
}

/// A stored claim on an idempotency key.
#[derive(sqlx::FromRow)]
struct Claim {
    request_hash: String,
    status: Option<i64>,
    response: Option<String>,
    created_at: i64,
    heartbeat: i64,
}

/// What the handler produced: a status and a JSON body.
pub type Answer = (StatusCode, serde_json::Value);

/// Runs `work` once per idempotency key. Without a key, `required` refuses the request and
/// otherwise `work` runs with a fresh operation id.
pub async fn once<F, Fut>(
    caller: &Caller,
    key: Option<String>,
    required: bool,
    request: &str,
    work: F,
) -> Response
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ApiResult<Answer>>,
{
    let Some(key) = key else {
        if required {
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                "idempotency_key_required",
                "Send an Idempotency-Key header (a UUID per payment, reused on every retry of it) so a retry can never charge twice.",
            )
            .into_response();
        }
        return reply(work(app::payments::ssr::payments_service::new_operation()).await);
    };
    match run(caller, &key, request, work).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

async fn run<F, Fut>(caller: &Caller, key: &str, request: &str, work: F) -> ApiResult<Response>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ApiResult<Answer>>,
{
    let api_key = caller.principal.id();
    let op = operation_of(api_key, key);
    let fingerprint = token_hash(request);
    let db = &caller.state.db;
    let now = now_ms();
    let claimed = sqlx::query(
        "INSERT INTO api_idempotency (key_id, idempotency_key, request_hash, operation_id,
         created_at, heartbeat_at) VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT DO NOTHING",
    )
    .bind(api_key)
    .bind(key)
    .bind(&fingerprint)
    .bind(&op)
    .bind(now)
    .execute(&db.pool)
    .await
    .map_err(app::error::AppError::from)?
    .rows_affected()
        == 1;
    if !claimed {
        let row: Option<Claim> = sqlx::query_as(
            "SELECT request_hash, status, response, created_at,
                    COALESCE(heartbeat_at, created_at) AS heartbeat FROM api_idempotency
             WHERE key_id = $1 AND idempotency_key = $2",
        )
        .bind(api_key)
        .bind(key)
        .fetch_optional(&db.pool)
        .await
        .map_err(app::error::AppError::from)?;
        let Some(Claim {
            request_hash: hash,
            status,
            response,
            created_at,
            heartbeat,
        }) = row
        else {
            // Pruned between the two statements (a day old): the retry will claim it afresh.
            return Err(in_progress());
        };
        if hash != fingerprint {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "This Idempotency-Key was already used for a different request. Use a new key for a new payment.",
            ));
        }
        match (status, response) {
            (Some(status), Some(body)) => return Ok(replayed(status, &body)),
            _ if now - heartbeat < ABANDONED_MS => {
                return Err(in_progress());
            }
            _ => {
                // Its instance died mid-request: take it over, with the same operation id.
                let taken = sqlx::query(
                    "UPDATE api_idempotency SET created_at = $3, heartbeat_at = $3
                     WHERE key_id = $1 AND idempotency_key = $2 AND status IS NULL
                       AND created_at = $4",
                )
                .bind(api_key)
                .bind(key)
                .bind(now)
                .bind(created_at)
                .execute(&db.pool)
                .await
                .map_err(app::error::AppError::from)?;
                if taken.rows_affected() == 0 {
                    return Err(in_progress());
                }
            }
        }
    }
    let answer = with_heartbeat(db, api_key, key, now, work(op)).await;
    let (status, body) = match &answer {
        Ok((status, body)) => (*status, body.clone()),
        Err(err) => (err.status, err.body()),
    };
    let keep = !(status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS);
    let saved = if keep {
        sqlx::query(
            "UPDATE api_idempotency SET status = $3, response = $4
             WHERE key_id = $1 AND idempotency_key = $2 AND created_at = $5",
        )
        .bind(api_key)
        .bind(key)
        .bind(i64::from(status.as_u16()))
        .bind(body.to_string())
        .bind(now)
        .execute(&db.pool)
        .await
    } else {
        // Our failure, not an answer: the retry runs again, with the same operation id.
        sqlx::query(
            "DELETE FROM api_idempotency
             WHERE key_id = $1 AND idempotency_key = $2 AND created_at = $3",
        )
        .bind(api_key)
        .bind(key)
        .bind(now)
        .execute(&db.pool)
        .await
    };
    if let Err(err) = saved {
        tracing::warn!(error = %err, "could not record an idempotent answer");
    }
    Ok(reply(answer))
}

/// Runs `work` while beating the claim's heartbeat, so retries elsewhere know it is alive.
async fn with_heartbeat<T>(
    db: &app::ssr::db::Db,
    api_key: &str,
    key: &str,
    claim: i64,
    work: impl Future<Output = T>,
) -> T {
    tokio::pin!(work);
    let mut beat = tokio::time::interval(HEARTBEAT);
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is immediate, and the claim was just written.
    beat.tick().await;
    loop {
        tokio::select! {
            answer = &mut work => return answer,
            _ = beat.tick() => {
                let beaten = sqlx::query(
                    "UPDATE api_idempotency SET heartbeat_at = $4
                     WHERE key_id = $1 AND idempotency_key = $2 AND created_at = $3",
                )
                .bind(api_key)
                .bind(key)
                .bind(claim)
                .bind(now_ms())
                .execute(&db.pool)
                .await;
                if let Err(err) = beaten {
                    tracing::warn!(error = %err, "could not beat an idempotency heartbeat");
                }
            }
        }
    }
}

fn in_progress() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "idempotency_in_progress",
        "A request with this Idempotency-Key is still being processed. Retry in a moment.",
    )
    .retry_after(1)
}

fn reply(answer: ApiResult<Answer>) -> Response {
    match answer {
        Ok((status, body)) => (status, Json(body)).into_response(),
        Err(err) => err.into_response(),
    }
}

fn replayed(status: i64, body: &str) -> Response {
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let body: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let mut response = (status, Json(body)).into_response();
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

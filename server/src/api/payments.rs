//! `/api/v1/payments`: start a payment on a reader, learn its outcome (long-poll), capture,
//! cancel and refund.

use super::error::{ApiError, ApiResult};
use super::extract::{ApiPath, ApiQuery};
use super::idempotency::{self, Answer};
use super::types::Payment;
use super::ApiCaller;
use app::api_keys::types::ApiScope;
use app::fleet::ssr::reader_views;
use app::payments::ssr::payments_service::{self, Charge};
use app::ssr::Caller;
use app::topic::Topic;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

/// The longest `?wait=` a caller may ask for; proxies commonly cut idle requests at 60 s.
pub const MAX_WAIT_SECONDS: u64 = 50;
/// Stripe's largest amount for a card payment, in the smallest unit.
const MAX_AMOUNT: i64 = 99_999_999;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    pub reader: String,
    pub amount: i64,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub capture_method: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundBody {
    #[serde(default)]
    pub amount: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmptyBody {}

#[derive(Debug, Deserialize)]
pub struct GetQuery {
    pub wait: Option<String>,
}

/// The payment as the API shows it: its outcome from facts about it, final only when Stripe
/// agrees.
pub async fn load(caller: &Caller, id: &str) -> ApiResult<Payment> {
    Ok(Payment::new(
        payments_service::get_settled(caller, id).await?,
    ))
}

fn answer(status: StatusCode, payment: &Payment) -> Answer {
    (status, serde_json::to_value(payment).unwrap_or_default())
}

pub async fn create(
    Extension(api): Extension<ApiCaller>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let checked = async {
        api.need(ApiScope::Pos)?;
        let key = idempotency::key_of(&headers)?;
        let body: CreateBody = super::json_body(&body)?;
        if !(1..=MAX_AMOUNT).contains(&body.amount) {
            return Err(ApiError::invalid(
                "amount",
                format!("amount is in the currency's smallest unit (cents for USD) and must be from 1 to {MAX_AMOUNT}."),
            ));
        }
        if let Some(method) = body.capture_method.as_deref() {
            if !["automatic", "manual"].contains(&method) {
                return Err(ApiError::invalid(
                    "capture_method",
                    "capture_method must be automatic or manual.",
                ));
            }
        }
        Ok::<_, ApiError>((key, body))
    };
    let (key, body) = match checked.await {
        Ok(checked) => checked,
        Err(err) => return err.into_response(),
    };
    let request = format!(
        "create\n{}\n{}\n{}\n{}\n{}",
        body.reader,
        body.amount,
        body.currency.as_deref().unwrap_or(""),
        body.description.as_deref().unwrap_or(""),
        body.capture_method.as_deref().unwrap_or("")
    );
    let caller = api.caller.clone();
    idempotency::once(&api.caller, key, true, &request, |op| async move {
        let caller = &caller;
        let reader = reader_views::find(caller, &body.reader)
            .await
            .map_err(|e| match e {
                app::error::AppError::NotFound(m) => ApiError {
                    param: Some("reader".into()),
                    ..ApiError::new(StatusCode::NOT_FOUND, "not_found", m)
                },
                other => other.into(),
            })?;
        let currency = match body.currency {
            Some(currency) => currency,
            None => payments_service::default_currency(caller, &reader.connection_id).await?,
        };
        let id = payments_service::start_charge(
            caller,
            &Charge {
                reader_id: &reader.id,
                amount: body.amount,
                currency: &currency,
                description: body.description.as_deref().unwrap_or(""),
                capture: body.capture_method.as_deref().unwrap_or("automatic"),
                op: &op,
            },
        )
        .await?;
        Ok(answer(StatusCode::CREATED, &load(caller, &id).await?))
    })
    .await
}

/// `?wait=30s` (or `30`): seconds to hold the request until the payment has an outcome.
fn wait_of(query: &GetQuery) -> ApiResult<Option<Duration>> {
    let Some(text) = query.wait.as_deref() else {
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

pub async fn get(
    Extension(api): Extension<ApiCaller>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<GetQuery>,
) -> ApiResult<Json<Payment>> {
    api.need(ApiScope::Read)?;
    let wait = wait_of(&query)?;
    let caller = &api.caller;
    let Some(wait) = wait else {
        return Ok(Json(load(caller, &id).await?));
    };
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
    // Subscribed before the first read, so a change between the read and the wait is not missed.
    let mut changes = caller.state.bus.subscribe();
    let deadline = Instant::now() + wait;
    loop {
        let payment = load(caller, &id).await?;
        if payment.settled() || Instant::now() >= deadline {
            return Ok(Json(payment));
        }
        // A change to this tenant's payments or readers, or a second passing (a safety net for
        // a change published by an instance we do not hear), whichever comes first.
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

/// Capture, cancel and refund share this shape: scope, optional key, body, then the service.
#[allow(clippy::too_many_arguments)]
async fn act<B, F, Fut>(
    api: ApiCaller,
    scope: ApiScope,
    id: String,
    headers: HeaderMap,
    body: Bytes,
    what: &str,
    required_key: bool,
    run: F,
) -> Response
where
    B: for<'de> Deserialize<'de> + Default + std::fmt::Debug,
    F: FnOnce(Caller, String, B, String) -> Fut,
    Fut: std::future::Future<Output = ApiResult<()>>,
{
    let checked = (|| {
        api.need(scope)?;
        let key = idempotency::key_of(&headers)?;
        let parsed: B = super::optional_json_body(&body)?;
        Ok::<_, ApiError>((key, parsed))
    })();
    let (key, parsed) = match checked {
        Ok(checked) => checked,
        Err(err) => return err.into_response(),
    };
    let request = format!("{what}\n{id}\n{parsed:?}");
    let caller = api.caller.clone();
    idempotency::once(&api.caller, key, required_key, &request, |op| async move {
        run(caller.clone(), id.clone(), parsed, op).await?;
        Ok(answer(StatusCode::OK, &load(&caller, &id).await?))
    })
    .await
}

pub async fn capture(
    Extension(api): Extension<ApiCaller>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    act(
        api,
        ApiScope::Payments,
        id,
        headers,
        body,
        "capture",
        false,
        |caller, id, _: EmptyBody, op| async move {
            Ok(payments_service::capture(&caller, &id, &op).await?)
        },
    )
    .await
}

pub async fn cancel(
    Extension(api): Extension<ApiCaller>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    act(
        api,
        ApiScope::Pos,
        id,
        headers,
        body,
        "cancel",
        false,
        |caller, id, _: EmptyBody, op| async move {
            Ok(payments_service::cancel(&caller, &id, &op).await?)
        },
    )
    .await
}

pub async fn refund(
    Extension(api): Extension<ApiCaller>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    act(
        api,
        ApiScope::Payments,
        id,
        headers,
        body,
        "refund",
        true,
        |caller, id, body: RefundBody, op| async move {
            Ok(payments_service::refund_minor(&caller, &id, body.amount, &op).await?)
        },
    )
    .await
}

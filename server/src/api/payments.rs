//! `/api/v1/payments`: start a payment on a reader, learn its outcome (long-poll), capture,
//! cancel and refund.

use super::error::{ApiError, ApiResult};
use super::extract::{ApiPath, ApiQuery};
use super::idempotency::{self, Answer};
use super::long_poll;
use super::reader_screen::{cart_of, LineItem};
use super::types::Payment;
use super::ApiCaller;
use app::api_keys::types::ApiScope;
use app::fleet::ssr::{reader_screen, reader_views};
use app::payments::ssr::payments_service::{self, Charge};
use app::ssr::Caller;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;

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
    /// Shown on the reader as a cart before it asks for the card; they and `tax` must add up
    /// to `amount`.
    #[serde(default)]
    pub line_items: Option<Vec<LineItem>>,
    #[serde(default)]
    pub tax: Option<i64>,
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
    if body.tax.is_some() && body.line_items.is_none() {
        return ApiError::invalid("tax", "tax is shown with line_items; send both or neither.")
            .into_response();
    }
    let request = format!(
        "create\n{}\n{}\n{}\n{}\n{}\n{:?}\n{:?}",
        body.reader,
        body.amount,
        body.currency.as_deref().unwrap_or(""),
        body.description.as_deref().unwrap_or(""),
        body.capture_method.as_deref().unwrap_or(""),
        body.line_items,
        body.tax
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
        // The cart first, so the customer sees what they pay for; a cart that does not add up
        // to the amount starts nothing.
        if let Some(lines) = body.line_items {
            let cart = cart_of(
                caller,
                &reader.connection_id,
                Some(currency.clone()),
                lines,
                body.tax.unwrap_or(0),
                body.amount,
            )
            .await
            .map_err(|e| match e.param.as_deref() {
                Some("total") => ApiError {
                    param: Some("amount".into()),
                    ..e
                },
                _ => e,
            })?;
            reader_screen::show_cart(caller, &reader.id, &cart, &op).await?;
        }
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

pub async fn get(
    Extension(api): Extension<ApiCaller>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<GetQuery>,
) -> ApiResult<Json<Payment>> {
    api.need(ApiScope::Read)?;
    let caller = &api.caller;
    let Some(wait) = long_poll::wait_of(query.wait.as_deref())? else {
        return Ok(Json(load(caller, &id).await?));
    };
    let payment = long_poll::until(caller, wait, || async {
        let payment = load(caller, &id).await?;
        let settled = payment.settled();
        Ok((payment, settled))
    })
    .await?;
    Ok(Json(payment))
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

//! `/api/v1/readers/{id}/display` and `/api/v1/readers/{id}/collect_inputs`: the till shows its
//! cart on the reader, clears it, and asks the customer questions on the reader's screen.

use super::error::{ApiError, ApiResult};
use super::extract::{ApiPath, ApiQuery};
use super::idempotency;
use super::long_poll;
use super::types::{InputCollection, Reader};
use super::ApiCaller;
use app::api_keys::types::ApiScope;
use app::fleet::ssr::reader_screen::{self, Cart, CartLine, SimulatedAnswer};
use app::fleet::ssr::reader_views;
use app::payments::ssr::payments_service;
use app::ssr::Caller;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use fleet_stripe::enums::InputType;
use fleet_stripe::params::{
    ChoiceParams, CollectInputs, CustomTextParams, InputParams, SelectionParams, ToggleParams,
};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineItem {
    pub description: String,
    pub amount: i64,
    #[serde(default = "one")]
    pub quantity: i64,
}

fn one() -> i64 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisplayBody {
    pub line_items: Vec<LineItem>,
    #[serde(default)]
    pub tax: i64,
    pub total: i64,
    #[serde(default)]
    pub currency: Option<String>,
}

/// The cart a till sends, in the currency it names or the account's default.
pub async fn cart_of(
    caller: &Caller,
    connection_id: &str,
    currency: Option<String>,
    lines: Vec<LineItem>,
    tax: i64,
    total: i64,
) -> ApiResult<Cart> {
    let currency = match currency {
        Some(currency) => currency,
        None => payments_service::default_currency(caller, connection_id).await?,
    };
    let cart = Cart {
        currency,
        lines: lines
            .into_iter()
            .map(|l| CartLine {
                description: l.description,
                amount: l.amount,
                quantity: l.quantity,
            })
            .collect(),
        tax,
        total,
    };
    cart.check()?;
    Ok(cart)
}

/// Runs a reader command once per idempotency key (optional) and answers with `reader`.
async fn once_for_reader<F, Fut>(
    api: &ApiCaller,
    headers: &HeaderMap,
    request: String,
    work: F,
) -> Response
where
    F: FnOnce(Caller, String) -> Fut,
    Fut: std::future::Future<Output = ApiResult<serde_json::Value>>,
{
    let key = match idempotency::key_of(headers) {
        Ok(key) => key,
        Err(err) => return err.into_response(),
    };
    let caller = api.caller.clone();
    idempotency::once(&api.caller, key, false, &request, |op| async move {
        Ok((StatusCode::OK, work(caller, op).await?))
    })
    .await
}

fn reader_json(reader: app::fleet::types::ReaderView) -> serde_json::Value {
    serde_json::to_value(Reader::from(reader)).unwrap_or_default()
}

pub async fn show(
    Extension(api): Extension<ApiCaller>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = match api
        .need(ApiScope::Pos)
        .and_then(|()| super::json_body::<DisplayBody>(&body))
    {
        Ok(body) => body,
        Err(err) => return err.into_response(),
    };
    let request = format!("display\n{id}\n{body:?}");
    once_for_reader(&api, &headers, request, |caller, op| async move {
        let reader = reader_views::find(&caller, &id).await?;
        let cart = cart_of(
            &caller,
            &reader.connection_id,
            body.currency,
            body.line_items,
            body.tax,
            body.total,
        )
        .await?;
        Ok(reader_json(
            reader_screen::show_cart(&caller, &id, &cart, &op).await?,
        ))
    })
    .await
}

pub async fn clear(
    Extension(api): Extension<ApiCaller>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(err) = api.need(ApiScope::Pos) {
        return err.into_response();
    }
    let request = format!("clear_display\n{id}");
    once_for_reader(&api, &headers, request, |caller, op| async move {
        Ok(reader_json(
            reader_screen::clear_display(&caller, &id, &op).await?,
        ))
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomText {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub submit_button: Option<String>,
    #[serde(default)]
    pub skip_button: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub id: String,
    pub text: String,
    #[serde(default)]
    pub style: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selection {
    pub choices: Vec<Choice>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Toggle {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub default_value: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    #[serde(rename = "type")]
    pub kind: String,
    pub custom_text: CustomText,
    #[serde(default)]
    pub required: Option<bool>,
    #[serde(default)]
    pub selection: Option<Selection>,
    #[serde(default)]
    pub toggles: Option<Vec<Toggle>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectBody {
    pub inputs: Vec<Input>,
    #[serde(default)]
    pub metadata: Option<BTreeMap<String, String>>,
}

const INPUT_TYPES: &[&str] = &[
    "email",
    "numeric",
    "phone",
    "selection",
    "signature",
    "text",
];

/// The till's questions in Stripe's terms; the shapes are Stripe's, so its checks (lengths,
/// choices) apply and come back on the field they name.
fn stripe_inputs(body: CollectBody) -> ApiResult<CollectInputs> {
    let mut inputs = Vec::with_capacity(body.inputs.len());
    for (i, input) in body.inputs.into_iter().enumerate() {
        if !INPUT_TYPES.contains(&input.kind.as_str()) {
            return Err(ApiError::invalid(
                &format!("inputs[{i}][type]"),
                format!(
                    "An input's type is one of {}; “{}” is not.",
                    INPUT_TYPES.join(", "),
                    input.kind.chars().take(40).collect::<String>()
                ),
            ));
        }
        inputs.push(InputParams {
            kind: InputType::from(input.kind.as_str()),
            custom_text: CustomTextParams {
                title: input.custom_text.title,
                description: input.custom_text.description,
                submit_button: input.custom_text.submit_button,
                skip_button: input.custom_text.skip_button,
            },
            required: input.required,
            selection: input.selection.map(|s| SelectionParams {
                choices: s
                    .choices
                    .into_iter()
                    .map(|c| ChoiceParams {
                        id: c.id,
                        text: c.text,
                        style: c.style,
                    })
                    .collect(),
            }),
            toggles: input.toggles.map(|ts| {
                ts.into_iter()
                    .map(|t| ToggleParams {
                        title: t.title,
                        description: t.description,
                        default_value: t.default_value,
                    })
                    .collect()
            }),
        });
    }
    Ok(CollectInputs {
        inputs,
        metadata: body.metadata,
    })
}

pub async fn collect(
    Extension(api): Extension<ApiCaller>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = match api
        .need(ApiScope::Pos)
        .and_then(|()| super::json_body::<CollectBody>(&body))
        .and_then(stripe_inputs)
    {
        Ok(params) => params,
        Err(err) => return err.into_response(),
    };
    let request = format!("collect_inputs\n{id}\n{}", String::from_utf8_lossy(&body));
    once_for_reader(&api, &headers, request, |caller, op| async move {
        let reader = reader_screen::collect_inputs(&caller, &id, &params, &op).await?;
        let action = reader.action.ok_or_else(|| {
            ApiError::from(app::error::AppError::internal(
                "Stripe answered collect_inputs without the action",
            ))
        })?;
        Ok(serde_json::to_value(InputCollection::new(&id, action)).unwrap_or_default())
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct WaitQuery {
    pub wait: Option<String>,
}

fn no_collection() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_input_collection",
        "This reader's last action is not a collection of inputs: ask with POST …/collect_inputs first.",
    )
}

/// The reader's last collection of inputs, with the answers once the customer gave them.
/// With `?wait=`, held until the customer answered or the collection failed.
pub async fn collected(
    Extension(api): Extension<ApiCaller>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<WaitQuery>,
) -> ApiResult<Json<InputCollection>> {
    api.need(ApiScope::Pos)?;
    let caller = &api.caller;
    if let Some(wait) = long_poll::wait_of(query.wait.as_deref())? {
        // Wait on our own mirror of the reader (webhooks and the sync keep it), which costs
        // Stripe nothing; then read the answers from Stripe once.
        long_poll::until(caller, wait, || async {
            let reader = reader_views::find(caller, &id).await?;
            Ok(((), !reader_screen::awaiting_inputs(&reader)))
        })
        .await?;
    }
    let action = reader_screen::input_collection(caller, &id)
        .await?
        .ok_or_else(no_collection)?;
    Ok(Json(InputCollection::new(&id, action)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SucceedBody {
    #[serde(default)]
    pub skip_optional: bool,
}

pub async fn succeed_input_collection(
    Extension(api): Extension<ApiCaller>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = match api
        .need(ApiScope::Pos)
        .and_then(|()| super::optional_json_body::<SucceedBody>(&body))
    {
        Ok(body) => body,
        Err(err) => return err.into_response(),
    };
    let request = format!("succeed_input_collection\n{id}\n{}", body.skip_optional);
    once_for_reader(&api, &headers, request, |caller, op| async move {
        let answer = SimulatedAnswer::Answer {
            skip_optional: body.skip_optional,
        };
        Ok(reader_json(
            reader_screen::simulate_answer(&caller, &id, answer, &op).await?,
        ))
    })
    .await
}

pub async fn timeout_input_collection(
    Extension(api): Extension<ApiCaller>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(err) = api.need(ApiScope::Pos) {
        return err.into_response();
    }
    let request = format!("timeout_input_collection\n{id}");
    once_for_reader(&api, &headers, request, |caller, op| async move {
        Ok(reader_json(
            reader_screen::simulate_answer(&caller, &id, SimulatedAnswer::TimeOut, &op).await?,
        ))
    })
    .await
}

//! `/api/v1/readers`: the tenant's readers with their live status, and cancelling an action.

use super::error::{ApiError, ApiResult};
use super::extract::{ApiPath, ApiQuery};
use super::types::{Reader, ReaderList};
use super::ApiCaller;
use app::api_keys::types::ApiScope;
use app::fleet::ssr::{reader_views, readers_service};
use app::fleet::types::ReaderQuery;
use app::payments::ssr::payments_service;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::{Extension, Json};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub location: Option<String>,
    pub status: Option<String>,
    pub device_type: Option<String>,
    pub page: Option<String>,
}

pub async fn list(
    Extension(api): Extension<ApiCaller>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<ReaderList>> {
    api.need(ApiScope::Read)?;
    if let Some(status) = query.status.as_deref() {
        if !["online", "offline", "busy"].contains(&status) {
            return Err(ApiError::invalid(
                "status",
                "status must be online, offline or busy.",
            ));
        }
    }
    let page = match query.page.as_deref() {
        None => 1,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| ApiError::invalid("page", "page must be a whole number from 1."))?,
    };
    let view = readers_service::list(
        &api.caller,
        &ReaderQuery {
            location: query.location,
            status: query.status,
            device_type: query.device_type,
            sort: Some("label".into()),
            page: Some(page),
            ..ReaderQuery::default()
        },
    )
    .await?;
    if page > view.pages.max(1) {
        return Err(ApiError::invalid(
            "page",
            format!("page is past the last page ({}).", view.pages.max(1)),
        ));
    }
    Ok(Json(ReaderList {
        object: "list",
        has_more: view.page < view.pages,
        page: view.page,
        pages: view.pages,
        total: view.total,
        data: view.readers.into_iter().map(Reader::from).collect(),
    }))
}

pub async fn get(
    Extension(api): Extension<ApiCaller>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Reader>> {
    api.need(ApiScope::Read)?;
    Ok(Json(reader_views::find(&api.caller, &id).await?.into()))
}

pub async fn cancel_action(
    Extension(api): Extension<ApiCaller>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Reader>> {
    api.need(ApiScope::Pos)?;
    readers_service::cancel_action(&api.caller, &id).await?;
    Ok(Json(reader_views::find(&api.caller, &id).await?.into()))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresentBody {
    #[serde(default)]
    pub card_number: Option<String>,
}

/// A simulated reader's customer taps a test card (Stripe's test helper, simulator only).
pub async fn present_payment_method(
    Extension(api): Extension<ApiCaller>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let work = async {
        api.need(ApiScope::Pos)?;
        let body: PresentBody = super::optional_json_body(&body)?;
        let card = body
            .card_number
            .unwrap_or_else(|| payments_service::TEST_CARDS[0].0.to_string());
        Ok::<_, ApiError>(card)
    };
    let card = match work.await {
        Ok(card) => card,
        Err(err) => return axum::response::IntoResponse::into_response(err),
    };
    let key = match super::idempotency::key_of(&headers) {
        Ok(key) => key,
        Err(err) => return axum::response::IntoResponse::into_response(err),
    };
    let request = format!("present\n{id}\n{card}");
    let caller = api.caller.clone();
    super::idempotency::once(&api.caller, key, false, &request, |op| async move {
        payments_service::present_card(&caller, &id, &card, "", &op)
            .await
            .map_err(|e| {
                let mut e = ApiError::from(e);
                if e.param.as_deref() == Some("card") {
                    e.param = Some("card_number".into());
                }
                e
            })?;
        let reader: Reader = reader_views::find(&caller, &id).await?.into();
        Ok((
            StatusCode::OK,
            serde_json::to_value(reader).unwrap_or_default(),
        ))
    })
    .await
}

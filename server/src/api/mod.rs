//! The point-of-sale REST API, `/api/v1`: a till (or curl) authenticates with an API key from
//! Settings, starts a payment on a reader and learns its outcome. JSON in and out, errors with a
//! stable `code`, a rate limit per key, and an audit entry for every call.

mod error;
mod extract;
mod idempotency;
mod long_poll;
pub mod openapi;
mod payments;
mod reader_screen;
mod readers;
mod types;

use app::api_keys::ssr::api_keys_service;
use app::api_keys::types::ApiScope;
use app::ssr::audit::{record, Entry};
use app::ssr::{AppState, Caller, ClientMeta};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;
use error::{ApiError, ApiResult};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::Arc;

/// Requests per second each key may make, with bursts of twice that.
#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    pub per_second: NonZeroU32,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            per_second: NonZeroU32::new(20).unwrap_or(NonZeroU32::MIN),
        }
    }
}

#[derive(Clone)]
struct ApiState {
    app: AppState,
    limiter: Arc<DefaultKeyedRateLimiter<String>>,
}

/// The key calling, as a caller in its tenant, and what its scope allows.
#[derive(Clone)]
pub struct ApiCaller {
    pub caller: Caller,
    pub scope: ApiScope,
}

impl ApiCaller {
    pub fn need(&self, scope: ApiScope) -> ApiResult<()> {
        if self.scope.covers(scope) {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                format!(
                    "This key's scope is “{}”; this call needs “{}” or above. Create a key with that scope in Settings → API keys.",
                    self.scope.label(),
                    scope.label()
                ),
            ))
        }
    }
}

/// Reads an optional JSON body: none at all (curl's `-X POST`) means every field's default.
fn optional_json_body<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(T::default())
    } else {
        json_body(body)
    }
}

/// Reads a JSON body into `T`, with serde's words for what is wrong.
fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    serde_json::from_slice(body).map_err(|err| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("The request body is not the JSON this call expects: {err}."),
        )
    })
}

pub fn router(state: AppState, limit: RateLimit) -> Router {
    let quota = Quota::per_second(limit.per_second).allow_burst(
        limit
            .per_second
            .checked_mul(NonZeroU32::new(2).unwrap_or(NonZeroU32::MIN))
            .unwrap_or(limit.per_second),
    );
    let api = ApiState {
        app: state,
        limiter: Arc::new(RateLimiter::keyed(quota)),
    };
    let authed = Router::new()
        .route("/api/v1/readers", get(readers::list))
        .route("/api/v1/readers/{id}", get(readers::get))
        .route(
            "/api/v1/readers/{id}/cancel_action",
            post(readers::cancel_action),
        )
        .route(
            "/api/v1/readers/{id}/display",
            post(reader_screen::show).delete(reader_screen::clear),
        )
        .route(
            "/api/v1/readers/{id}/collect_inputs",
            post(reader_screen::collect).get(reader_screen::collected),
        )
        .route(
            "/api/v1/test_helpers/readers/{id}/present_payment_method",
            post(readers::present_payment_method),
        )
        .route(
            "/api/v1/test_helpers/readers/{id}/succeed_input_collection",
            post(reader_screen::succeed_input_collection),
        )
        .route(
            "/api/v1/test_helpers/readers/{id}/timeout_input_collection",
            post(reader_screen::timeout_input_collection),
        )
        .route("/api/v1/payments", post(payments::create))
        .route("/api/v1/payments/{id}", get(payments::get))
        .route("/api/v1/payments/{id}/capture", post(payments::capture))
        .route("/api/v1/payments/{id}/cancel", post(payments::cancel))
        .route("/api/v1/payments/{id}/refunds", post(payments::refund))
        .route("/api/v1", any(not_found))
        .route("/api/v1/{*rest}", any(not_found))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            api.clone(),
            authenticate,
        ));
    Router::new()
        .route("/api/v1/openapi.json", get(openapi::document))
        .merge(authed)
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "This endpoint does not take that HTTP method; see /api/v1/openapi.json.",
    )
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_such_endpoint",
        "There is no such API endpoint; see /api/v1/openapi.json for the ones there are.",
    )
}

/// Bearer key → caller; then the rate limit, the handler, and an audit entry of the call.
async fn authenticate(State(api): State<ApiState>, mut request: Request, next: Next) -> Response {
    let meta = request
        .extensions()
        .get::<ClientMeta>()
        .cloned()
        .unwrap_or_default();
    let secret = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|s| s.trim().to_string());
    let Some(secret) = secret else {
        return unauthorized(
            "Send your API key as `Authorization: Bearer tfk_…`; keys are created in Settings → API keys.",
        );
    };
    let (caller, scope) = match api_keys_service::authenticate(&api.app, &secret, meta).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            return unauthorized(
                "This API key is not valid: it was revoked or mistyped. Keys are created in Settings → API keys.",
            )
        }
        Err(err) => return ApiError::from(err).into_response(),
    };
    let key_id = caller.principal.id().to_string();
    if let Err(not_until) = api.limiter.check_key(&key_id) {
        let wait = not_until
            .wait_time_from(governor::clock::Clock::now(
                &governor::clock::DefaultClock::default(),
            ))
            .as_secs()
            .max(1);
        return ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "Too many requests with this API key; slow down and retry after the Retry-After seconds.",
        )
        .retry_after(wait)
        .into_response();
    }
    let line = format!("{} {}", request.method(), request.uri().path());
    request.extensions_mut().insert(ApiCaller {
        caller: caller.clone(),
        scope,
    });
    // Run to the end even if the till hangs up: a payment half-started must still be stored,
    // its idempotent answer saved and the call audited.
    let work = tokio::spawn(async move {
        let response = next.run(request).await;
        audit_call(&caller, &key_id, &line, response.status()).await;
        response
    });
    match work.await {
        Ok(response) => response,
        Err(err) => ApiError::from(app::error::AppError::internal_with(
            "API request task failed",
            err,
        ))
        .into_response(),
    }
}

fn unauthorized(message: &str) -> Response {
    let mut response =
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", message).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer realm=\"terminal-fleet\""),
    );
    response
}

/// Every call is in the tenant's audit log: who (the key), what (method and path) and how it
/// ended. A failure to write it is logged, not turned into the caller's error.
async fn audit_call(caller: &Caller, key_id: &str, line: &str, status: StatusCode) {
    let written = async {
        let mut tx = caller.db().begin_write().await?;
        record(
            &mut tx,
            &caller.meta,
            Entry::by(caller, "api.request")
                .target("api_key", key_id)
                .detail(format!("{line} → {}", status.as_u16())),
        )
        .await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(())
    };
    if let Err(err) = written.await {
        tracing::warn!(error = %err, "could not audit an API call");
    }
}

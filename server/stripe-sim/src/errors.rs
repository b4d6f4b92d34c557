//! Stripe's error answers: `{"error": {type, code, message, param, …}}` with Stripe's statuses.
//! The one error type of the crate; every handler returns it and it renders itself.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

/// Boxed so `Result`s stay small on the hot path.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{} {}: {}", .0.status, .0.kind, .0.message)]
pub struct SimError(Box<ErrorData>);

#[derive(Debug, Clone)]
pub struct ErrorData {
    pub status: StatusCode,
    pub kind: &'static str,
    pub code: Option<&'static str>,
    pub message: String,
    pub param: Option<String>,
    pub decline_code: Option<String>,
    pub extra: Map<String, Value>,
}

impl std::ops::Deref for SimError {
    type Target = ErrorData;

    fn deref(&self) -> &ErrorData {
        &self.0
    }
}

pub type SimResult<T> = Result<T, SimError>;

impl SimError {
    fn new(
        status: StatusCode,
        kind: &'static str,
        code: Option<&'static str>,
        message: impl Into<String>,
    ) -> Self {
        SimError(Box::new(ErrorData {
            status,
            kind,
            code,
            message: message.into(),
            param: None,
            decline_code: None,
            extra: Map::new(),
        }))
    }

    pub fn param(mut self, param: impl Into<String>) -> Self {
        self.0.param = Some(param.into());
        self
    }

    /// Adds a field to the error object (e.g. the `payment_intent` a state error is about).
    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.0.extra.insert(key.to_string(), value);
        self
    }

    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some(code),
            message,
        )
    }

    /// A 400 without a code, as Stripe answers e.g. a bad `expand`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            None,
            message,
        )
    }

    pub fn missing(param: &str) -> Self {
        Self::invalid(
            "parameter_missing",
            format!("Missing required param: {param}."),
        )
        .param(param)
    }

    pub fn unknown(param: &str) -> Self {
        Self::invalid(
            "parameter_unknown",
            format!("Received unknown parameter: {param}"),
        )
        .param(param)
    }

    pub fn invalid_integer(param: &str, value: &str) -> Self {
        Self::invalid(
            "parameter_invalid_integer",
            format!("Invalid integer: {value}"),
        )
        .param(param)
    }

    pub fn invalid_string(param: &str, message: impl Into<String>) -> Self {
        Self::invalid("parameter_invalid_string", message).param(param)
    }

    pub fn not_found(object: &str, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            Some("resource_missing"),
            format!("No such {object}: '{id}'"),
        )
        .param("id")
    }

    pub fn unrecognized(method: &str, path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            None,
            format!("Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/."),
        )
    }

    pub fn auth(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            None,
            message,
        )
    }

    pub fn account_invalid(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "invalid_request_error",
            Some("account_invalid"),
            message,
        )
    }

    pub fn permission(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "invalid_request_error",
            None,
            message,
        )
    }

    pub fn rate_limited() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "invalid_request_error",
            Some("rate_limit"),
            "Request rate limit exceeded. You can learn more about rate limits here https://stripe.com/docs/rate-limits.",
        )
    }

    pub fn api(status: StatusCode, message: impl Into<String>) -> Self {
        Self::new(status, "api_error", None, message)
    }

    pub fn idempotency_mismatch(key: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "idempotency_error",
            None,
            format!("Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{key}' if you meant to execute a different request."),
        )
    }

    pub fn idempotency_in_use() -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "idempotency_error",
            Some("idempotency_key_in_use"),
            "There is currently another in-progress request using this Stripe-Account, Idempotency-Key, and request method. Please try again later.",
        )
    }

    /// Whether Stripe would save this answer under an idempotency key: not when the request
    /// failed before it started executing (parameter validation) or is safe to retry (429, 5xx).
    pub fn is_saved_for_idempotency(&self) -> bool {
        !(self.status.is_server_error()
            || self.status == StatusCode::TOO_MANY_REQUESTS
            || self.status == StatusCode::CONFLICT
            || self.code.is_some_and(|c| c.starts_with("parameter_")))
    }

    pub fn body(&self) -> Value {
        let mut error = Map::new();
        error.insert("type".into(), json!(self.kind));
        error.insert("message".into(), json!(self.message));
        if let Some(code) = self.code {
            error.insert("code".into(), json!(code));
            error.insert(
                "doc_url".into(),
                json!(format!(
                    "https://stripe.com/docs/error-codes/{}",
                    code.replace('_', "-")
                )),
            );
        }
        if let Some(param) = &self.param {
            error.insert("param".into(), json!(param));
        }
        if let Some(d) = &self.decline_code {
            error.insert("decline_code".into(), json!(d));
        }
        for (k, v) in &self.extra {
            error.insert(k.clone(), v.clone());
        }
        json!({ "error": error })
    }
}

impl IntoResponse for SimError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        // SDKs follow this header before their own rules: 409/429/5xx may help on retry.
        let retry = self.status.is_server_error()
            || self.status == StatusCode::TOO_MANY_REQUESTS
            || self.status == StatusCode::CONFLICT;
        let headers = response.headers_mut();
        headers.insert(
            "stripe-should-retry",
            HeaderValue::from_static(if retry { "true" } else { "false" }),
        );
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            headers.insert(
                "stripe-rate-limited-reason",
                HeaderValue::from_static("global-rate"),
            );
        }
        response
    }
}

//! The API's one error shape: `{"error": {"code", "message", "param"}}` with the HTTP status.
//! `code` is stable and meant for programs; `message` is for the person reading the logs.

use app::error::{clip, AppError, MAX_MESSAGE_CHARS};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

#[derive(Debug, Clone, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub param: Option<String>,
    /// Seconds to wait before retrying (429, 409 while a request with the same key runs).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
            param: None,
            retry_after: None,
        }
    }

    /// A field of the request is wrong.
    pub fn invalid(param: &str, message: impl Into<String>) -> Self {
        ApiError {
            param: Some(param.to_string()),
            ..ApiError::new(StatusCode::BAD_REQUEST, "invalid_field", message)
        }
    }

    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// The answer's JSON, every text clipped: messages may quote what the till sent.
    pub fn body(&self) -> serde_json::Value {
        let clip = |text: &str| clip(text, MAX_MESSAGE_CHARS).into_owned();
        json!({"error": {
            "code": clip(&self.code),
            "message": clip(&self.message),
            "param": self.param.as_deref().map(clip),
        }})
    }
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        let status =
            StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let message = err.to_string();
        match err {
            AppError::Unauthenticated => ApiError::new(status, "unauthenticated", message),
            AppError::Forbidden(_) => ApiError::new(status, "forbidden", message),
            AppError::NotFound(_) => ApiError::new(status, "not_found", message),
            AppError::Invalid { field, .. } => ApiError {
                param: field,
                ..ApiError::new(status, "invalid_field", message)
            },
            AppError::Fields(fields) => ApiError {
                param: fields.first().map(|(f, _)| f.clone()),
                ..ApiError::new(status, "invalid_field", message)
            },
            AppError::BadRequest(_) => ApiError::new(status, "bad_request", message),
            AppError::Conflict(_) => ApiError::new(status, "conflict", message),
            AppError::Refused { code, .. } => ApiError::new(status, &code, message),
            AppError::TooManyRequests(_) => {
                ApiError::new(status, "rate_limited", message).retry_after(2)
            }
            AppError::Throttled {
                retry_after_secs, ..
            } => ApiError::new(status, "rate_limited", message).retry_after(retry_after_secs),
            AppError::Busy {
                retry_after_secs, ..
            } => ApiError::new(status, "busy", message).retry_after(retry_after_secs),
            AppError::Internal(_) => ApiError::new(status, "internal", message),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        if let Some(seconds) = self.retry_after {
            if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

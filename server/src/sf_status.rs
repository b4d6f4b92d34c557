//! Server functions answer every error with 500 and the error as JSON; this gives each
//! [`AppError`] its own status (400 for a bad field, 403, 404, 429, 503…), so a user's mistake
//! is never reported as the server's fault, and a refusal that passes with time its
//! `Retry-After`. Plain form posts are redirects and pass untouched.

use app::error::AppError;
use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

const MAX_ERROR_BODY: usize = 64 * 1024;

pub async fn error_status(req: Request, next: Next) -> Response {
    let is_server_fn = req.uri().path().starts_with("/sf/");
    let response = next.run(req).await;
    if !is_server_fn {
        return response;
    }
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ERROR_BODY).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        if let Ok(status) = StatusCode::from_u16(error.status()) {
            parts.status = status;
        }
        if let Some(seconds) = error.retry_after_secs() {
            parts
                .headers
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

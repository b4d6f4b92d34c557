//! Server functions answer every error with 500 and the error as JSON; this gives each
//! [`AppError`] its own status (400 for a bad field, 403, 404, 429, 503…), so a user's mistake
//! is never reported as the server's fault, and a refusal that passes with time its
//! `Retry-After`. Plain form posts are redirects and pass untouched.
//! It also bounds what a server function may be sent: a form is a few kilobytes, and a body of
//! megabytes is either a mistake or an attempt to make the server parse it.

use app::error::AppError;
use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

/// The largest body a server function is sent; the largest form is far below it.
pub const MAX_REQUEST_BODY: usize = 256 * 1024;

/// Errors are clipped when encoded (`AppError::ser`), so a real one is a few kilobytes.
const MAX_ERROR_BODY: usize = 64 * 1024;

pub async fn error_status(req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/sf/") {
        return next.run(req).await;
    }
    let req = match bounded(req).await {
        Ok(req) => req,
        Err(refusal) => return refusal,
    };
    let response = next.run(req).await;
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
        // The error could not be read back, so its status is unknown; an answer without a
        // body would leave the person with nothing to act on.
        let reference = app::ssr::ids::new_id("err");
        tracing::error!(%reference, path = ?parts.headers.get("serverfnerror"), "a server function's error was too large to answer");
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::from(AppError::Internal(reference).to_json()));
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

/// The request with its body read, or the answer refusing it: 413 for a body over
/// [`MAX_REQUEST_BODY`], 400 for one that could not be read.
async fn bounded(req: Request) -> Result<Request, Response> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_REQUEST_BODY as u64) {
        return Err(too_large());
    }
    let (parts, body) = req.into_parts();
    match to_bytes(body, MAX_REQUEST_BODY).await {
        Ok(bytes) => Ok(Request::from_parts(parts, Body::from(bytes))),
        // Without a Content-Length, over the limit and cut off look alike.
        Err(_) if declared.is_none() => Err(too_large()),
        Err(_) => Err(refusal(
            StatusCode::BAD_REQUEST,
            AppError::BadRequest("the body ended before its declared length.".into()),
        )),
    }
}

fn too_large() -> Response {
    refusal(
        StatusCode::PAYLOAD_TOO_LARGE,
        AppError::BadRequest(format!(
            "it is larger than {} KiB; nothing a form sends is that large.",
            MAX_REQUEST_BODY / 1024
        )),
    )
}

fn refusal(status: StatusCode, error: AppError) -> Response {
    let mut response = Response::new(Body::from(error.to_json()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

//! Bounds what a server function may be sent: a form is a few kilobytes, and a body of
//! megabytes is either a mistake or an attempt to make the server parse it.
//! (Each error's own HTTP status is set where it is encoded, `AppError::ser`, through
//! `leptos_axum::ResponseOptions`; nothing here reads answers back.)

use app::error::AppError;
use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

/// The largest body a server function is sent; the largest form is far below it.
pub const MAX_REQUEST_BODY: usize = 256 * 1024;

pub async fn bound_body(req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/sf/") {
        return next.run(req).await;
    }
    match bounded(req).await {
        Ok(req) => next.run(req).await,
        Err(refusal) => refusal,
    }
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

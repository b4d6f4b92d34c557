//! Cross-origin state changes are refused: a POST (server function, form, REST call with a
//! session) must carry an `Origin` or `Referer` of this site. SameSite=Lax cookies already stop
//! most cross-site requests; this closes the rest (same-site subdomains, older browsers).

use app::error::AppError;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct CsrfPolicy {
    /// `scheme://host[:port]` of the public base URL.
    pub public_origin: String,
    /// In development on a loopback address, also accept the origin the browser used
    /// (e.g. localhost vs 127.0.0.1).
    pub accept_host_origin: bool,
}

/// Paths whose callers authenticate without cookies (Stripe's signature, API keys), so a
/// forged cross-site request carries no credential to abuse.
fn exempt(path: &str) -> bool {
    path.starts_with("/webhooks/") || path.starts_with("/api/v1/")
}

fn origin_of(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()
        .map(|u| u.origin().ascii_serialization())
}

pub async fn refuse_cross_origin(
    State(policy): State<Arc<CsrfPolicy>>,
    req: Request,
    next: Next,
) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || exempt(req.uri().path())
    {
        return next.run(req).await;
    }
    let headers = req.headers();
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|v| *v != "null")
        .map(str::to_string)
        .or_else(|| {
            headers
                .get(header::REFERER)
                .and_then(|v| v.to_str().ok())
                .and_then(origin_of)
        });
    let host_origin = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(|h| format!("http://{h}"));
    let allowed = match &origin {
        Some(o) if *o == policy.public_origin => true,
        Some(o) => policy.accept_host_origin && host_origin.as_deref() == Some(o.as_str()),
        None => false,
    };
    if allowed {
        return next.run(req).await;
    }
    tracing::warn!(origin = origin.as_deref().unwrap_or("none"), path = %req.uri().path(), "cross-origin request refused");
    let error = AppError::Forbidden(
        "This request did not come from a Terminal Fleet page, so it was refused. Reload the page and try again."
            .into(),
    );
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_string(&error).unwrap_or_default(),
    )
        .into_response()
}

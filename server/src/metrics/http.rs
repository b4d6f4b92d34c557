//! Where the metrics are measured and served: a layer timing every request by its route
//! template, and `GET /metrics`, either on a listen address of its own (`FLEET_METRICS_LISTEN`,
//! for a network only the operator reaches) or on the main one behind a bearer token
//! (`FLEET_METRICS_TOKEN`). With neither set there is no `/metrics` at all.

use super::Metrics;
use crate::routes::stream_watch::StreamWatch;
use app::payments::ssr::webhook_writer::WebhookIngest;
use app::ssr::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::sync::Arc;
use std::time::Instant;
use subtle::ConstantTimeEq;

/// Prometheus' text exposition format.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Times each request under the template of the route it matched (`/readers/{id}`), so ids and
/// a scanner's made-up paths never become labels: what matched nothing is `unmatched`.
pub async fn time_requests(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string());
    let method = request.method().clone();
    let started = Instant::now();
    let response = next.run(request).await;
    let route = route.as_deref().unwrap_or("unmatched");
    metrics.request(
        route,
        method.as_str(),
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

#[derive(Clone)]
struct Scrape {
    metrics: Arc<Metrics>,
    state: AppState,
    streams: Arc<StreamWatch>,
    webhooks: WebhookIngest,
    token: Option<Arc<str>>,
}

/// `GET /metrics`, asking for `token` as `Authorization: Bearer …` when there is one.
pub fn router(
    metrics: Arc<Metrics>,
    state: AppState,
    streams: Arc<StreamWatch>,
    webhooks: WebhookIngest,
    token: Option<&str>,
) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(Scrape {
            metrics,
            state,
            streams,
            webhooks,
            token: token.map(Arc::from),
        })
}

fn authorised(expected: &str, headers: &HeaderMap) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    // Equal lengths first is no leak: the token's length is not its secret.
    given.len() == expected.len() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

async fn scrape(State(scrape): State<Scrape>, headers: HeaderMap) -> Response {
    if let Some(token) = &scrape.token {
        if !authorised(token, &headers) {
            let mut refused = (
                StatusCode::UNAUTHORIZED,
                "Send the metrics token (FLEET_METRICS_TOKEN) as `Authorization: Bearer …`.",
            )
                .into_response();
            refused.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"metrics\""),
            );
            return refused;
        }
    }
    let body = scrape
        .metrics
        .render(
            &scrape.state,
            super::Live {
                streams_open: scrape.streams.open_streams(),
                webhooks_waiting: scrape.webhooks.waiting(),
            },
        )
        .await;
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_token_is_let_in() {
        let mut headers = HeaderMap::new();
        assert!(!authorised("s3cret-token-0123", &headers));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer s3cret-token-0123"),
        );
        assert!(authorised("s3cret-token-0123", &headers));
        assert!(!authorised("s3cret-token-0124", &headers));
        assert!(!authorised("s3cret-token-01234", &headers));
    }
}

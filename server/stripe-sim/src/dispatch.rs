//! Every `/v1` request, in Stripe's order: authentication, injected faults, rate limit,
//! parameters, idempotency, then the handler under the state lock, then webhooks.

use crate::auth::{self, header};
use crate::ctx::Ctx;
use crate::errors::{SimError, SimResult};
use crate::faults::FaultAction;
use crate::idempotency::Claim;
use crate::params::Params;
use crate::Simulator;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;
use std::time::Duration;

/// A successful answer and whether it was replayed from an idempotency key.
struct Answer {
    status: StatusCode,
    body: Value,
    replayed: bool,
}

pub async fn handle(
    State(sim): State<Simulator>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request_id = sim.ids().new_id("req");
    let idempotency_key = (method == Method::POST)
        .then(|| header(&headers, "idempotency-key").map(str::to_string))
        .flatten();
    let mut response = match run(&sim, &method, &uri, &headers, &body, &request_id).await {
        Ok(answer) => {
            let mut r = (answer.status, Json(answer.body)).into_response();
            if answer.replayed {
                r.headers_mut()
                    .insert("idempotent-replayed", HeaderValue::from_static("true"));
            }
            r
        }
        Err(err) => err.into_response(),
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        h.insert("request-id", v);
    }
    if let Some(v) = idempotency_key.and_then(|k| HeaderValue::from_str(&k).ok()) {
        h.insert("idempotency-key", v);
    }
    h.insert(
        "stripe-version",
        HeaderValue::from_static(crate::config::API_VERSION),
    );
    response
}

async fn run(
    sim: &Simulator,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
    request_id: &str,
) -> SimResult<Answer> {
    let path = uri.path();
    if !path.starts_with("/v1/") {
        return Err(SimError::unrecognized(method.as_str(), path));
    }
    let caller = {
        let now = sim.clock().now();
        auth::caller(&mut sim.store(), headers, now)?
    };
    let fault = sim
        .inner
        .faults
        .take(method.as_str(), path, &caller.account, |p| {
            sim.ids().chance(p)
        });
    let hang = match fault {
        Some(FaultAction::Fail(status)) => {
            return Err(if status == 429 {
                SimError::rate_limited()
            } else {
                SimError::api(
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                    "An unknown error occurred (injected by the simulator's control API).",
                )
            });
        }
        Some(FaultAction::Hang(ms)) => Some(ms),
        None => None,
    };
    if !sim
        .inner
        .limiter
        .allow(&caller.account, *method != Method::GET)
    {
        return Err(SimError::rate_limited());
    }
    // POST and DELETE carry a form body; GET a query string.
    let raw = if *method == Method::GET {
        uri.query().unwrap_or_default().to_string()
    } else {
        let mut raw = String::from_utf8_lossy(body).into_owned();
        if raw.is_empty() {
            raw = uri.query().unwrap_or_default().to_string();
        }
        raw
    };
    let params = Params(crate::form::parse(&raw).map_err(SimError::bad_request)?);
    let idempotency_key = (*method == Method::POST)
        .then(|| header(headers, "idempotency-key").map(str::to_string))
        .flatten();
    if idempotency_key.as_ref().is_some_and(|k| k.len() > 255) {
        return Err(SimError::bad_request(
            "Invalid Idempotency-Key: it must be at most 255 characters long.",
        ));
    }
    let reservation = match &idempotency_key {
        Some(key) => {
            let fingerprint = format!("{method} {path} {}", params.fingerprint());
            match sim.inner.idempotency.claim(
                &caller.account,
                key,
                &fingerprint,
                sim.clock().now(),
            )? {
                Claim::Replay { status, body } => {
                    return Ok(Answer {
                        status: StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
                        body,
                        replayed: true,
                    })
                }
                Claim::Run(reservation) => Some(reservation),
            }
        }
        None => None,
    };
    // A hang happens once the key is claimed, as a slow Stripe would: a concurrent retry with
    // the same key sees `idempotency_key_in_use`.
    if let Some(ms) = hang {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let (result, emitted) = {
        let mut store = sim.store();
        let mut ctx = Ctx::new(sim, &mut store, caller.account.clone());
        crate::tick::run(&mut ctx);
        let mut automatic = std::mem::take(&mut ctx.emitted);
        ctx.request_id = Some(request_id.to_string());
        ctx.idempotency_key = idempotency_key.clone();
        if let Some(host) = header(headers, "host").filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".:-[]".contains(c))
        }) {
            ctx.origin = format!("http://{host}");
        }
        let segments: Vec<&str> = path.trim_start_matches("/v1/").split('/').collect();
        let result = crate::routes::route(&mut ctx, method, &segments, &params);
        automatic.append(&mut ctx.emitted);
        (result, automatic)
    };
    if let Some(reservation) = reservation {
        match &result {
            Ok(v) => reservation.save(200, v.clone(), sim.clock().now()),
            Err(e) if e.is_saved_for_idempotency() => {
                reservation.save(e.status.as_u16(), e.body(), sim.clock().now())
            }
            // Dropped: the key is free for a retry.
            Err(_) => {}
        }
    }
    sim.inner.webhooks.enqueue(emitted);
    result.map(|body| Answer {
        status: StatusCode::OK,
        body,
        replayed: false,
    })
}

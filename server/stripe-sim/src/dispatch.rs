//! Every `/v1` request, in Stripe's order: authentication, injected faults, rate limit,
//! parameters, idempotency, then the handler under the state lock, then webhooks.

use crate::auth::{self, header};
use crate::ctx::{Ctx, Upload};
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
    /// A file's bytes and `Content-Type`, served instead of `body`.
    raw: Option<(&'static str, Vec<u8>)>,
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
        Ok(Answer {
            raw: Some((content_type, bytes)),
            ..
        }) => (
            StatusCode::OK,
            [(axum::http::header::CONTENT_TYPE, content_type)],
            bytes,
        )
            .into_response(),
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
    let segments: Vec<&str> = path.trim_start_matches("/v1/").split('/').collect();
    if let (&Method::GET, ["files", id, "contents"]) = (method, segments.as_slice()) {
        // Stripe serves a file's bytes at files.stripe.com; the simulator on its own address.
        let mut store = sim.store();
        let mut ctx = Ctx::new(sim, &mut store, caller.account.clone());
        let raw = crate::routes::files::contents(&mut ctx, id)?;
        return Ok(Answer {
            status: StatusCode::OK,
            body: Value::Null,
            replayed: false,
            raw: Some(raw),
        });
    }
    let (raw, upload) = if is_multipart(headers) {
        multipart(headers, body).await?
    } else {
        (form_text(method, uri, body), None)
    };
    let mut params = Params(crate::form::parse(&raw).map_err(SimError::bad_request)?);
    if let Some(upload) = &upload {
        // Stands for the part in parameter checks and in the idempotency fingerprint.
        params.0.insert(
            "file".into(),
            serde_json::json!({ "filename": upload.filename, "size": upload.bytes.len() }),
        );
    }
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
                        raw: None,
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
        ctx.upload = upload;
        if let Some(host) = header(headers, "host").filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".:-[]".contains(c))
        }) {
            ctx.origin = format!("http://{host}");
        }
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
        raw: None,
    })
}

/// The form of a request: the body of a POST or DELETE, else (or when empty) the query string.
fn form_text(method: &Method, uri: &Uri, body: &Bytes) -> String {
    if *method == Method::GET {
        return uri.query().unwrap_or_default().to_string();
    }
    let raw = String::from_utf8_lossy(body).into_owned();
    if raw.is_empty() {
        uri.query().unwrap_or_default().to_string()
    } else {
        raw
    }
}

fn is_multipart(headers: &HeaderMap) -> bool {
    header(headers, "content-type").is_some_and(|ct| {
        ct.trim_start()
            .to_ascii_lowercase()
            .starts_with("multipart/form-data")
    })
}

/// A multipart body (file uploads): its text parts as a form, and the part named `file`.
async fn multipart(headers: &HeaderMap, body: &Bytes) -> SimResult<(String, Option<Upload>)> {
    let bad = |e: multer::Error| SimError::bad_request(format!("Invalid multipart body: {e}"));
    let boundary =
        multer::parse_boundary(header(headers, "content-type").unwrap_or_default()).map_err(bad)?;
    let body = body.clone();
    let stream = futures::stream::once(async move { Ok::<Bytes, std::convert::Infallible>(body) });
    let mut parts = multer::Multipart::new(stream, boundary);
    // Collected first and encoded after: the encoder is not `Send` across the awaits.
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut upload = None;
    while let Some(part) = parts.next_field().await.map_err(bad)? {
        let name = part.name().unwrap_or_default().to_string();
        if name == "file" {
            let filename = part.file_name().map(str::to_string);
            let bytes = part.bytes().await.map_err(bad)?.to_vec();
            upload = Some(Upload { filename, bytes });
        } else {
            let value = part.text().await.map_err(bad)?;
            fields.push((name, value));
        }
    }
    let form = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    Ok((form, upload))
}

//! Every `/v1` request: request id, faults, authentication, rate limits, parameters,
//! idempotency, routing, and the events the call emitted.

use crate::error::{SimError, SimResult};
use crate::ids::new_id;
use crate::params::Params;
use crate::store::{Saved, Store};
use crate::Simulator;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// What a handler works with.
pub struct Ctx<'a> {
    pub store: &'a mut Store,
    /// The account acted on (the key's own, or the `Stripe-Account`).
    pub account: String,
    pub request_id: String,
    pub idempotency_key: Option<String>,
    pub action_timeout: i64,
    /// Events emitted by this call: (account, event).
    pub emitted: Vec<(String, Value)>,
}

impl Ctx<'_> {
    pub fn now(&self) -> i64 {
        self.store.now()
    }

    pub fn acct(&mut self) -> &mut crate::store::Account {
        // The account was resolved (and created) before the handler ran.
        self.store.accounts.entry(self.account.clone()).or_default()
    }

    /// Records Stripe's event for a state change and queues it for webhook delivery.
    pub fn emit(&mut self, kind: &str, object: &Value, previous: Option<Value>) {
        let account = self.account.clone();
        let is_connected = self
            .store
            .accounts
            .get(&account)
            .and_then(|a| a.parent.clone())
            .is_some();
        let mut data = json!({ "object": object });
        if let Some(previous) = previous {
            data["previous_attributes"] = previous;
        }
        let mut event = json!({
            "id": new_id("evt"),
            "object": "event",
            "api_version": fleet_stripe::client::API_VERSION,
            "created": self.now(),
            "data": data,
            "livemode": false,
            "pending_webhooks": 0,
            "request": { "id": self.request_id, "idempotency_key": self.idempotency_key },
            "type": kind,
        });
        if is_connected {
            event["account"] = json!(account);
        }
        self.acct().events.push(event.clone());
        self.emitted.push((account, event));
    }
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn mask(key: &str) -> String {
    let tail: String = key
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let prefix: String = key.chars().take(8).collect();
    format!(
        "{prefix}{}{tail}",
        "*".repeat(key.len().saturating_sub(12).min(20))
    )
}

/// The secret key of the request: `Authorization: Bearer sk_…` or HTTP Basic with the key as user.
fn api_key(headers: &HeaderMap) -> SimResult<String> {
    let Some(auth) = header(headers, "authorization") else {
        return Err(SimError::auth(
            "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
        ));
    };
    let key = if let Some(token) = auth.strip_prefix("Bearer ") {
        token.trim().to_string()
    } else if let Some(basic) = auth.strip_prefix("Basic ") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(basic.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default();
        decoded.split(':').next().unwrap_or_default().to_string()
    } else {
        return Err(SimError::auth(
            "Invalid API Key provided: the Authorization header is malformed.",
        ));
    };
    let test = key
        .strip_prefix("sk_test_")
        .or_else(|| key.strip_prefix("rk_test_"));
    match test {
        Some(rest)
            if rest.len() >= 8 && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
        {
            Ok(key)
        }
        _ if key.starts_with("sk_live_") || key.starts_with("rk_live_") => {
            Err(SimError::auth(format!(
            "Invalid API Key provided: {}. This simulator is test mode only: use an sk_test_ key.",
            mask(&key)
        )))
        }
        _ => Err(SimError::auth(format!(
            "Invalid API Key provided: {}",
            mask(&key)
        ))),
    }
}

fn rate_limited(store: &mut Store, account: &str, write: bool, limit: u32) -> bool {
    let acct = store.accounts.entry(account.to_string()).or_default();
    let window = if write {
        &mut acct.writes
    } else {
        &mut acct.reads
    };
    let now = Instant::now();
    while window
        .front()
        .is_some_and(|t| now.duration_since(*t) > Duration::from_secs(1))
    {
        window.pop_front();
    }
    if window.len() >= limit as usize {
        return true;
    }
    window.push_back(now);
    false
}

fn with_request_id(mut response: Response, request_id: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("request-id", v);
    }
    response.headers_mut().insert(
        "stripe-version",
        HeaderValue::from_static(fleet_stripe::client::API_VERSION),
    );
    response
}

pub async fn handle(
    State(sim): State<Simulator>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request_id = new_id("req");
    if let Some(delay) = crate::control::take_fault(&sim, uri.path()) {
        match delay {
            crate::control::FaultAction::Hang(ms) => {
                tokio::time::sleep(Duration::from_millis(ms)).await
            }
            crate::control::FaultAction::Fail(status) => {
                let err = if status == 429 {
                    SimError::rate_limited()
                } else {
                    SimError::api("An unexpected error occurred (injected by the simulator).")
                };
                return with_request_id(err.into_response(), &request_id);
            }
        }
    }
    let response = match run(&sim, &method, &uri, &headers, &body, &request_id) {
        Ok((status, value, replayed)) => {
            let mut r = (status, Json(value)).into_response();
            if replayed {
                r.headers_mut()
                    .insert("idempotent-replayed", HeaderValue::from_static("true"));
            }
            r
        }
        Err(err) => err.into_response(),
    };
    with_request_id(response, &request_id)
}

fn run(
    sim: &Simulator,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
    request_id: &str,
) -> SimResult<(StatusCode, Value, bool)> {
    let path = uri.path().to_string();
    if !path.starts_with("/v1/") {
        return Err(SimError::unrecognized(method.as_str(), &path));
    }
    let key = api_key(headers)?;
    let raw = if *method == Method::POST {
        String::from_utf8_lossy(body).into_owned()
    } else {
        uri.query().unwrap_or_default().to_string()
    };
    let params = Params(
        crate::form::parse(&raw).map_err(|m| SimError::invalid("parameter_invalid_string", m))?,
    );
    let idempotency_key = if *method == Method::POST {
        header(headers, "idempotency-key").map(str::to_string)
    } else {
        None
    };
    if idempotency_key.as_ref().is_some_and(|k| k.len() > 255) {
        return Err(SimError::invalid(
            "idempotency_key_too_long",
            "Idempotency-Key must be at most 255 characters.",
        ));
    }

    let (result, emitted) = {
        let mut store = sim.store();
        let platform = store.account_for_key(&key);
        let account = match header(headers, "stripe-account") {
            None => platform.clone(),
            Some(target) if target == platform => platform.clone(),
            Some(target) => match store.accounts.get(target) {
                Some(a) if a.parent.as_deref() == Some(&platform) => target.to_string(),
                _ => {
                    return Err(SimError::permission(format!(
                        "The provided key '{}' does not have access to account '{target}' (or that account does not exist). Application access may have been revoked.",
                        mask(&key)
                    )))
                }
            },
        };
        if let Some(limit) = sim.config().rate_limit {
            if rate_limited(&mut store, &account, *method != Method::GET, limit) {
                return Err(SimError::rate_limited());
            }
        }
        if let Some(k) = &idempotency_key {
            let fingerprint = format!("{method} {path} {}", params.fingerprint());
            let now = store.now();
            let acct = store.accounts.entry(account.clone()).or_default();
            acct.idempotency.retain(|_, s| now - s.at < 24 * 3600);
            if let Some(saved) = acct.idempotency.get(k) {
                if saved.in_flight {
                    return Err(SimError::idempotency_in_use());
                }
                if saved.fingerprint != fingerprint {
                    return Err(SimError::idempotency(format!(
                        "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{k}' if you meant to execute a different request."
                    )));
                }
                let status = StatusCode::from_u16(saved.status).unwrap_or(StatusCode::OK);
                return Ok((status, saved.body.clone(), true));
            }
        }
        let mut ctx = Ctx {
            store: &mut store,
            account: account.clone(),
            request_id: request_id.to_string(),
            idempotency_key: idempotency_key.clone(),
            action_timeout: sim.config().action_timeout_secs,
            emitted: Vec::new(),
        };
        crate::routes::expire_actions(&mut ctx);
        let segments: Vec<&str> = path.trim_start_matches("/v1/").split('/').collect();
        let result = crate::routes::route(&mut ctx, method, &segments, &params);
        let emitted = std::mem::take(&mut ctx.emitted);
        if let Some(k) = &idempotency_key {
            // Errors are saved too (not 5xx/429, which are safe to retry), as Stripe does.
            let (status, body) = match &result {
                Ok(v) => (200, v.clone()),
                Err(e) => (e.status.as_u16(), e.body()),
            };
            if status < 500 && status != 429 {
                let now = store.now();
                let fingerprint = format!("{method} {path} {}", params.fingerprint());
                store
                    .accounts
                    .entry(account.clone())
                    .or_default()
                    .idempotency
                    .insert(
                        k.clone(),
                        Saved {
                            fingerprint,
                            status,
                            body,
                            at: now,
                            in_flight: false,
                        },
                    );
            }
        }
        (result, emitted)
    };
    for (account, event) in emitted {
        crate::delivery::enqueue(sim, &account, event);
    }
    result.map(|v| (StatusCode::OK, v, false))
}

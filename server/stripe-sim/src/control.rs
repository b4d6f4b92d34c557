//! The control API (`/_sim/…`, JSON) for tests and demos: reader connectivity, a reader held
//! busy, injected faults, webhook delays and drops, "physical" registration codes, the clock.

use crate::store::{Fault, RegistrationCode};
use crate::Simulator;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<Simulator> {
    Router::new()
        .route("/readers/{id}/{state}", post(reader_state))
        .route("/faults", post(add_fault).delete(clear_faults))
        .route("/webhooks", post(webhooks))
        .route("/deliveries", get(deliveries))
        .route("/registration_codes", post(registration_code))
        .route("/clock/advance", post(advance_clock))
        .route("/reset", delete(reset).post(reset))
}

pub enum FaultAction {
    Fail(u16),
    Hang(u64),
}

/// The fault to apply to this call, if any (consumes one of a counted fault).
pub fn take_fault(sim: &Simulator, path: &str) -> Option<FaultAction> {
    let mut store = sim.store();
    let index = store.faults.iter().position(|f| {
        f.path_prefix
            .as_ref()
            .is_none_or(|p| path.starts_with(p.as_str()))
            && match f.remaining {
                Some(n) => n > 0,
                None => rand::random::<f64>() < f.rate,
            }
    })?;
    let fault = &mut store.faults[index];
    if let Some(n) = fault.remaining.as_mut() {
        *n -= 1;
    }
    let action = if fault.status == 0 {
        FaultAction::Hang(fault.hang_ms)
    } else {
        FaultAction::Fail(fault.status)
    };
    store.faults.retain(|f| f.remaining != Some(0));
    Some(action)
}

fn bad(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}

async fn reader_state(
    State(sim): State<Simulator>,
    Path((id, state)): Path<(String, String)>,
) -> Response {
    let mut store = sim.store();
    let now = store.now();
    let reader = store
        .accounts
        .values_mut()
        .flat_map(|a| a.readers.iter_mut())
        .find(|r| r.json["id"] == id.as_str());
    let Some(reader) = reader else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": format!("no reader {id}") })),
        )
            .into_response();
    };
    match state.as_str() {
        "offline" => {
            reader.online = false;
            reader.json["status"] = json!("offline");
        }
        "online" => {
            reader.online = true;
            reader.json["status"] = json!("online");
            reader.json["last_seen_at"] = json!(now * 1000);
        }
        "busy" => reader.busy = true,
        "idle" => reader.busy = false,
        _ => return bad("state must be offline, online, busy or idle"),
    }
    Json(reader.json.clone()).into_response()
}

#[derive(Deserialize)]
struct FaultRequest {
    /// 500, 503, 429, or 0 to hang.
    status: u16,
    count: Option<u32>,
    rate: Option<f64>,
    #[serde(default)]
    hang_ms: u64,
    path_prefix: Option<String>,
}

async fn add_fault(State(sim): State<Simulator>, Json(req): Json<FaultRequest>) -> Response {
    if req.count.is_none() && req.rate.is_none() {
        return bad("give count (next N calls) or rate (0.0-1.0)");
    }
    if req.status != 0 && req.status != 429 && req.status < 500 {
        return bad("status must be 0 (hang), 429 or 5xx");
    }
    sim.store().faults.push(Fault {
        status: req.status,
        remaining: req.count,
        rate: req.rate.unwrap_or(0.0).clamp(0.0, 1.0),
        hang_ms: req.hang_ms,
        path_prefix: req.path_prefix,
    });
    Json(json!({ "ok": true })).into_response()
}

async fn clear_faults(State(sim): State<Simulator>) -> Json<Value> {
    sim.store().faults.clear();
    Json(json!({ "ok": true }))
}

#[derive(Deserialize)]
struct WebhookControl {
    delay_ms: Option<u64>,
    drop: Option<u32>,
}

async fn webhooks(State(sim): State<Simulator>, Json(req): Json<WebhookControl>) -> Json<Value> {
    let mut store = sim.store();
    if let Some(d) = req.delay_ms {
        store.webhook_delay_ms = d;
    }
    if let Some(n) = req.drop {
        store.webhook_drop = n;
    }
    Json(json!({ "delay_ms": store.webhook_delay_ms, "drop": store.webhook_drop }))
}

async fn deliveries(State(sim): State<Simulator>) -> Json<Value> {
    Json(json!({ "deliveries": sim.store().deliveries }))
}

#[derive(Deserialize)]
struct CodeRequest {
    /// The secret key whose account may use the code.
    key: String,
    /// `bbpos_wisepos_e` (default) or `stripe_s700`.
    device_type: Option<String>,
}

async fn registration_code(State(sim): State<Simulator>, Json(req): Json<CodeRequest>) -> Response {
    let device = req.device_type.unwrap_or_else(|| "bbpos_wisepos_e".into());
    if device != "bbpos_wisepos_e" && device != "stripe_s700" {
        return bad("device_type must be bbpos_wisepos_e or stripe_s700");
    }
    let mut store = sim.store();
    let account = store.account_for_key(&req.key);
    let words = [
        "apple", "river", "stone", "cloud", "maple", "tiger", "ocean", "amber",
    ];
    let pick = || words[rand::random::<usize>() % words.len()];
    let code = format!("{}-{}-{}", pick(), pick(), crate::ids::random_digits(3));
    store.codes.insert(
        code.clone(),
        RegistrationCode {
            account,
            device_type: device.clone(),
        },
    );
    Json(json!({ "registration_code": code, "device_type": device })).into_response()
}

#[derive(Deserialize)]
struct Advance {
    seconds: i64,
}

async fn advance_clock(State(sim): State<Simulator>, Json(req): Json<Advance>) -> Json<Value> {
    let mut store = sim.store();
    store.clock_offset += req.seconds.max(0);
    Json(json!({ "offset_seconds": store.clock_offset, "now": store.now() }))
}

async fn reset(State(sim): State<Simulator>) -> Json<Value> {
    *sim.store() = crate::store::Store::default();
    Json(json!({ "ok": true }))
}

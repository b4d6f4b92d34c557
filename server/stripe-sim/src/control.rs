//! The control API (`/_sim/…`, JSON) for tests and demos: reader connectivity, a reader held
//! "authorising" (busy), injected faults, webhook delays and drops, registration codes for
//! "physical" readers, the clock, a reset, the delivery log, and a tally of requests per account. SIMULATOR.md documents it.

use crate::faults::Fault;
use crate::store::RegistrationCode;
use crate::Simulator;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<Simulator> {
    Router::new()
        .route("/readers/{id}/{state}", post(reader_state))
        .route(
            "/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/webhooks", get(webhook_control).post(set_webhook_control))
        .route("/deliveries", get(deliveries))
        .route("/registration_codes", post(registration_code))
        .route("/clock", get(clock))
        .route("/clock/advance", post(advance_clock))
        .route("/reset", post(reset).delete(reset))
        .route("/requests", get(requests).delete(restart_requests))
        .fallback(|| async {
            problem(
                StatusCode::NOT_FOUND,
                "no such control call; see SIMULATOR.md",
            )
        })
}

fn problem(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

async fn reader_state(
    State(sim): State<Simulator>,
    Path((id, state)): Path<(String, String)>,
) -> Response {
    let now_ms = sim.clock().now_ms();
    let mut store = sim.store();
    let Some(reader) = store.reader_anywhere(&id) else {
        return problem(StatusCode::NOT_FOUND, &format!("no reader {id}"));
    };
    match state.as_str() {
        "offline" => reader.set_online(false, now_ms),
        "online" => reader.set_online(true, now_ms),
        "busy" => reader.busy = true,
        "idle" => reader.busy = false,
        _ => {
            return problem(
                StatusCode::BAD_REQUEST,
                "state must be offline, online, busy or idle",
            )
        }
    }
    let mut shown = reader.view(now_ms);
    shown["busy"] = json!(reader.busy);
    Json(shown).into_response()
}

async fn list_faults(State(sim): State<Simulator>) -> Json<Value> {
    Json(json!({ "faults": sim.inner.faults.list() }))
}

async fn add_fault(State(sim): State<Simulator>, Json(fault): Json<Fault>) -> Response {
    if fault.count.is_none() && fault.rate.is_none() {
        return problem(
            StatusCode::BAD_REQUEST,
            "give count (the next N calls) or rate (0.0-1.0 of calls)",
        );
    }
    if fault.rate.is_some_and(|r| !(0.0..=1.0).contains(&r)) {
        return problem(StatusCode::BAD_REQUEST, "rate must be between 0 and 1");
    }
    if fault.status != 0 && fault.status != 429 && !(500..600).contains(&fault.status) {
        return problem(
            StatusCode::BAD_REQUEST,
            "status must be 0 (hang), 429 or 5xx",
        );
    }
    sim.inner.faults.add(fault);
    Json(json!({ "faults": sim.inner.faults.list() })).into_response()
}

async fn clear_faults(State(sim): State<Simulator>) -> Json<Value> {
    sim.inner.faults.clear();
    Json(json!({ "faults": [] }))
}

#[derive(Deserialize)]
struct WebhookControl {
    delay_ms: Option<u64>,
    drop: Option<u32>,
}

async fn webhook_control(State(sim): State<Simulator>) -> Json<Value> {
    Json(json!(sim.inner.webhooks.control()))
}

async fn set_webhook_control(
    State(sim): State<Simulator>,
    Json(req): Json<WebhookControl>,
) -> Json<Value> {
    Json(json!(sim
        .inner
        .webhooks
        .set_control(req.delay_ms, req.drop)))
}

#[derive(Deserialize)]
struct DeliveryFilter {
    event: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

async fn deliveries(
    State(sim): State<Simulator>,
    Query(filter): Query<DeliveryFilter>,
) -> Json<Value> {
    let list: Vec<_> = sim
        .inner
        .webhooks
        .deliveries()
        .into_iter()
        .filter(|d| filter.event.as_ref().is_none_or(|e| &d.event == e))
        .filter(|d| filter.kind.as_ref().is_none_or(|t| &d.event_type == t))
        .collect();
    Json(json!({ "deliveries": list }))
}

#[derive(Deserialize)]
struct CodeRequest {
    /// The secret key whose account may use the code…
    key: Option<String>,
    /// …or an account id (a connected account, say).
    account: Option<String>,
    /// `bbpos_wisepos_e` (default) or `stripe_s700`.
    device_type: Option<String>,
}

async fn registration_code(State(sim): State<Simulator>, Json(req): Json<CodeRequest>) -> Response {
    let device = req.device_type.unwrap_or_else(|| "bbpos_wisepos_e".into());
    if !["bbpos_wisepos_e", "stripe_s700", "stripe_s710"].contains(&device.as_str()) {
        return problem(
            StatusCode::BAD_REQUEST,
            "device_type must be bbpos_wisepos_e, stripe_s700 or stripe_s710",
        );
    }
    let now = sim.clock().now();
    let mut store = sim.store();
    let account = match (req.key, req.account) {
        (Some(key), _) => store.account_for_key(&key, now),
        (None, Some(acct)) if store.accounts.contains_key(&acct) => acct,
        (None, Some(acct)) => return problem(StatusCode::NOT_FOUND, &format!("no account {acct}")),
        (None, None) => return problem(StatusCode::BAD_REQUEST, "give key or account"),
    };
    // Three words and digits, like the codes a reader shows.
    const WORDS: [&str; 8] = [
        "apple", "river", "stone", "cloud", "maple", "tiger", "ocean", "amber",
    ];
    let ids = sim.ids();
    let code = format!(
        "{}-{}-{}",
        WORDS[ids.below(WORDS.len())],
        WORDS[ids.below(WORDS.len())],
        ids.digits(3)
    );
    store.codes.insert(
        code.clone(),
        RegistrationCode {
            account: account.clone(),
            device_type: device.clone(),
        },
    );
    Json(json!({ "registration_code": code, "device_type": device, "account": account }))
        .into_response()
}

async fn clock(State(sim): State<Simulator>) -> Json<Value> {
    Json(json!({ "offset_seconds": sim.clock().offset(), "now": sim.clock().now() }))
}

#[derive(Deserialize)]
struct Advance {
    seconds: i64,
}

async fn advance_clock(State(sim): State<Simulator>, Json(req): Json<Advance>) -> Response {
    if req.seconds < 0 {
        return problem(StatusCode::BAD_REQUEST, "the clock only moves forward");
    }
    let offset = sim.clock().advance(req.seconds);
    // Timers due now fire at once, not at the next background tick.
    crate::tick::run_all(&sim);
    Json(json!({ "offset_seconds": offset, "now": sim.clock().now() })).into_response()
}

/// What each account was asked since the last reset: reads, writes, refusals (429) and the
/// busiest second of each, keyed by account id.
async fn requests(State(sim): State<Simulator>) -> Json<Value> {
    Json(json!({ "accounts": sim.inner.limiter.tallies() }))
}

/// Starts the tallies afresh, leaving everything else (rate limits included) as it is.
async fn restart_requests(State(sim): State<Simulator>) -> Json<Value> {
    sim.inner.limiter.restart_tallies();
    Json(json!({ "restarted": true }))
}

async fn reset(State(sim): State<Simulator>) -> Json<Value> {
    sim.reset();
    Json(json!({ "reset": true }))
}

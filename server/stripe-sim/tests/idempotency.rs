//! Idempotency keys: replay, mismatch, saved errors, unsaved validation errors, keys in use.

mod common;

use common::*;
use serde_json::json;

const PI: &[(&str, &str)] = &[
    ("amount", "1000"),
    ("currency", "usd"),
    ("payment_method_types[]", "card_present"),
];

#[tokio::test]
async fn same_key_same_params_replays() {
    let sim = start().await;
    let api = sim.new_api();
    let a = api.post_idem("/v1/payment_intents", PI, "key-1").await;
    assert_eq!(a.status, 200);
    assert!(a.header("idempotent-replayed").is_none());
    let b = api.post_idem("/v1/payment_intents", PI, "key-1").await;
    assert_eq!(b.header("idempotent-replayed"), Some("true"));
    assert_eq!(a.body, b.body);
    assert_ne!(a.header("request-id"), b.header("request-id"));
    let list = api.get("/v1/payment_intents", &[]).await.ok();
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1), "acted once");
    // Keys are per account.
    let other = sim
        .new_api()
        .post_idem("/v1/payment_intents", PI, "key-1")
        .await
        .ok();
    assert_ne!(other["id"], a.body["id"]);
}

#[tokio::test]
async fn same_key_other_params_is_an_idempotency_error() {
    let sim = start().await;
    let api = sim.new_api();
    api.post_idem("/v1/payment_intents", PI, "key-2").await.ok();
    let r = api
        .post_idem(
            "/v1/payment_intents",
            &[("amount", "999"), ("currency", "usd")],
            "key-2",
        )
        .await;
    let e = r.err(400);
    assert_eq!(e["type"], "idempotency_error");
    assert!(e["message"].as_str().unwrap_or("").contains("key-2"));
}

#[tokio::test]
async fn executed_errors_replay_but_validation_errors_do_not() {
    let sim = start().await;
    let api = sim.new_api();
    let (_, reader) = api.reader().await;
    sim.control(&format!("/readers/{reader}/offline"), json!({}))
        .await;
    let pi = api.intent(1000, "manual").await;
    let path = format!("/v1/terminal/readers/{reader}/process_payment_intent");
    let first = api
        .post_idem(&path, &[("payment_intent", &pi)], "key-3")
        .await;
    assert_eq!(first.code(), "terminal_reader_offline");
    sim.control(&format!("/readers/{reader}/online"), json!({}))
        .await;
    let again = api
        .post_idem(&path, &[("payment_intent", &pi)], "key-3")
        .await;
    assert_eq!(
        again.code(),
        "terminal_reader_offline",
        "saved error replayed"
    );
    assert_eq!(again.header("idempotent-replayed"), Some("true"));

    let r = api
        .post_idem("/v1/payment_intents", &[("currency", "usd")], "key-4")
        .await;
    assert_eq!(r.code(), "parameter_missing");
    let fixed = api.post_idem("/v1/payment_intents", PI, "key-4").await;
    assert_eq!(
        fixed.status, 200,
        "a validation failure does not use up the key"
    );
}

#[tokio::test]
async fn a_key_in_flight_is_409_and_a_hung_call_acts_once() {
    let sim = start().await;
    let api = sim.new_api();
    sim.control(
        "/faults",
        json!({ "status": 0, "count": 1, "hang_ms": 600, "path_prefix": "/v1/payment_intents" }),
    )
    .await;
    let slow = {
        let api = api.clone();
        tokio::spawn(async move { api.post_idem("/v1/payment_intents", PI, "key-5").await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    let r = api.post_idem("/v1/payment_intents", PI, "key-5").await;
    let e = r.err(409);
    assert_eq!(e["code"], "idempotency_key_in_use");
    assert_eq!(e["type"], "idempotency_error");
    assert_eq!(r.header("stripe-should-retry"), Some("true"));
    let first = slow.await.expect("join").ok();
    let replay = api.post_idem("/v1/payment_intents", PI, "key-5").await;
    assert_eq!(replay.body["id"], first["id"]);
    assert_eq!(
        api.get("/v1/payment_intents", &[]).await.ok()["data"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

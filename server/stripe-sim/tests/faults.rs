//! Injected faults and rate limits.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn counted_faults_fail_the_next_matching_calls() {
    let sim = start().await;
    let api = sim.new_api();
    let bystander = sim.new_api();
    let acct = api.get("/v1/account", &[]).await.ok()["id"]
        .as_str()
        .unwrap_or("")
        .to_string();
    sim.control(
        "/faults",
        json!({ "status": 503, "count": 2, "path_prefix": "/v1/terminal", "account": acct }),
    )
    .await;
    // Scoped: other paths and other accounts are untouched.
    assert_eq!(api.get("/v1/payment_intents", &[]).await.status, 200);
    assert_eq!(bystander.get("/v1/terminal/readers", &[]).await.status, 200);
    for _ in 0..2 {
        let r = api.get("/v1/terminal/readers", &[]).await;
        assert_eq!(r.err(503)["type"], "api_error");
        assert_eq!(r.header("stripe-should-retry"), Some("true"));
        assert!(r.header("request-id").is_some());
    }
    assert_eq!(api.get("/v1/terminal/readers", &[]).await.status, 200);

    sim.control(
        "/faults",
        json!({ "status": 429, "count": 1, "method": "POST" }),
    )
    .await;
    assert_eq!(api.get("/v1/terminal/readers", &[]).await.status, 200);
    let r = api.post("/v1/terminal/connection_tokens", &[]).await;
    assert_eq!(r.err(429)["code"], "rate_limit");

    sim.control("/faults", json!({ "status": 500, "rate": 1.0 }))
        .await;
    assert_eq!(api.get("/v1/terminal/readers", &[]).await.status, 500);
    let listed = sim.control_get("/faults").await;
    assert_eq!(listed["faults"].as_array().map(Vec::len), Some(1));
    let cleared = sim
        .http
        .delete(format!("{}/_sim/faults", sim.base))
        .send()
        .await
        .expect("delete");
    assert!(cleared.status().is_success());
    assert_eq!(api.get("/v1/terminal/readers", &[]).await.status, 200);
}

#[tokio::test]
async fn an_injected_500_is_not_saved_under_the_idempotency_key() {
    let sim = start().await;
    let api = sim.new_api();
    sim.control("/faults", json!({ "status": 500, "count": 1 }))
        .await;
    let form = [("amount", "100"), ("currency", "usd")];
    assert_eq!(
        api.post_idem("/v1/payment_intents", &form, "k")
            .await
            .status,
        500
    );
    let r = api.post_idem("/v1/payment_intents", &form, "k").await;
    assert_eq!(r.status, 200);
    assert!(r.header("idempotent-replayed").is_none());
}

#[tokio::test]
async fn hangs_delay_the_answer() {
    let sim = start().await;
    let api = sim.new_api();
    sim.control(
        "/faults",
        json!({ "status": 0, "count": 1, "hang_ms": 300 }),
    )
    .await;
    let t = std::time::Instant::now();
    assert_eq!(api.get("/v1/terminal/readers", &[]).await.status, 200);
    assert!(t.elapsed() >= std::time::Duration::from_millis(300));
}

#[tokio::test]
async fn rate_limits_per_account_reads_and_writes_apart() {
    let sim = start_with(fleet_stripe_sim::SimConfig {
        rate_limit: Some(fleet_stripe_sim::RateLimit {
            reads_per_second: 5,
            writes_per_second: 3,
        }),
        ..Default::default()
    })
    .await;
    let api = sim.new_api();
    let reads =
        futures::future::join_all((0..8).map(|_| api.get("/v1/terminal/readers", &[]))).await;
    let limited: Vec<_> = reads.iter().filter(|r| r.status == 429).collect();
    assert_eq!(limited.len(), 3);
    assert_eq!(limited[0].code(), "rate_limit");
    assert_eq!(limited[0].body["error"]["type"], "invalid_request_error");
    assert_eq!(limited[0].header("stripe-should-retry"), Some("true"));
    // Writes have their own budget, and other accounts theirs.
    let writes =
        futures::future::join_all((0..4).map(|_| api.post("/v1/terminal/connection_tokens", &[])))
            .await;
    assert_eq!(writes.iter().filter(|r| r.status == 429).count(), 1);
    assert_eq!(
        sim.new_api().get("/v1/terminal/readers", &[]).await.status,
        200
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(api.get("/v1/terminal/readers", &[]).await.status, 200);
}

#[tokio::test]
async fn reset_forgets_everything() {
    let sim = start().await;
    let api = sim.new_api();
    let loc = api.location().await;
    sim.control("/reset", json!({})).await;
    api.get(&format!("/v1/terminal/locations/{loc}"), &[])
        .await
        .err(404);
}

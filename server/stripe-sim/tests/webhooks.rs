//! Webhook endpoints, events, and signed delivery with retries.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn endpoints_create_list_retrieve_delete() {
    let sim = start().await;
    let api = sim.new_api();
    let we = api
        .post(
            "/v1/webhook_endpoints",
            &[
                ("url", "https://example.com/hook"),
                ("enabled_events[]", "payment_intent.succeeded"),
                ("enabled_events[]", "charge.refunded"),
                ("description", "ops"),
            ],
        )
        .await
        .ok();
    let id = we["id"].as_str().expect("id");
    assert!(id.starts_with("we_"));
    assert!(we["secret"]
        .as_str()
        .is_some_and(|s| s.starts_with("whsec_")));
    assert_eq!(
        we["enabled_events"],
        json!(["payment_intent.succeeded", "charge.refunded"])
    );
    assert_eq!(we["status"], "enabled");
    let got = api
        .get(&format!("/v1/webhook_endpoints/{id}"), &[])
        .await
        .ok();
    assert!(got.get("secret").is_none(), "the secret is shown once");
    assert_eq!(
        api.get("/v1/webhook_endpoints", &[]).await.ok()["data"][0]["id"],
        id
    );
    let r = api
        .post(
            "/v1/webhook_endpoints",
            &[("url", "not a url"), ("enabled_events[]", "*")],
        )
        .await;
    assert_eq!(r.err(400)["param"], "url");
    let r = api
        .post("/v1/webhook_endpoints", &[("url", "https://example.com")])
        .await;
    assert_eq!(r.err(400)["param"], "enabled_events");
    assert_eq!(
        api.delete(&format!("/v1/webhook_endpoints/{id}"))
            .await
            .ok()["deleted"],
        true
    );
    api.get(&format!("/v1/webhook_endpoints/{id}"), &[])
        .await
        .err(404);
}

#[tokio::test]
async fn a_payment_delivers_signed_events() {
    let sim = start().await;
    let api = sim.new_api();
    let receiver = Receiver::start(200).await;
    let we = api
        .post(
            "/v1/webhook_endpoints",
            &[("url", &receiver.url), ("enabled_events[]", "*")],
        )
        .await
        .ok();
    let secret = we["secret"].as_str().expect("secret").to_string();
    let (reader, pi) = api.paid(2000).await;
    let refund = api
        .post_idem("/v1/refunds", &[("payment_intent", &pi)], "refund-key")
        .await
        .ok();
    for kind in [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
        "terminal.reader.action_succeeded",
        "refund.created",
        "charge.refunded",
    ] {
        receiver.wait_for(kind).await;
    }
    for (body, signature) in receiver.got.lock().await.iter() {
        assert!(
            signature.starts_with("t=") && signature.contains(",v1="),
            "{signature}"
        );
        assert!(verify(&secret, signature, body), "signature verifies");
        assert!(!verify("whsec_wrong", signature, body));
    }
    let action = receiver.wait_for("terminal.reader.action_succeeded").await;
    assert_eq!(action["data"]["object"]["id"], reader.as_str());
    assert_eq!(action["object"], "event");
    assert!(action["api_version"].is_string());
    let created = receiver.wait_for("refund.created").await;
    assert_eq!(created["data"]["object"]["id"], refund["id"]);
    assert_eq!(created["request"]["idempotency_key"], "refund-key");
    assert!(created["request"]["id"]
        .as_str()
        .is_some_and(|s| s.starts_with("req_")));
    let succeeded = receiver.wait_for("payment_intent.succeeded").await;
    assert_eq!(
        succeeded["data"]["previous_attributes"]["status"],
        "requires_payment_method"
    );
    // Events are listed and retrievable too; pending_webhooks falls as deliveries succeed.
    let listed = api
        .get("/v1/events", &[("type", "payment_intent.*")])
        .await
        .ok();
    assert!(listed["data"].as_array().is_some_and(|d| d.len() >= 2));
    let id = created["id"].as_str().unwrap_or("");
    for _ in 0..50 {
        if api.get(&format!("/v1/events/{id}"), &[]).await.ok()["pending_webhooks"] == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        api.get(&format!("/v1/events/{id}"), &[]).await.ok()["pending_webhooks"],
        0
    );
    // No webhook for a display or a cancelled action.
    api.post(
        &format!("/v1/terminal/readers/{reader}/set_reader_display"),
        &[
            ("type", "cart"),
            ("cart[currency]", "usd"),
            ("cart[total]", "1"),
            ("cart[line_items][0][description]", "x"),
            ("cart[line_items][0][amount]", "1"),
            ("cart[line_items][0][quantity]", "1"),
        ],
    )
    .await
    .ok();
    api.post(&format!("/v1/terminal/readers/{reader}/cancel_action"), &[])
        .await
        .ok();
    let actions = api
        .get("/v1/events", &[("type", "terminal.reader.*")])
        .await
        .ok();
    assert_eq!(actions["data"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn only_enabled_events_are_sent_and_failures_are_retried() {
    let sim = start_with(fleet_stripe_sim::SimConfig {
        rate_limit: None,
        webhook_retry: fleet_stripe_sim::WebhookRetry {
            attempts: 3,
            first_delay: std::time::Duration::from_millis(50),
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let api = sim.new_api();
    let failing = Receiver::start(500).await;
    let picky = Receiver::start(200).await;
    api.post(
        "/v1/webhook_endpoints",
        &[
            ("url", &failing.url),
            ("enabled_events[]", "payment_intent.created"),
        ],
    )
    .await
    .ok();
    api.post(
        "/v1/webhook_endpoints",
        &[
            ("url", &picky.url),
            ("enabled_events[]", "payment_intent.canceled"),
        ],
    )
    .await
    .ok();
    let pi = api.intent(100, "manual").await;
    api.post(&format!("/v1/payment_intents/{pi}/cancel"), &[])
        .await
        .ok();
    picky.wait_for("payment_intent.canceled").await;
    for _ in 0..100 {
        if failing.got.lock().await.len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        failing.got.lock().await.len(),
        3,
        "three attempts, then it gives up"
    );
    assert!(picky
        .events()
        .await
        .iter()
        .all(|e| e["type"] == "payment_intent.canceled"));
    let log = sim
        .control_get("/deliveries?type=payment_intent.created")
        .await;
    assert_eq!(log["deliveries"][0]["attempts"], 3);
    assert_eq!(log["deliveries"][0]["delivered"], false);
    assert_eq!(log["deliveries"][0]["status"], 500);
}

#[tokio::test]
async fn dropped_and_delayed_deliveries_arrive_later() {
    let sim = start_with(fleet_stripe_sim::SimConfig {
        rate_limit: None,
        webhook_retry: fleet_stripe_sim::WebhookRetry {
            first_delay: std::time::Duration::from_millis(50),
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let api = sim.new_api();
    let receiver = Receiver::start(200).await;
    api.post(
        "/v1/webhook_endpoints",
        &[("url", &receiver.url), ("enabled_events[]", "*")],
    )
    .await
    .ok();
    sim.control("/webhooks", json!({ "drop": 2, "delay_ms": 100 }))
        .await;
    let started = std::time::Instant::now();
    api.intent(100, "manual").await;
    receiver.wait_for("payment_intent.created").await;
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    let d = sim.wait_deliveries("payment_intent.created", 1).await;
    assert_eq!(d[0]["attempts"], 3);
}

//! The reader state machine: process, present, replace, busy, offline, declines, cancel,
//! displays, in-person refunds, setup intents, collect/confirm, timeouts.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn manual_capture_flow() {
    let sim = start().await;
    let api = sim.new_api();
    let (loc, reader) = api.reader().await;
    let pi = api.intent(1000, "manual").await;
    let r = api.process(&reader, &pi).await.ok();
    assert_eq!(r["action"]["type"], "process_payment_intent");
    assert_eq!(r["action"]["status"], "in_progress");
    assert_eq!(
        r["action"]["process_payment_intent"]["payment_intent"],
        pi.as_str()
    );
    let r = api
        .present(&reader, &[("card_present[number]", "5555555555554444")])
        .await
        .ok();
    assert_eq!(r["action"]["status"], "succeeded");
    let intent = api
        .get(
            &format!("/v1/payment_intents/{pi}"),
            &[("expand[]", "latest_charge")],
        )
        .await
        .ok();
    assert_eq!(intent["status"], "requires_capture");
    assert_eq!(intent["amount_capturable"], 1000);
    let charge = &intent["latest_charge"];
    assert_eq!(charge["object"], "charge");
    assert_eq!(charge["captured"], false);
    let cp = &charge["payment_method_details"]["card_present"];
    assert_eq!(cp["brand"], "mastercard");
    assert_eq!(cp["last4"], "4444");
    assert_eq!(cp["reader"], reader.as_str());
    assert_eq!(cp["location"], loc.as_str());
    // The reader's action can expand its PaymentIntent.
    let r = api
        .get(
            &format!("/v1/terminal/readers/{reader}"),
            &[("expand[]", "action.process_payment_intent.payment_intent")],
        )
        .await
        .ok();
    assert_eq!(
        r["action"]["process_payment_intent"]["payment_intent"]["status"],
        "requires_capture"
    );
    let captured = api
        .post(&format!("/v1/payment_intents/{pi}/capture"), &[])
        .await
        .ok();
    assert_eq!(captured["status"], "succeeded");
    assert_eq!(captured["amount_received"], 1000);
}

#[tokio::test]
async fn automatic_capture_with_tip() {
    let sim = start().await;
    let api = sim.new_api();
    let (_, reader) = api.reader().await;
    api.enable_tipping("usd").await;
    let pi = api.intent(1000, "automatic").await;
    api.process(&reader, &pi).await.ok();
    api.present(&reader, &[("amount_tip", "150")]).await.ok();
    let intent = api
        .get(&format!("/v1/payment_intents/{pi}"), &[])
        .await
        .ok();
    assert_eq!(intent["status"], "succeeded");
    assert_eq!(intent["amount"], 1150);
    assert_eq!(intent["amount_received"], 1150);
    assert_eq!(intent["amount_details"]["tip"]["amount"], 150);
}

#[tokio::test]
async fn declines_by_card_and_by_amount() {
    let sim = start().await;
    let api = sim.new_api();
    let (_, reader) = api.reader().await;
    let cases: &[(i64, Option<&str>, &str, &str)] = &[
        (
            1000,
            Some("4000000000000002"),
            "card_declined",
            "generic_decline",
        ),
        (
            1000,
            Some("4000000000009995"),
            "card_declined",
            "insufficient_funds",
        ),
        (1000, Some("4000000000009987"), "card_declined", "lost_card"),
        (
            1000,
            Some("4000000000009979"),
            "card_declined",
            "stolen_card",
        ),
        (
            1000,
            Some("4000000000000069"),
            "expired_card",
            "expired_card",
        ),
        (
            1000,
            Some("4000000000000119"),
            "processing_error",
            "processing_error",
        ),
        (1001, None, "card_declined", "call_issuer"),
        (1005, None, "card_declined", "generic_decline"),
        (1055, None, "incorrect_pin", "incorrect_pin"),
        (
            1065,
            None,
            "card_declined",
            "withdrawal_count_limit_exceeded",
        ),
        (1075, None, "card_declined", "pin_try_exceeded"),
    ];
    for (amount, number, code, decline) in cases {
        let pi = api.intent(*amount, "manual").await;
        api.process(&reader, &pi).await.ok();
        let form: Vec<(&str, &str)> = number
            .iter()
            .map(|n| ("card_present[number]", *n))
            .collect();
        let r = api.present(&reader, &form).await.ok();
        assert_eq!(r["action"]["status"], "failed", "{amount} {number:?}");
        assert_eq!(r["action"]["failure_code"], *code);
        assert!(r["action"]["failure_message"].is_string());
        let intent = api
            .get(&format!("/v1/payment_intents/{pi}"), &[])
            .await
            .ok();
        assert_eq!(intent["status"], "requires_payment_method");
        assert_eq!(intent["last_payment_error"]["decline_code"], *decline);
        assert_eq!(intent["last_payment_error"]["type"], "card_error");
        let charge = api
            .get(
                &format!(
                    "/v1/charges/{}",
                    intent["latest_charge"].as_str().unwrap_or("")
                ),
                &[],
            )
            .await
            .ok();
        assert_eq!(charge["status"], "failed");
    }
    // A declined intent can be retried with another card, and PIN endings approve.
    let pi = api.intent(1002, "manual").await;
    api.process(&reader, &pi).await.ok();
    api.present(&reader, &[("card_present[number]", "4000000000000002")])
        .await
        .ok();
    api.process(&reader, &pi).await.ok();
    assert_eq!(
        api.present(&reader, &[]).await.ok()["action"]["status"],
        "succeeded"
    );
    let intent = api
        .get(&format!("/v1/payment_intents/{pi}"), &[])
        .await
        .ok();
    assert_eq!(intent["status"], "requires_capture");
    assert_eq!(intent["last_payment_error"], serde_json::Value::Null);
}

#[tokio::test]
async fn replace_busy_offline_cancel() {
    let sim = start().await;
    let api = sim.new_api();
    let (_, reader) = api.reader().await;
    let first = api.intent(1000, "manual").await;
    let second = api.intent(2000, "manual").await;
    api.process(&reader, &first).await.ok();
    // A payment still waiting for a card is replaced.
    let r = api.process(&reader, &second).await.ok();
    assert_eq!(
        r["action"]["process_payment_intent"]["payment_intent"],
        second.as_str()
    );
    // A display does not replace a payment on screen.
    let r = api
        .post(
            &format!("/v1/terminal/readers/{reader}/set_reader_display"),
            &[
                ("type", "cart"),
                ("cart[currency]", "usd"),
                ("cart[total]", "100"),
                ("cart[line_items][0][description]", "Tea"),
                ("cart[line_items][0][amount]", "100"),
                ("cart[line_items][0][quantity]", "1"),
            ],
        )
        .await;
    assert_eq!(r.err(400)["code"], "terminal_reader_busy");

    // Authorising a card (held by the control API): everything is busy, cancel included.
    let held = sim
        .control(&format!("/readers/{reader}/busy"), json!({}))
        .await;
    assert_eq!(held["busy"], true);
    for r in [
        api.process(&reader, &first).await,
        api.post(&format!("/v1/terminal/readers/{reader}/cancel_action"), &[])
            .await,
    ] {
        let e = r.err(400);
        assert_eq!(e["code"], "terminal_reader_busy");
        assert_eq!(e["type"], "invalid_request_error");
    }
    sim.control(&format!("/readers/{reader}/idle"), json!({}))
        .await;

    let r = api
        .post(&format!("/v1/terminal/readers/{reader}/cancel_action"), &[])
        .await
        .ok();
    assert_eq!(r["action"], serde_json::Value::Null);
    assert_eq!(
        api.get(&format!("/v1/payment_intents/{second}"), &[])
            .await
            .ok()["status"],
        "requires_payment_method"
    );
    // Nothing waits for a card any more.
    assert_eq!(api.present(&reader, &[]).await.status, 400);

    sim.control(&format!("/readers/{reader}/offline"), json!({}))
        .await;
    let r = api.process(&reader, &first).await;
    assert_eq!(r.err(400)["code"], "terminal_reader_offline");
    assert_eq!(
        api.get(&format!("/v1/terminal/readers/{reader}"), &[])
            .await
            .ok()["status"],
        "offline"
    );
    sim.control(&format!("/readers/{reader}/online"), json!({}))
        .await;
    api.process(&reader, &first).await.ok();
}

#[tokio::test]
async fn intent_must_wait_for_a_payment_method() {
    let sim = start().await;
    let api = sim.new_api();
    let (reader, pi) = api.paid(1000).await;
    let r = api.process(&reader, &pi).await;
    let e = r.err(400);
    assert_eq!(e["code"], "intent_invalid_state");
    assert_eq!(e["param"], "payment_intent");
    let card_only = api
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "100"),
                ("currency", "usd"),
                ("payment_method_types[]", "card"),
            ],
        )
        .await
        .ok();
    let r = api
        .process(&reader, card_only["id"].as_str().unwrap_or(""))
        .await;
    assert_eq!(r.err(400)["code"], "intent_invalid_state");
    let r = api.process(&reader, "pi_missing").await;
    assert_eq!(r.err(404)["param"], "payment_intent");
    let r = api
        .post(
            &format!("/v1/terminal/readers/{reader}/process_payment_intent"),
            &[],
        )
        .await;
    assert_eq!(r.err(400)["code"], "parameter_missing");
    let r = api.process("tmr_missing", &pi).await;
    assert_eq!(
        r.err(404)["message"],
        "No such terminal.reader: 'tmr_missing'"
    );
}

#[tokio::test]
async fn display_refund_and_setup_actions() {
    let sim = start().await;
    let api = sim.new_api();
    let (reader, pi) = api.paid(3000).await;
    let shown = api
        .post(
            &format!("/v1/terminal/readers/{reader}/set_reader_display"),
            &[
                ("type", "cart"),
                ("cart[currency]", "usd"),
                ("cart[total]", "550"),
                ("cart[tax]", "50"),
                ("cart[line_items][0][description]", "Latte"),
                ("cart[line_items][0][amount]", "500"),
                ("cart[line_items][0][quantity]", "1"),
            ],
        )
        .await
        .ok();
    assert_eq!(shown["action"]["status"], "succeeded");
    assert_eq!(
        shown["action"]["set_reader_display"]["cart"]["line_items"][0]["amount"],
        500
    );
    assert_eq!(shown["action"]["set_reader_display"]["cart"]["total"], 550);

    let r = api
        .post(
            &format!("/v1/terminal/readers/{reader}/refund_payment"),
            &[("payment_intent", &pi), ("amount", "1000")],
        )
        .await
        .ok();
    assert_eq!(r["action"]["type"], "refund_payment");
    assert_eq!(r["action"]["status"], "in_progress");
    let r = api.present(&reader, &[]).await.ok();
    assert_eq!(r["action"]["status"], "succeeded");
    let refund_id = r["action"]["refund_payment"]["refund"]
        .as_str()
        .expect("refund id");
    let refund = api.get(&format!("/v1/refunds/{refund_id}"), &[]).await.ok();
    assert_eq!(refund["amount"], 1000);
    assert_eq!(refund["payment_intent"], pi.as_str());
    let r = api
        .post(
            &format!("/v1/terminal/readers/{reader}/refund_payment"),
            &[("payment_intent", &pi), ("amount", "5000")],
        )
        .await;
    assert_eq!(r.err(400)["code"], "amount_too_large");

    let r = api
        .post(
            &format!("/v1/terminal/readers/{reader}/process_setup_intent"),
            &[("setup_intent", "seti_123")],
        )
        .await;
    assert_eq!(r.err(400)["param"], "allow_redisplay");
    let r = api
        .post(
            &format!("/v1/terminal/readers/{reader}/process_setup_intent"),
            &[("setup_intent", "seti_123"), ("allow_redisplay", "always")],
        )
        .await
        .ok();
    assert_eq!(
        r["action"]["process_setup_intent"]["setup_intent"],
        "seti_123"
    );
    let r = api.present(&reader, &[]).await.ok();
    assert_eq!(r["action"]["status"], "succeeded");
    assert!(r["action"]["process_setup_intent"]["generated_card"]
        .as_str()
        .is_some_and(|s| s.starts_with("pm_")));
}

#[tokio::test]
async fn collect_then_confirm() {
    let sim = start().await;
    let api = sim.new_api();
    let receiver = Receiver::start(200).await;
    api.post(
        "/v1/webhook_endpoints",
        &[
            ("url", &receiver.url),
            ("enabled_events[]", "terminal.reader.action_updated"),
        ],
    )
    .await
    .ok();
    let (_, reader) = api.reader().await;
    let pi = api.intent(2500, "manual").await;
    let r = api
        .post(
            &format!("/v1/terminal/readers/{reader}/collect_payment_method"),
            &[("payment_intent", &pi)],
        )
        .await
        .ok();
    assert_eq!(r["action"]["type"], "collect_payment_method");
    let r = api.present(&reader, &[]).await.ok();
    let pm = r["action"]["collect_payment_method"]["payment_method"]
        .as_str()
        .expect("pm")
        .to_string();
    assert_eq!(
        api.get(&format!("/v1/payment_intents/{pi}"), &[])
            .await
            .ok()["status"],
        "requires_confirmation"
    );
    let event = receiver.wait_for("terminal.reader.action_updated").await;
    assert_eq!(
        event["data"]["object"]["action"]["collect_payment_method"]["payment_method"],
        pm.as_str()
    );
    let r = api
        .post(
            &format!("/v1/terminal/readers/{reader}/confirm_payment_intent"),
            &[("payment_intent", &pi)],
        )
        .await
        .ok();
    assert_eq!(r["action"]["type"], "confirm_payment_intent");
    assert_eq!(r["action"]["status"], "succeeded");
    assert_eq!(
        api.get(&format!("/v1/payment_intents/{pi}"), &[])
            .await
            .ok()["status"],
        "requires_capture"
    );
}

#[tokio::test]
async fn waiting_actions_time_out_when_the_clock_moves() {
    let sim = start().await;
    let api = sim.new_api();
    let (_, reader) = api.reader().await;
    let pi = api.intent(1000, "manual").await;
    api.process(&reader, &pi).await.ok();
    sim.control("/clock/advance", json!({ "seconds": 301 }))
        .await;
    let r = api
        .get(&format!("/v1/terminal/readers/{reader}"), &[])
        .await
        .ok();
    assert_eq!(r["action"]["status"], "failed");
    assert_eq!(r["action"]["failure_code"], "terminal_reader_timeout");
    let events = api
        .get("/v1/events", &[("type", "terminal.reader.action_failed")])
        .await
        .ok();
    assert_eq!(
        events["data"][0]["request"]["id"],
        serde_json::Value::Null,
        "automatic events have no request"
    );
    // The intent can be processed again.
    api.process(&reader, &pi).await.ok();
}

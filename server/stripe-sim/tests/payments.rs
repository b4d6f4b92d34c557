//! PaymentIntents, charges and refunds: creation rules, capture and cancel state checks,
//! partial amounts, refunds and the refund test cards.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn create_retrieve_update_list() {
    let sim = start().await;
    let api = sim.new_api();
    let pi = api
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "1234"),
                ("currency", "USD"),
                ("payment_method_types[0]", "card_present"),
                ("capture_method", "manual"),
                ("description", "Coffee"),
                ("metadata[order]", "42"),
            ],
        )
        .await
        .ok();
    assert_eq!(pi["status"], "requires_payment_method");
    assert_eq!(pi["currency"], "usd");
    assert_eq!(pi["payment_method_types"], json!(["card_present"]));
    assert_eq!(pi["metadata"]["order"], "42");
    assert!(pi["client_secret"]
        .as_str()
        .is_some_and(|s| s.starts_with(pi["id"].as_str().unwrap_or("?"))));
    let id = pi["id"].as_str().expect("id");
    for (form, param, code) in [
        (vec![("currency", "usd")], "amount", "parameter_missing"),
        (
            vec![("amount", "12x"), ("currency", "usd")],
            "amount",
            "parameter_invalid_integer",
        ),
        (
            vec![("amount", "0"), ("currency", "usd")],
            "amount",
            "parameter_invalid_integer",
        ),
        (vec![("amount", "100")], "currency", "parameter_missing"),
        (
            vec![
                ("amount", "100"),
                ("currency", "usd"),
                ("capture_method", "later"),
            ],
            "capture_method",
            "parameter_invalid_string",
        ),
    ] {
        let r = api.post("/v1/payment_intents", &form).await;
        let e = r.err(400);
        assert_eq!(
            (e["param"].as_str(), e["code"].as_str()),
            (Some(param), Some(code)),
            "{form:?}"
        );
    }
    let updated = api
        .post(
            &format!("/v1/payment_intents/{id}"),
            &[("amount", "1500"), ("metadata[order]", "43")],
        )
        .await
        .ok();
    assert_eq!(updated["amount"], 1500);
    assert_eq!(updated["metadata"]["order"], "43");
    let other = api.intent(100, "automatic").await;
    let list = api.get("/v1/payment_intents", &[("limit", "1")]).await.ok();
    assert_eq!(list["data"][0]["id"], other.as_str());
    assert_eq!(list["has_more"], true);
    let created = pi["created"].as_i64().unwrap_or(0).to_string();
    let ranged = api
        .get("/v1/payment_intents", &[("created[gte]", &created)])
        .await
        .ok();
    assert_eq!(ranged["data"].as_array().map(Vec::len), Some(2));
    let none = api
        .get("/v1/payment_intents", &[("created[lt]", &created)])
        .await
        .ok();
    assert_eq!(none["data"].as_array().map(Vec::len), Some(0));
    let r = api.get("/v1/payment_intents/pi_nope", &[]).await;
    assert_eq!(r.err(404)["message"], "No such payment_intent: 'pi_nope'");
}

#[tokio::test]
async fn capture_and_cancel_check_states() {
    let sim = start().await;
    let api = sim.new_api();
    let (_, reader) = api.reader().await;
    let pi = api.intent(1000, "manual").await;
    let r = api
        .post(&format!("/v1/payment_intents/{pi}/capture"), &[])
        .await;
    let e = r.err(400);
    assert_eq!(e["code"], "payment_intent_unexpected_state");
    assert_eq!(e["payment_intent"]["id"], pi.as_str());
    api.process(&reader, &pi).await.ok();
    api.present(&reader, &[]).await.ok();
    let r = api
        .post(
            &format!("/v1/payment_intents/{pi}/capture"),
            &[("amount_to_capture", "2000")],
        )
        .await;
    assert_eq!(r.err(400)["code"], "amount_too_large");
    let captured = api
        .post(
            &format!("/v1/payment_intents/{pi}/capture"),
            &[("amount_to_capture", "600"), ("expand[]", "latest_charge")],
        )
        .await
        .ok();
    assert_eq!(captured["amount_received"], 600);
    assert_eq!(captured["latest_charge"]["amount_captured"], 600);
    assert_eq!(captured["latest_charge"]["amount_refunded"], 400);
    let r = api
        .post(&format!("/v1/payment_intents/{pi}/cancel"), &[])
        .await;
    assert_eq!(r.err(400)["code"], "payment_intent_unexpected_state");

    let other = api.intent(1000, "manual").await;
    api.process(&reader, &other).await.ok();
    api.present(&reader, &[]).await.ok();
    let canceled = api
        .post(
            &format!("/v1/payment_intents/{other}/cancel"),
            &[("cancellation_reason", "requested_by_customer")],
        )
        .await
        .ok();
    assert_eq!(canceled["status"], "canceled");
    assert_eq!(canceled["cancellation_reason"], "requested_by_customer");
    assert!(canceled["canceled_at"].is_i64());
    let r = api
        .post(
            &format!("/v1/payment_intents/{other}/cancel"),
            &[("cancellation_reason", "bored")],
        )
        .await;
    assert_eq!(r.err(400)["param"], "cancellation_reason");
}

#[tokio::test]
async fn refunds_full_partial_and_errors() {
    let sim = start().await;
    let api = sim.new_api();
    let (_, pi) = api.paid(3000).await;
    let partial = api
        .post(
            "/v1/refunds",
            &[
                ("payment_intent", &pi),
                ("amount", "1000"),
                ("reason", "requested_by_customer"),
            ],
        )
        .await
        .ok();
    assert_eq!(partial["status"], "succeeded");
    assert_eq!(partial["amount"], 1000);
    let charge_id = partial["charge"].as_str().expect("charge").to_string();
    let rest = api
        .post("/v1/refunds", &[("charge", &charge_id)])
        .await
        .ok();
    assert_eq!(rest["amount"], 2000);
    let charge = api.get(&format!("/v1/charges/{charge_id}"), &[]).await.ok();
    assert_eq!(charge["refunded"], true);
    assert_eq!(charge["amount_refunded"], 3000);
    let r = api.post("/v1/refunds", &[("charge", &charge_id)]).await;
    assert_eq!(r.err(400)["code"], "charge_already_refunded");
    let r = api.post("/v1/refunds", &[]).await;
    assert_eq!(r.err(400)["code"], "parameter_missing");
    let listed = api
        .get("/v1/refunds", &[("payment_intent", &pi)])
        .await
        .ok();
    assert_eq!(listed["data"][0]["id"], rest["id"]);
    assert_eq!(listed["data"][1]["id"], partial["id"]);
    let fetched = api
        .get(
            &format!("/v1/refunds/{}", partial["id"].as_str().unwrap_or("")),
            &[("expand[]", "charge")],
        )
        .await
        .ok();
    assert_eq!(fetched["charge"]["id"], charge_id.as_str());
    let uncaptured = api.intent(500, "manual").await;
    let r = api
        .post("/v1/refunds", &[("payment_intent", &uncaptured)])
        .await;
    assert_eq!(r.err(400)["code"], "charge_not_refundable");
    let r = api.get("/v1/charges/ch_nope", &[]).await;
    assert_eq!(r.err(404)["message"], "No such charge: 'ch_nope'");
    let r = api
        .get(
            &format!("/v1/payment_intents/{pi}"),
            &[("expand[]", "currency")],
        )
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn refund_test_cards_settle_later() {
    let sim = start().await;
    let api = sim.new_api();
    let (_, reader) = api.reader().await;
    let mut refunds = Vec::new();
    for card in ["4000000000007726", "4000000000005126"] {
        let pi = api.intent(1000, "automatic").await;
        api.process(&reader, &pi).await.ok();
        api.present(&reader, &[("card_present[number]", card)])
            .await
            .ok();
        refunds.push(
            api.post("/v1/refunds", &[("payment_intent", &pi)])
                .await
                .ok(),
        );
    }
    assert_eq!(refunds[0]["status"], "pending");
    assert_eq!(refunds[1]["status"], "succeeded");
    sim.control("/clock/advance", json!({ "seconds": 10 }))
        .await;
    let pending = api
        .get(
            &format!("/v1/refunds/{}", refunds[0]["id"].as_str().unwrap_or("")),
            &[],
        )
        .await
        .ok();
    assert_eq!(pending["status"], "succeeded");
    let failed = api
        .get(
            &format!("/v1/refunds/{}", refunds[1]["id"].as_str().unwrap_or("")),
            &[],
        )
        .await
        .ok();
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["failure_reason"], "expired_or_canceled_card");
    let updated = api
        .get("/v1/events", &[("type", "refund.updated")])
        .await
        .ok();
    assert_eq!(updated["data"].as_array().map(Vec::len), Some(2));
    assert!(api
        .get("/v1/events", &[("type", "refund.failed")])
        .await
        .ok()["data"][0]["id"]
        .is_string());
}

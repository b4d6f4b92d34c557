//! On-reader tipping: a tip is added only when the reader shows a tipping screen, that is when
//! the configuration in force (the location's override, else the account default) has tipping
//! for the payment's currency and the command did not skip it (`skip_tipping`,
//! `tipping[amount_eligible]=0`). The test helper's `amount_tip` is what the customer chose.

mod common;

use common::*;
use serde_json::{json, Value};

async fn intent(api: &Api, id: &str) -> Value {
    api.get(
        &format!("/v1/payment_intents/{id}"),
        &[("expand[]", "latest_charge")],
    )
    .await
    .ok()
}

#[tokio::test]
async fn tips_add_to_the_amount_and_the_charge() {
    let sim = start().await;
    let api = sim.new_api();
    api.enable_tipping("usd").await;
    let (_, reader) = api.reader().await;

    let pi = api.intent(1000, "automatic").await;
    api.process(&reader, &pi).await.ok();
    api.present(&reader, &[("amount_tip", "150")]).await.ok();
    let paid = intent(&api, &pi).await;
    assert_eq!(paid["status"], "succeeded");
    assert_eq!(paid["amount"], 1150);
    assert_eq!(paid["amount_received"], 1150);
    assert_eq!(paid["amount_details"]["tip"]["amount"], 150);
    let charge = &paid["latest_charge"];
    assert_eq!(charge["amount"], 1150);
    assert_eq!(charge["amount_captured"], 1150);
    assert_eq!(
        charge["payment_method_details"]["card_present"]["amount_authorized"],
        1150
    );

    // Manual capture: the tip is part of what can be captured.
    let pi = api.intent(2000, "manual").await;
    api.process(&reader, &pi).await.ok();
    api.present(&reader, &[("amount_tip", "300")]).await.ok();
    let held = intent(&api, &pi).await;
    assert_eq!(held["status"], "requires_capture");
    assert_eq!(held["amount_capturable"], 2300);
    let captured = api
        .post(&format!("/v1/payment_intents/{pi}/capture"), &[])
        .await
        .ok();
    assert_eq!(captured["amount_received"], 2300);

    // "No tip" on the tipping screen: a tip of 0, the amount unchanged.
    let pi = api.intent(800, "automatic").await;
    api.process(&reader, &pi).await.ok();
    api.present(&reader, &[]).await.ok();
    let untipped = intent(&api, &pi).await;
    assert_eq!(untipped["amount"], 800);
    assert_eq!(untipped["amount_details"]["tip"]["amount"], 0);

    // The tip counts for the test amounts: 1000 + 5 ends in 05, a generic decline.
    let pi = api.intent(1000, "automatic").await;
    api.process(&reader, &pi).await.ok();
    let r = api.present(&reader, &[("amount_tip", "5")]).await.ok();
    assert_eq!(r["action"]["status"], "failed");
    assert_eq!(intent(&api, &pi).await["status"], "requires_payment_method");
}

#[tokio::test]
async fn no_tipping_screen_means_no_tip() {
    let sim = start().await;
    let api = sim.new_api();
    let (_, reader) = api.reader().await;

    // The default configuration has no tipping.
    let pi = api.intent(1000, "automatic").await;
    api.process(&reader, &pi).await.ok();
    let r = api.present(&reader, &[("amount_tip", "100")]).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["error"]["param"], "amount_tip");
    assert!(r.body["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("no tipping for usd")));
    api.present(&reader, &[]).await.ok();
    let paid = intent(&api, &pi).await;
    assert_eq!(paid["amount"], 1000);
    assert_eq!(paid["amount_details"], json!({ "tip": {} }));

    api.enable_tipping("usd").await;
    for (config, why) in [
        ("process_config[skip_tipping]", "true"),
        ("process_config[tipping][amount_eligible]", "0"),
    ] {
        let pi = api.intent(1000, "automatic").await;
        api.post(
            &format!("/v1/terminal/readers/{reader}/process_payment_intent"),
            &[("payment_intent", &pi), (config, why)],
        )
        .await
        .ok();
        let r = api.present(&reader, &[("amount_tip", "100")]).await;
        assert_eq!(r.status, 400, "{config}: {}", r.body);
        assert!(r.body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains(config)));
        api.present(&reader, &[]).await.ok();
        assert_eq!(
            intent(&api, &pi).await["amount_details"],
            json!({ "tip": {} })
        );
    }
    // A tip-eligible amount only shapes the suggestions.
    let pi = api.intent(1000, "automatic").await;
    api.post(
        &format!("/v1/terminal/readers/{reader}/process_payment_intent"),
        &[
            ("payment_intent", &pi),
            ("process_config[skip_tipping]", "false"),
            ("process_config[tipping][amount_eligible]", "600"),
        ],
    )
    .await
    .ok();
    api.present(&reader, &[("amount_tip", "90")]).await.ok();
    assert_eq!(intent(&api, &pi).await["amount"], 1090);

    // Tipping for another currency does not show for this one.
    let pi = api
        .post(
            "/v1/payment_intents",
            &[("amount", "1000"), ("currency", "eur")],
        )
        .await
        .ok();
    let pi = pi["id"].as_str().expect("pi");
    api.process(&reader, pi).await.ok();
    let r = api.present(&reader, &[("amount_tip", "100")]).await;
    assert_eq!(r.status, 400);
    assert!(r.body["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("no tipping for eur")));
}

#[tokio::test]
async fn the_location_override_decides() {
    let sim = start().await;
    let api = sim.new_api();
    let (location, reader) = api.reader().await;
    let (_, elsewhere) = api.reader().await;
    let tipping = api
        .post(
            "/v1/terminal/configurations",
            &[("tipping[usd][fixed_amounts][0]", "100")],
        )
        .await
        .ok();
    api.post(
        &format!("/v1/terminal/locations/{location}"),
        &[(
            "configuration_overrides",
            tipping["id"].as_str().expect("id"),
        )],
    )
    .await
    .ok();
    let pi = api.intent(1000, "automatic").await;
    api.process(&reader, &pi).await.ok();
    api.present(&reader, &[("amount_tip", "100")]).await.ok();
    assert_eq!(intent(&api, &pi).await["amount"], 1100);
    let pi = api.intent(1000, "automatic").await;
    api.process(&elsewhere, &pi).await.ok();
    let r = api.present(&elsewhere, &[("amount_tip", "100")]).await;
    assert_eq!(
        r.status, 400,
        "the other location has the default, without tipping"
    );
}

#[tokio::test]
async fn collected_then_confirmed_payments_are_tipped_too() {
    let sim = start().await;
    let api = sim.new_api();
    api.enable_tipping("usd").await;
    let (_, reader) = api.reader().await;
    let pi = api.intent(700, "automatic").await;
    api.post(
        &format!("/v1/terminal/readers/{reader}/collect_payment_method"),
        &[("payment_intent", &pi)],
    )
    .await
    .ok();
    api.present(&reader, &[("amount_tip", "70")]).await.ok();
    api.post(
        &format!("/v1/terminal/readers/{reader}/confirm_payment_intent"),
        &[("payment_intent", &pi)],
    )
    .await
    .ok();
    let paid = intent(&api, &pi).await;
    assert_eq!(paid["amount"], 770);
    assert_eq!(paid["amount_details"]["tip"]["amount"], 70);
    let pi = api.intent(700, "automatic").await;
    api.post(
        &format!("/v1/terminal/readers/{reader}/collect_payment_method"),
        &[
            ("payment_intent", &pi),
            ("collect_config[skip_tipping]", "true"),
        ],
    )
    .await
    .ok();
    let r = api.present(&reader, &[("amount_tip", "70")]).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn process_config_is_checked() {
    let sim = start().await;
    let api = sim.new_api();
    let (_, reader) = api.reader().await;
    let pi = api.intent(1000, "automatic").await;
    let path = format!("/v1/terminal/readers/{reader}/process_payment_intent");
    for (key, value, code) in [
        (
            "process_config[tipping][amount_eligible]",
            "lots",
            "parameter_invalid_integer",
        ),
        (
            "process_config[tipping][amount_eligible]",
            "-1",
            "parameter_invalid_integer",
        ),
        ("process_config[tipping][percent]", "5", "parameter_unknown"),
        (
            "process_config[skip_tipping]",
            "maybe",
            "parameter_invalid_boolean",
        ),
        ("process_config[colour]", "red", "parameter_unknown"),
    ] {
        let r = api
            .post(&path, &[("payment_intent", &pi), (key, value)])
            .await;
        assert_eq!((r.status, r.code()), (400, code), "{key}: {}", r.body);
        assert_eq!(r.body["error"]["param"], key);
    }
    let r = api.present(&reader, &[("amount_tip", "-5")]).await;
    assert_eq!((r.status, r.code()), (400, "parameter_invalid_integer"));
}

#[tokio::test]
async fn each_account_tips_by_its_own_configuration() {
    let sim = start().await;
    let platform = sim.new_api();
    platform.enable_tipping("usd").await;
    let acct = platform
        .post("/v1/accounts", &[("type", "standard"), ("country", "US")])
        .await
        .ok();
    let connected = platform.on(acct["id"].as_str().expect("id"));
    let (_, reader) = connected.reader().await;
    let pi = connected.intent(1000, "automatic").await;
    connected.process(&reader, &pi).await.ok();
    let r = connected.present(&reader, &[("amount_tip", "100")]).await;
    assert_eq!(
        r.status, 400,
        "the platform's tipping is not the connected account's"
    );
    connected.enable_tipping("usd").await;
    connected
        .present(&reader, &[("amount_tip", "100")])
        .await
        .ok();
    assert_eq!(intent(&connected, &pi).await["amount"], 1100);
}

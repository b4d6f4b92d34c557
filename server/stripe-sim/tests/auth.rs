//! Authentication, accounts per key, `Stripe-Account`, and the envelope every answer has.

mod common;

use base64::Engine;
use common::*;

#[tokio::test]
async fn missing_and_bad_keys_are_401_with_the_key_masked() {
    let sim = start().await;
    let r = sim
        .http
        .get(format!("{}/v1/terminal/readers", sim.base))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 401);
    assert!(r
        .headers()
        .get("request-id")
        .is_some_and(|v| v.to_str().unwrap_or("").starts_with("req_")));
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap_or("")
        .starts_with("You did not provide an API key."));

    for key in [
        "sk_test_short",
        "sk_live_abcdefgh12345678",
        "nonsense_key_value",
        "rk_live_abcdefgh1234",
    ] {
        let r = sim.api(key).get("/v1/terminal/readers", &[]).await;
        let e = r.err(401);
        let message = e["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("Invalid API Key provided: "),
            "{message}"
        );
        assert!(!message.contains(key), "key not masked: {message}");
        assert!(message.ends_with(&key[key.len() - 4..]));
    }
    let r = sim
        .api("pk_test_abcdefgh1234")
        .get("/v1/terminal/readers", &[])
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.code(), "secret_key_required");
}

#[tokio::test]
async fn bearer_and_basic_auth_reach_the_same_account() {
    let sim = start().await;
    let key = new_key();
    let api = sim.api(&key);
    let loc = api.location().await;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{key}:"));
    let r = sim
        .http
        .get(format!("{}/v1/terminal/locations/{loc}", sim.base))
        .header("Authorization", format!("Basic {basic}"))
        // Headers the SDKs send are accepted and ignored.
        .header("Stripe-Version", "2026-07-29.dahlia")
        .header("User-Agent", "Stripe/v1 PythonBindings/16.1.0")
        .header("X-Stripe-Client-User-Agent", "{\"lang\":\"python\"}")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 200);
    // Restricted test keys work too, and are their own account.
    let rk = sim.api(&format!("rk_test_{}", rand_suffix()));
    rk.get(&format!("/v1/terminal/locations/{loc}"), &[])
        .await
        .err(404);
}

#[tokio::test]
async fn each_key_is_a_stable_account() {
    let sim = start().await;
    let key = new_key();
    let a = sim.api(&key).get("/v1/account", &[]).await.ok();
    let b = sim.api(&key).get("/v1/account", &[]).await.ok();
    assert_eq!(a["id"], b["id"]);
    assert!(a["id"].as_str().unwrap_or("").starts_with("acct_"));
    let other = sim.new_api().get("/v1/account", &[]).await.ok();
    assert_ne!(a["id"], other["id"]);
    // The id is derived from the key: another simulator gives the same one.
    let sim2 = start().await;
    assert_eq!(
        sim2.api(&key).get("/v1/account", &[]).await.ok()["id"],
        a["id"]
    );
}

#[tokio::test]
async fn unknown_paths_and_accounts_answer_like_stripe() {
    let sim = start().await;
    let api = sim.new_api();
    let r = api.get("/v1/customers_of_mars", &[]).await;
    assert!(r.err(404)["message"]
        .as_str()
        .unwrap_or("")
        .starts_with("Unrecognized request URL (GET: /v1/customers_of_mars)"));
    let r = api
        .on("acct_1NotMine00000000")
        .get("/v1/terminal/readers", &[])
        .await;
    let e = r.err(403);
    assert_eq!(e["code"], "account_invalid");
    assert!(e["message"]
        .as_str()
        .unwrap_or("")
        .contains("does not have access to account 'acct_1NotMine00000000'"));
    assert_eq!(r.header("stripe-should-retry"), Some("false"));
}

#[tokio::test]
async fn every_answer_carries_a_request_id() {
    let sim = start().await;
    let api = sim.new_api();
    let a = api.get("/v1/terminal/locations", &[]).await;
    let b = api.get("/v1/terminal/locations", &[]).await;
    let (ra, rb) = (
        a.header("request-id").unwrap_or(""),
        b.header("request-id").unwrap_or(""),
    );
    assert!(ra.starts_with("req_") && rb.starts_with("req_") && ra != rb);
}

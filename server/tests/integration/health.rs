use crate::harness::TestServer;
use serde_json::Value;

#[tokio::test]
async fn healthz_and_readyz_answer_json() {
    let s = TestServer::start().await;
    let b = s.client();
    let r = b.get("/healthz").await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["status"], "ok");
    let r = b.get("/readyz").await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["status"], "ready");
    let expected = if crate::harness::on_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(v["database"], expected);
    // The built-in Stripe simulator answers like Stripe.
    let sim = s
        .state
        .settings
        .stripe_simulator_url
        .clone()
        .expect("simulator runs by default");
    let r = reqwest::Client::new()
        .get(format!("{sim}/v1/account"))
        .bearer_auth("sk_test_healthcheck")
        .send()
        .await
        .expect("simulator");
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("request-id"));
    s.state.db.pool.close().await;
    let r = b.get("/readyz").await;
    assert_eq!(r.status(), 503);
}

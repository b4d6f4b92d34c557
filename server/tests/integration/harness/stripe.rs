//! Stripe's side of a test: the simulator's control API, the stand-in for api.stripe.com, and
//! what Stripe holds for an organisation.

use super::{Browser, TestServer};
use serde_json::Value;
use std::collections::HashMap;

/// Calls the simulator's control API (`/_sim/…`) of the server `s` with a JSON body.
pub async fn sim(s: &TestServer, path: &str, body: Value) -> Value {
    let r = reqwest::Client::new()
        .post(format!("{}{path}", s.simulator()))
        .json(&body)
        .send()
        .await
        .expect("simulator");
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.json().await.unwrap_or(Value::Null)
}

/// A simulator of its own on a free port, e.g. without Stripe's rate limits for a test that
/// a server reaches through `simulator_url`; returns its base URL.
pub async fn start_simulator(config: fleet_stripe_sim::SimConfig) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(fleet_stripe_sim::Simulator::new(config).serve(listener));
    url
}

/// Sets a simulated reader `offline`, `online`, `busy` or `idle` at Stripe.
pub async fn set_reader_state(s: &TestServer, reader: &str, state: &str) {
    sim(
        s,
        &format!("/_sim/readers/{reader}/{state}"),
        serde_json::json!({}),
    )
    .await;
}

/// Removes every fault injected with `/_sim/faults`.
pub async fn clear_faults(s: &TestServer) {
    let r = reqwest::Client::new()
        .delete(format!("{}/_sim/faults", s.simulator()))
        .send()
        .await
        .expect("clear faults");
    assert!(r.status().is_success(), "clear faults: {}", r.status());
}

/// The faults still waiting to happen (a counted fault leaves once used up).
pub async fn faults(s: &TestServer) -> Vec<Value> {
    let r = reqwest::Client::new()
        .get(format!("{}/_sim/faults", s.simulator()))
        .send()
        .await
        .expect("faults");
    let body: Value = r.json().await.expect("faults json");
    body["faults"].as_array().cloned().unwrap_or_default()
}

/// A Stripe client talking to the stand-in for api.stripe.com, as the account holder's own
/// software (or the platform) would.
pub fn stand_in_client(s: &TestServer) -> fleet_stripe::StripeClient {
    fleet_stripe::StripeClient::new(fleet_stripe::ClientConfig {
        base_url: s.stand_in(),
        ..Default::default()
    })
    .expect("client")
}

/// The account id of a test key, as Stripe (the stand-in) knows it.
pub async fn account_of_key(s: &TestServer, key: &str) -> String {
    stand_in_client(s)
        .retrieve_own_account(&fleet_stripe::Credentials::key(key))
        .await
        .expect("account")
        .id
}

/// The Stripe account behind one of our connections.
pub async fn account_of_connection(s: &TestServer, connection: &str) -> String {
    sqlx::query_scalar("SELECT account_id FROM stripe_connections WHERE id = $1")
        .bind(connection)
        .fetch_one(&s.state.db.pool)
        .await
        .expect("account")
}

/// How the server reaches Stripe for `owner`'s organisation on `connection`: with it a test
/// acts at Stripe directly, as the dashboard or point-of-sale software would.
pub async fn stripe_access(
    s: &TestServer,
    owner: &Browser,
    connection: &str,
) -> app::ssr::stripe_access::Access {
    let me = owner.me().await.expect("me");
    app::ssr::stripe_access::load(&s.state, &me.tenant.id, connection)
        .await
        .expect("access")
}

/// Stripe's PaymentIntents of the owner's default connection, by id.
pub async fn intents_at_stripe(
    s: &TestServer,
    owner: &Browser,
) -> HashMap<String, fleet_stripe::PaymentIntent> {
    let connection = super::fleet::default_connection(owner).await;
    let access = stripe_access(s, owner, &connection).await;
    let intents: Vec<fleet_stripe::PaymentIntent> = futures::TryStreamExt::try_collect(
        access
            .client
            .all_payment_intents(&access.creds, Default::default()),
    )
    .await
    .expect("list");
    intents.into_iter().map(|pi| (pi.id.clone(), pi)).collect()
}

/// What the simulator of `s` was asked on behalf of `account` since it started.
pub async fn requests_of(s: &TestServer, account: &str) -> fleet_stripe_sim::Tally {
    #[derive(serde::Deserialize)]
    struct Tallies {
        accounts: HashMap<String, fleet_stripe_sim::Tally>,
    }
    let tallies: Tallies = reqwest::get(format!("{}/_sim/requests", s.simulator()))
        .await
        .expect("simulator")
        .json()
        .await
        .expect("tallies");
    tallies.accounts.get(account).copied().unwrap_or_default()
}

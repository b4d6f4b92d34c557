//! Connect: platforms create connected accounts and act on them with `Stripe-Account`;
//! objects never cross accounts; events of connected accounts name them.

mod common;

use common::*;

#[tokio::test]
async fn objects_stay_on_their_account() {
    let sim = start().await;
    let platform = sim.new_api();
    let acct = platform
        .post(
            "/v1/accounts",
            &[
                ("type", "standard"),
                ("country", "CA"),
                ("email", "shop@example.com"),
            ],
        )
        .await
        .ok();
    let acct_id = acct["id"].as_str().expect("id").to_string();
    assert_eq!(acct["default_currency"], "cad");
    assert_eq!(
        platform
            .get(&format!("/v1/accounts/{acct_id}"), &[])
            .await
            .ok()["email"],
        "shop@example.com"
    );
    let connected = platform.on(&acct_id);
    assert_eq!(
        connected.get("/v1/account", &[]).await.ok()["id"],
        acct_id.as_str()
    );

    let (loc, reader) = connected.reader().await;
    platform
        .get(&format!("/v1/terminal/readers/{reader}"), &[])
        .await
        .err(404);
    platform
        .get(&format!("/v1/terminal/locations/{loc}"), &[])
        .await
        .err(404);
    assert_eq!(
        platform.get("/v1/terminal/readers", &[]).await.ok()["data"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    assert_eq!(
        connected
            .get(&format!("/v1/terminal/readers/{reader}"), &[])
            .await
            .ok()["id"],
        reader.as_str()
    );
    // A platform's own objects are invisible on the connected account too.
    let own = platform.location().await;
    connected
        .get(&format!("/v1/terminal/locations/{own}"), &[])
        .await
        .err(404);

    // Another platform cannot reach the account, nor see it.
    let stranger = sim.new_api();
    assert_eq!(
        stranger
            .on(&acct_id)
            .get("/v1/terminal/readers", &[])
            .await
            .err(403)["code"],
        "account_invalid"
    );
    stranger
        .get(&format!("/v1/accounts/{acct_id}"), &[])
        .await
        .err(404);
    // Connected accounts cannot create accounts.
    assert_eq!(
        connected
            .post("/v1/accounts", &[("type", "express")])
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn connected_events_name_the_account_and_reach_connect_endpoints() {
    let sim = start().await;
    let platform = sim.new_api();
    let own_hook = Receiver::start(200).await;
    let connect_hook = Receiver::start(200).await;
    platform
        .post(
            "/v1/webhook_endpoints",
            &[("url", &own_hook.url), ("enabled_events[]", "*")],
        )
        .await
        .ok();
    platform
        .post(
            "/v1/webhook_endpoints",
            &[
                ("url", &connect_hook.url),
                ("enabled_events[]", "payment_intent.created"),
                ("connect", "true"),
            ],
        )
        .await
        .ok();
    let acct = platform
        .post("/v1/accounts", &[("type", "express")])
        .await
        .ok();
    let acct_id = acct["id"].as_str().expect("id");
    let connected = platform.on(acct_id);
    let pi = connected.intent(1000, "manual").await;
    let e = connect_hook.wait_for("payment_intent.created").await;
    assert_eq!(e["account"], acct_id);
    assert_eq!(e["data"]["object"]["id"], pi.as_str());
    // The platform's own endpoint does not get connected accounts' events…
    platform.intent(500, "manual").await;
    let own = own_hook.wait_for("payment_intent.created").await;
    assert!(
        own.get("account").is_none(),
        "platform events carry no account"
    );
    assert!(own_hook
        .events()
        .await
        .iter()
        .all(|e| e["data"]["object"]["id"] != pi.as_str()));
    // …and the events live on the connected account.
    let events = connected.get("/v1/events", &[]).await.ok();
    assert_eq!(events["data"][0]["account"], acct_id);
    platform
        .get(
            &format!(
                "/v1/events/{}",
                events["data"][0]["id"].as_str().unwrap_or("")
            ),
            &[],
        )
        .await
        .err(404);
}

//! What one principal may hold open or own: long-polls per API key, exports per user, and API
//! keys, pending invites and store groups per organisation, each refused with a 429 that says
//! why, and exact under concurrency.

use crate::harness::fleet::owner_with_reader;
use crate::harness::pos::create_key;
use crate::harness::wait::eventually;
use crate::harness::{message, Browser, TestServer, Tweak};
use app::ssr::limits::Limits;
use reqwest::StatusCode;
use serde_json::json;

fn with_limits(limits: Limits) -> Option<Tweak> {
    Some(Box::new(move |config| server::config::Config {
        limits,
        ..config
    }))
}

fn tight() -> Limits {
    Limits {
        long_polls_per_key: 1,
        exports_per_user: 1,
        api_keys_per_tenant: 3,
        pending_invites_per_tenant: 2,
        groups_per_tenant: 3,
        ..Limits::default()
    }
}

#[tokio::test]
async fn an_api_key_holds_a_bounded_number_of_waits() {
    let s = TestServer::start_with(with_limits(tight())).await;
    let (owner, reader) = owner_with_reader(&s, "waits@example.com").await;
    let key = create_key(&owner, "Till", "pos").await;
    let http = reqwest::Client::new();
    let api = format!("{}/api/v1", s.base);
    let started: serde_json::Value = http
        .post(format!("{api}/payments"))
        .bearer_auth(&key.secret)
        .header("Idempotency-Key", "wait-1")
        .json(&json!({"reader": reader, "amount": 500}))
        .send()
        .await
        .expect("start")
        .json()
        .await
        .expect("json");
    let id = started["id"].as_str().expect("id").to_string();
    let waiting = {
        let (http, url, secret) = (
            http.clone(),
            format!("{api}/payments/{id}?wait=4s"),
            key.secret.clone(),
        );
        tokio::spawn(async move {
            http.get(url)
                .bearer_auth(secret)
                .send()
                .await
                .expect("wait")
                .status()
        })
    };
    eventually("the first wait is held", 5, || async {
        s.state.in_flight.long_polls.held(&key.id) == 1
    })
    .await;
    let second = http
        .get(format!("{api}/payments/{id}?wait=4s"))
        .bearer_auth(&key.secret)
        .send()
        .await
        .expect("second");
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(second.headers().contains_key("retry-after"));
    let body: serde_json::Value = second.json().await.expect("json");
    assert_eq!(body["error"]["code"], "too_many_waits", "{body}");
    // Asking without waiting is always answered.
    let plain = http
        .get(format!("{api}/payments/{id}"))
        .bearer_auth(&key.secret)
        .send()
        .await
        .expect("plain");
    assert_eq!(plain.status(), StatusCode::OK);
    assert_eq!(waiting.await.expect("task"), StatusCode::OK);
    assert_eq!(
        s.state.in_flight.long_polls.held(&key.id),
        0,
        "the wait gave its place back"
    );
}

#[tokio::test]
async fn a_user_streams_a_bounded_number_of_exports() {
    let s = TestServer::start_with(with_limits(tight())).await;
    let owner = s.user("exports@example.com").await;
    let me = owner.me().await.expect("me");
    // One export already streaming for this user (as a slow download would hold it).
    let streaming = s
        .state
        .in_flight
        .exports
        .try_hold(&me.user_id, 1)
        .expect("hold");
    for path in ["/transactions.csv", "/audit.csv"] {
        let r = owner.get(path).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{path}");
        assert!(r.headers().contains_key("retry-after"));
        assert!(r
            .text()
            .await
            .expect("text")
            .contains("exports downloading"));
    }
    drop(streaming);
    for path in ["/transactions.csv", "/audit.csv"] {
        let r = owner.get(path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        r.text().await.expect("body");
    }
    assert_eq!(
        s.state.in_flight.exports.held(&me.user_id),
        0,
        "finished exports give their place back"
    );
}

/// Runs `call` ten times at once and counts the successes and the 429s.
async fn at_once(
    b: &Browser,
    name: &str,
    args: impl Fn(usize) -> Vec<(String, String)>,
) -> (usize, usize) {
    let mut tasks = Vec::new();
    for n in 0..10 {
        let (b, name, args) = (b.clone(), name.to_string(), args(n));
        tasks.push(tokio::spawn(async move {
            let form: Vec<(&str, &str)> =
                args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            b.call(&name, &form).await.status()
        }));
    }
    let (mut ok, mut refused) = (0, 0);
    for t in tasks {
        match t.await.expect("task") {
            s if s.is_success() => ok += 1,
            StatusCode::TOO_MANY_REQUESTS => refused += 1,
            other => panic!("{name}: unexpected {other}"),
        }
    }
    (ok, refused)
}

#[tokio::test]
async fn an_organisation_owns_a_bounded_number_of_keys_invites_and_groups() {
    let s = TestServer::start_with(with_limits(tight())).await;
    let owner = s.user("counts@example.com").await;
    let owned = |n: usize| vec![("name".to_string(), format!("Thing {n}"))];
    let (ok, refused) = at_once(&owner, "create_store_group", owned).await;
    assert_eq!((ok, refused), (3, 7), "exactly the cap of groups, at once");
    let keys = |n: usize| {
        vec![
            ("name".to_string(), format!("Key {n}")),
            ("scope".to_string(), "read".to_string()),
        ]
    };
    let (ok, refused) = at_once(&owner, "create_api_key", keys).await;
    assert_eq!((ok, refused), (3, 7), "exactly the cap of keys, at once");
    let (status, err) = owner
        .err("create_api_key", &[("name", "One more"), ("scope", "read")])
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(message(&err).contains("3 active API keys"), "{err}");
    // A revoked key frees its place.
    let listed: app::api_keys::types::ApiKeysView = owner.ok("list_api_keys", &[]).await;
    let first = listed.keys.first().expect("a key").id.clone();
    let r = owner
        .call("revoke_api_key", &[("id", first.as_str())])
        .await;
    assert!(r.status().is_success(), "revoke_api_key: {}", r.status());
    let r = owner
        .call(
            "create_api_key",
            &[("name", "Replacement"), ("scope", "read")],
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    let invites = |n: usize| {
        vec![
            ("email".to_string(), format!("person{n}@example.com")),
            ("role".to_string(), "auditor".to_string()),
        ]
    };
    let (ok, refused) = at_once(&owner, "invite_member", invites).await;
    assert_eq!(
        (ok, refused),
        (2, 8),
        "exactly the cap of pending invites, at once"
    );
}

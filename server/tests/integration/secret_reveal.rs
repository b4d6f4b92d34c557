//! A secret made by a form sent before hydration (no JavaScript): the server's redirect carries
//! a one-time token, and the page it opens shows the secret once, to the person who made it.

use crate::harness::pos::Till;
use crate::harness::{Browser, TestServer};
use reqwest::header::LOCATION;
use reqwest::StatusCode;
use serde_json::Value;

/// Posts a form as a browser without the app's JavaScript does, and returns where it was sent.
async fn plain_post(b: &Browser, name: &str, page: &str, form: &[(&str, &str)]) -> String {
    let r = b.plain_post(name, page, form).await;
    assert_eq!(r.status(), StatusCode::FOUND, "{name}");
    let location = r.headers()[LOCATION]
        .to_str()
        .expect("location")
        .to_string();
    assert!(
        location.starts_with(&format!("{page}?reveal=")),
        "{name} sent the browser to {location}"
    );
    location
}

/// The first secret with `prefix` on the page at `path`.
async fn shown(b: &Browser, path: &str, prefix: &str) -> Option<String> {
    let html = b.get(path).await.text().await.expect("html");
    let at = html.find(&format!("value=\"{prefix}"))? + "value=\"".len();
    let end = html[at..].find('"')? + at;
    Some(html[at..end].to_string())
}

#[tokio::test]
async fn an_api_key_made_without_javascript_is_shown_once_to_its_maker() {
    let s = TestServer::start().await;
    let owner = s.user("reveal-key@example.com").await;
    let page = "/settings/api-keys";
    let location = plain_post(
        &owner,
        "create_api_key",
        page,
        &[("name", "Till 1"), ("scope", "read")],
    )
    .await;
    let token = location.split("reveal=").nth(1).expect("token").to_string();

    // Someone else, even an owner of another organisation, gets nothing for the token.
    let stranger = s.user("reveal-stranger@example.com").await;
    let none: Option<Value> = stranger.ok("revealed_api_key", &[("token", &token)]).await;
    assert!(none.is_none());
    assert!(shown(&stranger, &location, "tfk_").await.is_none());

    let secret = shown(&owner, &location, "tfk_")
        .await
        .expect("the new key is shown");
    let till = Till::new(&s, &secret);
    assert_eq!(
        till.get("/readers").await.status,
        StatusCode::OK,
        "the key shown is the key made"
    );
    assert!(
        shown(&owner, &location, "tfk_").await.is_none(),
        "shown once"
    );
    let none: Option<Value> = owner.ok("revealed_api_key", &[("token", &token)]).await;
    assert!(none.is_none());
    assert_eq!(s.count("SELECT COUNT(*) FROM secret_reveals").await, 0);

    // The hydrated app gets the key in the answer, and nothing waits on the server.
    let made: app::api_keys::types::ApiKeyCreated = owner
        .ok("create_api_key", &[("name", "Till 2"), ("scope", "read")])
        .await;
    assert!(made.secret.starts_with("tfk_"));
    assert_eq!(s.count("SELECT COUNT(*) FROM secret_reveals").await, 0);
}

#[tokio::test]
async fn a_signing_secret_made_or_rotated_without_javascript_is_shown_once() {
    let s = TestServer::start().await;
    let owner = s.user("reveal-hook@example.com").await;
    let page = "/settings/notifications";
    let location = plain_post(
        &owner,
        "create_notification_endpoint",
        page,
        &[("url", "http://127.0.0.1:9/hook"), ("offline", "on")],
    )
    .await;
    let first = shown(&owner, &location, "whsec_")
        .await
        .expect("the secret is shown");
    assert!(
        shown(&owner, &location, "whsec_").await.is_none(),
        "shown once"
    );

    let view: app::notifications::types::NotificationsView =
        owner.ok("notification_settings", &[]).await;
    let id = view.endpoints[0].id.clone();
    let location = plain_post(&owner, "rotate_notification_secret", page, &[("id", &id)]).await;
    let second = shown(&owner, &location, "whsec_")
        .await
        .expect("the new secret is shown");
    assert_ne!(first, second);
    assert!(
        shown(&owner, &location, "whsec_").await.is_none(),
        "shown once"
    );

    // A token kept past its five minutes is not handed over.
    let location = plain_post(&owner, "rotate_notification_secret", page, &[("id", &id)]).await;
    sqlx::query("UPDATE secret_reveals SET expires_at = 0")
        .execute(&s.state.db.pool)
        .await
        .expect("expire");
    assert!(
        shown(&owner, &location, "whsec_").await.is_none(),
        "expired"
    );
}

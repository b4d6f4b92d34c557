//! Connect OAuth as Stripe documents it (connect.stripe.com `/oauth/authorize`, `/oauth/token`,
//! `/oauth/deauthorize`): the consent's redirect, the token answer's exact fields, and the
//! `{error, error_description}` answers with OAuth's error codes. The contract files do not
//! cover OAuth, so these shapes are pinned here.

mod common;

use serde_json::Value;
use std::collections::BTreeSet;

struct Platform {
    key: String,
    client_id: String,
}

async fn platform(sim: &common::Sim) -> Platform {
    let key = common::new_key();
    let own: Value = sim
        .http
        .get(format!("{}/v1/account", sim.base))
        .bearer_auth(&key)
        .send()
        .await
        .expect("account")
        .json()
        .await
        .expect("json");
    let id = own["id"].as_str().expect("platform id");
    Platform {
        client_id: format!("ca_{}", id.trim_start_matches("acct_")),
        key,
    }
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The holder's answer on the consent page; returns the redirect's query pairs.
async fn consent(
    sim: &common::Sim,
    p: &Platform,
    choice: &str,
    key: &str,
) -> Vec<(String, String)> {
    let r = no_redirects()
        .post(format!("{}/oauth/authorize", sim.base))
        .form(&[
            ("response_type", "code"),
            ("client_id", p.client_id.as_str()),
            ("scope", "read_write"),
            ("redirect_uri", "http://127.0.0.1:9/back"),
            ("state", "st_42"),
            ("choice", choice),
            ("key", key),
        ])
        .send()
        .await
        .expect("consent");
    assert!(r.status().is_redirection(), "{}", r.status());
    let to = r.headers()["location"].to_str().expect("location");
    let url = url::Url::parse(to).expect("url");
    assert_eq!(url.path(), "/back");
    url.query_pairs().into_owned().collect()
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

async fn post(
    sim: &common::Sim,
    path: &str,
    key: Option<&str>,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let mut req = sim.http.post(format!("{}{path}", sim.base)).form(form);
    if let Some(key) = key {
        req = req.bearer_auth(key);
    }
    let r = req.send().await.expect("oauth call");
    (r.status().as_u16(), r.json().await.expect("json"))
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

fn oauth_error(status: u16, body: &Value, want_status: u16, code: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(
        keys(body),
        BTreeSet::from(["error", "error_description"]),
        "{body}"
    );
    assert_eq!(body["error"], code, "{body}");
}

#[tokio::test]
async fn the_token_answer_and_oauth_errors_have_stripes_shape() {
    let sim = common::start().await;
    let p = platform(&sim).await;
    let holder = common::new_key();

    let back = consent(&sim, &p, "existing", &holder).await;
    assert_eq!(param(&back, "state"), Some("st_42"), "the state comes back");
    assert_eq!(param(&back, "scope"), Some("read_write"));
    let code = param(&back, "code").expect("a code").to_string();

    let (status, token) = post(
        &sim,
        "/oauth/token",
        Some(&p.key),
        &[("grant_type", "authorization_code"), ("code", &code)],
    )
    .await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(
        keys(&token),
        BTreeSet::from([
            "access_token",
            "livemode",
            "refresh_token",
            "scope",
            "stripe_publishable_key",
            "stripe_user_id",
            "token_type",
        ]),
        "{token}"
    );
    assert_eq!(token["token_type"], "bearer");
    assert_eq!(token["scope"], "read_write");
    assert_eq!(token["livemode"], false);
    let account = token["stripe_user_id"]
        .as_str()
        .expect("account")
        .to_string();
    assert!(account.starts_with("acct_"), "{account}");
    assert!(token["stripe_publishable_key"]
        .as_str()
        .is_some_and(|k| k.starts_with("pk_test_")));

    // A code is good once, for the platform it was issued to, with a known grant type.
    let (status, body) = post(
        &sim,
        "/oauth/token",
        Some(&p.key),
        &[("grant_type", "authorization_code"), ("code", &code)],
    )
    .await;
    oauth_error(status, &body, 400, "invalid_grant");
    let other = platform(&sim).await;
    let fresh = consent(&sim, &p, "new", "").await;
    let fresh = param(&fresh, "code").expect("code").to_string();
    let (status, body) = post(
        &sim,
        "/oauth/token",
        Some(&other.key),
        &[("grant_type", "authorization_code"), ("code", &fresh)],
    )
    .await;
    oauth_error(status, &body, 400, "invalid_grant");
    let (status, body) = post(
        &sim,
        "/oauth/token",
        Some(&p.key),
        &[("grant_type", "password"), ("code", &fresh)],
    )
    .await;
    oauth_error(status, &body, 400, "unsupported_grant_type");
    let (status, body) = post(&sim, "/oauth/token", Some(&p.key), &[("code", &fresh)]).await;
    oauth_error(status, &body, 400, "invalid_request");
    let (status, body) = post(
        &sim,
        "/oauth/token",
        None,
        &[("grant_type", "authorization_code"), ("code", &fresh)],
    )
    .await;
    oauth_error(status, &body, 401, "invalid_client");

    // Deauthorizing answers the account; a second time there is nothing connected.
    let form = [
        ("client_id", p.client_id.as_str()),
        ("stripe_user_id", account.as_str()),
    ];
    let (status, body) = post(&sim, "/oauth/deauthorize", Some(&p.key), &form).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(keys(&body), BTreeSet::from(["stripe_user_id"]));
    assert_eq!(body["stripe_user_id"], account.as_str());
    let (status, body) = post(&sim, "/oauth/deauthorize", Some(&p.key), &form).await;
    assert!((400..500).contains(&status), "{body}");
    assert_eq!(keys(&body), BTreeSet::from(["error", "error_description"]));
    assert_eq!(body["error"], "invalid_client");
}

#[tokio::test]
async fn a_denied_consent_redirects_with_access_denied_and_the_state() {
    let sim = common::start().await;
    let p = platform(&sim).await;
    let back = consent(&sim, &p, "deny", "").await;
    assert_eq!(param(&back, "error"), Some("access_denied"));
    assert!(param(&back, "error_description").is_some_and(|d| !d.is_empty()));
    assert_eq!(param(&back, "state"), Some("st_42"));
    assert_eq!(param(&back, "code"), None);
}

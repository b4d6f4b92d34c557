//! Connect as an account holder goes through it: Stripe's consent page in their own browser,
//! and the redirect back to us in the member's.

use super::Browser;
use app::connections::types::ConnectionsView;
use reqwest::header::LOCATION;
use reqwest::{Client, StatusCode};

/// The account holder's own browser at Stripe: no cookies of ours, no redirect following.
pub fn holder_at_stripe() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// Where a redirect sends the browser.
pub fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// How the holder answers Stripe's consent page.
#[derive(Clone, Copy)]
pub enum Consent<'a> {
    /// Signs in to the account of this secret key.
    Existing(&'a str),
    /// "Skip this form": a new, ready test account.
    New,
    Deny,
}

/// Answers the consent page at `url` as the holder; returns where Stripe sends them back.
pub async fn consent(url: &str, answer: Consent<'_>) -> String {
    let http = holder_at_stripe();
    let page = http.get(url).send().await.expect("consent page");
    assert_eq!(page.status(), StatusCode::OK, "consent page {url}");
    assert!(page
        .text()
        .await
        .unwrap_or_default()
        .contains("Connect your Stripe account"));
    let parsed = url::Url::parse(url).expect("url");
    let mut form: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
    let choice = match answer {
        Consent::Existing(key) => {
            form.push(("key".into(), key.into()));
            "existing"
        }
        Consent::New => "new",
        Consent::Deny => "deny",
    };
    form.push(("choice".into(), choice.into()));
    let mut action = parsed.clone();
    action.set_query(None);
    let r = http.post(action).form(&form).send().await.expect("consent");
    assert!(
        r.status().is_redirection(),
        "consent answered {}",
        r.status()
    );
    location(&r)
}

/// Follows Stripe's redirect back to us in `b`'s browser; returns where we sent them, less the
/// notice id of a landing on the settings page (kept in `b` for [`connections`]).
pub async fn back_from_stripe(b: &Browser, url: &str) -> String {
    let r = b.http.get(url).send().await.expect("back from Stripe");
    assert!(r.status().is_redirection(), "{url} answered {}", r.status());
    let to = location(&r);
    match to.split_once("?notice=") {
        Some((page, id)) => {
            *b.notice.lock().expect("notice") = Some(id.to_string());
            page.to_string()
        }
        None => to,
    }
}

/// Settings → Stripe's data, as the page at the browser's last landing URL asks for it.
pub async fn connections(b: &Browser) -> ConnectionsView {
    let notice = b.notice.lock().expect("notice").clone();
    match notice {
        Some(id) => b.ok("list_connections", &[("notice", &id)]).await,
        None => b.ok("list_connections", &[]).await,
    }
}

/// Connects `b`'s organisation to an account through Connect OAuth, as its holder would;
/// returns the connection's id.
pub async fn oauth_connect(b: &Browser, name: &str, answer: Consent<'_>) -> String {
    let url: String = b.ok("connect_with_stripe", &[("name", name)]).await;
    let back = consent(&url, answer).await;
    assert_eq!(back_from_stripe(b, &back).await, "/settings/stripe");
    let view = connections(b).await;
    let notice = view.notice.clone().expect("a notice");
    assert!(notice.ok, "{}", notice.text);
    view.connections
        .iter()
        .find(|c| c.name == name)
        .map(|c| c.id.clone())
        .expect("the new connection")
}

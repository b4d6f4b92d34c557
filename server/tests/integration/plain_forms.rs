//! A form sent without the app's JavaScript (before hydration, or to a page rendered on the
//! server alone): the server function answers with a redirect back, and the page it returns to
//! says how it went. Errors travel in the redirect's URL (Leptos); success in a cookie that
//! names the function for that one page.

use crate::harness::TestServer;
use reqwest::header::{LOCATION, SET_COOKIE};
use reqwest::Response;

const RENAMED: &str = "Renamed. Reload to see the new name in the header.";

/// Where a plain form post's answer sends the browser.
fn redirected_to(r: &Response) -> String {
    assert!(r.status().is_redirection(), "{}", r.status());
    r.headers()[LOCATION]
        .to_str()
        .expect("location")
        .to_string()
}

fn set_cookies(r: &Response) -> Vec<String> {
    r.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn a_plain_form_that_succeeds_says_so_on_the_page_it_returns_to_once() {
    let s = TestServer::start().await;
    let owner = s.user("flash-owner@example.com").await;

    let r = owner
        .plain_post("rename_tenant", "/settings", &[("name", "Harbour Coffee")])
        .await;
    let location = redirected_to(&r);
    assert!(
        location.trim_end_matches('?').ends_with("/settings"),
        "sent to {location}"
    );
    let cookies = set_cookies(&r);
    let flash = cookies
        .iter()
        .find(|c| c.starts_with("fleet_done="))
        .unwrap_or_else(|| panic!("no flash among {cookies:?}"));
    assert!(flash.starts_with("fleet_done=rename_tenant;"), "{flash}");
    assert!(
        flash.contains("HttpOnly") && flash.contains("SameSite=Lax"),
        "{flash}"
    );

    // The page shows it, and its answer removes the cookie.
    let page = owner.get("/settings").await;
    let cleared = set_cookies(&page);
    assert!(
        cleared
            .iter()
            .any(|c| c.starts_with("fleet_done=;") && c.contains("Max-Age=0")),
        "{cleared:?}"
    );
    let html = page.text().await.expect("html");
    assert!(html.contains(RENAMED), "the page says the rename worked");
    assert!(html.contains("Harbour Coffee"));

    // Once only.
    let again = owner.get("/settings").await.text().await.expect("html");
    assert!(!again.contains(RENAMED), "the flash outlived its page");
}

#[tokio::test]
async fn a_plain_form_that_fails_leaves_no_flash_and_shows_its_error() {
    let s = TestServer::start().await;
    let owner = s.user("flash-refused@example.com").await;

    let r = owner
        .plain_post("rename_tenant", "/settings", &[("name", "")])
        .await;
    let location = redirected_to(&r);
    assert!(
        location.contains("__err="),
        "the error travels in the URL: {location}"
    );
    assert!(
        !set_cookies(&r)
            .iter()
            .any(|c| c.starts_with("fleet_done=rename")),
        "a refusal is not a success"
    );
    let path = location.trim_start_matches(&s.base);
    let html = owner.get(path).await.text().await.expect("html");
    assert!(!html.contains(RENAMED));
    assert!(html.contains("flash-error"), "the refusal is shown");

    // A call from the hydrated app (JSON) never leaves a flash: the app shows its own answer.
    let r = owner
        .call("rename_tenant", &[("name", "Quay Coffee")])
        .await;
    assert!(r.status().is_success());
    assert!(!set_cookies(&r).iter().any(|c| c.starts_with("fleet_done=")));
}

#[tokio::test]
async fn a_configuration_made_by_a_plain_form_is_announced_on_its_page() {
    let s = TestServer::start().await;
    let owner = s.user("flash-config@example.com").await;
    let connection = crate::harness::fleet::default_connection(&owner).await;
    let page = "/settings/configurations";
    let form = [
        ("connection_id", connection.as_str()),
        ("form[name]", "Cafés"),
        ("form[currency_1]", "usd"),
        ("form[percentages_1]", "15, 18, 20"),
        ("form[reboot_start]", "2"),
        ("form[reboot_end]", "4"),
    ];
    let r = owner.plain_post("create_configuration", page, &form).await;
    let location = redirected_to(&r);
    assert!(!location.contains("__err="), "refused: {location}");
    let html = owner.get(page).await.text().await.expect("html");
    assert!(html.contains("Cafés"), "the new configuration is listed");
    assert!(
        html.contains("Configuration created in Stripe."),
        "the page says what was done"
    );
}

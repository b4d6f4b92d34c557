//! `/metrics` over real HTTP: behind its token on the main address, alone on its own address,
//! absent when not configured, and counting what really happened — pages by route template,
//! Stripe's 429s by endpoint, the sync's lag per connection, open streams, the hash queue.

use crate::harness::fleet::default_connection;
use crate::harness::stripe::{account_of_connection, sim};
use crate::harness::wait::eventually;
use crate::harness::TestServer;
use reqwest::StatusCode;
use serde_json::json;

const TOKEN: &str = "metrics-token-for-the-tests-0123";

async fn with_metrics() -> TestServer {
    TestServer::start_with(Some(Box::new(|config| server::config::Config {
        metrics: server::config::MetricsConfig {
            listen: Some("127.0.0.1:0".parse().expect("addr")),
            token: Some(TOKEN.into()),
        },
        ..config
    })))
    .await
}

async fn scrape(url: &str, token: Option<&str>) -> (StatusCode, String, String) {
    let mut request = reqwest::Client::new().get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let r = request.send().await.expect("scrape");
    let status = r.status();
    let kind = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, kind, r.text().await.expect("body"))
}

/// The value of the sample whose line starts with `prefix` (name and labels), if any.
fn sample(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn metrics_need_their_token_or_their_own_address_and_count_what_happened() {
    let s = with_metrics().await;
    let on_main = format!("{}/metrics", s.base);
    let (status, _, body) = scrape(&on_main, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!body.contains("fleet_"), "{body}");
    let (status, _, _) = scrape(&on_main, Some("metrics-token-for-the-tests-0124")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, kind, _) = scrape(&on_main, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    let own = format!(
        "http://{}/metrics",
        s.running.metrics_addr.expect("metrics listen")
    );

    // Work to count: a sign-up (a hash), pages, a server function, a stream, a made-up path.
    let owner = s.user("metrics@example.com").await;
    assert_eq!(owner.get("/readers").await.status(), StatusCode::OK);
    owner.get("/no/such/page/tmr_123").await;
    let _stream = owner.events().await;
    let connection = default_connection(&owner).await;
    let account = account_of_connection(&s, &connection).await;
    sim(
        &s,
        "/_sim/faults",
        json!({"status": 429, "rate": 1.0, "account": account, "path_prefix": "/v1/terminal/readers", "method": "GET"}),
    )
    .await;
    let limited = "fleet_stripe_requests_total{endpoint=\"/v1/terminal/readers\",method=\"GET\",result=\"429\"}";
    eventually("the sync meets a 429", 20, || async {
        sample(&scrape(&own, None).await.2, limited).unwrap_or(0.0) >= 1.0
    })
    .await;

    let (status, _, text) = scrape(&own, None).await;
    assert_eq!(status, StatusCode::OK);
    let page = "fleet_http_request_duration_seconds_count{method=\"GET\",route=\"/readers\",status=\"2xx\"}";
    assert!(sample(&text, page).unwrap_or(0.0) >= 1.0, "{text}");
    assert!(
        text.contains("route=\"unmatched\"") || text.contains("route=\"/{*"),
        "a made-up path is one label: {text}"
    );
    assert!(!text.contains("tmr_123"), "no path becomes a label");
    assert!(
        sample(&text, "fleet_stripe_requests_total{endpoint=\"/v1/terminal/readers\",method=\"GET\",result=\"2xx\"}")
            .unwrap_or(0.0)
            >= 1.0,
        "{text}"
    );
    let lag = sample(
        &text,
        &format!("fleet_sync_lag_seconds{{connection=\"{connection}\"}}"),
    )
    .expect("the connection's lag");
    assert!(lag >= -1.0, "{lag}");
    assert_eq!(sample(&text, "fleet_webhook_queue_depth "), Some(0.0));
    assert_eq!(sample(&text, "fleet_webhook_ingest_waiting "), Some(0.0));
    assert_eq!(
        sample(&text, "fleet_event_streams_open "),
        Some(1.0),
        "{text}"
    );
    assert_eq!(sample(&text, "fleet_password_hash_queue "), Some(0.0));
    assert!(sample(&text, "fleet_password_hash_capacity ").unwrap_or(0.0) >= 1.0);
    // Nothing secret: no key, no signing secret, no email.
    for secret in ["sk_test_", "whsec_", "metrics@example.com", TOKEN] {
        assert!(!text.contains(secret), "{secret} in the metrics");
    }
}

#[tokio::test]
async fn without_configuration_there_is_no_metrics_endpoint() {
    let s = TestServer::start().await;
    assert!(s.running.metrics_addr.is_none());
    let (status, _, body) = scrape(&format!("{}/metrics", s.base), Some(TOKEN)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!body.contains("fleet_http"), "{body}");
}

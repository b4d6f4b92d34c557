//! Delivering webhooks as Stripe does: to a connection's endpoint, signed with its secret.

use super::TestServer;
use reqwest::Response;

/// The endpoint of `connection` on the server (or process) at `base`.
pub fn webhook_url(base: &str, connection: &str) -> String {
    format!("{base}/webhooks/stripe/{connection}")
}

/// Signs `payload` with the connection's webhook secret, as Stripe does, at `timestamp`.
pub async fn signed(s: &TestServer, connection: &str, payload: &str, timestamp: i64) -> String {
    let sealed: String =
        sqlx::query_scalar("SELECT webhook_secret FROM stripe_connections WHERE id = $1")
            .bind(connection)
            .fetch_one(&s.state.db.pool)
            .await
            .expect("secret");
    let secret = app::ssr::secrets::open(
        &s.state.settings.master_key,
        &app::ssr::stripe_access::purpose(connection, "webhook_secret"),
        &sealed,
    )
    .expect("open");
    fleet_stripe::webhook::sign_header(&secret, timestamp, payload.as_bytes())
}

/// Now, in seconds, as Stripe stamps events and signatures.
pub fn now() -> i64 {
    app::ssr::ids::now_ms() / 1000
}

/// Delivers `payload` to `connection`'s endpoint on `s`, signed at `timestamp`.
pub async fn deliver_at(
    s: &TestServer,
    connection: &str,
    payload: impl Into<String>,
    timestamp: i64,
) -> Response {
    let payload = payload.into();
    reqwest::Client::new()
        .post(webhook_url(&s.base, connection))
        .header(
            "stripe-signature",
            signed(s, connection, &payload, timestamp).await,
        )
        .body(payload)
        .send()
        .await
        .expect("deliver webhook")
}

/// Delivers `payload` to `connection`'s endpoint on `s`, signed now.
pub async fn deliver(s: &TestServer, connection: &str, payload: impl Into<String>) -> Response {
    deliver_at(s, connection, payload, now()).await
}

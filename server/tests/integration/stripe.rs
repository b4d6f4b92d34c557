//! Settings → Stripe: the default simulator connection, keys checked with Stripe before they
//! are saved, sealed at rest and never sent back, rotation, webhook secrets, roles.

use crate::harness::members::join;
use crate::harness::{message, TestServer};
use app::connections::types::ConnectionsView;
use app::model::ConnectionKind;
use reqwest::StatusCode;

#[tokio::test]
async fn a_new_tenant_starts_on_the_simulator_with_webhooks_set_up() {
    let s = TestServer::start().await;
    let owner = s.user("sim@example.com").await;
    let r = owner.call("list_connections", &[]).await;
    let text = r.text().await.expect("body");
    assert!(
        !text.contains("sk_test_"),
        "no key reaches the browser: {text}"
    );
    let view: ConnectionsView = serde_json::from_str(&text).expect("json");
    assert_eq!(view.connections.len(), 1);
    let c = &view.connections[0];
    assert_eq!(c.kind, ConnectionKind::Simulator);
    assert!(c.account_id.starts_with("acct_"));
    assert!(
        c.webhook_configured,
        "the simulator's webhook endpoint is created automatically"
    );
    assert!(c
        .webhook_url
        .ends_with(&format!("/webhooks/stripe/{}", c.id)));
    let stored: Option<String> = sqlx::query_scalar("SELECT secret_key FROM stripe_connections")
        .fetch_one(&s.state.db.pool)
        .await
        .expect("row");
    assert!(
        stored.is_some_and(|k| k.starts_with("v1:") && !k.contains("sk_test")),
        "sealed at rest"
    );
}

#[tokio::test]
async fn a_wrong_key_gets_stripes_reason_and_saves_nothing() {
    let s = TestServer::start().await;
    let owner = s.user("keys@example.com").await;
    let (status, err) = owner
        .err(
            "connect_stripe_key",
            &[("name", "Store"), ("secret_key", "sk_test_short")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let m = message(&err);
    assert!(m.starts_with("Stripe rejected the API key"), "{m}");
    assert!(m.contains("Invalid API Key provided"), "{m}");
    let (status, err) = owner
        .err(
            "connect_stripe_key",
            &[("name", "Store"), ("secret_key", "pk_test_1234567890")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&err).contains("not a Stripe secret key"));
    assert_eq!(
        s.count("SELECT COUNT(*) FROM stripe_connections WHERE kind = 'key'")
            .await,
        0
    );
}

#[tokio::test]
async fn own_keys_connect_rotate_and_disconnect() {
    let s = TestServer::start().await;
    let owner = s.user("own@example.com").await;
    let id: String = owner
        .ok(
            "connect_stripe_key",
            &[("name", "Downtown"), ("secret_key", "sk_test_downtown0001")],
        )
        .await;
    let view: ConnectionsView = owner.ok("list_connections", &[]).await;
    let c = view.connections.iter().find(|c| c.id == id).expect("saved");
    assert_eq!(c.kind, ConnectionKind::Key);
    assert_eq!(c.key_hint.as_deref(), Some("sk_test_…0001"));
    assert!(!c.livemode);
    // This stand-in for Stripe can reach our public URL, so its endpoint was created for us.
    assert!(c.webhook_configured);
    // A key of another account is not a rotation.
    let (status, err) = owner
        .err(
            "rotate_stripe_key",
            &[
                ("connection_id", &id),
                ("secret_key", "sk_test_elsewhere0002"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&err).contains("belongs to Stripe account"));
    let () = owner
        .ok(
            "rotate_stripe_key",
            &[
                ("connection_id", &id),
                ("secret_key", "sk_test_downtown0001"),
            ],
        )
        .await;
    let (status, _) = owner
        .err(
            "set_webhook_secret",
            &[("connection_id", &id), ("webhook_secret", "nope")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let () = owner
        .ok(
            "set_webhook_secret",
            &[
                ("connection_id", &id),
                ("webhook_secret", "whsec_abcdefghijkl"),
            ],
        )
        .await;
    let view: ConnectionsView = owner.ok("list_connections", &[]).await;
    assert_eq!(
        view.connections
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.webhook_configured),
        Some(true),
        "{id}: webhook_configured"
    );
    let () = owner
        .ok("remove_connection", &[("connection_id", &id)])
        .await;
    let view: ConnectionsView = owner.ok("list_connections", &[]).await;
    assert!(
        view.connections.iter().all(|c| c.id != id),
        "{id} still listed after its removal"
    );
    for action in [
        "stripe.connected",
        "stripe.key_rotated",
        "stripe.webhook_secret_set",
        "stripe.disconnected",
    ] {
        let n = s
            .count(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = '{action}'"
            ))
            .await;
        assert!(n >= 1, "{action} audited");
    }
}

#[tokio::test]
async fn only_admins_and_owners_change_connections() {
    let s = TestServer::start().await;
    let owner = s.user("boss-s@example.com").await;
    let view: ConnectionsView = owner.ok("list_connections", &[]).await;
    let id = view.connections[0].id.clone();
    for role in ["auditor", "operator"] {
        let b = join(&s, &owner, &format!("{role}-s@example.com"), role).await;
        let seen: ConnectionsView = b.ok("list_connections", &[]).await;
        assert!(!seen.can_manage);
        for (name, args) in [
            ("connect_simulator", vec![("name", "x")]),
            (
                "connect_stripe_key",
                vec![("name", "x"), ("secret_key", "sk_test_abcdefgh1234")],
            ),
            (
                "rotate_stripe_key",
                vec![
                    ("connection_id", id.as_str()),
                    ("secret_key", "sk_test_abcdefgh1234"),
                ],
            ),
            (
                "set_webhook_secret",
                vec![
                    ("connection_id", id.as_str()),
                    ("webhook_secret", "whsec_abcdefgh1234"),
                ],
            ),
            ("remove_connection", vec![("connection_id", id.as_str())]),
        ] {
            let (status, _) = b.err(name, &args).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{role} {name}");
        }
    }
    let tenant = owner.me().await.expect("me").tenant.id;
    let n = s
        .count(&format!(
            "SELECT COUNT(*) FROM stripe_connections WHERE tenant_id = '{tenant}'"
        ))
        .await;
    assert_eq!(n, 1);
}

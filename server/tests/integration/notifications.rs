//! Alert notifications to real HTTP receivers in the test: signed like Stripe's webhooks and
//! checked with the Stripe crate's verifier, retried with back-off, never held up by another
//! endpoint's hanging receiver, redelivered, re-signed after a rotation, kept off private
//! addresses in production, and only for the organisation's owners and admins.

use crate::harness::fleet::{is_online, owner_with_reader};
use crate::harness::members::join;
use crate::harness::receiver::{Received, Receiver};
use crate::harness::stripe::set_reader_state;
use crate::harness::wait::{eventually, until, POLL};
use crate::harness::{Browser, TestServer};
use app::notifications::types::{EndpointSecret, NotificationsView};
use reqwest::StatusCode;
use std::time::Duration;

async fn add(b: &Browser, url: &str, groups: &[&str]) -> EndpointSecret {
    let mut form = vec![("url", url)];
    form.extend(groups.iter().map(|g| (*g, "yes")));
    b.ok("create_notification_endpoint", &form).await
}

async fn settings(b: &Browser) -> NotificationsView {
    b.ok("notification_settings", &[]).await
}

/// Waits for the receiver to hold `n` requests and returns them.
async fn received(r: &Receiver, n: usize, seconds: u64) -> Vec<Received> {
    until(&format!("{n} notifications"), seconds, POLL, || async {
        let got = r.received();
        (got.len() >= n).then_some(got)
    })
    .await
}

async fn audited(s: &TestServer, action: &str) -> i64 {
    s.count(&format!(
        "SELECT COUNT(*) FROM audit_log WHERE action = '{action}'"
    ))
    .await
}

#[tokio::test]
async fn alerts_are_delivered_signed_and_logged() {
    let s = TestServer::start().await;
    let (owner, reader) = owner_with_reader(&s, "notify@example.com").await;
    let receiver = Receiver::answering(&[]).await;
    let (status, err) = owner
        .err(
            "create_notification_endpoint",
            &[("url", receiver.url.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "no event chosen: {err}");
    let endpoint = add(&owner, &receiver.url, &["offline"]).await;
    assert!(endpoint.secret.starts_with("whsec_"), "{}", endpoint.secret);
    // Sealed at rest, never shown again.
    let stored: String = sqlx::query_scalar("SELECT secret FROM notification_endpoints")
        .fetch_one(&s.state.db.pool)
        .await
        .expect("stored");
    assert!(!stored.contains(&endpoint.secret[6..]));
    let page = serde_json::to_string(&settings(&owner).await).expect("json");
    assert!(!page.contains(&endpoint.secret[6..]));
    assert_eq!(audited(&s, "notification.endpoint_added").await, 1);

    // Send test.
    let delivery: String = owner
        .ok("send_test_notification", &[("id", &endpoint.endpoint_id)])
        .await;
    let got = received(&receiver, 1, 10).await;
    assert!(got[0].signed_with(&endpoint.secret), "{:?}", got[0]);
    assert!(!got[0].signed_with("whsec_someone_else"));
    let body = got[0].json();
    assert_eq!(body["type"], "test");
    assert!(body["id"].as_str().is_some_and(|id| id.starts_with("nev_")));
    assert!(body["created"].as_i64().is_some());
    let me = owner.me().await.expect("me");
    assert_eq!(body["organisation"]["id"], me.tenant.id.as_str());
    eventually("logged as delivered", 10, || async {
        settings(&owner).await.deliveries.iter().any(|d| {
            d.id == delivery
                && d.status == "delivered"
                && d.attempts == 1
                && d.last_status == Some(200)
        })
    })
    .await;

    // A reader offline past the threshold, then back.
    let () = owner.ok("set_alert_threshold", &[("minutes", "1")]).await;
    set_reader_state(&s, &reader, "offline").await;
    eventually("offline", 10, || async {
        !is_online(&owner, &reader).await
    })
    .await;
    sqlx::query("UPDATE readers SET status_since = status_since - 120000 WHERE id = $1")
        .bind(&reader)
        .execute(&s.state.db.pool)
        .await
        .expect("age");
    let got = received(&receiver, 2, 10).await;
    let offline = got[1].json();
    assert_eq!(offline["type"], "reader.offline");
    assert_eq!(offline["data"]["reader"]["id"], reader.as_str());
    assert!(got[1].signed_with(&endpoint.secret));
    set_reader_state(&s, &reader, "online").await;
    let got = received(&receiver, 3, 10).await;
    assert_eq!(got[2].json()["type"], "reader.online");
    // Stuck actions were not chosen: nothing else is queued.
    assert_eq!(
        s.count("SELECT COUNT(*) FROM notification_deliveries")
            .await,
        3
    );
}

#[tokio::test]
async fn a_failing_receiver_is_retried_with_growing_waits_until_it_answers() {
    let s = TestServer::start().await;
    let owner = s.user("retry@example.com").await;
    let receiver = Receiver::answering(&[500, 503]).await;
    let endpoint = add(&owner, &receiver.url, &["offline"]).await;
    let delivery: String = owner
        .ok("send_test_notification", &[("id", &endpoint.endpoint_id)])
        .await;
    let got = received(&receiver, 3, 15).await;
    // The test base wait is 200 ms, doubling, each within ±25 %.
    let first = got[1].at - got[0].at;
    let second = got[2].at - got[1].at;
    assert!(first >= Duration::from_millis(150), "{first:?}");
    assert!(second >= Duration::from_millis(300), "{second:?}");
    let ids: Vec<String> = got
        .iter()
        .map(|r| r.json()["id"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "one event: {ids:?}");
    eventually("delivered on the third attempt", 10, || async {
        settings(&owner).await.deliveries.iter().any(|d| {
            d.id == delivery
                && d.status == "delivered"
                && d.attempts == 3
                && d.last_status == Some(200)
        })
    })
    .await;
    assert_eq!(receiver.received().len(), 3);
}

#[tokio::test]
async fn a_hanging_receiver_does_not_delay_another_endpoint() {
    let s = TestServer::start().await;
    let owner = s.user("hang@example.com").await;
    let hanging = Receiver::hanging().await;
    let quick = Receiver::answering(&[]).await;
    let slow = add(&owner, &hanging.url, &["offline"]).await;
    let fast = add(&owner, &quick.url, &["offline"]).await;
    for _ in 0..6 {
        let _: String = owner
            .ok("send_test_notification", &[("id", &slow.endpoint_id)])
            .await;
    }
    received(&hanging, 2, 10).await;
    let sent = tokio::time::Instant::now();
    let _: String = owner
        .ok("send_test_notification", &[("id", &fast.endpoint_id)])
        .await;
    let got = received(&quick, 1, 5).await;
    assert!(
        got[0].at - sent < Duration::from_secs(2),
        "{:?}",
        got[0].at - sent
    );
    // The hanging endpoint holds only its own slots: two requests, none answered.
    assert_eq!(hanging.received().len(), 2);
    let view = settings(&owner).await;
    let waiting = view
        .deliveries
        .iter()
        .filter(|d| d.endpoint_id == slow.endpoint_id && d.status == "pending")
        .count();
    assert_eq!(waiting, 6);
}

#[tokio::test]
async fn a_delivery_is_redelivered_and_a_rotated_secret_signs_at_once() {
    let s = TestServer::start().await;
    let owner = s.user("rotate@example.com").await;
    let receiver = Receiver::answering(&[]).await;
    let endpoint = add(&owner, &receiver.url, &["stuck", "webhooks"]).await;
    let delivery: String = owner
        .ok("send_test_notification", &[("id", &endpoint.endpoint_id)])
        .await;
    let first = received(&receiver, 1, 10).await[0].clone();
    assert!(first.signed_with(&endpoint.secret));

    let rotated: EndpointSecret = owner
        .ok(
            "rotate_notification_secret",
            &[("id", &endpoint.endpoint_id)],
        )
        .await;
    assert_ne!(rotated.secret, endpoint.secret);
    assert_eq!(audited(&s, "notification.secret_rotated").await, 1);
    let again: String = owner
        .ok("redeliver_notification", &[("delivery_id", &delivery)])
        .await;
    assert_ne!(again, delivery);
    let second = received(&receiver, 2, 10).await[1].clone();
    assert_eq!(second.json()["id"], first.json()["id"], "the same event");
    assert!(second.signed_with(&rotated.secret));
    assert!(
        !second.signed_with(&endpoint.secret),
        "the old secret no longer signs"
    );
    assert_eq!(audited(&s, "notification.redelivered").await, 1);

    // Switched off: events wait; a test still goes (to try an endpoint before turning it on).
    let () = owner
        .ok(
            "update_notification_endpoint",
            &[("id", endpoint.endpoint_id.as_str()), ("stuck", "yes")],
        )
        .await;
    let view = settings(&owner).await;
    assert!(!view.endpoints[0].enabled);
    assert!(view.endpoints[0].has_group("stuck") && !view.endpoints[0].has_group("webhooks"));

    // Deleting takes its log with it.
    let () = owner
        .ok(
            "delete_notification_endpoint",
            &[("id", &endpoint.endpoint_id)],
        )
        .await;
    assert_eq!(
        s.count("SELECT COUNT(*) FROM notification_deliveries")
            .await,
        0
    );
    assert_eq!(audited(&s, "notification.endpoint_deleted").await, 1);
}

#[tokio::test]
async fn webhook_events_that_stopped_retrying_and_runs_of_declines_are_told_once() {
    let s = TestServer::start().await;
    let (owner, reader) = owner_with_reader(&s, "watch@example.com").await;
    let receiver = Receiver::answering(&[]).await;
    add(&owner, &receiver.url, &["declines", "webhooks"]).await;
    let me = owner.me().await.expect("me");
    let (connection, location): (String, String) =
        sqlx::query_as("SELECT connection_id, location_id FROM readers WHERE id = $1")
            .bind(&reader)
            .fetch_one(&s.state.db.pool)
            .await
            .expect("reader");
    let now = app::ssr::ids::now_ms();
    sqlx::query(
        "INSERT INTO webhook_events (connection_id, id, tenant_id, type, payload, received_at,
         attempts, outcome) VALUES ($1, 'evt_stuck_forever', $2, 'payment_intent.succeeded',
         '{}', $3, 10, 'error')",
    )
    .bind(&connection)
    .bind(&me.tenant.id)
    .bind(now - 60_000)
    .execute(&s.state.db.pool)
    .await
    .expect("a failing event");
    for i in 0..6 {
        sqlx::query(
            "INSERT INTO payments (connection_id, id, tenant_id, reader_id, location_id, amount,
             currency, capture_method, status, state_rank, failure_code, stripe_created,
             created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, 500, 'usd', 'automatic', 'requires_payment_method', 0,
             'card_declined', $6, $7, $7)",
        )
        .bind(&connection)
        .bind(format!("pi_declined_{i}"))
        .bind(&me.tenant.id)
        .bind(&reader)
        .bind(&location)
        .bind(now / 1000)
        .bind(now - 1_000 * i)
        .execute(&s.state.db.pool)
        .await
        .expect("a declined payment");
    }
    let got = received(&receiver, 2, 10).await;
    let mut kinds: Vec<String> = got
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap_or_default().to_string())
        .collect();
    kinds.sort();
    assert_eq!(kinds, ["payments.declines_high", "webhooks.failing"]);
    let declines = got
        .iter()
        .map(Received::json)
        .find(|b| b["type"] == "payments.declines_high")
        .expect("declines");
    assert_eq!(declines["data"]["location"]["id"], location.as_str());
    assert_eq!(declines["data"]["declined"], 6);
    // Looked at again and again, told once.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(receiver.received().len(), 2);
}

#[tokio::test]
async fn production_sends_only_to_public_https_addresses() {
    let tweak: crate::harness::Tweak = Box::new(|config| server::config::Config {
        env: server::config::Environment::Production,
        ..config
    });
    let s = TestServer::start_with(Some(tweak)).await;
    let owner = s.user("prod@example.com").await;
    let receiver = Receiver::answering(&[]).await;
    for url in [
        receiver.url.as_str(),
        "http://hooks.example.com/x",
        "https://127.0.0.1/x",
        "https://localhost/x",
        "https://169.254.169.254/latest/meta-data",
        "https://10.0.0.8/x",
        "https://[::1]/x",
        "https://[fd00:ec2::254]/x",
    ] {
        let (status, _) = owner
            .err(
                "create_notification_endpoint",
                &[("url", url), ("offline", "yes")],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}");
    }
    // A public name that later resolves to an address of ours (DNS changed) is checked again
    // at each delivery: nothing reaches the receiver.
    let endpoint = add(&owner, "https://hooks.example.com/fleet", &["offline"]).await;
    sqlx::query("UPDATE notification_endpoints SET url = $1 WHERE id = $2")
        .bind(&receiver.url)
        .bind(&endpoint.endpoint_id)
        .execute(&s.state.db.pool)
        .await
        .expect("repoint");
    let delivery: String = owner
        .ok("send_test_notification", &[("id", &endpoint.endpoint_id)])
        .await;
    eventually("refused at delivery", 10, || async {
        settings(&owner).await.deliveries.iter().any(|d| {
            d.id == delivery
                && d.attempts >= 1
                && d.last_status.is_none()
                && d.last_error
                    .as_deref()
                    .is_some_and(|e| e.contains("not public"))
        })
    })
    .await;
    assert!(receiver.received().is_empty());
}

#[tokio::test]
async fn only_owners_and_admins_manage_endpoints_and_auditors_read_the_log() {
    let s = TestServer::start().await;
    let owner = s.user("roles@notify.example").await;
    let admin = join(&s, &owner, "admin@notify.example", "admin").await;
    let operator = join(&s, &owner, "op@notify.example", "operator").await;
    let auditor = join(&s, &owner, "aud@notify.example", "auditor").await;
    let endpoint = add(&admin, "http://127.0.0.1:9/hook", &["offline"]).await;
    for b in [&operator, &auditor] {
        let (status, _) = b
            .err(
                "create_notification_endpoint",
                &[("url", "http://127.0.0.1:9/x"), ("offline", "yes")],
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = b
            .err(
                "rotate_notification_secret",
                &[("id", &endpoint.endpoint_id)],
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, _) = operator.err("notification_settings", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let view = settings(&auditor).await;
    assert_eq!(view.endpoints.len(), 1);
    assert!(!view.can_manage);
    // The page renders before any script runs, with its forms for managers.
    let html = owner
        .get("/settings/notifications")
        .await
        .text()
        .await
        .expect("html");
    assert!(
        html.contains(r#"action="/sf/create_notification_endpoint""#),
        "{html}"
    );
    assert!(html.contains(r#"action="/sf/send_test_notification""#));
    let html = auditor
        .get("/settings/notifications")
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("http://127.0.0.1:9/hook"));
    assert!(!html.contains(r#"action="/sf/create_notification_endpoint""#));
}

#[tokio::test]
async fn two_instances_never_send_one_delivery_twice() {
    let s = TestServer::start().await;
    let other = s.another_instance().await;
    let owner = s.user("lease@example.com").await;
    // Both instances look for due deliveries every 100 ms.
    let receiver = Receiver::answering(&[]).await;
    let endpoint = add(&owner, &receiver.url, &["offline"]).await;
    for _ in 0..20 {
        let _: String = owner
            .ok("send_test_notification", &[("id", &endpoint.endpoint_id)])
            .await;
    }
    let got = received(&receiver, 20, 20).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let mut ids: Vec<String> = receiver
        .received()
        .iter()
        .map(|r| r.json()["id"].as_str().unwrap_or_default().to_string())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20, "{} requests for 20 events", got.len());
    assert_eq!(receiver.received().len(), 20, "a delivery was sent twice");
    drop(other);
}

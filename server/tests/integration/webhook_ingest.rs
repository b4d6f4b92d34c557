//! Webhook ingest by group commit: events that arrive together are stored and applied in one
//! transaction, each sender answered after the commit that holds its event; a full queue
//! answers 503, and one event that cannot be applied does not hold back its neighbours.

use crate::harness::fleet::default_connection;
use crate::harness::wait::eventually;
use crate::harness::webhooks::{now, signed, webhook_url};
use crate::harness::{TestServer, PASSWORD};
use app::ssr::db::Backend;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

/// A `payment_intent.succeeded` event for an in-person payment.
fn succeeded(event: &str, intent: &str, created: i64) -> String {
    intent_event(event, intent, created, "succeeded")
}

/// A `payment_intent.<status>` event for an in-person payment of 12.50 USD.
fn intent_event(event: &str, intent: &str, created: i64, status: &str) -> String {
    let received = if status == "succeeded" { 1250 } else { 0 };
    json!({
        "id": event, "object": "event", "type": format!("payment_intent.{status}"),
        "created": created, "livemode": false, "pending_webhooks": 1,
        "api_version": "2026-10-28.endive", "request": {"id": null, "idempotency_key": null},
        "data": {"object": {
            "id": intent, "object": "payment_intent", "amount": 1250,
            "amount_capturable": 0, "amount_received": received, "currency": "usd",
            "status": status, "capture_method": "automatic",
            "payment_method_types": ["card_present"], "created": created, "livemode": false,
            "metadata": {}
        }}
    })
    .to_string()
}

/// A server with a signed-up owner; returns it with the owner's connection.
async fn server_with_connection(s: &TestServer, email: &str) -> String {
    let owner = s.client();
    let r = owner
        .call(
            "sign_up",
            &[
                ("email", email),
                ("password", PASSWORD),
                ("organisation", "Ingest"),
            ],
        )
        .await;
    assert!(r.status().is_success(), "sign up: {}", r.status());
    default_connection(&owner).await
}

type Answer = (StatusCode, Option<String>, String);

/// The organisation `connection` belongs to.
async fn tenant_of(s: &TestServer, connection: &str) -> String {
    sqlx::query_scalar("SELECT tenant_id FROM stripe_connections WHERE id = $1")
        .bind(connection)
        .fetch_one(&s.state.db.pool)
        .await
        .expect("tenant")
}

/// How the figures kept for `connection`'s organisation differ from a recount of its rows, if
/// they do.
async fn figures_out_of_step(s: &TestServer, connection: &str) -> Option<String> {
    let tenant = tenant_of(s, connection).await;
    app::payments::ssr::figures_repair::out_of_step(&s.state.db, &tenant)
        .await
        .expect("figures compared")
}

/// One delivery as Stripe makes it, under way in its own task; answers status, `Retry-After`
/// and body.
async fn send(s: &TestServer, connection: &str, body: String) -> tokio::task::JoinHandle<Answer> {
    let signature = signed(s, connection, &body, now()).await;
    let url = webhook_url(&s.base, connection);
    tokio::spawn(async move {
        let r = reqwest::Client::new()
            .post(url)
            .header("stripe-signature", signature)
            .body(body)
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .expect("deliver");
        let retry = r
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        (r.status(), retry, r.text().await.unwrap_or_default())
    })
}

/// Holds the writer inside its first batch: a write transaction of the test's own holds the
/// row (and on SQLite the write lock) the writer needs to store `plug`, so what is delivered
/// meanwhile waits in the queue. Returns the transaction and the plug's delivery.
async fn hold_writer(
    s: &TestServer,
    connection: &str,
) -> (
    sqlx::Transaction<'static, sqlx::Any>,
    tokio::task::JoinHandle<Answer>,
) {
    let tenant = tenant_of(s, connection).await;
    let mut held = s.state.db.begin_write().await.expect("begin");
    sqlx::query(
        "INSERT INTO webhook_events (connection_id, id, tenant_id, type, payload, received_at)
         VALUES ($1, 'evt_plug', $2, 'payment_intent.succeeded', '{}', 0)",
    )
    .bind(connection)
    .bind(&tenant)
    .execute(&mut *held)
    .await
    .expect("hold the plug's row");
    let batches = s.running.webhooks.figures().batches;
    let plug = send(s, connection, succeeded("evt_plug", "pi_plug", now())).await;
    eventually("the writer took the plug", 10, || async {
        s.running.webhooks.figures().batches > batches && s.running.webhooks.waiting() == 0
    })
    .await;
    (held, plug)
}

#[tokio::test]
async fn a_burst_is_stored_and_applied_once_in_one_transaction_and_answered_after_it() {
    let s = TestServer::start().await;
    let connection = server_with_connection(&s, "burst-ingest@example.com").await;
    let (held, plug) = hold_writer(&s, &connection).await;
    // 40 distinct events, and every fifth delivered twice at once (Stripe's at-least-once).
    let created = now();
    let mut bodies: Vec<String> = (0..40)
        .map(|n| succeeded(&format!("evt_gc{n:03}"), &format!("pi_gc{n:03}"), created))
        .collect();
    bodies.extend(
        (0..40)
            .step_by(5)
            .map(|n| succeeded(&format!("evt_gc{n:03}"), &format!("pi_gc{n:03}"), created)),
    );
    // And five payments seen twice in the batch, processing then succeeded: the figures the
    // batch moves once must still count each payment once, as it ended.
    bodies.extend((0..5).map(|n| {
        intent_event(
            &format!("evt_pr{n:03}"),
            &format!("pi_gc{n:03}"),
            created - 1,
            "processing",
        )
    }));
    let deliveries = bodies.len();
    let mut senders = Vec::new();
    for body in bodies {
        senders.push(send(&s, &connection, body).await);
    }
    eventually(
        "every delivery queued behind the held writer",
        20,
        || async { s.running.webhooks.waiting() == deliveries },
    )
    .await;
    // Nothing is answered while its commit has not happened.
    assert!(
        senders.iter().all(|t| !t.is_finished()),
        "a sender was answered before its event was committed"
    );
    held.rollback().await.expect("release the writer");
    let (status, _, body) = plug.await.expect("plug");
    assert_eq!((status, body.as_str()), (StatusCode::OK, "received"));
    let mut stored = 0;
    for sender in senders {
        let (status, _, body) = sender.await.expect("sender");
        assert_eq!(status, StatusCode::OK, "{body}");
        match body.as_str() {
            "received" => stored += 1,
            "already received" => {}
            other => panic!("unexpected answer {other}"),
        }
    }
    assert_eq!(stored, 45, "each distinct event is new exactly once");
    let figures = s.running.webhooks.figures();
    assert!(
        figures.largest >= deliveries as u64,
        "the queued deliveries formed one batch: {figures:?}"
    );
    assert_eq!(
        s.count("SELECT COUNT(*) FROM webhook_events WHERE id LIKE 'evt_gc%' AND outcome = 'applied' AND processed_at IS NOT NULL")
            .await,
        40,
        "every event stored once and applied"
    );
    assert_eq!(
        s.count("SELECT COUNT(*) FROM webhook_events WHERE id LIKE 'evt_gc%' AND attempts = 1")
            .await,
        40,
        "each applied once"
    );
    assert_eq!(
        s.count("SELECT COUNT(*) FROM payments WHERE id LIKE 'pi_gc%' AND status = 'succeeded'")
            .await,
        40
    );
    assert_eq!(
        s.count("SELECT COUNT(*) FROM payment_timeline WHERE payment_id LIKE 'pi_gc%' AND what = 'Status: succeeded'")
            .await,
        40,
        "one succeeded line per payment: nothing applied twice"
    );
    assert_eq!(
        figures_out_of_step(&s, &connection).await,
        None,
        "the batch's figures equal a recount of its rows"
    );
}

#[tokio::test]
async fn a_full_queue_answers_503_with_retry_after_and_stores_nothing_it_refused() {
    let s = TestServer::start_with(Some(Box::new(|config| server::config::Config {
        limits: app::ssr::limits::Limits {
            webhook_queue: 2,
            ..config.limits
        },
        ..config
    })))
    .await;
    let connection = server_with_connection(&s, "full-queue@example.com").await;
    let (held, plug) = hold_writer(&s, &connection).await;
    let created = now();
    let mut senders = Vec::new();
    for n in 0..6 {
        let body = succeeded(&format!("evt_full{n}"), &format!("pi_full{n}"), created);
        senders.push(send(&s, &connection, body).await);
    }
    // Two fit in the queue and wait for the writer; the other four are turned away at once.
    eventually("four turned away, two queued", 20, || async {
        senders.iter().filter(|t| t.is_finished()).count() == 4 && s.running.webhooks.waiting() == 2
    })
    .await;
    held.rollback().await.expect("release the writer");
    let (mut ok, mut busy) = (0, 0);
    for sender in senders {
        let (status, retry, body) = sender.await.expect("answered");
        match status {
            StatusCode::OK => ok += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                busy += 1;
                assert_eq!(retry.as_deref(), Some("1"), "Retry-After on a 503");
                assert!(body.contains("retry"), "a sentence: {body}");
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((ok, busy), (2, 4), "the queue holds two");
    assert_eq!(plug.await.expect("plug").0, StatusCode::OK);
    assert_eq!(
        s.count("SELECT COUNT(*) FROM webhook_events WHERE id LIKE 'evt_full%'")
            .await,
        2,
        "what was refused was not stored"
    );
    // Stripe retries the refused ones, which are then taken.
    for n in 0..6 {
        let body = succeeded(&format!("evt_full{n}"), &format!("pi_full{n}"), created);
        let (status, _, body) = send(&s, &connection, body).await.await.expect("retry");
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    assert_eq!(
        s.count("SELECT COUNT(*) FROM payments WHERE id LIKE 'pi_full%'")
            .await,
        6
    );
}

#[tokio::test]
async fn an_event_that_cannot_be_applied_leaves_its_batch_applied_and_waits_for_the_queue() {
    let s = TestServer::start().await;
    let connection = server_with_connection(&s, "poison@example.com").await;
    // A real failure inside the batch's transaction: the database refuses one payment row.
    let poison: &[&str] = match s.state.db.backend {
        Backend::Sqlite => &["CREATE TRIGGER poison BEFORE INSERT ON payments
              WHEN NEW.id = 'pi_poison' BEGIN SELECT RAISE(ABORT, 'poisoned for the test'); END"],
        Backend::Postgres => &[
            "CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN
               IF NEW.id = 'pi_poison' THEN RAISE EXCEPTION 'poisoned for the test'; END IF;
               RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER poison BEFORE INSERT ON payments
               FOR EACH ROW EXECUTE FUNCTION poison()",
        ],
    };
    for sql in poison {
        sqlx::query(sql)
            .execute(&s.state.db.pool)
            .await
            .expect("poison");
    }
    let (held, plug) = hold_writer(&s, &connection).await;
    let created = now();
    let mut bodies: Vec<String> = (0..10)
        .map(|n| succeeded(&format!("evt_nb{n}"), &format!("pi_nb{n}"), created))
        .collect();
    bodies.insert(5, succeeded("evt_poison", "pi_poison", created));
    let mut senders = Vec::new();
    for body in bodies {
        senders.push(send(&s, &connection, body).await);
    }
    eventually("the batch queued", 20, || async {
        s.running.webhooks.waiting() == 11
    })
    .await;
    held.rollback().await.expect("release the writer");
    assert_eq!(plug.await.expect("plug").0, StatusCode::OK);
    for sender in senders {
        // Stored, so acknowledged: applying it is the queue's business now.
        assert_eq!(sender.await.expect("sender").0, StatusCode::OK);
    }
    assert!(
        s.running.webhooks.figures().isolated >= 1,
        "the failing batch was applied again event by event"
    );
    assert_eq!(
        s.count("SELECT COUNT(*) FROM payments WHERE id LIKE 'pi_nb%'")
            .await,
        10,
        "the neighbours are applied"
    );
    // The figures kept beside the payments moved with the batch's transaction: what the failed
    // batch had added went with it, and the events redone one by one added theirs once.
    assert_eq!(
        figures_out_of_step(&s, &connection).await,
        None,
        "the kept figures match the rows"
    );
    assert_eq!(
        s.count(
            "SELECT COUNT(*) FROM webhook_events WHERE id LIKE 'evt_nb%' AND outcome = 'applied'"
        )
        .await,
        10
    );
    assert_eq!(
        s.count("SELECT COUNT(*) FROM webhook_events WHERE id = 'evt_poison' AND processed_at IS NULL AND outcome LIKE 'failed:%'")
            .await,
        1,
        "the poisoned event is stored, not applied, and says why"
    );
    // Once the cause is gone, the queue worker applies it.
    for sql in ["DROP TRIGGER poison", "DROP TRIGGER poison ON payments"] {
        let on_postgres = sql.ends_with("payments");
        if on_postgres == (s.state.db.backend == Backend::Postgres) {
            sqlx::query(sql)
                .execute(&s.state.db.pool)
                .await
                .expect("cure");
        }
    }
    eventually("the queue applied the cured event", 30, || async {
        s.count("SELECT COUNT(*) FROM payments WHERE id = 'pi_poison'")
            .await
            == 1
    })
    .await;
    assert_eq!(
        s.count("SELECT COUNT(*) FROM payment_timeline WHERE payment_id = 'pi_poison' OR payment_id LIKE 'pi_nb%'")
            .await,
        11,
        "each applied once"
    );
    assert_eq!(
        figures_out_of_step(&s, &connection).await,
        None,
        "the queue's apply kept the figures too"
    );
}

//! Test charges on simulated readers over real HTTP: PaymentIntents, the simulated card,
//! capture, cancel, refund, idempotent buttons, declines in plain words, and the transactions
//! list, detail and totals.

use crate::harness::fleet::{default_connection, owner_with_reader, reader_detail};
use crate::harness::members::join;
use crate::harness::payments::{charge, charge_at_stripe, payment_detail, present};
use crate::harness::process::serve;
use crate::harness::stripe::{
    account_of_connection, clear_faults, intents_at_stripe, set_reader_state, sim, start_simulator,
    stripe_access,
};
use crate::harness::wait::{self, eventually};
use crate::harness::webhooks::{deliver, deliver_at, now, signed, webhook_url};
use crate::harness::{message, TestServer, PASSWORD};
use app::payments::types::TransactionsView;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_test_charge_is_approved_found_in_transactions_and_refunded() {
    let s = TestServer::start().await;
    let (owner, reader) = owner_with_reader(&s, "charge@example.com").await;
    let page = reader_detail(&owner, &reader).await;
    assert_eq!(page.currency, "usd");
    assert!(!page.test_cards.is_empty());
    let pi = charge(&owner, &reader, "12.50", "automatic", &page.op).await;
    assert!(pi.starts_with("pi_"));
    let page = reader_detail(&owner, &reader).await;
    assert!(page.reader.busy(), "the reader waits for the card");
    assert_eq!(page.payments[0].status_label(), "Waiting for card");
    present(&owner, &reader, "4242424242424242", &page.op).await;
    let detail = payment_detail(&owner, &pi).await;
    let p = &detail.payment;
    assert_eq!(p.status_label(), "Succeeded");
    assert_eq!(p.amount, 1250, "amount");
    assert_eq!(p.amount_received, 1250, "amount_received");
    assert_eq!(p.card_last4.as_deref(), Some("4242"));
    assert_eq!(p.reader_id.as_deref(), Some(reader.as_str()));
    assert_eq!(p.started_by.as_deref(), Some("charge@example.com"));
    assert!(detail.timeline.len() >= 3, "{:?}", detail.timeline);

    let list: TransactionsView = owner.ok("list_transactions", &[]).await;
    assert_eq!(list.payments.len(), 1);
    let totals: Vec<app::payments::types::CurrencyTotal> =
        owner.ok("transaction_totals", &[]).await;
    assert_eq!(totals[0].count, 1, "count of the first currency's total");
    assert_eq!(
        totals[0].received, 1250,
        "received of the first currency's total"
    );
    let list: TransactionsView = owner
        .ok(
            "list_transactions",
            &[("query[card]", "4242"), ("query[status]", "succeeded")],
        )
        .await;
    assert_eq!(list.payments.len(), 1);
    let list: TransactionsView = owner.ok("list_transactions", &[("query[min]", "20")]).await;
    assert!(list.payments.is_empty());
    let (status, _) = owner
        .err(
            "list_transactions",
            &[("query[before]", "1764480000000:pi_1")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an old-style cursor");

    // Partial refund, then the rest; nothing is left after.
    let (status, err) = owner
        .err(
            "refund_payment",
            &[("id", &pi), ("amount", "20.00"), ("op", &detail.op)],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&err).contains("12.50 USD"), "{err}");
    let () = owner
        .ok(
            "refund_payment",
            &[("id", &pi), ("amount", "5"), ("op", &detail.op)],
        )
        .await;
    let detail = payment_detail(&owner, &pi).await;
    assert_eq!(detail.payment.amount_refunded, 500);
    assert_eq!(detail.payment.status_label(), "Partly refunded");
    let () = owner
        .ok("refund_payment", &[("id", &pi), ("op", &detail.op)])
        .await;
    let detail = payment_detail(&owner, &pi).await;
    assert_eq!(detail.payment.amount_refunded, 1250);
    let (status, _) = owner
        .err("refund_payment", &[("id", &pi), ("op", &detail.op)])
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        s.count("SELECT COUNT(*) FROM audit_log WHERE action IN ('payment.test_charge_started', 'payment.card_presented', 'payment.refunded')")
            .await,
        4
    );
}

#[tokio::test]
async fn a_double_click_charges_once_and_declines_say_why() {
    let s = TestServer::start().await;
    let (owner, reader) = owner_with_reader(&s, "double@example.com").await;
    let op = reader_detail(&owner, &reader).await.op;
    let first = charge(&owner, &reader, "9.99", "automatic", &op).await;
    let second = charge(&owner, &reader, "9.99", "automatic", &op).await;
    assert_eq!(
        first, second,
        "the same operation is the same PaymentIntent"
    );
    assert_eq!(s.count("SELECT COUNT(*) FROM payments").await, 1);

    present(&owner, &reader, "4000000000009995", &op).await;
    let detail = payment_detail(&owner, &first).await;
    assert_eq!(detail.payment.status_label(), "Declined");
    assert_eq!(
        detail.payment.failure_code.as_deref(),
        Some("insufficient_funds")
    );
    assert!(detail.payment.failure_message.is_some());
    let list: TransactionsView = owner
        .ok("list_transactions", &[("query[status]", "declined")])
        .await;
    assert_eq!(list.payments.len(), 1);
}

#[tokio::test]
async fn manual_capture_cancel_and_an_offline_reader() {
    let s = TestServer::start().await;
    let (owner, reader) = owner_with_reader(&s, "manual@example.com").await;
    let op = reader_detail(&owner, &reader).await.op;
    let pi = charge(&owner, &reader, "40", "manual", &op).await;
    present(&owner, &reader, "5555555555554444", &op).await;
    let detail = payment_detail(&owner, &pi).await;
    assert_eq!(detail.payment.status_label(), "Authorised");
    assert_eq!(detail.payment.amount_capturable, 4000);
    let () = owner
        .ok("capture_payment", &[("id", &pi), ("op", &detail.op)])
        .await;
    let detail = payment_detail(&owner, &pi).await;
    assert_eq!(detail.payment.status_label(), "Succeeded");
    let (status, err) = owner
        .err("cancel_payment", &[("id", &pi), ("op", &detail.op)])
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");

    // Cancel one still waiting for a card.
    let op = reader_detail(&owner, &reader).await.op;
    let waiting = charge(&owner, &reader, "3", "automatic", &op).await;
    let detail = payment_detail(&owner, &waiting).await;
    let () = owner
        .ok("cancel_payment", &[("id", &waiting), ("op", &detail.op)])
        .await;
    assert_eq!(
        payment_detail(&owner, &waiting)
            .await
            .payment
            .status_label(),
        "Canceled"
    );

    // An offline reader: Stripe's reason with a next step, and no PaymentIntent left waiting.
    set_reader_state(&s, &reader, "offline").await;
    let op = reader_detail(&owner, &reader).await.op;
    let (status, err) = owner
        .err(
            "start_test_charge",
            &[
                ("reader_id", &reader),
                ("amount", "1"),
                ("currency", "usd"),
                ("op", &op),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    assert!(message(&err).to_lowercase().contains("offline"), "{err}");
    let left: i64 = s
        .count("SELECT COUNT(*) FROM payments WHERE status = 'requires_payment_method'")
        .await;
    assert_eq!(left, 0);
    // Bad input is refused before Stripe is asked.
    for (field, amount, currency) in [
        ("amount", "-1", "usd"),
        ("amount", "1.234", "usd"),
        ("currency", "1", "xyz"),
    ] {
        let (status, err) = owner
            .err(
                "start_test_charge",
                &[
                    ("reader_id", &reader),
                    ("amount", amount),
                    ("currency", currency),
                    ("op", &op),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(err["Invalid"]["field"], field);
    }
}

#[tokio::test]
async fn webhooks_never_move_a_payment_backwards() {
    let s = TestServer::start().await;
    let (owner, reader) = owner_with_reader(&s, "order@example.com").await;
    let op = reader_detail(&owner, &reader).await.op;
    let pi = charge(&owner, &reader, "7", "automatic", &op).await;
    present(&owner, &reader, "4242424242424242", &op).await;
    eventually("the events arrived", 10, || async {
        s.count(&format!("SELECT COUNT(*) FROM webhook_events WHERE type = 'payment_intent.succeeded' AND payload LIKE '%{pi}%'")).await == 1
    })
    .await;
    // Replay the older "created" event as a new delivery (another id): still succeeded.
    let (payload, connection): (String, String) = sqlx::query_as(
        "SELECT payload, connection_id FROM webhook_events WHERE type = 'payment_intent.created'",
    )
    .fetch_one(&s.state.db.pool)
    .await
    .expect("created event");
    let replay = payload.replacen("\"id\": \"evt_", "\"id\": \"evt_replayed", 1);
    let replay = if replay == payload {
        payload.replacen("\"id\":\"evt_", "\"id\":\"evt_replayed", 1)
    } else {
        replay
    };
    let r = deliver(&s, &connection, replay).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        payment_detail(&owner, &pi).await.payment.status_label(),
        "Succeeded"
    );
}

#[tokio::test]
async fn an_older_event_of_the_same_state_does_not_undo_a_decline() {
    let s = TestServer::start().await;
    let (owner, reader) = owner_with_reader(&s, "late@example.com").await;
    let op = reader_detail(&owner, &reader).await.op;
    let pi = charge(&owner, &reader, "9", "automatic", &op).await;
    present(&owner, &reader, "4000000000009995", &op).await;
    eventually("the decline arrived", 10, || async {
        s.count(&format!("SELECT COUNT(*) FROM webhook_events WHERE type = 'payment_intent.payment_failed' AND payload LIKE '%{pi}%'")).await == 1
    })
    .await;
    let declined = payment_detail(&owner, &pi).await.payment;
    assert_eq!(declined.failure_code.as_deref(), Some("insufficient_funds"));
    let failed_at: String = sqlx::query_scalar(
        "SELECT payload FROM webhook_events WHERE type = 'payment_intent.payment_failed'",
    )
    .fetch_one(&s.state.db.pool)
    .await
    .expect("failed event");
    let failed_at = serde_json::from_str::<serde_json::Value>(&failed_at).expect("json")["created"]
        .as_i64()
        .expect("created");
    // `payment_intent.created` (same state rank, no failure) delivered late, as a new event
    // that Stripe created before the decline: the decline stays.
    let (payload, connection): (String, String) = sqlx::query_as(
        "SELECT payload, connection_id FROM webhook_events WHERE type = 'payment_intent.created'",
    )
    .fetch_one(&s.state.db.pool)
    .await
    .expect("created event");
    let mut late: serde_json::Value = serde_json::from_str(&payload).expect("json");
    late["id"] = json!("evt_late_created");
    late["created"] = json!(failed_at - 5);
    let late = late.to_string();
    let post = |body: String| {
        let s = &s;
        let connection = connection.clone();
        async move { deliver(s, &connection, body).await.status() }
    };
    assert_eq!(post(late).await, StatusCode::OK);
    let after = payment_detail(&owner, &pi).await.payment;
    assert_eq!(after.failure_code.as_deref(), Some("insufficient_funds"));
    assert_eq!(after.failure_message, declined.failure_message);

    // The same object from a newer event does apply: ordering is by `created`, not arrival.
    let mut newer: serde_json::Value = serde_json::from_str(&payload).expect("json");
    newer["id"] = json!("evt_newer_created");
    newer["created"] = json!(failed_at + 5);
    assert_eq!(post(newer.to_string()).await, StatusCode::OK);
    assert_eq!(payment_detail(&owner, &pi).await.payment.failure_code, None);
}

#[tokio::test]
async fn the_webhook_queue_applies_what_a_crash_left_and_refuses_what_stripe_did_not_send() {
    let s = TestServer::start().await;
    let (owner, reader) = owner_with_reader(&s, "queue@example.com").await;
    let connection = default_connection(&owner).await;
    let op = reader_detail(&owner, &reader).await.op;
    let pi = charge(&owner, &reader, "8", "manual", &op).await;
    let now = now();

    // An event stored but never applied (the process died in between): the queue applies it.
    let me = owner.me().await.expect("me");
    let event = json!({
        "id": "evt_crashed_before_apply", "object": "event", "type": "payment_intent.canceled",
        "created": now, "livemode": false, "pending_webhooks": 1, "api_version": "2026-10-28.endive",
        "request": {"id": null, "idempotency_key": null},
        "data": {"object": {
            "id": pi, "object": "payment_intent", "amount": 800, "amount_capturable": 0,
            "amount_received": 0, "currency": "usd", "status": "canceled", "capture_method": "manual",
            "payment_method_types": ["card_present"], "created": now, "livemode": false,
            "metadata": {}
        }}
    })
    .to_string();
    sqlx::query(
        "INSERT INTO webhook_events (connection_id, id, tenant_id, type, payload, received_at)
         VALUES ($1, 'evt_crashed_before_apply', $2, 'payment_intent.canceled', $3, $4)",
    )
    .bind(&connection)
    .bind(&me.tenant.id)
    .bind(&event)
    .bind(app::ssr::ids::now_ms() - 60_000)
    .execute(&s.state.db.pool)
    .await
    .expect("stored");
    eventually("the queue applied it", 10, || async {
        s.count("SELECT COUNT(*) FROM webhook_events WHERE id = 'evt_crashed_before_apply' AND outcome = 'applied'").await == 1
    })
    .await;
    assert_eq!(
        payment_detail(&owner, &pi).await.payment.status_label(),
        "Canceled"
    );

    // A stale signature, an unknown event type, a body over the limit.
    let stale = json!({"id": "evt_stale", "object": "event", "type": "payment_intent.created", "created": now, "data": {"object": {}}}).to_string();
    let r = deliver_at(&s, &connection, stale, now - 3600).await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "a signature an hour old"
    );
    let unknown = json!({"id": "evt_unknown", "object": "event", "type": "issuing_card.created", "created": now, "data": {"object": {"id": "ic_1", "object": "issuing.card"}}}).to_string();
    let r = deliver_at(&s, &connection, unknown, now).await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "unknown types are stored and ignored"
    );
    let outcome: Option<String> =
        sqlx::query_scalar("SELECT outcome FROM webhook_events WHERE id = 'evt_unknown'")
            .fetch_one(&s.state.db.pool)
            .await
            .expect("outcome");
    assert_eq!(outcome.as_deref(), Some("ignored"));
    let huge = "x".repeat(2 * 1024 * 1024);
    let r = deliver_at(&s, &connection, huge, now).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        s.count("SELECT COUNT(*) FROM webhook_events WHERE id = 'evt_stale'")
            .await,
        0
    );

    // The Events page lists them; an admin applies one again.
    let events: app::payments::types::EventsView = owner.ok("list_webhook_events", &[]).await;
    let ids: Vec<&str> = events.events.iter().map(|e| e.id.as_str()).collect();
    assert!(ids.contains(&"evt_unknown"), "evt_unknown not in {ids:?}");
    // A PaymentIntent's client secret is in Stripe's payload, never on the page.
    assert!(
        events
            .events
            .iter()
            .any(|e| e.payload.contains("client_secret")),
        "no payload of {ids:?} has a client_secret field"
    );
    for e in &events.events {
        assert!(
            !e.payload.contains("_secret_"),
            "{}: a client secret's value is on the page",
            e.id
        );
    }
    let () = owner
        .ok(
            "reapply_webhook_event",
            &[
                ("connection_id", &connection),
                ("event_id", "evt_crashed_before_apply"),
            ],
        )
        .await;
    let attempts: i64 = s
        .count("SELECT attempts FROM webhook_events WHERE id = 'evt_crashed_before_apply'")
        .await;
    assert_eq!(attempts, 2);
}

#[tokio::test]
async fn reconciliation_repairs_what_missed_webhooks_left_behind() {
    let s = TestServer::start().await;
    let (owner, reader) = owner_with_reader(&s, "reconcile@example.com").await;
    let connection = default_connection(&owner).await;
    // Webhooks stop reaching us (the secret is gone, so every delivery is refused).
    sqlx::query("UPDATE stripe_connections SET webhook_secret = NULL WHERE id = $1")
        .bind(&connection)
        .execute(&s.state.db.pool)
        .await
        .expect("break webhooks");
    // Point-of-sale software charges on the reader directly through Stripe.
    let access = stripe_access(&s, &owner, &connection).await;
    let pi = charge_at_stripe(&access, &reader, 2200, "pos").await;
    eventually("the backfill found the payment", 20, || async {
        s.count(&format!(
            "SELECT COUNT(*) FROM payments WHERE id = '{}' AND status = 'succeeded'",
            pi.id
        ))
        .await
            == 1
    })
    .await;
    assert_eq!(
        s.count("SELECT COUNT(*) FROM webhook_events").await,
        0,
        "no webhook got in"
    );
}

#[tokio::test]
async fn transactions_export_as_csv_with_the_page_filters_and_scope() {
    let s = TestServer::start().await;
    let (owner, reader) = owner_with_reader(&s, "export@example.com").await;
    for (n, amount) in ["4.00", "6.50", "11.00"].iter().enumerate() {
        let op = reader_detail(&owner, &reader).await.op;
        charge(&owner, &reader, amount, "automatic", &op).await;
        let card = if n == 1 {
            "4000000000000002"
        } else {
            "4242424242424242"
        };
        present(&owner, &reader, card, &op).await;
    }
    // Page size is 50, so make the export cross pages.
    let me = owner.me().await.expect("me");
    let connection = default_connection(&owner).await;
    for n in 0..120 {
        sqlx::query(
            "INSERT INTO payments (connection_id, id, tenant_id, amount, currency, capture_method,
             status, state_rank, amount_received, stripe_created, created_at, updated_at)
             VALUES ($1, $2, $3, 100, 'usd', 'automatic', 'succeeded', 4, 100, 1, $4, $4)",
        )
        .bind(&connection)
        .bind(format!("pi_bulk{n:04}"))
        .bind(&me.tenant.id)
        .bind(1_700_000_000_000i64 + n)
        .execute(&s.state.db.pool)
        .await
        .expect("bulk");
    }
    let csv = owner
        .http
        .get(format!("{}/transactions.csv", s.base))
        .send()
        .await
        .expect("export");
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(csv
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv")));
    let text = csv.text().await.expect("body");
    let mut reader_csv = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader_csv.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 123, "every payment, across pages");
    let declined = owner
        .http
        .get(format!("{}/transactions.csv?status=declined", s.base))
        .send()
        .await
        .expect("export")
        .text()
        .await
        .expect("body");
    assert_eq!(declined.lines().count(), 2, "{declined}");
    assert!(declined.contains("650"));
    let bad = owner
        .http
        .get(format!("{}/transactions.csv?from=yesterday", s.base))
        .send()
        .await
        .expect("export");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let anonymous = s.client();
    let r = anonymous
        .http
        .get(format!("{}/transactions.csv", s.base))
        .send()
        .await
        .expect("export");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // Another organisation's export is its own (empty).
    let other = s.user("other-export@example.com").await;
    let theirs = other
        .http
        .get(format!("{}/transactions.csv", s.base))
        .send()
        .await
        .expect("export")
        .text()
        .await
        .expect("body");
    assert_eq!(theirs.lines().count(), 1, "header only");
    assert!(
        s.count("SELECT COUNT(*) FROM audit_log WHERE action = 'payment.exported'")
            .await
            >= 2
    );
}

#[tokio::test]
async fn two_hundred_charges_under_injected_faults_make_exactly_two_hundred_payments() {
    // A simulator without Stripe's 25 writes/s: its 429s are not what this test is about, and
    // without them the charges need no pacing.
    let simulator = start_simulator(fleet_stripe_sim::SimConfig {
        rate_limit: None,
        ..Default::default()
    })
    .await;
    let s = TestServer::start_with(Some(Box::new(move |config| server::config::Config {
        simulator_url: Some(simulator),
        ..config
    })))
    .await;
    let (owner, reader) = owner_with_reader(&s, "faults@example.com").await;
    let connection = default_connection(&owner).await;
    let account = account_of_connection(&s, &connection).await;
    // One call in twenty fails (500) and one in twenty hangs 300 ms, on every POST of the account.
    sim(
        &s,
        "/_sim/faults",
        json!({"status": 500, "rate": 0.05, "account": account, "method": "POST"}),
    )
    .await;
    sim(
        &s,
        "/_sim/faults",
        json!({"status": 0, "rate": 0.05, "hang_ms": 300, "account": account, "method": "POST"}),
    )
    .await;
    let total = 200usize;
    let mut outcomes = Vec::new();
    for n in 0..total {
        let op = format!("faultop{n:05}");
        let args = [
            ("reader_id", reader.as_str()),
            ("amount", "1.00"),
            ("currency", "usd"),
            ("op", op.as_str()),
        ];
        let r = owner.call("start_test_charge", &args).await;
        let body = if r.status().is_success() {
            r.text().await.unwrap_or_default()
        } else {
            // What the client could not retry away, the user retries with the same operation
            // id, as a second click would.
            owner
                .call("start_test_charge", &args)
                .await
                .text()
                .await
                .unwrap_or_default()
        };
        outcomes.push((op, body));
    }
    clear_faults(&s).await;
    // Stripe holds exactly one PaymentIntent per operation, and so do we.
    let intents = intents_at_stripe(&s, &owner).await;
    let mut ops: Vec<String> = intents
        .values()
        .filter_map(|pi| pi.metadata.get("terminal_fleet_operation").cloned())
        .collect();
    ops.sort();
    let before = ops.len();
    ops.dedup();
    assert_eq!(before, ops.len(), "no operation made two PaymentIntents");
    assert_eq!(ops.len(), total, "every operation made its PaymentIntent");
    assert_eq!(s.count("SELECT COUNT(*) FROM payments").await, total as i64);
    assert_eq!(
        s.count("SELECT COUNT(DISTINCT operation_id) FROM payments")
            .await,
        total as i64
    );
    let answered = outcomes
        .iter()
        .filter(|(_, body)| body.contains("pi_"))
        .count();
    assert!(
        answered >= total - 5,
        "{answered} of {total} answered with their PaymentIntent"
    );
}

#[tokio::test]
async fn a_server_killed_with_sigkill_mid_burst_loses_no_event_and_applies_each_once() {
    // The harness's server only provides the database (and drops it after); real processes run.
    let s = TestServer::start().await;
    s.running.kill();
    let mut first = serve(&s.database_url).await;
    let owner = first.client();
    let r = owner
        .call(
            "sign_up",
            &[
                ("email", "burst@example.com"),
                ("password", PASSWORD),
                ("organisation", "Burst"),
            ],
        )
        .await;
    assert!(r.status().is_success(), "sign up: {}", r.status());
    let connection = default_connection(&owner).await;
    let now = now();
    let total = 200usize;
    let mut events = Vec::new();
    for n in 0..total {
        let body = json!({
            "id": format!("evt_burst{n:04}"), "object": "event", "type": "payment_intent.succeeded",
            "created": now, "livemode": false, "pending_webhooks": 1,
            "api_version": "2026-10-28.endive", "request": {"id": null, "idempotency_key": null},
            "data": {"object": {
                "id": format!("pi_burst{n:04}"), "object": "payment_intent", "amount": 500 + n as i64,
                "amount_capturable": 0, "amount_received": 500 + n as i64, "currency": "usd",
                "status": "succeeded", "capture_method": "automatic",
                "payment_method_types": ["card_present"], "created": now, "livemode": false,
                "metadata": {}
            }}
        })
        .to_string();
        let signature = signed(&s, &connection, &body, now).await;
        events.push((body, signature));
    }
    let events = std::sync::Arc::new(events);
    // The burst goes to the first process, which is killed (SIGKILL) part-way through.
    let url = webhook_url(&first.base, &connection);
    let mut senders = Vec::new();
    for lane in 0..8 {
        let (events, url) = (events.clone(), url.clone());
        senders.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut acknowledged = Vec::new();
            for (n, (body, signature)) in events.iter().enumerate().skip(lane).step_by(8) {
                if let Ok(r) = http
                    .post(&url)
                    .header("stripe-signature", signature)
                    .body(body.clone())
                    .timeout(std::time::Duration::from_secs(2))
                    .send()
                    .await
                {
                    if r.status().is_success() {
                        acknowledged.push(n);
                    }
                }
            }
            acknowledged
        }));
    }
    // Killed as soon as the burst is under way: once its first event is stored.
    wait::until(
        "the burst under way",
        10,
        std::time::Duration::from_millis(5),
        || async {
            let stored = s
                .count("SELECT COUNT(*) FROM webhook_events WHERE id LIKE 'evt_burst%'")
                .await;
            (stored > 0).then_some(())
        },
    )
    .await;
    first.child.kill().await.expect("kill -9");
    let mut acknowledged = Vec::new();
    for sender in senders {
        acknowledged.extend(sender.await.expect("sender"));
    }
    assert!(
        acknowledged.len() < total,
        "the kill interrupted the burst ({} acknowledged)",
        acknowledged.len()
    );
    // Acknowledged means committed: stored and applied by the process that died.
    let durable = s
        .count("SELECT COUNT(*) FROM webhook_events WHERE id LIKE 'evt_burst%' AND outcome = 'applied'")
        .await;
    for n in &acknowledged {
        assert_eq!(
            s.count(&format!(
                "SELECT COUNT(*) FROM payments WHERE id = 'pi_burst{n:04}' AND status = 'succeeded'"
            ))
            .await,
            1,
            "acknowledged event {n} was applied before the kill"
        );
    }
    assert!(durable >= acknowledged.len() as i64);
    // Restart; Stripe redelivers what was not acknowledged (here: everything, duplicates too).
    let second = serve(&s.database_url).await;
    let url = webhook_url(&second.base, &connection);
    let http = reqwest::Client::new();
    for (body, signature) in events.iter() {
        let r = http
            .post(&url)
            .header("stripe-signature", signature)
            .body(body.clone())
            .send()
            .await
            .expect("redeliver");
        assert_eq!(r.status(), StatusCode::OK);
    }
    eventually("every event applied", 30, || async {
        s.count("SELECT COUNT(*) FROM webhook_events WHERE id LIKE 'evt_burst%' AND outcome = 'applied'")
            .await
            == total as i64
    })
    .await;
    assert_eq!(
        s.count("SELECT COUNT(*) FROM webhook_events WHERE id LIKE 'evt_burst%'")
            .await,
        total as i64,
        "each event stored once"
    );
    assert_eq!(
        s.count("SELECT COUNT(*) FROM payments WHERE id LIKE 'pi_burst%' AND status = 'succeeded'")
            .await,
        total as i64,
        "each payment once, succeeded"
    );
    assert_eq!(
        s.count("SELECT COUNT(*) FROM payment_timeline WHERE payment_id LIKE 'pi_burst%'")
            .await,
        total as i64,
        "applied once: one status line per payment"
    );
}
#[tokio::test]
async fn auditors_only_read_and_operators_charge_only_where_granted() {
    let s = TestServer::start().await;
    let (owner, reader) = owner_with_reader(&s, "roles-pay@example.com").await;
    let op = reader_detail(&owner, &reader).await.op;
    let pi = charge(&owner, &reader, "2", "manual", &op).await;
    present(&owner, &reader, "4242424242424242", &op).await;
    let auditor = join(&s, &owner, "aud-pay@example.com", "auditor").await;
    let operator = join(&s, &owner, "op-pay@example.com", "operator").await;
    let connection = default_connection(&owner).await;
    for (name, args) in [
        (
            "start_test_charge",
            vec![
                ("reader_id", reader.as_str()),
                ("amount", "1"),
                ("currency", "usd"),
                ("op", "auditorop01"),
            ],
        ),
        (
            "present_test_card",
            vec![
                ("reader_id", reader.as_str()),
                ("card", "4242424242424242"),
                ("op", "auditorop02"),
            ],
        ),
        (
            "capture_payment",
            vec![("id", pi.as_str()), ("op", "auditorop03")],
        ),
        (
            "cancel_payment",
            vec![("id", pi.as_str()), ("op", "auditorop04")],
        ),
        (
            "refund_payment",
            vec![("id", pi.as_str()), ("op", "auditorop05")],
        ),
        (
            "reapply_webhook_event",
            vec![
                ("connection_id", connection.as_str()),
                ("event_id", "evt_x"),
            ],
        ),
    ] {
        let (status, _) = auditor.err(name, &args).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "auditor: {name}");
    }
    // The auditor reads every payment and the events.
    let list: TransactionsView = auditor.ok("list_transactions", &[]).await;
    assert_eq!(list.payments.len(), 1);
    let _: app::payments::types::EventsView = auditor.ok("list_webhook_events", &[]).await;
    // An operator without the location sees nothing and cannot charge there.
    let list: TransactionsView = operator.ok("list_transactions", &[]).await;
    assert!(list.payments.is_empty());
    let (status, _) = operator.err("payment_detail", &[("id", &pi)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = operator
        .err(
            "start_test_charge",
            &[
                ("reader_id", &reader),
                ("amount", "1"),
                ("currency", "usd"),
                ("op", "operatorop01"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = operator.err("list_webhook_events", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Given the location, the operator captures the payment.
    let detail = reader_detail(&owner, &reader).await;
    let location = detail.reader.location_id.expect("location");
    let operator_id = operator.me().await.expect("op").user_id;
    let () = owner
        .ok(
            "set_location_grant",
            &[
                ("location_id", &location),
                ("user_id", &operator_id),
                ("granted", "true"),
            ],
        )
        .await;
    // Capturing moves money: an owner's or admin's call until the organisation lets operators.
    let detail = payment_detail(&operator, &pi).await;
    assert!(!detail.can_refund, "the page offers no capture or refund");
    let (status, err) = operator
        .err("capture_payment", &[("id", &pi), ("op", &detail.op)])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(message(&err).contains("owners and admins"), "{err}");
    let () = owner
        .ok("set_refund_rule", &[("operators_may", "yes")])
        .await;
    let detail = payment_detail(&operator, &pi).await;
    assert!(detail.can_refund);
    let () = operator
        .ok("capture_payment", &[("id", &pi), ("op", &detail.op)])
        .await;
    assert_eq!(
        payment_detail(&owner, &pi).await.payment.status_label(),
        "Succeeded"
    );
    // Taken back: refunds are the owner's again, and the change is audited.
    let () = owner.ok("set_refund_rule", &[]).await;
    let (status, _) = operator
        .err("refund_payment", &[("id", &pi), ("op", &detail.op)])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        s.count("SELECT COUNT(*) FROM audit_log WHERE action = 'payments.refund_rule_set'")
            .await,
        2
    );
    let (status, _) = operator
        .err("set_refund_rule", &[("operators_may", "yes")])
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "operators cannot give themselves the right"
    );
}

//! The till's screen through the point-of-sale API, over real HTTP to the simulator: a cart
//! shown and cleared, a payment that shows its line items first, and questions asked on the
//! reader with the answers waited for.

use crate::harness::fleet::{default_connection, owner_with_reader};
use crate::harness::pos::{create_key, Answer, Till};
use crate::harness::stripe::{intents_at_stripe, stripe_access};
use crate::harness::wait::eventually;
use crate::harness::{Browser, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn code(a: &Answer) -> &str {
    a.body["error"]["code"].as_str().unwrap_or("")
}

fn param(a: &Answer) -> &str {
    a.body["error"]["param"].as_str().unwrap_or("")
}

fn cart(total: i64) -> Value {
    json!({
        "line_items": [
            {"description": "Latte", "amount": 450, "quantity": 2},
            {"description": "Blueberry muffin", "amount": 325},
            {"description": "Loyalty discount", "amount": -100}
        ],
        "tax": 98,
        "total": total
    })
}

/// The reader as Stripe (the simulator) has it now.
async fn at_stripe(s: &TestServer, owner: &Browser, reader: &str) -> fleet_stripe::Reader {
    let connection = default_connection(owner).await;
    let access = stripe_access(s, owner, &connection).await;
    access
        .client
        .retrieve_reader(&access.creds, reader)
        .await
        .expect("reader at Stripe")
}

#[tokio::test]
async fn a_till_shows_its_cart_clears_it_and_shows_it_before_a_payment() {
    let s = TestServer::start().await;
    let (owner, reader) = owner_with_reader(&s, "cart@example.com").await;
    let till = Till::new(&s, &create_key(&owner, "Till", "payments").await.secret);
    let display = format!("/readers/{reader}/display");

    // 450 × 2 + 325 − 100 + 98 tax = 1223.
    let wrong = till.post(&display, None, cart(1300)).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "{}", wrong.body);
    assert_eq!(param(&wrong), "total");
    assert!(
        wrong.body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("1223"),
        "{}",
        wrong.body
    );
    assert!(at_stripe(&s, &owner, &reader).await.action.is_none());

    let shown = till.post(&display, Some("cart-1"), cart(1223)).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    let on_screen = at_stripe(&s, &owner, &reader).await.action.expect("action");
    assert_eq!(on_screen.kind.as_str(), "set_reader_display");
    let shown_cart = &on_screen.set_reader_display.expect("display")["cart"];
    assert_eq!(shown_cart["total"], 1223, "{shown_cart}");
    assert_eq!(shown_cart["tax"], 98);
    assert_eq!(shown_cart["currency"], "usd");
    assert_eq!(
        shown_cart["line_items"][1]["description"],
        "Blueberry muffin"
    );
    assert_eq!(shown_cart["line_items"][1]["quantity"], 1);
    // The same request again is the same display, not a second one.
    let again = till.post(&display, Some("cart-1"), cart(1223)).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(
        again
            .headers
            .get("idempotent-replayed")
            .map(|v| v.as_bytes()),
        Some(&b"true"[..])
    );
    assert_eq!(
        s.count("SELECT COUNT(*) FROM audit_log WHERE action = 'reader.display_shown'")
            .await,
        1
    );

    let cleared = till.send(Method::DELETE, &display, None, None).await;
    assert_eq!(cleared.status, StatusCode::OK, "{}", cleared.body);
    assert!(at_stripe(&s, &owner, &reader).await.action.is_none());
    let clear_again = till.send(Method::DELETE, &display, None, None).await;
    assert_eq!(clear_again.status, StatusCode::OK, "already clear");

    // A payment whose line items do not add up to its amount starts nothing.
    let before = intents_at_stripe(&s, &owner).await.len();
    let bad = till
        .post(
            "/payments",
            Some("pay-bad"),
            json!({"reader": reader, "amount": 1500, "line_items": cart(0)["line_items"], "tax": 98}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert_eq!(param(&bad), "amount");
    let tax_alone = till
        .post(
            "/payments",
            Some("pay-tax"),
            json!({"reader": reader, "amount": 1500, "tax": 98}),
        )
        .await;
    assert_eq!(param(&tax_alone), "tax", "{}", tax_alone.body);
    assert_eq!(intents_at_stripe(&s, &owner).await.len(), before);

    // With line items that add up, the cart is shown and then the card is asked for.
    let paid = till
        .post(
            "/payments",
            Some("pay-1"),
            json!({"reader": reader, "amount": 1223, "line_items": cart(0)["line_items"], "tax": 98}),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{}", paid.body);
    // Shown before the card was asked for: the second display precedes the payment's start.
    let shown_at = s
        .count("SELECT MAX(at) FROM audit_log WHERE action = 'reader.display_shown'")
        .await;
    let started_at = s
        .count("SELECT MAX(at) FROM audit_log WHERE action = 'payment.test_charge_started'")
        .await;
    assert_eq!(
        s.count("SELECT COUNT(*) FROM audit_log WHERE action = 'reader.display_shown'")
            .await,
        2
    );
    assert!(shown_at <= started_at, "{shown_at} > {started_at}");
    let collecting = at_stripe(&s, &owner, &reader).await.action.expect("action");
    assert_eq!(collecting.kind.as_str(), "process_payment_intent");

    // While the card is asked for, neither a cart nor a clear may touch the screen.
    let busy_clear = till.send(Method::DELETE, &display, None, None).await;
    assert_eq!(
        busy_clear.status,
        StatusCode::CONFLICT,
        "{}",
        busy_clear.body
    );
    assert_eq!(code(&busy_clear), "reader_busy");
    let busy_show = till.post(&display, None, cart(1223)).await;
    assert_eq!(busy_show.status, StatusCode::CONFLICT, "{}", busy_show.body);
    let still = at_stripe(&s, &owner, &reader).await.action.expect("action");
    assert_eq!(still.kind.as_str(), "process_payment_intent");
    assert_eq!(still.status.as_str(), "in_progress");
}

#[tokio::test]
async fn a_till_asks_the_customer_and_waits_for_the_answers() {
    let s = TestServer::start().await;
    let (owner, reader) = owner_with_reader(&s, "inputs@example.com").await;
    let key = create_key(&owner, "Till", "pos").await;
    let till = Till::new(&s, &key.secret);
    let path = format!("/readers/{reader}/collect_inputs");
    let questions = json!({
        "inputs": [
            {"type": "email", "custom_text": {"title": "Email for your receipt"}, "required": true},
            {"type": "selection", "custom_text": {"title": "How did we do?"},
             "selection": {"choices": [{"id": "good", "text": "Good", "style": "primary"},
                                       {"id": "bad", "text": "Could be better"}]}}
        ],
        "metadata": {"order": "A-17"}
    });

    // Before any question, there is nothing to read.
    let none = till.get(&path).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND, "{}", none.body);
    assert_eq!(code(&none), "no_input_collection");

    let asked = till.post(&path, Some("ask-1"), questions.clone()).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert_eq!(asked.body["object"], "input_collection");
    assert_eq!(asked.body["status"], "in_progress");
    assert_eq!(asked.body["inputs"][0]["value"], Value::Null);
    assert_eq!(asked.body["metadata"]["order"], "A-17");

    // A held request answers once the customer has answered.
    let waiting = {
        let till = till.clone();
        let path = path.clone();
        tokio::spawn(async move { till.get(&format!("{path}?wait=30s")).await })
    };
    eventually("the till's wait is held", 5, || async {
        s.state.in_flight.long_polls.held(&key.id) == 1
    })
    .await;
    assert!(
        !waiting.is_finished(),
        "the wait returned before the answers"
    );
    let answered = till
        .post(
            &format!("/test_helpers/readers/{reader}/succeed_input_collection"),
            None,
            json!({}),
        )
        .await;
    assert_eq!(answered.status, StatusCode::OK, "{}", answered.body);
    let done = waiting.await.expect("wait");
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(done.body["status"], "succeeded", "{}", done.body);
    let email = done.body["inputs"][0]["value"].as_str().unwrap_or("");
    assert!(email.contains('@'), "{}", done.body);
    assert_eq!(done.body["inputs"][1]["type"], "selection");
    assert!(
        ["good", "bad"].contains(&done.body["inputs"][1]["value"].as_str().unwrap_or("")),
        "{}",
        done.body
    );
    // The answers are not kept here: no audit detail or row holds the email.
    assert_eq!(
        s.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%{}%'",
            email.replace('\'', "")
        ))
        .await,
        0
    );

    // A customer who walks away: the collection fails, and the till is told so.
    let again = till.post(&path, None, questions.clone()).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    let timed_out = till
        .post(
            &format!("/test_helpers/readers/{reader}/timeout_input_collection"),
            None,
            json!({}),
        )
        .await;
    assert_eq!(timed_out.status, StatusCode::OK, "{}", timed_out.body);
    let failed = till.get(&format!("{path}?wait=10s")).await;
    assert_eq!(failed.body["status"], "failed", "{}", failed.body);
    assert!(failed.body["failure_code"].is_string(), "{}", failed.body);

    // Bad questions get clear errors on the field at fault, ours or Stripe's.
    let bad_type = till
        .post(
            &path,
            None,
            json!({"inputs": [{"type": "fingerprint", "custom_text": {"title": "?"}}]}),
        )
        .await;
    assert_eq!(bad_type.status, StatusCode::BAD_REQUEST);
    assert_eq!(param(&bad_type), "inputs[0][type]");
    let six = json!({"inputs": vec![json!({"type": "text", "custom_text": {"title": "Name"}}); 6]});
    let too_many = till.post(&path, None, six).await;
    assert_eq!(too_many.status, StatusCode::BAD_REQUEST);
    assert_eq!(param(&too_many), "inputs");
    let long_button = till
        .post(
            &path,
            None,
            json!({"inputs": [{"type": "text", "custom_text": {"title": "Name",
                   "submit_button": "A submit button label far longer than thirty characters"}}]}),
        )
        .await;
    assert_eq!(
        long_button.status,
        StatusCode::BAD_REQUEST,
        "{}",
        long_button.body
    );
    assert!(
        param(&long_button).contains("submit_button"),
        "{}",
        long_button.body
    );

    // A read-only key asks nothing; another organisation's key does not find the reader.
    let screen = Till::new(&s, &create_key(&owner, "Screen", "read").await.secret);
    let refused = screen.post(&path, None, questions.clone()).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(code(&refused), "insufficient_scope");
    let (other, _) = owner_with_reader(&s, "inputs-other@example.com").await;
    let stranger = Till::new(&s, &create_key(&other, "Theirs", "payments").await.secret);
    for answer in [
        stranger.post(&path, None, questions.clone()).await,
        stranger.get(&path).await,
        stranger
            .post(&format!("/readers/{reader}/display"), None, cart(1223))
            .await,
        stranger
            .send(
                Method::DELETE,
                &format!("/readers/{reader}/display"),
                None,
                None,
            )
            .await,
        stranger
            .post(
                &format!("/test_helpers/readers/{reader}/succeed_input_collection"),
                None,
                json!({}),
            )
            .await,
    ] {
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.body);
    }
    assert_eq!(
        s.count("SELECT COUNT(*) FROM audit_log WHERE action = 'reader.inputs_requested'")
            .await,
        2
    );
}
